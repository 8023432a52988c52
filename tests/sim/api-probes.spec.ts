/**
 * The simulator's API gateway answers every probe endpoint the REST suite uses (atlassian-oauth.md §6) when the
 * scope is granted, and answers 401 "scope does not match" (§5 row 1) when it is not. The probe table below is this
 * test's own, independent of the simulator's scope table (the wall): if the two disagree, a test fails.
 */

import type { SimHandle } from '../../fixtures/core/simulator.ts';
import { expect, test } from '../../fixtures/index.ts';
import { ACCOUNTS, ACME, APP, APP_SCOPES, api, oauthToken, SCOPE_MISMATCH } from './helpers.ts';

/** The default app's scopes plus the granular write scope the v2 page probe needs. */
const ALL_SCOPES = [...APP_SCOPES, 'write:page:confluence'];

interface Probe {
  name: string;
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  body?: unknown;
  /** status with every scope granted (org admin) */
  ok: number;
  /** scopes whose removal must turn the answer into 401 scope mismatch (classic + any granular alternative held) */
  drop: string[];
  check?: (body: unknown) => void;
}

const J = `/ex/jira/${ACME}/rest/api/3`;
const C = `/ex/confluence/${ACME}/wiki`;
type Obj = Record<string, unknown>;
const results = (b: unknown) => (b as { results: Obj[] }).results;

const PROBES: Probe[] = [
  {
    name: '/me',
    method: 'GET',
    path: '/me',
    ok: 200,
    drop: ['read:me'],
    check: (b) => expect(b).toMatchObject({ account_type: 'atlassian', email: ACCOUNTS.admin.email, account_status: 'active' }),
  },
  {
    name: 'jira myself',
    method: 'GET',
    path: `${J}/myself`,
    ok: 200,
    drop: ['read:jira-user'],
    check: (b) => expect(b).toMatchObject({ emailAddress: ACCOUNTS.admin.email, active: true }),
  },
  {
    name: 'jira configuration',
    method: 'GET',
    path: `${J}/configuration`,
    ok: 200,
    drop: ['read:jira-user'],
    check: (b) => expect(b).toHaveProperty('timeTrackingEnabled'),
  },
  {
    name: 'jira users/search',
    method: 'GET',
    path: `${J}/users/search`,
    ok: 200,
    drop: ['read:jira-user', 'read:user:jira'],
    check: (b) => expect((b as Obj[]).length).toBeGreaterThan(1),
  },
  {
    name: 'jira user/picker',
    method: 'GET',
    path: `${J}/user/picker?query=m`,
    ok: 200,
    drop: ['read:jira-user', 'read:user:jira'],
    check: (b) => expect((b as { total: number }).total).toBeGreaterThan(0),
  },
  {
    name: 'jira project/search',
    method: 'GET',
    path: `${J}/project/search?maxResults=1`,
    ok: 200,
    drop: ['read:jira-work'],
    check: (b) => expect(b).toMatchObject({ total: 2, maxResults: 1, isLast: false, values: [{ key: 'DEMO' }] }),
  },
  {
    name: 'jira priority',
    method: 'GET',
    path: `${J}/priority`,
    ok: 200,
    drop: ['read:jira-work', 'read:priority:jira'],
    check: (b) => expect((b as Obj[]).map((p) => p['name'])).toContain('Medium'),
  },
  {
    name: 'jira status',
    method: 'GET',
    path: `${J}/status`,
    ok: 200,
    drop: ['read:jira-work', 'read:status:jira'],
    check: (b) => expect((b as Obj[]).map((s) => s['name'])).toEqual(expect.arrayContaining(['To Do', 'In Progress', 'Done'])),
  },
  {
    name: 'jira field',
    method: 'GET',
    path: `${J}/field`,
    ok: 200,
    drop: ['read:jira-work'],
    check: (b) => expect((b as Obj[]).map((f) => f['id'])).toContain('summary'),
  },
  {
    name: 'jira search/jql',
    method: 'GET',
    path: `${J}/search/jql?jql=${encodeURIComponent('project = DEMO ORDER BY key')}&fields=summary`,
    ok: 200,
    drop: ['read:jira-work'],
    check: (b) => expect((b as { issues: Array<{ key: string }> }).issues.map((i) => i.key)).toEqual(['DEMO-1', 'DEMO-2', 'DEMO-3']),
  },
  {
    name: 'jira issue',
    method: 'GET',
    path: `${J}/issue/DEMO-1`,
    ok: 200,
    drop: ['read:jira-work'],
    check: (b) => expect(b).toMatchObject({ key: 'DEMO-1', fields: { summary: 'Set up the integration', status: { name: 'To Do' } } }),
  },
  {
    name: 'jira projectvalidate/key',
    method: 'GET',
    path: `${J}/projectvalidate/key?key=ZZZ`,
    ok: 200,
    drop: ['read:jira-work', 'read:project:jira'],
    check: (b) => expect(b).toEqual({ errorMessages: [], errors: {} }),
  },
  {
    name: 'jira project email',
    method: 'GET',
    path: `${J}/project/10000/email`,
    ok: 200,
    drop: ['manage:jira-project'],
    check: (b) => expect(b).toMatchObject({ emailAddress: 'jira@acme-sim.atlassian.net' }),
  },
  {
    name: 'jira advanced-settings',
    method: 'GET',
    path: `${J}/application-properties/advanced-settings`,
    ok: 200,
    drop: ['manage:jira-configuration'],
    check: (b) => expect((b as Obj[]).length).toBeGreaterThan(0),
  },
  { name: 'jira applicationrole', method: 'GET', path: `${J}/applicationrole`, ok: 200, drop: ['manage:jira-configuration'] },
  {
    name: 'jira webhook',
    method: 'GET',
    path: `${J}/webhook`,
    ok: 200,
    drop: ['manage:jira-webhook'],
    check: (b) => expect(b).toMatchObject({ startAt: 0, isLast: true }),
  },
  {
    name: 'jira agile board',
    method: 'GET',
    path: `/ex/jira/${ACME}/rest/agile/1.0/board?maxResults=1`,
    ok: 200,
    drop: ['read:board-scope:jira-software'],
    check: (b) => expect(b).toMatchObject({ total: 2, values: [{ id: 1, location: { projectKey: 'DEMO' } }] }),
  },
  {
    name: 'confluence v2 pages',
    method: 'GET',
    path: `${C}/api/v2/pages?limit=1`,
    ok: 200,
    drop: ['read:page:confluence'],
    check: (b) =>
      expect(b).toMatchObject({ results: [{ id: '98305', title: 'Demo home' }], _links: { next: expect.stringContaining('cursor=') } }),
  },
  {
    name: 'confluence v2 page',
    method: 'GET',
    path: `${C}/api/v2/pages/98305?body-format=storage`,
    ok: 200,
    drop: ['read:page:confluence'],
    check: (b) => expect(b).toMatchObject({ body: { storage: { value: expect.stringContaining('Welcome') } } }),
  },
  {
    name: 'confluence v2 spaces',
    method: 'GET',
    path: `${C}/api/v2/spaces?limit=1`,
    ok: 200,
    drop: ['read:space:confluence'],
    check: (b) => expect(results(b)[0]).toMatchObject({ key: 'DEMO', homepageId: '98305' }),
  },
  {
    name: 'confluence v2 attachments',
    method: 'GET',
    path: `${C}/api/v2/attachments?limit=1`,
    ok: 200,
    drop: ['read:attachment:confluence'],
    check: (b) => expect(results(b)[0]).toMatchObject({ title: 'diagram.png', pageId: '98305' }),
  },
  {
    name: 'confluence v2 footer-comments',
    method: 'GET',
    path: `${C}/api/v2/footer-comments?limit=1`,
    ok: 200,
    drop: ['read:comment:confluence'],
    check: (b) => expect(results(b)[0]).toMatchObject({ id: '131073', pageId: '98305' }),
  },
  {
    name: 'confluence v1 content by id',
    method: 'GET',
    path: `${C}/rest/api/content/98305`,
    ok: 200,
    drop: ['read:confluence-content.all'],
    check: (b) => expect(b).toMatchObject({ id: '98305', type: 'page' }),
  },
  {
    name: 'confluence v1 restriction',
    method: 'GET',
    path: `${C}/rest/api/content/98305/restriction`,
    ok: 200,
    drop: ['read:confluence-content.all'],
    check: (b) => expect(results(b).map((r) => r['operation'])).toEqual(['read', 'update']),
  },
  {
    name: 'confluence v1 property',
    method: 'GET',
    path: `${C}/rest/api/content/98305/property`,
    ok: 200,
    drop: ['read:confluence-props'],
    check: (b) => expect(results(b)[0]).toMatchObject({ key: 'sim-prop', value: { owner: 'harness' } }),
  },
  {
    name: 'confluence v1 search',
    method: 'GET',
    path: `${C}/rest/api/search?cql=${encodeURIComponent('type=page')}&limit=1`,
    ok: 200,
    drop: ['search:confluence'],
    check: (b) => expect(b).toMatchObject({ size: 1, totalSize: 3 }),
  },
  {
    name: 'confluence v1 user/current',
    method: 'GET',
    path: `${C}/rest/api/user/current`,
    ok: 200,
    drop: ['read:confluence-user'],
    check: (b) => expect(b).toMatchObject({ type: 'known', email: ACCOUNTS.admin.email }),
  },
  {
    name: 'confluence v1 group',
    method: 'GET',
    path: `${C}/rest/api/group?limit=1`,
    ok: 200,
    drop: ['read:confluence-groups'],
    check: (b) => expect(b).toMatchObject({ size: 1, results: [{ type: 'group' }] }),
  },
  {
    name: 'confluence v1 systemInfo',
    method: 'GET',
    path: `${C}/rest/api/settings/systemInfo`,
    ok: 200,
    drop: ['manage:confluence-configuration'],
    check: (b) => expect(b).toMatchObject({ cloudId: ACME, baseUrl: 'https://acme-sim.atlassian.net/wiki' }),
  },
  // §5 row 4: removed v1 lists answer 410 with the scope, 401 without it
  {
    name: 'confluence v1 content list (removed)',
    method: 'GET',
    path: `${C}/rest/api/content?limit=1`,
    ok: 410,
    drop: ['read:confluence-content.summary'],
    check: (b) => expect(JSON.stringify(b)).toContain('GoneException: This deprecated endpoint has been removed.'),
  },
  {
    name: 'confluence v1 space list (removed)',
    method: 'GET',
    path: `${C}/rest/api/space?limit=1`,
    ok: 410,
    drop: ['read:confluence-space.summary'],
    check: (b) => expect(JSON.stringify(b)).toContain('GoneException: This deprecated endpoint has been removed.'),
  },
  // write probes: invalid body → 400 with the scope (nothing changes), 401 without it
  {
    name: 'jira create issue (invalid body)',
    method: 'POST',
    path: `${J}/issue`,
    body: { fields: {} },
    ok: 400,
    drop: ['write:jira-work'],
    check: (b) =>
      expect(b).toMatchObject({
        errors: { project: 'Specify a valid project ID or key', summary: 'You must specify a summary of the issue.' },
      }),
  },
  {
    name: 'jira edit issue (invalid body)',
    method: 'PUT',
    path: `${J}/issue/SBX-1`,
    body: {},
    ok: 400,
    drop: ['write:jira-work'],
    check: (b) => expect(b).toHaveProperty('errorMessages'),
  },
  {
    name: 'jira add comment (invalid body)',
    method: 'POST',
    path: `${J}/issue/SBX-1/comment`,
    body: {},
    ok: 400,
    drop: ['write:jira-work'],
    check: (b) => expect(b).toEqual({ errorMessages: [], errors: { comment: 'Comment body can not be empty!' } }),
  },
  {
    name: 'confluence v2 create page (invalid body)',
    method: 'POST',
    path: `${C}/api/v2/pages`,
    body: {},
    ok: 400,
    drop: ['write:page:confluence'],
    check: (b) => expect((b as { errors: Obj[] }).errors.map((e) => e['detail'])).toEqual(expect.arrayContaining(['spaceId', 'title'])),
  },
  {
    name: 'confluence v1 create content (invalid body)',
    method: 'POST',
    path: `${C}/rest/api/content`,
    body: {},
    ok: 400,
    drop: ['write:confluence-content', 'write:page:confluence'],
    check: (b) => expect(b).toMatchObject({ statusCode: 400 }),
  },
];

async function tokenWith(sim: SimHandle, scopes: string[]): Promise<string> {
  await sim.admin.patchWorld({ apps: { [APP.clientId]: { scopes: ALL_SCOPES } } });
  return oauthToken(sim, { account: ACCOUNTS.admin, scopes, sites: [ACME] });
}

test.afterEach(async ({ sim }) => {
  // every request these tests send must be one the simulator recognises
  expect(await sim.admin.unrecognised()).toEqual([]);
});

for (const p of PROBES) {
  test(`gateway answers ${p.ok} to ${p.method} ${p.name} when its scope is granted`, async ({ sim }) => {
    const token = await tokenWith(sim, ALL_SCOPES);
    const before = await sim.admin.world<{ data: unknown }>();
    const res = await api(sim, token, p.method, p.path, p.body);
    expect(res.status, res.text).toBe(p.ok);
    expect(res.headers.get('atl-traceid')).toMatch(/^[0-9a-f]{8,}$/);
    p.check?.(res.body);
    // probes never change product data (write probes are rejected by validation)
    expect((await sim.admin.world<{ data: unknown }>()).data).toEqual(before.data);
  });

  test(`gateway answers 401 scope mismatch to ${p.method} ${p.name} without ${p.drop.join(' + ')}`, async ({ sim }) => {
    const token = await tokenWith(
      sim,
      ALL_SCOPES.filter((s) => !p.drop.includes(s)),
    );
    const res = await api(sim, token, p.method, p.path, p.body);
    expect(res.status, res.text).toBe(401);
    expect(res.body).toEqual(SCOPE_MISMATCH);
  });
}
