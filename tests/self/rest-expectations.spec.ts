/**
 * Expectations file and scope catalog validation: every bad input stops with one message that names the entry and
 * says how to fix it; a real target's first run without a file (pending expectations); the warn-only schema check of
 * real runs (fixtures/rest/schema-check.ts). Pure (no simulator).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../fixtures/core/config.ts';
import { expect, test } from '../../fixtures/index.ts';
import {
  ExpectationsError,
  parseExpectations,
  pendingExpectations,
  siteKeysOf,
  UNRESOLVED_CLOUD_ID,
} from '../../fixtures/rest/expectations.ts';
import { describeWarning, loadSchemaChecker, SCHEMA_WARNINGS_ATTACHMENT, schemaWarningLine } from '../../fixtures/rest/schema-check.ts';
import { CATALOG_FILE, CatalogError, loadCatalog, parseCatalog } from '../../fixtures/rest/scopes.ts';
import { WORLD } from '../support/world.ts';

const config = loadConfig();
const catalog = loadCatalog();
const file = config.expectationsFile ?? '';
const good = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> & { accounts: Record<string, Record<string, unknown>> };
const roles = config.accounts.map((a) => a.role);
const parse = (value: unknown, text?: string) =>
  parseExpectations(text ?? JSON.stringify(value), {
    file: '/x/tests/expectations/broken.json',
    catalog,
    roles,
    requested: config.app.scopes,
  });
const errorOf = (fn: () => unknown): ExpectationsError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ExpectationsError) return e;
    throw e;
  }
  throw new Error('expected an ExpectationsError');
};
const clone = () => JSON.parse(JSON.stringify(good)) as typeof good;

test('the shipped expectations file and catalog are valid and cover every catalog scope for every role and site', () => {
  const exp = parse(good);
  expect(exp.roles.sort()).toEqual([...roles].sort());
  for (const role of exp.roles)
    for (const site of exp.sites)
      for (const e of catalog.scopes) expect(['granted', 'absent']).toContain(exp.grantState(role, site.key, e.scope));
  expect(exp.expected('member', 'acme', 'manage:jira-configuration')).toBe('permission-denied');
  expect(exp.expected('siteadmin', 'globex', 'read:jira-work')).toBe('site-not-authorized');
  expect(exp.expected('admin', 'acme', 'read:issue:jira')).toBe('not-probeable');
  expect(exp.expected('admin', undefined, 'offline_access')).toBe('granted');
});

test('malformed JSON is reported with the file and the parser position', () => {
  const e = errorOf(() => parse(undefined, '{"version": 1, "accounts": {'));
  expect(e.message).toContain('broken.json is invalid');
  expect(e.message).toMatch(/malformed JSON: .*(JSON|position|end)/i);
  expect(e.message).toContain('Fix: edit the named entry');
});

test('an unknown scope in an outcome names the account, site and scope', () => {
  const bad = clone();
  bad.accounts.member = { ...bad.accounts.member, sites: { acme: { outcomes: { 'read:jira-wrok': 'granted' } } } };
  const e = errorOf(() => parse(bad));
  expect(e.problems).toEqual(['accounts.member.sites.acme.outcomes["read:jira-wrok"]: unknown scope (not in fixtures/rest/scopes.json)']);
});

test('an unknown scope in a granted list names the list', () => {
  const bad = clone();
  bad.accounts.admin = { ...bad.accounts.admin, granted: ['read:me', 'write:everything'] };
  expect(errorOf(() => parse(bad)).problems).toEqual([
    'accounts.admin.granted: unknown scope "write:everything" (not in fixtures/rest/scopes.json)',
  ]);
});

test('an unknown role names the role and the configured ones', () => {
  const bad = clone();
  bad.accounts.auditor = { accessibleSites: { present: ['acme'], absent: ['globex'] } };
  expect(errorOf(() => parse(bad)).problems).toEqual([
    `accounts.auditor: unknown role "auditor" (ATLASSIAN_ACCOUNTS configures: ${roles.join(', ')})`,
  ]);
});

test('a configured role without expectations is reported', () => {
  const bad = clone();
  delete bad.accounts.siteadmin;
  expect(errorOf(() => parse(bad)).problems).toEqual(['accounts: no entry for configured role "siteadmin" (add accounts.siteadmin)']);
});

test('an unknown category and an unknown site are both reported, each naming its entry', () => {
  const bad = clone();
  bad.accounts.member = {
    accessibleSites: { present: ['acme', 'globex', 'initech'], absent: [] },
    outcomes: { 'manage:jira-configuration': 'forbidden' },
  };
  const e = errorOf(() => parse(bad));
  expect(e.problems).toEqual([
    'accounts.member.accessibleSites: unknown site "initech" (sites: acme, globex)',
    'accounts.member.outcomes["manage:jira-configuration"]: unknown category "forbidden" (see fixtures/core/categories.ts)',
  ]);
});

test('a site neither present nor absent for a role is reported', () => {
  const bad = clone();
  bad.accounts.siteadmin = { accessibleSites: { present: ['acme'], absent: [] } };
  expect(errorOf(() => parse(bad)).problems).toEqual([
    'accounts.siteadmin.accessibleSites: site "globex" is neither present nor absent (list it in one of them)',
  ]);
});

test('a schema error (wrong type) names its path', () => {
  const bad = clone();
  bad.sites = { acme: { cloudId: 'not-a-uuid', url: WORLD.sites.acme.url } };
  expect(errorOf(() => parse(bad)).problems).toEqual(['sites.acme.cloudId: must be the site cloudId (a UUID)']);
});

test('a catalog entry with a broken probe is reported by index and scope name', () => {
  const raw = JSON.parse(readFileSync(CATALOG_FILE, 'utf8')) as { scopes: Array<Record<string, unknown>> };
  const i = raw.scopes.findIndex((s) => s.scope === 'write:jira-work');
  raw.scopes[i] = { ...raw.scopes[i], why: undefined };
  raw.scopes.push({ ...raw.scopes[0] });
  let err: unknown;
  try {
    parseCatalog(raw);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(CatalogError);
  const msg = (err as Error).message;
  expect(msg).toContain(
    `scopes[${i}] ("write:jira-work").why: probe "write-invalid-body" must say why it is safe / why it cannot be probed`,
  );
  expect(msg).toContain(`scopes[${raw.scopes.length - 1}] ("read:jira-user").scope: duplicate scope "read:jira-user"`);
});

test('the catalog covers every scope of the reference table (atlassian-oauth.md §6) and every scope the .env.sim app requests', () => {
  // docs/reference/atlassian-oauth.md §6, row by row
  const reference = [
    'read:jira-user',
    'read:jira-work',
    'write:jira-work',
    'manage:jira-project',
    'manage:jira-configuration',
    'manage:jira-webhook',
    'manage:jira-data-provider',
    'read:me',
    'offline_access',
    'read:confluence-content.summary',
    'read:confluence-content.all',
    'read:confluence-space.summary',
    'write:confluence-content',
    'search:confluence',
    'read:confluence-user',
    'read:confluence-groups',
    'read:confluence-props',
    'manage:confluence-configuration',
    'read:page:confluence',
    'read:space:confluence',
    'read:attachment:confluence',
    'read:comment:confluence',
    'read:project:jira',
    'read:issue:jira',
    'read:user:jira',
    'read:status:jira',
    'read:priority:jira',
    'read:board-scope:jira-software',
  ];
  const names = catalog.scopes.map((e) => e.scope);
  expect([...names].sort()).toEqual([...reference].sort());
  for (const s of config.app.scopes) expect(names).toContain(s);
  // write probes and unprobeable scopes say why
  for (const e of catalog.scopes.filter((x) => x.probe !== 'read')) expect(e.why, e.scope).toBeTruthy();
});

// ── a real target's first run: no expectations file yet ────────────────────────────────────────────────────────

test('first real run: a missing EXPECTATIONS_FILE is accepted only with ATLASSIAN_SITES, and the pending expectations probe those sites', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'first-run-'));
  try {
    const envFile = path.join(dir, '.env');
    writeFileSync(envFile, '');
    const base: NodeJS.ProcessEnv = {
      HARNESS_ENV_FILE: envFile,
      TARGET: 'atlassian',
      ATLASSIAN_CLIENT_ID: 'abc123',
      ATLASSIAN_CLIENT_SECRET: 'secret-value-XYZ-987',
      ATLASSIAN_CALLBACK_URL: 'http://localhost:8976/callback',
      ATLASSIAN_SCOPES: 'offline_access read:me read:jira-work',
      ATLASSIAN_ACCOUNTS: 'member',
      ACCOUNT_MEMBER_EMAIL: 'member@example.com',
      ACCOUNT_MEMBER_PASSWORD: 'pw-secret-123456',
      EXPECTATIONS_FILE: path.join(dir, 'my-app.json'),
    };
    // without sites the first run would not know what to probe: one message naming the setting and the fix
    const e = (() => {
      try {
        loadConfig(base);
      } catch (err) {
        return err as Error;
      }
      return undefined;
    })();
    expect(e?.message).toMatch(/EXPECTATIONS_FILE[\s\S]*file not found[\s\S]*no expectations yet: set ATLASSIAN_SITES/);
    const c = loadConfig({ ...base, ATLASSIAN_SITES: 'acme.atlassian.net,acme.jira-dev.com,globex.atlassian.net' });
    const exp = pendingExpectations({
      file: c.expectationsFile!,
      catalog,
      roles: c.accounts.map((a) => a.role),
      requested: c.app.scopes,
      app: c.app.clientId,
      sites: c.sites!,
    });
    expect(exp.pending).toBe(true);
    expect(exp.sites.map((s) => `${s.key} ${s.url}`)).toEqual([
      'acme https://acme.atlassian.net',
      'acme-2 https://acme.jira-dev.com',
      'globex https://globex.atlassian.net',
    ]);
    expect(exp.expected('member', 'acme', 'read:jira-work')).toBe('granted');
    // the cloudId comes from accessible-resources at run time; a site no grant lists stays unresolved
    const listed = [{ id: '11111111-2222-4333-8444-555555555555', url: 'https://acme.atlassian.net', scopes: ['read:jira-work'] }];
    expect(exp.resolveSite(exp.site('acme'), listed)?.cloudId).toBe(listed[0]!.id);
    expect(exp.resolveSite(exp.site('globex'), listed)).toBeUndefined();
    expect(exp.site('acme').cloudId).toBe(UNRESOLVED_CLOUD_ID);
    expect(siteKeysOf(['acme.atlassian.net', 'ACME.atlassian.net'])).toEqual({ acme: 'acme.atlassian.net' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('schema check: a wrong type names endpoint and field path (never the value); missing client packages switch it off with one reason', async () => {
  const checker = await loadSchemaChecker();
  if ('unavailable' in checker) throw new Error(checker.unavailable);
  const secret = 'SIMCANARY-schema-unit-3x9q';
  const warnings = checker.check(
    'GET',
    '/ex/jira/a1c3e5f7-0000-4000-8000-000000000001/rest/api/3/myself?expand=groups',
    200,
    JSON.stringify({ accountId: 42, displayName: secret, active: 'yes' }),
  );
  expect(warnings.map(describeWarning)).toEqual(
    expect.arrayContaining([
      'GET /rest/api/3/myself: accountId expected string, received number',
      'GET /rest/api/3/myself: active expected boolean, received string',
    ]),
  );
  expect(JSON.stringify(warnings)).not.toContain(secret);
  // a path template with an id, a refusal (not checked), an endpoint without a published schema (not checked)
  expect(checker.check('GET', '/ex/jira/x/rest/api/3/project/10000/email', 200, '{"emailAddress":7}').map((w) => w.path)).toEqual([
    'emailAddress',
  ]);
  expect(checker.check('GET', '/ex/jira/x/rest/api/3/myself', 401, '{"code":401}')).toEqual([]);
  expect(checker.check('GET', '/me', 200, '{"account_id":1}')).toEqual([]);
  // the report's line counts fields and endpoints
  const dir = mkdtempSync(path.join(os.tmpdir(), 'schema-line-'));
  try {
    const f = path.join(dir, 'w.json');
    writeFileSync(f, JSON.stringify(warnings));
    expect(schemaWarningLine([{ attachments: [{ name: SCHEMA_WARNINGS_ATTACHMENT, file: f }] }])).toMatch(
      /^schema warnings: 2 fields on 1 endpoint /,
    );
    expect(schemaWarningLine([{ attachments: [] }])).toBeUndefined();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const off = await loadSchemaChecker(() => Promise.reject(new Error("Cannot find package 'jira.js'")));
  expect(off).toEqual({ unavailable: "jira.js 6 / confluence.js 3 cannot be loaded (Cannot find package 'jira.js')" });
});
