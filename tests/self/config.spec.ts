/**
 * Config errors: one test per bad variable, asserting the message names it (and its fix), that every problem is
 * listed at once, that the CLI exits 2 without a stack trace, and that secret values never appear in the message.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, ROOT } from '../../fixtures/core/config.ts';
import { expect, test } from '../../fixtures/index.ts';

const GOOD: Record<string, string> = {
  TARGET: 'atlassian',
  ATLASSIAN_CLIENT_ID: 'abc123',
  ATLASSIAN_CLIENT_SECRET: 'secret-value-XYZ-987',
  ATLASSIAN_CALLBACK_URL: 'http://localhost:8976/callback',
  ATLASSIAN_SCOPES: 'offline_access read:me read:jira-work',
  ATLASSIAN_ACCOUNTS: 'member',
  ACCOUNT_MEMBER_EMAIL: 'member@example.com',
  ACCOUNT_MEMBER_PASSWORD: 'pw-secret-123456',
};

/** env for loadConfig with no .env file involved (HARNESS_ENV_FILE points at an empty temp file) */
function envWith(overrides: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
  const empty = path.join(dir, '.env');
  writeFileSync(empty, '');
  const env: NodeJS.ProcessEnv = { ...GOOD, HARNESS_ENV_FILE: empty };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

function configError(overrides: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(envWith(overrides));
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(Object.keys(overrides))}`);
}

test('a complete configuration loads with typed values', () => {
  const c = loadConfig(envWith({}));
  expect(c.target).toBe('atlassian');
  expect(c.app.scopes).toEqual(['offline_access', 'read:me', 'read:jira-work']);
  expect(c.accounts).toEqual([expect.objectContaining({ role: 'member', email: 'member@example.com' })]);
  expect(c.mcp.endpoint).toBe('v1');
});

test('the built-in .env.sim makes TARGET=sim work with no .env at all', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
  const c = loadConfig({ HARNESS_ENV_FILE: path.join(dir, 'missing.env') }, ROOT);
  expect(c.target).toBe('sim');
  expect(c.accounts.map((a) => a.role)).toEqual(['admin', 'member', 'siteadmin']);
});

const CASES: Array<{ name: string; overrides: Record<string, string | undefined>; variable: string; says: RegExp }> = [
  { name: 'TARGET not sim/atlassian', overrides: { TARGET: 'staging' }, variable: 'TARGET', says: /must be "sim" or "atlassian"/ },
  { name: 'client id missing', overrides: { ATLASSIAN_CLIENT_ID: undefined }, variable: 'ATLASSIAN_CLIENT_ID', says: /is missing/ },
  { name: 'client secret missing', overrides: { ATLASSIAN_CLIENT_SECRET: '' }, variable: 'ATLASSIAN_CLIENT_SECRET', says: /is missing/ },
  {
    name: 'callback not a URL',
    overrides: { ATLASSIAN_CALLBACK_URL: 'localhost/cb' },
    variable: 'ATLASSIAN_CALLBACK_URL',
    says: /not an http\(s\) URL/,
  },
  { name: 'callback missing', overrides: { ATLASSIAN_CALLBACK_URL: undefined }, variable: 'ATLASSIAN_CALLBACK_URL', says: /is missing/ },
  { name: 'scopes missing', overrides: { ATLASSIAN_SCOPES: undefined }, variable: 'ATLASSIAN_SCOPES', says: /is missing/ },
  { name: 'malformed scope', overrides: { ATLASSIAN_SCOPES: 'read:me READ JIRA' }, variable: 'ATLASSIAN_SCOPES', says: /malformed scope/ },
  { name: 'accounts missing', overrides: { ATLASSIAN_ACCOUNTS: undefined }, variable: 'ATLASSIAN_ACCOUNTS', says: /is missing/ },
  {
    name: 'bad role name',
    overrides: { ATLASSIAN_ACCOUNTS: 'member,Site Admin!' },
    variable: 'ATLASSIAN_ACCOUNTS',
    says: /not a simple name/,
  },
  { name: 'account email missing', overrides: { ACCOUNT_MEMBER_EMAIL: undefined }, variable: 'ACCOUNT_MEMBER_EMAIL', says: /is missing/ },
  {
    name: 'account email malformed',
    overrides: { ACCOUNT_MEMBER_EMAIL: 'member-at-example' },
    variable: 'ACCOUNT_MEMBER_EMAIL',
    says: /not an email/,
  },
  {
    name: 'no password and no API token',
    overrides: { ACCOUNT_MEMBER_PASSWORD: undefined },
    variable: 'ACCOUNT_MEMBER_PASSWORD',
    says: /no API token either/,
  },
  {
    name: 'TOTP seed not base32',
    overrides: { ACCOUNT_MEMBER_TOTP_SECRET: 'not-base32-0189!' },
    variable: 'ACCOUNT_MEMBER_TOTP_SECRET',
    says: /not a base32 seed/,
  },
  {
    name: 'site not a host name',
    overrides: { ACCOUNT_MEMBER_SITE: 'https://x.atlassian.net/' },
    variable: 'ACCOUNT_MEMBER_SITE',
    says: /not a host name/,
  },
  { name: 'MCP endpoint unknown', overrides: { MCP_ENDPOINT: 'v3' }, variable: 'MCP_ENDPOINT', says: /must be v1, authv2 or v2/ },
  {
    name: 'expectations file missing',
    overrides: { EXPECTATIONS_FILE: 'tests/expectations/nope.json' },
    variable: 'EXPECTATIONS_FILE',
    says: /file not found/,
  },
  { name: 'REHEARSAL not 0/1', overrides: { REHEARSAL: 'yes' }, variable: 'REHEARSAL', says: /must be 0 or 1/ },
  {
    name: 'REHEARSAL with TARGET=sim',
    overrides: { REHEARSAL: '1', TARGET: 'sim' },
    variable: 'REHEARSAL',
    says: /only applies with TARGET=atlassian/,
  },
];

for (const c of CASES) {
  test(`config names ${c.variable} when ${c.name}`, () => {
    const e = configError(c.overrides);
    const problem = e.problems.find((p) => p.variable === c.variable);
    expect(problem, e.message).toBeDefined();
    expect(problem!.problem).toMatch(c.says);
    expect(problem!.fix.length).toBeGreaterThan(10);
    expect(e.message).toContain(`- ${c.variable}: `);
    expect(e.message).toContain('.env.example');
  });
}

test('every bad variable is listed in one message', () => {
  const e = configError({ TARGET: 'x', ATLASSIAN_CLIENT_ID: undefined, MCP_ENDPOINT: 'v9' });
  expect(e.problems.map((p) => p.variable).sort()).toEqual(['ATLASSIAN_CLIENT_ID', 'MCP_ENDPOINT', 'TARGET']);
});

test('the CLI exits 2 with the message, no stack trace and no secret value', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
  const envFile = path.join(dir, '.env');
  writeFileSync(
    envFile,
    Object.entries({ ...GOOD, ATLASSIAN_SCOPES: 'BAD SCOPE' })
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  );
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/check-config.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HARNESS_ENV_FILE: envFile },
    encoding: 'utf8',
  });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('ATLASSIAN_SCOPES');
  expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack frames
  for (const secret of [GOOD.ATLASSIAN_CLIENT_SECRET!, GOOD.ACCOUNT_MEMBER_PASSWORD!]) {
    expect(r.stderr).not.toContain(secret);
    expect(r.stdout).not.toContain(secret);
  }
});

test('the CLI prints the effective configuration with secrets shown only as "set"', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
  const envFile = path.join(dir, '.env');
  writeFileSync(
    envFile,
    Object.entries(GOOD)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  );
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/check-config.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HARNESS_ENV_FILE: envFile },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toContain('account member: member@example.com, password set');
  expect(r.stdout).not.toContain(GOOD.ACCOUNT_MEMBER_PASSWORD!);
  expect(r.stdout).not.toContain(GOOD.ATLASSIAN_CLIENT_SECRET!);
});
