/**
 * Crash safety: 20 runs SIGKILLed at seeded random points (a mulberry32 PRNG, so a failure repeats exactly), each
 * through the smallest process that reaches the point:
 *  - refresh (10 kills): a token worker (scripts/lib/tokens-worker.ts) that refreshes on every use, killed at a random
 *    millisecond; the next run gets a token with 0 re-consents (Atlassian's reuse leeway keeps an interrupted
 *    refresh's old token valid, docs/reference/atlassian-oauth.md §3), the store still holds a refresh token, and no
 *    lock is left behind;
 *  - report and history write (10 kills): `scripts/report.ts` on synthetic results, killed at a random point of its
 *    run; the next report finishes promptly (no lock or temp file that blocks or slows it), and every history line
 *    recorded before the kill is still there, with the next run's appended.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { lockWithOwner } from '../../fixtures/core/atomic.ts';
import { ROOT } from '../../fixtures/core/config.ts';
import { expect, test } from '../../fixtures/index.ts';
import { browserConsentRunner, createTokenProvider } from '../../fixtures/tokens/provider.ts';
import { TokenStore } from '../../fixtures/tokens/store.ts';
import { historyPaths } from '../../scripts/lib/history.ts';
import { manyTests, writeSyntheticResults } from '../../scripts/lib/synthetic.ts';
import type { WorkerSpec } from '../../scripts/lib/token-workers.ts';
import { scratchDir } from '../support/scratch.ts';

const SEED = 20261201;
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Start a process and SIGKILL it after `killAfterMs` (or let it end first); resolves with how it ended. */
function runAndKill(args: string[], env: NodeJS.ProcessEnv, killAfterMs: number, hardLimitMs = 60_000) {
  const t0 = Date.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out = (out + d.toString()).slice(-8000);
  });
  child.stderr.on('data', (d: Buffer) => {
    out = (out + d.toString()).slice(-8000);
  });
  const kill = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  const limit = setTimeout(() => child.kill('SIGKILL'), hardLimitMs);
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number; out: string; pid?: number }>((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(kill);
      clearTimeout(limit);
      resolve({ code, signal, ms: Date.now() - t0, out, pid: child.pid });
    });
  });
}

test('10 refreshes killed at random points: the next run needs 0 re-consents and finds the refresh token and no lock', async ({
  sim,
  config,
  browser,
}, testInfo) => {
  test.setTimeout(240_000);
  const rnd = mulberry32(SEED);
  const dir = scratchDir(testInfo, 'auth');
  const storeDir = path.join(dir, 'tokens');
  const make = () =>
    createTokenProvider({
      config,
      authBase: sim.urls.auth,
      store: new TokenStore(storeDir, { staleMs: 3000 }),
      consent: browserConsentRunner({ config, authBase: sim.urls.auth, launch: async () => browser }),
    });
  const seed = make();
  await seed.for('member');
  expect(seed.stats().consents, 'one browser consent fills the store').toBe(1);
  const spec: WorkerSpec = {
    authBase: sim.urls.auth,
    apiBase: sim.urls.api,
    storeDir,
    config: { accounts: config.accounts, app: config.app },
    roles: ['member'],
    durationMs: 4000,
    paceMs: 0,
    refreshLeewayMs: 24 * 3600_000, // every token is "near expiry": each use refreshes
    lockStaleMs: 3000,
    allowConsent: false,
  };
  const log: string[] = [];
  for (let i = 0; i < 10; i++) {
    // tsx start-up takes ~1 s, so the kills spread over start-up, the first refresh and the refresh loop
    const at = Math.round(600 + rnd() * 2400);
    const killed = await runAndKill(
      ['--import', 'tsx', path.join(ROOT, 'scripts', 'lib', 'tokens-worker.ts'), JSON.stringify(spec)],
      process.env,
      at,
    );
    const next = make();
    const t0 = Date.now();
    await next.for('member');
    const ms = Date.now() - t0;
    const consents = next.stats().consents;
    const record = new TokenStore(storeDir).read(next.keyFor('member'));
    // a lock the killed worker left must not hold up the next holder: one whose owner note names a dead process is
    // taken at once, one killed before its note was written once it is stale (3 s here); measure it by taking each
    const leftLocks: string[] = [];
    for (const f of readdirSync(storeDir).filter((n) => n.endsWith('.lock'))) {
      const t1 = Date.now();
      const release = await lockWithOwner(path.join(storeDir, f.replace(/\.lock$/, '')), { staleMs: 3000, waitMs: 8000 });
      await release();
      if (Date.now() - t1 > 5000) leftLocks.push(`${f} (held the next holder ${Date.now() - t1} ms)`);
    }
    log.push(
      `kill ${i + 1} at ${at} ms (${killed.signal ?? `exit ${killed.code}`}): next run ${ms} ms, re-consents ${consents}, locks left ${leftLocks.length}`,
    );
    expect.soft(consents, `kill ${i + 1}: re-consents the next run needed`).toBe(0);
    expect.soft(record?.refreshToken, `kill ${i + 1}: the store keeps a refresh token`).toMatch(/\S{8,}/);
    expect.soft(leftLocks, `kill ${i + 1}: no blocking lock left after the next run`).toEqual([]);
    expect.soft(ms, `kill ${i + 1}: the next run is not slowed by a stale lock`).toBeLessThan(10_000);
  }
  await testInfo.attach('kills', { body: log.join('\n'), contentType: 'text/plain' });
  expect((await sim.admin.stats()).familyRevocations, 'no refresh-token family was revoked').toBe(0);
});

test('10 report steps killed at random points: no history line lost, no lock or temp file left, the next report is prompt', async ({}, testInfo) => {
  test.setTimeout(300_000);
  const rnd = mulberry32(SEED + 1);
  // inside the project (the report step resolves allure from node_modules); .tmp/ is git-ignored and not a scan root
  const reports = path.join(ROOT, '.tmp', `crash-safety-${process.pid}-${Date.now()}`);
  const { trend, dir: historyDir } = historyPaths(reports);
  const env = { ...process.env, HARNESS_REPORTS_DIR: reports, TARGET: 'sim' };
  const reportArgs = ['--import', 'tsx', path.join(ROOT, 'scripts', 'report.ts')];
  const lines = () => (existsSync(trend) ? readFileSync(trend, 'utf8').split('\n').filter(Boolean) : []);
  const night = (n: number) =>
    writeSyntheticResults(
      path.join(reports, 'allure-results'),
      manyTests(20, (i) => (i + n) % 7 === 0),
      Date.now() + n,
    );
  const log: string[] = [];
  try {
    rmSync(path.join(reports, 'allure-results'), { recursive: true, force: true });
    night(0);
    const first = await runAndKill(reportArgs, env, 120_000);
    expect(first.code, first.out).toBe(0);
    const full = first.ms;
    for (let i = 1; i <= 10; i++) {
      const before = lines();
      rmSync(path.join(reports, 'allure-results'), { recursive: true, force: true });
      night(i);
      const at = Math.round(rnd() * full);
      const killed = await runAndKill(reportArgs, env, at);
      const afterKill = lines();
      expect.soft(afterKill.slice(0, before.length), `kill ${i}: every history line recorded before the kill is kept`).toEqual(before);
      const next = await runAndKill(reportArgs, env, 120_000);
      const after = lines();
      const left = [
        ...(existsSync(`${historyDir}.lock`) ? [`${historyDir}.lock`] : []),
        ...readdirSync(historyDir).filter((f) => /\.tmp-|\.lock$/.test(f)),
      ];
      log.push(
        `kill ${i} at ${at}/${full} ms (pid ${killed.pid} ${killed.signal ?? `exit ${killed.code}`}): lines ${before.length} → ${afterKill.length} → ${after.length}; next report (pid ${next.pid}) exit ${next.code} in ${next.ms} ms; left ${left.join(',') || 'nothing'}`,
      );
      expect.soft(next.code, `kill ${i}: the next report succeeds\n${next.out}`).toBe(0);
      expect.soft(after.slice(0, before.length), `kill ${i}: no line lost`).toEqual(before);
      // the night is recorded once: by the killed step when it got that far, else by the next one
      expect.soft(after.length, `kill ${i}: this night is recorded exactly once`).toBe(before.length + 1);
      expect.soft(left, `kill ${i}: no lock or temp file left`).toEqual([]);
      expect.soft(next.ms, `kill ${i}: the next report is not held up by a stale lock`).toBeLessThan(full * 3 + 5000);
    }
  } finally {
    await testInfo.attach('kills', { body: log.join('\n'), contentType: 'text/plain' });
    process.stdout.write(`${log.join('\n')}\n`);
    rmSync(reports, { recursive: true, force: true });
  }
});
