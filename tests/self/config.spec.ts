/**
 * Config errors: one test per bad variable, asserting the message names it (and its fix), that every problem is
 * listed at once, that the CLI exits 2 without a stack trace, and that secret values never appear in the message.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ChromiumPathError,
  ConfigError,
  chromiumPathSetting,
  loadConfig,
  ROOT,
  reportsDir,
  selectedAccounts,
  siteSelected,
  workersSetting,
} from '../../fixtures/core/config.ts';
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
  { name: 'SIM_WORLD missing', overrides: { SIM_WORLD: 'worlds/none.json', TARGET: 'sim' }, variable: 'SIM_WORLD', says: /does not exist/ },
  { name: 'SIM_WORLD not JSON', overrides: { SIM_WORLD: 'README.md', TARGET: 'sim' }, variable: 'SIM_WORLD', says: /is not valid JSON/ },
  { name: 'SIM_WORLD a folder', overrides: { SIM_WORLD: 'simulator', TARGET: 'sim' }, variable: 'SIM_WORLD', says: /is a folder/ },
  {
    name: 'SIM_WORLD with the real target',
    overrides: { SIM_WORLD: 'simulator/worlds/default.json' },
    variable: 'SIM_WORLD',
    says: /only applies with TARGET=sim/,
  },
  { name: 'HARNESS_WORKERS zero', overrides: { HARNESS_WORKERS: '0' }, variable: 'HARNESS_WORKERS', says: /positive whole number/ },
  { name: 'HARNESS_WORKERS a word', overrides: { HARNESS_WORKERS: 'many' }, variable: 'HARNESS_WORKERS', says: /positive whole number/ },
  { name: 'CHROMIUM_PATH missing', overrides: { CHROMIUM_PATH: '/no/such/chromium' }, variable: 'CHROMIUM_PATH', says: /does not exist/ },
  { name: 'CHROMIUM_PATH a folder', overrides: { CHROMIUM_PATH: '/usr/bin' }, variable: 'CHROMIUM_PATH', says: /is not a file/ },
  {
    name: 'ATLASSIAN_SITES a URL',
    overrides: { ATLASSIAN_SITES: 'acme.atlassian.net, https://globex.atlassian.net' },
    variable: 'ATLASSIAN_SITES',
    says: /"https:\/\/globex\.atlassian\.net", not host names/,
  },
  {
    name: 'HARNESS_ACCOUNTS names an unconfigured role',
    overrides: { HARNESS_ACCOUNTS: 'member,admin' },
    variable: 'HARNESS_ACCOUNTS',
    says: /names role\(s\) "admin" that ATLASSIAN_ACCOUNTS does not configure/,
  },
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

test('a TARGET typo is reported alone: the variables it would need are not listed as missing', () => {
  const e = configError({ TARGET: 'atlasian', ATLASSIAN_CLIENT_ID: undefined, ATLASSIAN_SCOPES: undefined });
  expect(e.problems.map((p) => p.variable)).toEqual(['TARGET']);
  expect(e.problems[0]!.problem).toContain('did you mean atlassian?');
});

test('ATLASSIAN_SITES and HARNESS_ACCOUNTS select sites and accounts; every one when unset', () => {
  const all = loadConfig(
    envWith({ ATLASSIAN_ACCOUNTS: 'member,admin', ACCOUNT_ADMIN_EMAIL: 'a@example.com', ACCOUNT_ADMIN_PASSWORD: 'pw-1' }),
  );
  expect(all.sites).toBeUndefined();
  expect(siteSelected(all, 'https://anything.atlassian.net')).toBe(true);
  expect(selectedAccounts(all).map((a) => a.role)).toEqual(['member', 'admin']);
  const some = loadConfig(
    envWith({
      ATLASSIAN_ACCOUNTS: 'member,admin',
      ACCOUNT_ADMIN_EMAIL: 'a@example.com',
      ACCOUNT_ADMIN_PASSWORD: 'pw-1',
      ATLASSIAN_SITES: 'Acme.atlassian.net',
      HARNESS_ACCOUNTS: 'admin',
    }),
  );
  expect(some.sites).toEqual(['acme.atlassian.net']);
  expect(siteSelected(some, 'https://acme.atlassian.net')).toBe(true);
  expect(siteSelected(some, 'acme.atlassian.net')).toBe(true);
  expect(siteSelected(some, 'https://globex.atlassian.net/wiki')).toBe(false);
  expect(some.accounts.map((a) => a.role)).toEqual(['member', 'admin']);
  expect(selectedAccounts(some).map((a) => a.role)).toEqual(['admin']);
});

test('single settings read the same layers as the configuration (.env file, then the environment)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
  const envFile = path.join(dir, '.env');
  writeFileSync(envFile, 'HARNESS_REPORTS_DIR=reports/from-dotenv\nHARNESS_WORKERS=3\n');
  expect(reportsDir({ HARNESS_ENV_FILE: envFile })).toBe(path.join(ROOT, 'reports', 'from-dotenv'));
  expect(reportsDir({ HARNESS_ENV_FILE: envFile, HARNESS_REPORTS_DIR: '/tmp/x' })).toBe('/tmp/x');
  expect(reportsDir({ HARNESS_ENV_FILE: path.join(dir, 'none.env') })).toBe(path.join(ROOT, 'reports'));
  expect(workersSetting({ HARNESS_ENV_FILE: envFile })).toBe(3);
  expect(workersSetting({ HARNESS_ENV_FILE: envFile, HARNESS_WORKERS: '50%' })).toBe('50%');
  expect(() => workersSetting({ HARNESS_ENV_FILE: envFile, HARNESS_WORKERS: '-1' })).toThrow(ConfigError);
  expect(chromiumPathSetting({ HARNESS_ENV_FILE: envFile })).toBeUndefined();
  expect(() => chromiumPathSetting({ HARNESS_ENV_FILE: envFile, CHROMIUM_PATH: '/no/such/chromium' })).toThrow(ChromiumPathError);
  expect(chromiumPathSetting({ HARNESS_ENV_FILE: envFile, CHROMIUM_PATH: process.execPath })).toBe(process.execPath);
});

test('every bad variable is listed in one message', () => {
  const e = configError({ REHEARSAL: 'x', ATLASSIAN_CLIENT_ID: undefined, MCP_ENDPOINT: 'v9' });
  expect(e.problems.map((p) => p.variable).sort()).toEqual(['ATLASSIAN_CLIENT_ID', 'MCP_ENDPOINT', 'REHEARSAL']);
});

test('SIM_WORLD and HARNESS_WORKERS are checked with the other settings: one message lists them with the rest', () => {
  const e = configError({ TARGET: 'sim', SIM_WORLD: 'worlds/none.json', HARNESS_WORKERS: 'two', MCP_ENDPOINT: 'v9' });
  expect(e.problems.map((p) => p.variable).sort()).toEqual(['HARNESS_WORKERS', 'MCP_ENDPOINT', 'SIM_WORLD']);
  expect(e.message).toMatch(/SIM_WORLD: "worlds\/none\.json" does not exist[\s\S]*HARNESS_WORKERS: must be a positive whole number/);
  expect(e.message.match(/Fix/g)?.length).toBeGreaterThanOrEqual(3);
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

test('fixtures/core/config.ts is the only reader of settings: elsewhere only the harness-internal hand-offs', () => {
  // internal hand-offs between the harness's own processes, and HARNESS_TEST_* seams only self-tests set (never a user)
  const allowed =
    /^(HARNESS_SIM_URLS|HARNESS_RUN_ID|HARNESS_REHEARSAL|HARNESS_BLOB_DIR|HARNESS_ALLURE_\w+|HARNESS_TEST_[A-Z_]+|CI|PATH|HOME|TMPDIR)$/;
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts') && p !== path.join(ROOT, 'fixtures', 'core', 'config.ts')) {
        const text = readFileSync(p, 'utf8');
        for (const m of text.matchAll(/process\.env\.([A-Za-z_]+)/g))
          if (!allowed.test(m[1]!)) offenders.push(`${path.relative(ROOT, p)}: ${m[1]}`);
      }
    }
  };
  for (const d of ['fixtures', 'scripts']) walk(path.join(ROOT, d));
  walk(path.join(ROOT, 'tests', 'support'));
  const pw = readFileSync(path.join(ROOT, 'playwright.config.ts'), 'utf8');
  for (const m of pw.matchAll(/process\.env\.([A-Za-z_]+)/g)) if (!allowed.test(m[1]!)) offenders.push(`playwright.config.ts: ${m[1]}`);
  expect(offenders).toEqual([]);
});
