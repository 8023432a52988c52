/**
 * The token hand-off from a CI setup job to shards on other machines (scripts/tokens.ts, README "Running in CI"), on a
 * simulator this file owns: `export` in one token store (the setup machine), `import` into others (the shards).
 * Checked: the round trip hands over the access tokens and never a refresh token (the setup store keeps its own);
 * the file shows no secret in the clear; a missing, malformed or different HARNESS_TOKENS_KEY, a changed file, a
 * file carrying a refresh token and expired tokens are each refused with exit 2 and one message, nothing written;
 * and shards that imported run the consent setup and REST tests without one request to the token endpoint or the
 * consent screen (the simulator's request log).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { ConfigError, loadConfig, ROOT, tokensKeySetting } from '../../fixtures/core/config.ts';
import { type SimHandle, startSimulator } from '../../fixtures/core/simulator.ts';
import type { TokenRecord } from '../../fixtures/tokens/store.ts';
import { importTokens, sealText, unseal } from '../../scripts/tokens.ts';
import { runSubrun } from '../support/subrun.ts';

const KEY = randomBytes(32);
const OTHER_KEY = randomBytes(32);
const member = loadConfig({ TARGET: 'sim' }).accounts.find((a) => a.role === 'member')!;

let sim: SimHandle;
let tmp: string;
let setupAuth: string;
let handoff: string;

function tokens(args: string[], env: Record<string, string | undefined>) {
  const e: NodeJS.ProcessEnv = {
    ...process.env,
    TARGET: 'sim',
    HARNESS_SIM_URLS: JSON.stringify(sim.urls),
    HARNESS_ACCOUNTS: 'member',
    HARNESS_TOKENS_KEY: KEY.toString('base64'),
    ...env,
  };
  for (const [k, v] of Object.entries(e)) if (v === undefined) delete e[k];
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/tokens.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 90_000,
    env: e,
  });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
}

function records(authDir: string): TokenRecord[] {
  const dir = path.join(authDir, 'tokens');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .map((n) => JSON.parse(readFileSync(path.join(dir, n), 'utf8')) as TokenRecord);
}

/** every file under a folder, with its content: "nothing written" is this staying the same */
function snapshot(dir: string): string {
  if (!existsSync(dir)) return '(none)';
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = path.join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(`${path.relative(dir, p)}:${readFileSync(p, 'utf8')}`);
    }
  };
  walk(dir);
  return out.join('\n');
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  sim = await startSimulator();
  tmp = mkdtempSync(path.join(tmpdir(), 'tokens-handoff-'));
  setupAuth = path.join(tmp, 'setup-auth');
  handoff = path.join(tmp, 'out', 'tokens.enc');
  // the setup job: one consent (its store is empty), then the export
  const r = tokens(['export', '--out', handoff], { HARNESS_AUTH_DIR: setupAuth });
  expect(r.code, r.err).toBe(0);
  expect(r.out).toMatch(/exported 1 access token\(s\) \(member\)/);
});

test.afterAll(async () => {
  await sim?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('round trip: the shard store gets the access token and no refresh token; the setup store keeps its refresh token', () => {
  const [setup] = records(setupAuth);
  expect(setup?.refreshToken, 'the setup machine holds the refresh token').toBeTruthy();
  expect(statSync(handoff).mode & 0o777).toBe(0o600);

  const shardAuth = path.join(tmp, 'shard-rt');
  const r = tokens(['import', '--in', handoff], { HARNESS_AUTH_DIR: shardAuth, HARNESS_SIM_URLS: undefined });
  expect(r.code, r.err).toBe(0);
  expect(r.out).toMatch(/imported 1 access token\(s\) \(member\)/);
  const [shard, ...more] = records(shardAuth);
  expect(more).toEqual([]);
  expect(shard!.accessToken).toBe(setup!.accessToken);
  expect(shard!.key).toEqual(setup!.key);
  expect(shard!.issuer).toBe(setup!.issuer);
  expect(shard!.expiresAt).toBe(setup!.expiresAt);
  expect(shard!.refreshToken, 'a shard never holds a refresh token').toBeUndefined();

  // the payload itself has no refresh token anywhere
  const payload = unseal(readFileSync(handoff, 'utf8'), KEY, 'tokens.enc');
  expect(JSON.stringify(payload)).not.toContain(setup!.refreshToken!);
  expect(payload.grants.map((g) => g.role)).toEqual(['member']);
});

test('the encrypted file shows no secret and no account detail in the clear', () => {
  const [setup] = records(setupAuth);
  const text = readFileSync(handoff, 'utf8');
  const cfg = loadConfig({ TARGET: 'sim' });
  for (const [what, value] of [
    ['access token', setup!.accessToken],
    ['refresh token', setup!.refreshToken!],
    ['simulator canary', sim.urls.canary],
    ['account email', member.email],
    ['client id', cfg.app.clientId],
    ['client secret', cfg.app.clientSecret],
    ['key', KEY.toString('base64')],
    ['key (hex)', KEY.toString('hex')],
  ] as const) {
    expect(text, what).not.toContain(value);
    expect(text, `${what} (base64)`).not.toContain(Buffer.from(value).toString('base64').slice(0, 16));
  }
  expect(Object.keys(JSON.parse(text)).sort()).toEqual(['alg', 'data', 'format', 'iv', 'keyId', 'tag']);
});

test('a missing, malformed or different HARNESS_TOKENS_KEY: exit 2 naming the setting and the fix, nothing imported', () => {
  const shardAuth = path.join(tmp, 'shard-key');
  const before = snapshot(shardAuth);
  // malformed keys: the setting's own check (the CLI prints its message and exits 2, as for the cases below)
  for (const bad of [randomBytes(16).toString('base64'), 'x'.repeat(44), `${KEY.toString('hex')}00`]) {
    expect(() => tokensKeySetting({ HARNESS_TOKENS_KEY: bad })).toThrow(ConfigError);
    expect(() => tokensKeySetting({ HARNESS_TOKENS_KEY: bad })).toThrow(/HARNESS_TOKENS_KEY: must be 32 random bytes .*Fix: /s);
    expect(() => tokensKeySetting({ HARNESS_TOKENS_KEY: bad })).not.toThrow(bad);
  }
  expect(tokensKeySetting({ HARNESS_TOKENS_KEY: KEY.toString('hex') })).toEqual(KEY);
  expect(tokensKeySetting({ HARNESS_TOKENS_KEY: KEY.toString('base64') })).toEqual(KEY);
  const cases: Array<[string, string, RegExp]> = [
    ['missing', '', /HARNESS_TOKENS_KEY: is missing/],
    ['too short', 'short', /HARNESS_TOKENS_KEY: must be 32 random bytes/],
    ['another key', OTHER_KEY.toString('hex'), /encrypted under a different HARNESS_TOKENS_KEY/],
  ];
  for (const [label, value, message] of cases) {
    const r = tokens(['import', '--in', handoff], { HARNESS_AUTH_DIR: shardAuth, HARNESS_TOKENS_KEY: value });
    expect(r.code, `${label}: ${r.err}`).toBe(2);
    expect(r.err, label).toMatch(message);
    expect(r.err, label).toMatch(/Fix: /);
    expect(r.err, label).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack trace
    if (value) expect(r.err, `${label}: the value is never echoed`).not.toContain(value);
  }
  // the export refuses a bad key before it consents or writes anything
  const out = path.join(tmp, 'never.enc');
  const r = tokens(['export', '--out', out], { HARNESS_AUTH_DIR: path.join(tmp, 'setup-nokey'), HARNESS_TOKENS_KEY: 'short' });
  expect(r.code, r.err).toBe(2);
  expect(r.err).toMatch(/HARNESS_TOKENS_KEY/);
  expect(existsSync(out)).toBe(false);
  expect(existsSync(path.join(tmp, 'setup-nokey'))).toBe(false);
  expect(snapshot(shardAuth)).toBe(before);
});

test('a changed file is refused (ciphertext, tag or authenticated header), nothing imported', () => {
  const shardAuth = path.join(tmp, 'shard-tamper');
  const original = JSON.parse(readFileSync(handoff, 'utf8')) as Record<string, string>;
  const flip = (b64: string) => {
    const b = Buffer.from(b64, 'base64');
    b[Math.floor(b.length / 2)]! ^= 0x01;
    return b.toString('base64');
  };
  for (const field of ['data', 'tag', 'iv'] as const)
    expect(() => unseal(JSON.stringify({ ...original, [field]: flip(original[field]!) }), KEY, 'tampered.enc'), field).toThrow(
      /tampered\.enc was changed after export .*refused, nothing imported/,
    );
  expect(() => unseal('{"not":"a hand-off"}', KEY, 'other.enc')).toThrow(/other\.enc is not a token hand-off file/);
  // the command: exit 2, its one message, nothing written
  const tampered = path.join(tmp, 'tampered.enc');
  writeFileSync(tampered, JSON.stringify({ ...original, data: flip(original.data!) }));
  const r = tokens(['import', '--in', tampered], { HARNESS_AUTH_DIR: shardAuth });
  expect(r.code, r.err).toBe(2);
  expect(r.err).toMatch(/tampered\.enc was changed after export .*refused, nothing imported/);
  expect(r.err).not.toMatch(/\n\s+at .+:\d+:\d+/);
  expect(records(shardAuth)).toEqual([]);
});

test('a file carrying a refresh token, and one whose tokens expired, are refused', async () => {
  const shardAuth = path.join(tmp, 'shard-forged');
  const config = loadConfig({ TARGET: 'sim', HARNESS_AUTH_DIR: shardAuth, HARNESS_ACCOUNTS: 'member' });
  const good = unseal(readFileSync(handoff, 'utf8'), KEY, 'tokens.enc');
  const forged = path.join(tmp, 'forged.enc');
  // encrypted under the right key, so only the payload's schema can refuse it
  writeFileSync(forged, sealText(JSON.stringify({ ...good, grants: good.grants.map((g) => ({ ...g, refreshToken: 'rt-copy' })) }), KEY));
  await expect(importTokens(config, KEY, forged)).rejects.toThrow(/holds no valid grants .*never carries a refresh token/);

  writeFileSync(
    forged,
    sealText(JSON.stringify({ ...good, grants: good.grants.map((g) => ({ ...g, expiresAt: Date.now() - 1000 })) }), KEY),
  );
  await expect(importTokens(config, KEY, forged)).rejects.toThrow(
    /every handed access token has expired \(member at .*\)\. Fix: re-run the setup job/,
  );
  // grants for another app are refused too, before anything is written
  writeFileSync(
    forged,
    sealText(JSON.stringify({ ...good, grants: good.grants.map((g) => ({ ...g, key: { ...g.key, clientId: 'another-app' } })) }), KEY),
  );
  await expect(importTokens(config, KEY, forged)).rejects.toThrow(/is for another app, account or scope set/);
  expect(records(shardAuth)).toEqual([]);
});

test('two shards that imported the hand-off run consent + REST tests without one token-endpoint or consent request', async () => {
  test.setTimeout(240_000);
  const before = (await sim.admin.requests()).at(-1)?.seq ?? 0;
  const shards = [1, 2].map((i) => ({ i, auth: path.join(tmp, `shard-${i}`), reports: path.join(tmp, `reports-${i}`) }));
  for (const s of shards) {
    const r = tokens(['import', '--in', handoff], { HARNESS_AUTH_DIR: s.auth, HARNESS_SIM_URLS: undefined });
    expect(r.code, r.err).toBe(0);
  }
  const runs = await Promise.all(
    shards.map((s) =>
      runSubrun({
        sim,
        reportsDir: s.reports,
        projects: ['consent', 'api'],
        accounts: ['member'],
        grep: "member's accessible-resources lists exactly the expected sites|/me identifies member as the configured account",
        workers: 1,
        timeoutMs: 150_000,
        extraArgs: [`--shard=${s.i}/2`, 'tests/consent/accounts.setup.ts', 'tests/api/sites.spec.ts'],
        env: { HARNESS_AUTH_DIR: s.auth },
      }),
    ),
  );
  for (const [i, run] of runs.entries()) {
    expect(run.timedOut, `shard ${i + 1} finished in time`).toBe(false);
    expect(run.code, `shard ${i + 1}\n${run.output.slice(-3000)}`).toBe(0);
    expect(run.output, `shard ${i + 1} took its token from the store`).toMatch(/0 browser consents, 1 from store/);
  }
  const log = (await sim.admin.requests(before)).filter((e) => e.seq > before);
  // no token request (code exchange or refresh), no consent screen, no login: nothing on auth. or id.
  const authCalls = log.filter((e) => e.host === 'auth.atlassian.com' || e.host === 'id.atlassian.com');
  expect(authCalls.map((e) => `${e.host} ${e.method} ${e.path}`)).toEqual([]);
  // the shards did call the API with the handed token (the check above is not vacuous)
  expect(log.filter((e) => e.host === 'api.atlassian.com' && e.status === 200).length).toBeGreaterThan(1);
  // and the setup store still holds the only refresh token
  expect(records(setupAuth)[0]!.refreshToken).toBeTruthy();
  for (const s of shards) expect(records(s.auth).every((r) => r.refreshToken === undefined)).toBe(true);
});
