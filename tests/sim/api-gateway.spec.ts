/**
 * The simulator's API gateway: grant and site routing, granular bundles, product permissions, removed products,
 * revoked grants, token errors, rate-limit faults and API-token access (atlassian-oauth.md §4-§6; the simulator's
 * choices where the reference says "unknown" are in simulator/docs/rest.md).
 */

import type { SimHandle } from '../../fixtures/core/simulator.ts';
import { expect, test } from '../../fixtures/index.ts';
import { ACCOUNTS, ACME, APP, APP_SCOPES, api, basic, GLOBEX, oauthToken, SCOPE_MISMATCH, UNAUTHORIZED } from './helpers.ts';

const jira = (cloudId: string, rest: string) => `/ex/jira/${cloudId}/rest/api/3${rest}`;
const wiki = (cloudId: string, rest: string) => `/ex/confluence/${cloudId}/wiki${rest}`;

/** atlassian-oauth.md §6: GET /issue/{key} with granular scopes needs this whole bundle. */
const ISSUE_BUNDLE = [
  'read:issue:jira',
  'read:issue-meta:jira',
  'read:issue-security-level:jira',
  'read:issue.vote:jira',
  'read:issue.changelog:jira',
  'read:status:jira',
  'read:user:jira',
  'read:avatar:jira',
  'read:field-configuration:jira',
];

interface Resource {
  id: string;
  name: string;
  url: string;
  scopes: string[];
  avatarUrl: string;
}

async function adminToken(sim: SimHandle, sites: string[] = [ACME, GLOBEX]): Promise<string> {
  return oauthToken(sim, { account: ACCOUNTS.admin, scopes: APP_SCOPES, sites });
}

async function memberToken(sim: SimHandle, sites: string[] = [ACME]): Promise<string> {
  return oauthToken(sim, { account: ACCOUNTS.member, scopes: APP_SCOPES, sites });
}

test.afterEach(async ({ sim }) => {
  expect(await sim.admin.unrecognised()).toEqual([]);
});

test.describe('grant and sites', () => {
  test('accessible-resources lists every consented site with its scopes, without offline_access', async ({ sim }) => {
    const token = await adminToken(sim);
    const res = await api(sim, token, 'GET', '/oauth/token/accessible-resources');
    expect(res.status).toBe(200);
    // as real edge responses: 32 lowercase hex digits and a request id
    expect(res.headers.get('atl-traceid')).toMatch(/^[0-9a-f]{32}$/);
    expect(res.headers.get('atl-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const list = res.body as Resource[];
    expect(list.map((r) => r.id).sort()).toEqual([ACME, GLOBEX]);
    const acme = list.find((r) => r.id === ACME)!;
    expect(acme).toMatchObject({
      name: 'acme-sim',
      url: 'https://acme-sim.atlassian.net',
      avatarUrl: expect.stringMatching(/^https:\/\//),
    });
    expect(acme.scopes).toEqual(
      expect.arrayContaining(['read:me', 'read:jira-work', 'read:page:confluence', 'read:board-scope:jira-software']),
    );
    expect(acme.scopes).not.toContain('offline_access');
  });

  test('a site not in the grant is refused with 401 and is absent from accessible-resources', async ({ sim }) => {
    const token = await adminToken(sim, [ACME]);
    const sites = (await api(sim, token, 'GET', '/oauth/token/accessible-resources')).body as Resource[];
    expect(sites.map((s) => s.id)).toEqual([ACME]);
    expect((await api(sim, token, 'GET', jira(ACME, '/project/search'))).status).toBe(200);
    const res = await api(sim, token, 'GET', jira(GLOBEX, '/project/search'));
    expect(res.status).toBe(401);
    expect(res.body).toEqual(UNAUTHORIZED);
  });

  test('a cloudId that is no site answers 404 naming the cloudId', async ({ sim }) => {
    const token = await adminToken(sim, [ACME]);
    const unknown = '00000000-0000-4000-8000-0000000000ff';
    const res = await api(sim, token, 'GET', jira(unknown, '/project/search'));
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 404, message: `Not Found: no site with cloudId ${unknown}` });
  });

  test('a user removed from a site loses it: 401 there, dropped from accessible-resources, other site still works', async ({ sim }) => {
    const token = await memberToken(sim, [ACME, GLOBEX]);
    expect((await api(sim, token, 'GET', jira(GLOBEX, '/project/search'))).status).toBe(200);
    await sim.admin.patchWorld({ users: { [ACCOUNTS.member.email]: { sites: { [GLOBEX]: null } } } });
    const res = await api(sim, token, 'GET', jira(GLOBEX, '/project/search'));
    expect(res.status).toBe(401);
    expect(res.body).toEqual(UNAUTHORIZED);
    const sites = (await api(sim, token, 'GET', '/oauth/token/accessible-resources')).body as Resource[];
    expect(sites.map((s) => s.id)).toEqual([ACME]);
    expect((await api(sim, token, 'GET', jira(ACME, '/project/search'))).status).toBe(200);
  });

  test('an admin-revoked grant makes every call 401 Unauthorized, accessible-resources included', async ({ sim }) => {
    const token = await adminToken(sim, [ACME]);
    expect((await api(sim, token, 'GET', '/me')).status).toBe(200);
    await sim.admin.revokeGrant(ACCOUNTS.admin.email, APP.clientId);
    for (const path of ['/oauth/token/accessible-resources', '/me', jira(ACME, '/myself'), wiki(ACME, '/api/v2/pages?limit=1')]) {
      const res = await api(sim, token, 'GET', path);
      expect(res.status, path).toBe(401);
      expect(res.body, path).toEqual(UNAUTHORIZED);
    }
  });

  test('an admin revoking the app on one site: that site answers 401 and leaves accessible-resources, the other site keeps working', async ({
    sim,
  }) => {
    const token = await adminToken(sim, [ACME, GLOBEX]);
    await sim.admin.revokeGrant(ACCOUNTS.admin.email, APP.clientId, GLOBEX);
    for (const path of [jira(GLOBEX, '/project/search'), wiki(GLOBEX, '/api/v2/pages?limit=1')]) {
      const res = await api(sim, token, 'GET', path);
      expect(res.status, path).toBe(401);
      expect(res.body, path).toEqual(UNAUTHORIZED);
    }
    const sites = (await api(sim, token, 'GET', '/oauth/token/accessible-resources')).body as Resource[];
    expect(sites.map((s) => s.id)).toEqual([ACME]);
    for (const path of [jira(ACME, '/project/search'), wiki(ACME, '/api/v2/pages?limit=1'), '/me'])
      expect((await api(sim, token, 'GET', path)).status, path).toBe(200);
    // revoking the same site again changes nothing; the whole grant still can be revoked afterwards
    const again = await fetch(`${sim.urls.admin}/grants/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: ACCOUNTS.admin.email, clientId: APP.clientId, cloudId: GLOBEX }),
    });
    expect(await again.json()).toEqual({ revoked: false });
    await sim.admin.revokeGrant(ACCOUNTS.admin.email, APP.clientId);
    expect((await api(sim, token, 'GET', jira(ACME, '/project/search'))).status).toBe(401);
  });
});

test.describe('products', () => {
  test('an uninstalled product answers 404 naming it, before the scope check, and its scopes leave accessible-resources', async ({
    sim,
  }) => {
    const token = await adminToken(sim, [ACME]);
    await sim.admin.patchWorld({ sites: { [ACME]: { products: ['jira', 'jira-software'] } } });
    const res = await api(sim, token, 'GET', wiki(ACME, '/api/v2/pages?limit=1'));
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 404, message: 'Not Found: Confluence is not installed on https://acme-sim.atlassian.net' });
    expect((await api(sim, token, 'GET', jira(ACME, '/project/search'))).status).toBe(200);
    const acme = ((await api(sim, token, 'GET', '/oauth/token/accessible-resources')).body as Resource[])[0]!;
    expect(acme.scopes.filter((s) => s.includes('confluence'))).toEqual([]);
    expect(acme.scopes).toContain('read:jira-work');
  });

  test('Jira Software endpoints answer 404 when only Jira is installed', async ({ sim }) => {
    const token = await adminToken(sim, [ACME]);
    await sim.admin.patchWorld({ sites: { [ACME]: { products: ['jira', 'confluence'] } } });
    const res = await api(sim, token, 'GET', `/ex/jira/${ACME}/rest/agile/1.0/board`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 404, message: 'Not Found: Jira Software is not installed on https://acme-sim.atlassian.net' });
  });
});

test.describe('scopes', () => {
  test('a granular bundle with one member missing is refused; the whole bundle is accepted', async ({ sim }) => {
    await sim.admin.patchWorld({ apps: { [APP.clientId]: { scopes: [...APP_SCOPES, ...ISSUE_BUNDLE] } } });
    const partial = await oauthToken(sim, {
      account: ACCOUNTS.admin,
      scopes: ISSUE_BUNDLE.filter((s) => s !== 'read:issue.vote:jira'),
      sites: [ACME],
    });
    const refused = await api(sim, partial, 'GET', jira(ACME, '/issue/DEMO-1'));
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual(SCOPE_MISMATCH);
    const whole = await oauthToken(sim, { account: ACCOUNTS.admin, scopes: ISSUE_BUNDLE, sites: [ACME] });
    const ok = await api(sim, whole, 'GET', jira(ACME, '/issue/DEMO-1'));
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ key: 'DEMO-1' });
    // the bundle is not a classic scope: project search still needs read:jira-work or its own bundle
    expect((await api(sim, whole, 'GET', jira(ACME, '/project/search'))).body).toEqual(SCOPE_MISMATCH);
  });

  test('Jira Software boards refuse classic scopes alone with 401 scope mismatch', async ({ sim }) => {
    const classicOnly = APP_SCOPES.filter((s) => !s.endsWith(':jira') && !s.endsWith(':jira-software') && !s.endsWith(':confluence'));
    const token = await oauthToken(sim, { account: ACCOUNTS.admin, scopes: classicOnly, sites: [ACME] });
    const res = await api(sim, token, 'GET', `/ex/jira/${ACME}/rest/agile/1.0/board`);
    expect(res.status).toBe(401);
    expect(res.body).toEqual(SCOPE_MISMATCH);
  });

  test('the webhook list needs read:jira-work besides manage:jira-webhook', async ({ sim }) => {
    const token = await oauthToken(sim, {
      account: ACCOUNTS.admin,
      scopes: APP_SCOPES.filter((s) => s !== 'read:jira-work'),
      sites: [ACME],
    });
    const res = await api(sim, token, 'GET', jira(ACME, '/webhook'));
    expect(res.status).toBe(401);
    expect(res.body).toEqual(SCOPE_MISMATCH);
  });
});

test.describe('product permissions', () => {
  test('member gets the Jira admin 403 (not the scope 401) on advanced settings even with the scope', async ({ sim }) => {
    const token = await memberToken(sim);
    const res = await api(sim, token, 'GET', jira(ACME, '/application-properties/advanced-settings'));
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      errorMessages: ['You are not authorized to perform this operation. Administrator privileges are required.'],
      errors: {},
    });
  });

  test('member gets the Confluence admin 403 on systemInfo even with the scope', async ({ sim }) => {
    const token = await memberToken(sim);
    const res = await api(sim, token, 'GET', wiki(ACME, '/rest/api/settings/systemInfo'));
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ statusCode: 403, message: expect.stringContaining('PermissionException') });
  });

  test('a user without Jira access gets 403 on Jira and still reaches Confluence', async ({ sim }) => {
    const token = await memberToken(sim);
    await sim.admin.patchWorld({ users: { [ACCOUNTS.member.email]: { sites: { [ACME]: { jira: 'none' } } } } });
    const res = await api(sim, token, 'GET', jira(ACME, '/project/search'));
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ errorMessages: [expect.stringContaining('permission to use Jira')], errors: {} });
    expect((await api(sim, token, 'GET', `/ex/jira/${ACME}/rest/agile/1.0/board`)).status).toBe(403);
    expect((await api(sim, token, 'GET', wiki(ACME, '/api/v2/pages?limit=1'))).status).toBe(200);
  });

  test('a user without Confluence access gets the v2 403 error list', async ({ sim }) => {
    const token = await memberToken(sim);
    await sim.admin.patchWorld({ users: { [ACCOUNTS.member.email]: { sites: { [ACME]: { confluence: 'none' } } } } });
    const res = await api(sim, token, 'GET', wiki(ACME, '/api/v2/spaces?limit=1'));
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ errors: [{ status: 403, code: 'FORBIDDEN' }] });
  });

  test('the scope check comes before the permission check: member without the scope gets 401, not 403', async ({ sim }) => {
    const token = await oauthToken(sim, {
      account: ACCOUNTS.member,
      scopes: APP_SCOPES.filter((s) => s !== 'manage:jira-configuration'),
      sites: [ACME],
    });
    const res = await api(sim, token, 'GET', jira(ACME, '/application-properties/advanced-settings'));
    expect(res.status).toBe(401);
    expect(res.body).toEqual(SCOPE_MISMATCH);
  });
});

test.describe('tokens', () => {
  test('a missing or unknown token answers 401 Unauthorized', async ({ sim }) => {
    for (const auth of [null, 'SIMCANARY-not-a-token', 'Basic bm90OnZhbGlk']) {
      const res = await api(sim, auth, 'GET', jira(ACME, '/myself'));
      expect(res.status).toBe(401);
      expect(res.body).toEqual(UNAUTHORIZED);
      expect(res.headers.get('atl-traceid')).toMatch(/^[0-9a-f]{32}$/);
      expect(res.headers.get('atl-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  test('an expired access token answers 401 Unauthorized', async ({ sim }) => {
    await sim.admin.patchWorld({ settings: { accessTokenTtlSeconds: 1 } });
    const token = await adminToken(sim, [ACME]);
    // the token lives 1 s: poll until the gateway refuses it (no fixed sleep)
    await expect.poll(async () => (await api(sim, token, 'GET', '/me')).status, { timeout: 10_000, intervals: [250] }).toBe(401);
    expect((await api(sim, token, 'GET', '/me')).body).toEqual(UNAUTHORIZED);
  });

  test('a scoped API token works through the gateway within its scopes and an unscoped one is refused', async ({ sim }) => {
    const scoped = basic(ACCOUNTS.member.email, 'ATATT3xSIMCANARY-member-scoped-token');
    expect((await api(sim, scoped, 'GET', jira(GLOBEX, '/project/search'))).status).toBe(200);
    expect((await api(sim, scoped, 'GET', jira(ACME, '/myself'))).body).toEqual(SCOPE_MISMATCH);
    const unscoped = basic(ACCOUNTS.member.email, 'ATATT3xSIMCANARY-member-unscoped-token');
    const res = await api(sim, unscoped, 'GET', jira(ACME, '/project/search'));
    expect(res.status).toBe(401);
    expect(res.body).toEqual(UNAUTHORIZED);
  });
});

test.describe('rate limits and writes', () => {
  test('an injected 429 carries Retry-After, X-RateLimit-*, RateLimit-Reason and the points-based Beta-* headers plus atl-traceid', async ({
    sim,
  }) => {
    const token = await adminToken(sim, [ACME]);
    await sim.admin.setFaults({
      rules: [{ role: 'api', pathRegex: '/rest/api/3/', status: 429, retryAfterSeconds: 3, rateLimitReason: 'jira-burst-based', count: 1 }],
    });
    const limited = await api(sim, token, 'GET', jira(ACME, '/project/search'));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(limited.headers.get('ratelimit-reason')).toBe('jira-burst-based');
    expect(limited.headers.get('x-ratelimit-limit')).toMatch(/^\d+$/);
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('x-ratelimit-reset')).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/);
    // points-based limits (docs/reference/atlassian-mcp.md "Gateway rate limits"), IETF RateLimit field syntax
    expect(limited.headers.get('x-ratelimit-nearlimit')).toBe('true');
    expect(limited.headers.get('beta-ratelimit-policy')).toBe('"burst";q=100;w=1');
    expect(limited.headers.get('beta-ratelimit')).toBe('"burst";r=0;t=3');
    expect(limited.headers.get('beta-retry-after')).toBe('3');
    expect(limited.headers.get('atl-traceid')).toMatch(/^[0-9a-f]{32}$/);
    // count: 1 — the next call goes through
    expect((await api(sim, token, 'GET', jira(ACME, '/project/search'))).status).toBe(200);
  });

  test('a quota 429 names the tenant quota policy with its hourly window', async ({ sim }) => {
    const token = await adminToken(sim, [ACME]);
    await sim.admin.setFaults({
      rules: [{ role: 'api', status: 429, retryAfterSeconds: 60, rateLimitReason: 'jira-quota-tenant-based', count: 1 }],
    });
    const limited = await api(sim, token, 'GET', jira(ACME, '/project/search'));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('ratelimit-reason')).toBe('jira-quota-tenant-based');
    expect(limited.headers.get('beta-ratelimit-policy')).toBe('"tenant-app-quota";q=100100;w=3600');
    expect(limited.headers.get('beta-ratelimit')).toBe('"tenant-app-quota";r=0;t=60');
    expect(limited.headers.get('beta-retry-after')).toBe('60');
  });

  test('a valid create really creates the issue, readable through search and get', async ({ sim }) => {
    const token = await adminToken(sim, [ACME]);
    const created = await api(sim, token, 'POST', jira(ACME, '/issue'), {
      fields: { project: { key: 'SBX' }, summary: 'Created by the gateway test', issuetype: { name: 'Task' } },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ key: 'SBX-2' });
    const got = await api(sim, token, 'GET', jira(ACME, '/issue/SBX-2?fields=summary,status'));
    expect(got.body).toMatchObject({ key: 'SBX-2', fields: { summary: 'Created by the gateway test', status: { name: 'To Do' } } });
    expect(Object.keys((got.body as { fields: object }).fields).sort()).toEqual(['status', 'summary']);
    const other = await api(sim, token, 'GET', jira(GLOBEX, '/issue/SBX-2'));
    expect(other.status).toBe(401); // globex is not in this grant
  });

  test('JQL without a restriction or with an unknown field is refused with 400', async ({ sim }) => {
    const token = await adminToken(sim, [ACME]);
    const unbounded = await api(sim, token, 'GET', jira(ACME, '/search/jql?jql=order%20by%20key'));
    expect(unbounded.status).toBe(400);
    expect(unbounded.body).toEqual({
      errorMessages: ['Unbounded JQL queries are not allowed here. Please add a search restriction to your query.'],
      errors: {},
    });
    const bad = await api(sim, token, 'GET', jira(ACME, `/search/jql?jql=${encodeURIComponent('nosuchfield = 1')}`));
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("Field 'nosuchfield' does not exist");
  });
});
