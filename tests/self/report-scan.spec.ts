/**
 * The secret scanner: it finds a secret from the current configuration planted in each kind of artifact a
 * run writes (plain log, JSON, a Playwright trace zip, a blob report with a nested zip, gzip, PNG text metadata, the
 * single-file report's base64 data, a support bundle), names the file and the kind of secret but never the secret,
 * and finds nothing in a normal run's output. docs/reference/allure-playwright.md §3: Playwright cannot redact traces, so the
 * scanner is what stands between a trace and a published report.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32, deflateSync, gzipSync } from 'node:zlib';
import { ROOT } from '../../fixtures/core/config.ts';
import { expect, test } from '../../fixtures/index.ts';
import { manyTests, writeSyntheticResults } from '../../scripts/lib/synthetic.ts';
import { createZip } from '../../scripts/lib/zip.ts';
import { generateReport } from '../../scripts/report.ts';
import { CANARY, configuredSecrets, formatScan, scanSecrets } from '../../scripts/scan-secrets.ts';
import { writeSupportBundle } from '../../scripts/support-bundle.ts';

let dir: string;
test.beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'report-scan-'));
});
test.afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function put(rel: string, data: string | Buffer): string {
  const file = path.join(dir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, data);
  return file;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'latin1'), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** A valid 1×1 PNG with a tEXt chunk (PNG spec §11.3.4.3), as a screenshot tool writing metadata would. */
function pngWithText(keyword: string, text: string): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('tEXt', Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(text, 'latin1')])),
    chunk('IDAT', deflateSync(Buffer.from([0, 255, 255, 255]))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

interface Plant {
  artifact: string;
  secret: 'client secret' | 'password' | 'API token' | 'canary';
  /** writes the artifact; returns the absolute file (or file!/entry) the finding must name */
  write(secret: string, email: string): string;
  encoding: RegExp;
}

const PLANTS: Plant[] = [
  {
    artifact: 'a plain log file',
    secret: 'password',
    write: (s) => put('logs/run.log', `login ok\nPOST /login password=${s}\n`),
    encoding: /^plain$/,
  },
  {
    artifact: 'an Allure result JSON',
    secret: 'client secret',
    write: (s) =>
      put('allure-results/1-result.json', JSON.stringify({ name: 't', steps: [{ name: `POST /oauth/token client_secret=${s}` }] })),
    encoding: /^plain$/,
  },
  {
    artifact: 'a Playwright trace zip (Basic auth header, base64)',
    secret: 'API token',
    write: (s, email) => {
      const header = `Basic ${Buffer.from(`${email}:${s}`).toString('base64')}`;
      const network = `${JSON.stringify({ type: 'resource-snapshot', snapshot: { request: { headers: [{ name: 'Authorization', value: header }] } } })}\n`;
      const f = put(
        'test-results/mcp-call/trace.zip',
        createZip([
          { name: 'trace.trace', data: '{}\n' },
          { name: 'trace.network', data: network },
        ]),
      );
      return `${f}!/trace.network`;
    },
    encoding: /^base64$/,
  },
  {
    artifact: 'a blob report with a nested zip',
    secret: 'client secret',
    write: (s) => {
      const inner = createZip([{ name: 'resources/body.json', data: JSON.stringify({ client_secret: s }) }]);
      const f = put(
        'blob-report/report-1.zip',
        createZip([
          { name: 'report.jsonl', data: '{}\n' },
          { name: 'resources/trace.zip', data: inner },
        ]),
      );
      return `${f}!/resources/trace.zip!/resources/body.json`;
    },
    encoding: /^plain$/,
  },
  {
    artifact: 'a gzipped log',
    secret: 'password',
    write: (s) => `${put('logs/old.log.gz', gzipSync(`password: ${s}\n`))}!/(gunzipped)`,
    encoding: /^plain$/,
  },
  {
    artifact: 'PNG screenshot metadata (tEXt chunk)',
    secret: 'password',
    write: (s) => put('test-results/consent/screen.png', pngWithText('Comment', `typed into #password: ${s}`)),
    encoding: /PNG tEXt chunk/,
  },
  {
    artifact: "the single-file report's embedded base64 data",
    secret: 'client secret',
    write: (s) => {
      const data = Buffer.from(JSON.stringify({ name: 'token exchange', body: `client_secret=${s}` })).toString('base64');
      return put('allure-report/index.html', `<html><script>Promise.allSettled([d("data/test-results/x.json","${data}")])</script></html>`);
    },
    encoding: /^base64$/,
  },
  {
    artifact: 'a support bundle zip',
    secret: 'API token',
    write: (s) =>
      `${put('bundles/support-bundle.zip', createZip([{ name: 'summary.json', data: JSON.stringify({ arguments: { token: s } }) }]))}!/summary.json`,
    encoding: /^plain$/,
  },
  {
    artifact: 'a simulator response saved in test-results',
    secret: 'canary',
    write: () => put('test-results/x/response.txt', `{"access_token":"at-${CANARY}-123"}`),
    encoding: /^plain$/,
  },
];

for (const plant of PLANTS) {
  test(`scanner finds a planted ${plant.secret} in ${plant.artifact} and never prints it`, async ({ config }) => {
    const withToken = config.accounts.find((a) => a.apiToken && a.password);
    if (!withToken?.apiToken || !withToken.password)
      throw new Error('the sim config must have an account with an API token and a password');
    const value = {
      'client secret': config.app.clientSecret,
      password: withToken.password,
      'API token': withToken.apiToken,
      canary: CANARY,
    }[plant.secret];
    const expectedFile = plant.write(value, withToken.email);
    const r = await scanSecrets({ roots: [dir] });
    expect(r.ok).toBe(false);
    // the temp dir is outside the project, so findings name absolute paths
    const wanted = r.findings.filter((f) => f.file === expectedFile);
    expect(wanted.map((f) => f.kind)).toContainEqual(
      plant.secret === 'canary' ? expect.stringMatching(/^simulator canary marker/) : expect.stringContaining(plant.secret),
    );
    expect(
      wanted.find((f) => plant.encoding.test(f.encoding)),
      JSON.stringify(r.findings),
    ).toBeTruthy();
    const printed = formatScan(r);
    expect(printed).toContain('SECRET SCAN FAILED');
    if (plant.secret !== 'canary') expect(printed).not.toContain(value);
  });
}

test('scanner finds nothing in the output of a normal run: results, report, history and bundle', async ({ config }) => {
  // a run with evidence whose secrets were redacted before attaching (what fixtures/core/evidence.ts does)
  writeSyntheticResults(path.join(dir, 'allure-results'), [
    ...manyTests(4),
    {
      name: 'getJiraIssue fails',
      status: 'failed',
      outcome: 'mcp-tool-error',
      message: '[mcp-tool-error] Tool returned an error',
      attachments: [
        {
          name: 'evidence: getJiraIssue',
          type: 'application/vnd.harness.evidence+json',
          body: JSON.stringify({
            surface: 'mcp',
            timestamp: new Date().toISOString(),
            operation: 'getJiraIssue',
            args: { issueIdOrKey: 'SBX-1' },
            responseText: 'Issue does not exist',
            category: 'mcp-tool-error',
          }),
        },
      ],
    },
  ]);
  await generateReport({ reportsDir: dir, quiet: true });
  await writeSupportBundle({ reportsDir: dir });
  const r = await scanSecrets({ roots: [dir] });
  expect(r.findings).toEqual([]);
  expect(r.filesScanned).toBeGreaterThan(10);
  expect(r.secretsChecked).toBeGreaterThanOrEqual(1 + config.accounts.length);
});

test('npm run scan-secrets exits 1 naming the file and kind, 2 for a path that does not exist', async ({ config }) => {
  put('logs/run.log', `secret ${config.app.clientSecret}`);
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'scan-secrets.ts'), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
    });
  const found = cli(dir);
  expect(found.status).toBe(1);
  // the sim's client secret carries the canary marker, so both are reported
  expect(found.stdout).toMatch(/SECRET SCAN FAILED: 2 finding\(s\) in 1 file\(s\)/);
  expect(found.stdout).toMatch(/logs\/run\.log: client secret \(ATLASSIAN_CLIENT_SECRET\) \[plain\]/);
  expect(found.stdout + found.stderr).not.toContain(config.app.clientSecret);
  const missing = cli(path.join(dir, 'nope'));
  expect(missing.status).toBe(2);
  expect(missing.stderr).toMatch(/not found\. Fix: pass existing files or directories/);
});

/** A token store record as fixtures/tokens/store.ts writes it (format harness-token-store/1). */
function storeRecord(accessToken: string, refreshToken: string): string {
  return JSON.stringify({
    format: 'harness-token-store/1',
    key: { origin: 'http://127.0.0.1:1', email: 'member@sim.example', clientId: 'c', scopes: ['read:me'] },
    role: 'member',
    accessToken,
    refreshToken,
    expiresAt: Date.now() + 3600_000,
    scopes: ['read:me'],
    obtainedAt: Date.now(),
    refreshes: 0,
    sites: [],
  });
}

test("the scanner, in its own process, checks the tokens of the run's token store (store folder read, never written)", async () => {
  // tokens without the canary marker (a real Atlassian run): only the store can tell the scanner about them
  const access = `eyJreal.access.${Date.now()}`;
  const refresh = `real-refresh-${Date.now()}`;
  const store = put('store/0123abcd.json', storeRecord(access, refresh));
  put('out/trace.txt', `Authorization: Bearer ${access}`);
  put('out/log.txt', `refresh_token=${encodeURIComponent(refresh)}`);
  const before = readFileSync(store, 'utf8');
  const cli = (env: NodeJS.ProcessEnv, ...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'scan-secrets.ts'), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
  const r = cli({}, '--token-store', path.join(dir, 'store'), path.join(dir, 'out'));
  expect(r.status, r.stdout + r.stderr).toBe(1);
  expect(r.stdout).toMatch(/out\/trace\.txt: access token \(token store\) \[plain\]/);
  expect(r.stdout).toMatch(/out\/log\.txt: refresh token \(token store\) \[(plain|url-encoded)\]/);
  expect(r.stdout).not.toContain(access);
  // the same through HARNESS_TOKEN_STORE_DIR (what a run with a custom store sets)
  const viaEnv = cli({ HARNESS_TOKEN_STORE_DIR: path.join(dir, 'store') }, path.join(dir, 'out'));
  expect(viaEnv.status, viaEnv.stdout).toBe(1);
  expect(readFileSync(store, 'utf8')).toBe(before);
  // a saved browser session's cookie (Playwright storage state) counts too
  put(
    'store/session.json',
    JSON.stringify({ cookies: [{ name: 'cloud.session.token', value: `sess-${Date.now()}-abcdefgh` }], origins: [] }),
  );
  const cookie = JSON.parse(readFileSync(path.join(dir, 'store/session.json'), 'utf8')).cookies[0].value as string;
  put('out/cookie.txt', `Cookie: cloud.session.token=${cookie}`);
  const withCookie = cli({}, '--token-store', path.join(dir, 'store'), path.join(dir, 'out'));
  expect(withCookie.stdout).toMatch(/out\/cookie\.txt: browser session cookie \(\.auth\/sessions\) \[plain\]/);
  rmSync(path.join(dir, 'out/cookie.txt'));
  // an MCP OAuth flow the consent phase handed to the MCP suite (fixtures/mcp/oauth-handoff.ts) counts too
  const mcpToken = `mcp-oauth-at-${Date.now()}-abcdefgh`;
  put(
    'store/mcp-oauth/0123.json',
    JSON.stringify({
      runId: 'r',
      endpoint: 'v2',
      role: 'member',
      at: '',
      flow: { accessToken: mcpToken, clientId: 'c', authorizeUrl: 'https://x' },
    }),
  );
  put('out/mcp.txt', `Authorization: Bearer ${mcpToken}`);
  const withMcp = cli({}, '--token-store', path.join(dir, 'store'), path.join(dir, 'out'));
  expect(withMcp.stdout).toMatch(/out\/mcp\.txt: MCP OAuth access token \(\.auth\/mcp-oauth\) \[plain\]/);
  expect(withMcp.stdout).not.toContain(mcpToken);
  rmSync(path.join(dir, 'out/mcp.txt'));
  // and without the store the same files pass: the store is what the scanner learned the tokens from
  const without = cli({ HARNESS_TOKEN_STORE_DIR: path.join(dir, 'no-store') }, path.join(dir, 'out'));
  expect(without.status, without.stdout).toBe(0);
});

test('the scanner finds the token store of a HARNESS_AUTH_DIR set only in the .env file, as the run does', async () => {
  const access = `eyJenvfile.access.${Date.now()}`;
  put('auth/tokens/0123abcd.json', storeRecord(access, `envfile-refresh-${Date.now()}`));
  put('out/trace.txt', `Authorization: Bearer ${access}`);
  const envFile = put('.env', `HARNESS_AUTH_DIR=${path.join(dir, 'auth')}\n`);
  const cli = (env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'scan-secrets.ts'), path.join(dir, 'out')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    });
  const r = cli({ HARNESS_ENV_FILE: envFile });
  expect(r.status, r.stdout + r.stderr).toBe(1);
  expect(r.stdout).toMatch(/out\/trace\.txt: access token \(token store\) \[plain\]/);
  expect(r.stdout).not.toContain(access);
  // without the setting the default store (.auth) does not hold this token: the setting is what found it
  const empty = put('empty.env', '');
  expect(cli({ HARNESS_ENV_FILE: empty }).status).toBe(0);
});

test("the canary comes from the simulator's ready line (env or the file global setup writes), the built-in marker only as fallback", async () => {
  const kinds = (env: NodeJS.ProcessEnv) =>
    configuredSecrets({ ...env, HARNESS_REPORTS_DIR: dir }, [])
      .filter((s) => s.kind.startsWith('simulator canary'))
      .map((s) => [s.value, s.kind]);
  expect(kinds({})).toEqual([[CANARY, 'simulator canary marker (from built-in default)']]);
  put('.sim-canary', 'ZQCANARY7\n');
  expect(kinds({})).toEqual([['ZQCANARY7', 'simulator canary marker (from .sim-canary)']]);
  const urls = { auth: 'http://127.0.0.1:1', canary: 'RDYCANARY9' };
  expect(kinds({ HARNESS_SIM_URLS: JSON.stringify(urls) })).toEqual([['RDYCANARY9', 'simulator canary marker (from HARNESS_SIM_URLS)']]);
  // a planted value with the announced marker is found; the canary file itself is never a finding
  put('out/resp.json', '{"access_token":"at-ZQCANARY7-1"}');
  const r = await scanSecrets({ roots: [dir], secrets: configuredSecrets({ HARNESS_REPORTS_DIR: dir }, []) });
  expect(r.findings.map((f) => [path.relative(dir, f.file), f.kind])).toEqual([
    ['out/resp.json', 'simulator canary marker (from .sim-canary)'],
  ]);
});

test('global setup writes the canary of the simulator it starts where the scanner reads it', async () => {
  const out = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `const m = await import(${JSON.stringify(path.join(ROOT, 'fixtures', 'core', 'global-setup.ts'))}); const stop = await m.default({}); await stop();`,
    ],
    {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, HARNESS_SIM_URLS: '', TARGET: 'sim', HARNESS_REPORTS_DIR: dir },
      timeout: 60_000,
    },
  );
  expect(out.status, out.stderr).toBe(0);
  expect(readFileSync(path.join(dir, '.sim-canary'), 'utf8')).toBe(CANARY);
});
