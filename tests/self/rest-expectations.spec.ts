/**
 * Expectations file and scope catalog validation: every bad input stops with one message that names the entry and
 * says how to fix it. Pure (no simulator).
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../fixtures/core/config.ts';
import { expect, test } from '../../fixtures/index.ts';
import { ExpectationsError, parseExpectations } from '../../fixtures/rest/expectations.ts';
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
