/**
 * Crash safety: runs SIGKILLed at seeded random points (a mulberry32 PRNG per point, so a failure repeats exactly)
 * over the five points a run can die at, each through the smallest process that reaches it. `npm run test:faults`
 * (HARNESS_MATRIX=full) kills 4 runs per point (20 in all); the default test command kills one per point.
 *  - consent: a token worker (scripts/lib/tokens-worker.ts) on an empty store consenting two accounts in a browser,
 *    killed at a random millisecond once its browser opened /authorize, or (full run) the consent setup project killed
 *    at a random point of its run; the next run consents once per account whose token was not stored and reuses the
 *    stored ones (0 re-consents for those), and no record is ever half-written;
 *  - refresh: a token worker that refreshes on every use, killed at a random millisecond after its first stored
 *    refresh; the next run needs 0
 *    re-consents (Atlassian's reuse leeway keeps an interrupted refresh's old token valid,
 *    docs/reference/atlassian-oauth.md §3) and finds a refresh token;
 *  - suites: `scripts/main.ts` (or, full run, a Playwright sub-run) killed with its whole process group while the
 *    api suite runs; the next main job starts as promptly as the killed one did (its reports lock is not held by the
 *    dead job), says `tokens: 0 re-consents (1 from the store)`, finds the store intact and the history whole;
 *  - report: `scripts/report.ts` killed at a random point of its run; the next report is prompt, no history line is
 *    lost and the night is recorded once;
 *  - history write: `scripts/report.ts` killed between two steps of the history write (scripts/lib/history.ts
 *    `HISTORY_CRASH_POINTS`, the step drawn from the PRNG); the next report records the night once in both files.
 * After every kill: no lock or temp file left that blocks or slows the next run (its lock wait or start delay is
 * measured), and the next run says how many re-consents it needed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { lockWithOwner } from '../../fixtures/core/atomic.ts';
import { ROOT } from '../../fixtures/core/config.ts';
import { expect, test } from '../../fixtures/index.ts';
import { browserConsentRunner, createTokenProvider, type TokenProviderHandle } from '../../fixtures/tokens/provider.ts';
import { makeKey, type TokenKey, TokenStore, targetIdentity } from '../../fixtures/tokens/store.ts';
import { readTokenTally, reconsentLine, tallyWriter } from '../../fixtures/tokens/tally.ts';
import {
  appendTrend,
  finishPendingHistory,
  HISTORY_CRASH_POINTS,
  historyPaths,
  readTrend,
  type TrendLine,
  trendLineFor,
} from '../../scripts/lib/history.ts';
import { manyTests, writeSyntheticResults } from '../../scripts/lib/synthetic.ts';
import type { WorkerSpec } from '../../scripts/lib/token-workers.ts';
import { scratchDir } from '../support/scratch.ts';

const FULL = process.env.HARNESS_MATRIX === 'full';
/** kills per point: 5 points × 4 = 20 in the full run, one per point in the default one */
const PER_POINT = FULL ? 4 : 1;
const SEED = 20261201;
const POINTS = ['consent', 'refresh', 'suites', 'report', 'history write'] as const;
const seedOf = (point: (typeof POINTS)[number]) => SEED + POINTS.indexOf(point);

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

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  out: string;
  pid?: number;
  /** ms from the start to the first output line matching `markAt` (the next run's start delay) */
  markedMs?: number;
  /** ms from the start to the kill, when the process was still running then */
  killedAtMs?: number;
}

interface KillPlan {
  /** SIGKILL this long after the start, or after `after` first matched the output */
  afterMs: number;
  after?: RegExp;
  /** ...or after this first holds (polled every 100 ms): the run has reached the point the kill is meant for */
  when?: () => boolean | Promise<boolean>;
  /** kill the whole process group (the job and every child: Playwright workers, browsers, allure), as CI does */
  group?: boolean;
}

/**
 * Start `node <args>` and SIGKILL it (or its process group) as planned, or let it end first; every run has a hard
 * limit. `markAt` records when a line first matched (e.g. the main job's `target:` line, printed once its lock is held).
 */
function run(
  args: string[],
  env: NodeJS.ProcessEnv,
  plan?: KillPlan,
  opts: { markAt?: RegExp; hardLimitMs?: number } = {},
): Promise<Ended> {
  const t0 = Date.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: !!plan?.group });
  let out = '';
  let markedMs: number | undefined;
  let killedAtMs: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  const kill = () => {
    if (killedAtMs !== undefined) return;
    killedAtMs = Date.now() - t0;
    try {
      if (plan?.group && child.pid) process.kill(-child.pid, 'SIGKILL');
      else child.kill('SIGKILL');
    } catch {
      // already gone
    }
  };
  const arm = () => {
    timer ??= setTimeout(kill, plan!.afterMs);
  };
  const seen = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
    if (opts.markAt && markedMs === undefined && opts.markAt.test(out)) markedMs = Date.now() - t0;
    if (plan?.after?.test(out)) arm();
  };
  child.stdout.on('data', seen);
  child.stderr.on('data', seen);
  let poll: NodeJS.Timeout | undefined;
  if (plan?.when) {
    const check = async () => {
      if (timer || killedAtMs !== undefined) return;
      if (await (async () => plan.when!())().catch(() => false)) arm();
      else poll = setTimeout(check, 100);
    };
    poll = setTimeout(check, 100);
  } else if (plan && !plan.after) arm();
  const limit = setTimeout(kill, opts.hardLimitMs ?? 180_000);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(poll);
      clearTimeout(limit);
      // the rest of the group (a browser, a worker) goes with the job, as when CI cancels a run
      if (plan?.group && child.pid) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // nothing left
        }
      }
      resolve({ code, signal, ms: Date.now() - t0, out, pid: child.pid, markedMs, killedAtMs });
    });
  });
}

const tsx = (script: string, ...rest: string[]) => ['--import', 'tsx', path.join(ROOT, ...script.split('/')), ...rest];
const PLAYWRIGHT = path.join(ROOT, 'node_modules', '@playwright', 'test', 'cli.js');

/** A token store that records how long each holder waited for its key's lock (a stale lock would show here). */
class TimedStore extends TokenStore {
  readonly waits: number[] = [];
  override async withLock<T>(key: TokenKey, fn: () => Promise<T>): Promise<T> {
    const t0 = Date.now();
    return super.withLock(key, async () => {
      this.waits.push(Date.now() - t0);
      return fn();
    });
  }
}

/** Every record in the store reads as a whole record (a half-written one would be moved aside with an error). */
function storeProblems(store: TokenStore, keys: TokenKey[]): string[] {
  const out: string[] = [];
  for (const k of keys) {
    try {
      store.read(k);
    } catch (e) {
      out.push((e as Error).message);
    }
  }
  for (const f of existsSync(store.dir) ? readdirSync(store.dir) : []) if (f.includes('.corrupt-')) out.push(`moved aside: ${f}`);
  return out;
}

/** Lock folders and temp files still in `dir` once everything older than `staleMs` would have been pruned. */
function leftovers(dir: string, store?: TokenStore): string[] {
  store?.prune(Date.now() + store.staleMs + 1);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => /\.lock$|\.tmp-|\.owner$|^\.pending-write/.test(f));
}

/** The `tokens: …` line the next run would print, from its provider's counts (fixtures/tokens/tally.ts). */
function lineFor(provider: Pick<TokenProviderHandle, 'stats'>, reportsDir: string): string | undefined {
  rmSync(reportsDir, { recursive: true, force: true });
  tallyWriter(reportsDir, provider, 1)();
  return reconsentLine(reportsDir);
}

/** A trend line of an earlier night (no tests), for a history that must survive the kills. */
function earlierNight(run: string): TrendLine {
  return trendLineFor([], run, run);
}

function jsonLines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

test.describe.configure({ mode: 'default' });

test(`consent: ${PER_POINT} consent(s) killed mid-flight; the next run re-consents only the accounts whose token was not stored`, async ({
  sim,
  config,
  browser,
}, testInfo) => {
  test.setTimeout(FULL ? 600_000 : 150_000);
  const rnd = mulberry32(seedOf('consent'));
  const roles = config.accounts.slice(0, 2).map((a) => a.role);
  // keyed as the tokens fixture keys them (the target's identity), by the worker, the setup project and the next run
  const identity = targetIdentity({ kind: 'sim', authBase: sim.urls.auth, world: config.simWorld });
  const key = (role: string) => {
    const a = config.accounts.find((x) => x.role === role)!;
    return makeKey(identity, a.email, config.app.clientId, config.app.scopes);
  };
  const workerSpec = (storeDir: string): WorkerSpec => ({
    authBase: sim.urls.auth,
    apiBase: sim.urls.api,
    storeDir,
    storeOrigin: identity,
    sessionDir: path.join(path.dirname(storeDir), 'sessions'),
    config: { accounts: config.accounts, app: config.app },
    roles,
    durationMs: 0,
    paceMs: 0,
    refreshLeewayMs: 60_000,
    lockStaleMs: 5000,
    allowConsent: true,
  });
  // how long two consents take here from the first /authorize (full run; the default one assumes 6 s), so the kills
  // spread over both of them
  const calib = scratchDir(testInfo, 'calibration');
  let consentsMs = 6000;
  if (FULL) {
    const whole = await run(tsx('scripts/lib/tokens-worker.ts', JSON.stringify(workerSpec(path.join(calib, 'tokens')))), process.env);
    expect(whole.code, whole.out).toBe(0);
    consentsMs = whole.ms;
  }
  const log: string[] = [`seed ${seedOf('consent')}; two consents take ${consentsMs} ms${FULL ? ' uninterrupted' : ' (assumed)'}`];
  // the setup project's own duration (full run only), for the kills of the setup project
  let setupMs = 0;
  for (let i = 0; i < PER_POINT; i++) {
    const viaSetup = FULL && i % 2 === 1;
    const dir = scratchDir(testInfo, `consent-${i}`);
    const storeDir = path.join(dir, 'tokens');
    let killed: Ended;
    const reports = path.join(ROOT, '.tmp', `crash-consent-${process.pid}-${i}`);
    const setupEnv = {
      ...process.env,
      TARGET: 'sim',
      CI: '',
      HARNESS_SIM_URLS: JSON.stringify(sim.urls),
      HARNESS_REPORTS_DIR: reports,
      HARNESS_AUTH_DIR: dir,
      HARNESS_ACCOUNTS: roles.join(','),
    };
    const setupArgs = [PLAYWRIGHT, 'test', '--project=consent', '--workers=1'];
    if (viaSetup) {
      if (!setupMs) {
        const calibRun = await run(setupArgs, { ...setupEnv, HARNESS_AUTH_DIR: path.join(calib, 'setup') }, undefined, {
          hardLimitMs: 240_000,
        });
        expect(calibRun.code, calibRun.out).toBe(0);
        setupMs = calibRun.ms;
      }
      killed = await run(setupArgs, setupEnv, { afterMs: Math.round((0.3 + 0.7 * rnd()) * setupMs), group: true });
    } else {
      // once the worker's browser has opened the consent flow, anywhere in the two consents
      const since = (await sim.admin.requests()).at(-1)?.seq ?? 0;
      killed = await run(tsx('scripts/lib/tokens-worker.ts', JSON.stringify(workerSpec(storeDir))), process.env, {
        afterMs: Math.round(rnd() * consentsMs),
        when: async () => (await sim.admin.requests(since)).some((r) => r.path.startsWith('/authorize')),
        group: true,
      });
    }
    const probe = new TokenStore(storeDir);
    const half = storeProblems(probe, roles.map(key));
    const stored = roles.filter((r) => !!probe.read(key(r))?.refreshToken);
    let reconsents: number;
    let fromStore: number;
    let lockWaits: number[];
    let line: string | undefined;
    let nextMs: number;
    if (viaSetup) {
      const next = await run(setupArgs, setupEnv, undefined, { hardLimitMs: 240_000 });
      expect.soft(next.code, `kill ${i + 1}: the next setup project succeeds\n${next.out}`).toBe(0);
      const tally = readTokenTally(reports);
      reconsents = tally?.reconsents ?? -1;
      fromStore = tally?.fromStore ?? -1;
      line = reconsentLine(reports);
      lockWaits = [];
      nextMs = next.ms;
      expect
        .soft(next.out, `kill ${i + 1}: the setup project's own line counts the stored accounts`)
        .toContain(`, ${stored.length} from store`);
    } else {
      const store = new TimedStore(storeDir, { staleMs: 5000 });
      const next = createTokenProvider({
        config,
        authBase: sim.urls.auth,
        store,
        storeOrigin: identity,
        consent: browserConsentRunner({ config, authBase: sim.urls.auth, launch: async () => browser }),
      });
      const t0 = Date.now();
      for (const r of roles) await next.for(r);
      nextMs = Date.now() - t0;
      reconsents = next.stats().consents;
      fromStore = next.stats().fromStore;
      lockWaits = store.waits;
      line = lineFor(next, reports);
      expect
        .soft(
          next.stats().consented.map((c) => c.reason),
          `kill ${i + 1}: each re-consent was for a token that was never stored`,
        )
        .toEqual(roles.filter((r) => !stored.includes(r)).map(() => 'no stored token'));
    }
    rmSync(reports, { recursive: true, force: true });
    const after = roles.filter((r) => !!new TokenStore(storeDir).read(key(r))?.refreshToken);
    const left = leftovers(storeDir, new TokenStore(storeDir));
    const expected = roles.length - stored.length;
    log.push(
      `kill ${i + 1} (${viaSetup ? 'setup project' : 'token worker'}) at ${killed.killedAtMs ?? `end ${killed.ms}`} ms: stored ${stored.length}/${roles.length}; next run ${nextMs} ms, lock waits ${lockWaits.join(',') || '-'} ms, ${line}; left ${left.join(',') || 'nothing'}`,
    );
    expect.soft(half, `kill ${i + 1}: no record half-written`).toEqual([]);
    // a worker consents once per account; the setup project once per offered site of each account it consents
    if (viaSetup) expect.soft(reconsents > 0, `kill ${i + 1}: re-consents only for tokens that were not stored`).toBe(expected > 0);
    else expect.soft(reconsents, `kill ${i + 1}: one re-consent per account whose token was not stored`).toBe(expected);
    expect.soft(fromStore, `kill ${i + 1}: the stored tokens are reused`).toBe(stored.length);
    expect
      .soft(line, `kill ${i + 1}: the next run says how many re-consents it needed`)
      .toMatch(new RegExp(`^tokens: ${expected === 0 ? 0 : '[1-9]\\d*'} re-consents? \\(${stored.length} from the store`));
    expect.soft(after, `kill ${i + 1}: every account has a refresh token after the next run`).toEqual(roles);
    expect
      .soft(
        lockWaits.filter((w) => w > 2000),
        `kill ${i + 1}: no lock of the killed run holds up the next one`,
      )
      .toEqual([]);
    expect.soft(left, `kill ${i + 1}: no lock or temp file left for good`).toEqual([]);
  }
  await testInfo.attach('kills', { body: log.join('\n'), contentType: 'text/plain' });
  process.stdout.write(`${log.join('\n')}\n`);
});

test(`refresh: ${PER_POINT} refresh(es) killed at random points; the next run needs 0 re-consents and finds the refresh token and no lock`, async ({
  sim,
  config,
  browser,
}, testInfo) => {
  test.setTimeout(FULL ? 240_000 : 90_000);
  const rnd = mulberry32(seedOf('refresh'));
  const dir = scratchDir(testInfo, 'auth');
  const storeDir = path.join(dir, 'tokens');
  const make = (store = new TokenStore(storeDir, { staleMs: 3000 })) =>
    createTokenProvider({
      config,
      authBase: sim.urls.auth,
      store,
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
  const log: string[] = [`seed ${seedOf('refresh')}`];
  const reports = path.join(ROOT, '.tmp', `crash-refresh-${process.pid}`);
  for (let i = 0; i < PER_POINT; i++) {
    // once the worker has stored its first refresh (start-up takes a while on a busy machine), anywhere in the
    // refresh loop: a refresh is in flight most of the time
    const at = Math.round(rnd() * 2000);
    const refreshesBefore = new TokenStore(storeDir).read(seed.keyFor('member'))?.refreshes ?? 0;
    const killed = await run(tsx('scripts/lib/tokens-worker.ts', JSON.stringify(spec)), process.env, {
      afterMs: at,
      when: () => (new TokenStore(storeDir).read(seed.keyFor('member'))?.refreshes ?? 0) > refreshesBefore,
    });
    const inFlight = !!new TokenStore(storeDir).read(seed.keyFor('member'))?.refreshInFlight;
    const store = new TimedStore(storeDir, { staleMs: 3000 });
    const next = make(store);
    const t0 = Date.now();
    await next.for('member');
    const ms = Date.now() - t0;
    const consents = next.stats().consents;
    const record = new TokenStore(storeDir).read(next.keyFor('member'));
    // a lock the killed worker left must not hold up the next holder: one whose owner note names a dead process is
    // taken at once, one with no note (killed between taking the lock and writing it, or between removing it and
    // letting go) after a 2 s grace (fixtures/core/atomic.ts); measure it by taking each
    const leftLocks: string[] = [];
    for (const f of readdirSync(storeDir).filter((n) => n.endsWith('.lock'))) {
      const t1 = Date.now();
      const release = await lockWithOwner(path.join(storeDir, f.replace(/\.lock$/, '')), { staleMs: 3000, waitMs: 8000 });
      await release();
      if (Date.now() - t1 > 5000) leftLocks.push(`${f} (held the next holder ${Date.now() - t1} ms)`);
    }
    const line = lineFor(next, reports);
    log.push(
      `kill ${i + 1} ${at} ms after the first refresh (${killed.signal ?? `exit ${killed.code}`}${inFlight ? ', a refresh in flight' : ''}): next run ${ms} ms, lock waits ${store.waits.join(',') || '-'} ms, ${line}, locks left ${leftLocks.length}`,
    );
    expect.soft(consents, `kill ${i + 1}: re-consents the next run needed`).toBe(0);
    expect.soft(line, `kill ${i + 1}: the next run says so`).toBe('tokens: 0 re-consents (1 from the store)');
    expect.soft(record?.refreshToken, `kill ${i + 1}: the store keeps a refresh token`).toMatch(/\S{8,}/);
    expect.soft(leftLocks, `kill ${i + 1}: no blocking lock left after the next run`).toEqual([]);
    expect.soft(ms, `kill ${i + 1}: the next run is not slowed by a stale lock`).toBeLessThan(10_000);
  }
  rmSync(reports, { recursive: true, force: true });
  await testInfo.attach('kills', { body: log.join('\n'), contentType: 'text/plain' });
  process.stdout.write(`${log.join('\n')}\n`);
  expect((await sim.admin.stats()).familyRevocations, 'no refresh-token family was revoked').toBe(0);
});

/** A reports folder for the report and main runs: inside the project (the report step resolves allure from node_modules); .tmp/ is git-ignored and not a scan root. */
function reportsFolder(name: string): string {
  const dir = path.join(ROOT, '.tmp', `crash-${name}-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** History files as lines, and what a killed writer may have left in the history folder. */
function historyState(reports: string) {
  const h = historyPaths(reports);
  return {
    trend: jsonLines(h.trend),
    allure: jsonLines(h.allure),
    left: [
      ...(existsSync(`${h.dir}.lock`) ? [`${path.basename(h.dir)}.lock`] : []),
      ...(existsSync(h.dir) ? readdirSync(h.dir).filter((f) => /\.tmp-|\.lock$|^\.pending-write/.test(f)) : []),
    ],
    /** the trend parses line by line (no partial line) */
    whole: (() => {
      try {
        readTrend(h.trend);
        return true;
      } catch {
        return false;
      }
    })(),
  };
}

test(`suites: ${PER_POINT} run(s) killed while the suites run; the next main job starts promptly, reuses the stored token and says so`, async ({
  sim,
  config,
}, testInfo) => {
  test.setTimeout(FULL ? 900_000 : 240_000);
  const rnd = mulberry32(seedOf('suites'));
  const reports = reportsFolder('suites');
  const authDir = scratchDir(testInfo, 'auth');
  const store = new TokenStore(path.join(authDir, 'tokens'));
  const member = config.accounts.find((a) => a.role === 'member')!;
  const identity = targetIdentity({ kind: 'sim', authBase: sim.urls.auth, world: config.simWorld });
  const key = makeKey(identity, member.email, config.app.clientId, config.app.scopes);
  const env = {
    ...process.env,
    TARGET: 'sim',
    CI: '',
    HARNESS_SIM_URLS: JSON.stringify(sim.urls),
    HARNESS_REPORTS_DIR: reports,
    HARNESS_AUTH_DIR: authDir,
    HARNESS_ACCOUNTS: 'member',
  };
  const mainArgs = tsx('scripts/main.ts', '--suites', 'api', '--accounts', 'member', '--', '--grep', 'accessible-resources');
  const subrunArgs = [PLAYWRIGHT, 'test', '--project=mcp', '--workers=1', '--grep', 'initialize'];
  // the history a night before this one left: every line must survive
  const { trend } = historyPaths(reports);
  for (let n = 0; n < 2; n++) appendTrend(trend, earlierNight(`earlier-${n}`));
  const log: string[] = [`seed ${seedOf('suites')}`];
  try {
    for (let i = 0; i < PER_POINT; i++) {
      const viaSubrun = FULL && i % 2 === 1;
      const args = viaSubrun ? [...subrunArgs] : mainArgs;
      const before = historyState(reports);
      // the consent setup project has finished (its line), so the kill lands in the api / mcp suite
      const killed = await run(
        args,
        env,
        { after: /✓[^\n]*\[consent\]/, afterMs: Math.round(rnd() * 8000), group: true },
        { markAt: /^target: /m },
      );
      const phase = /── report/.test(killed.out) ? 'report' : /✓.*\[(api|mcp)\]/.test(killed.out) ? 'suites (a test done)' : 'suites';
      const storedBefore = !!store.read(key)?.refreshToken;
      // a job killed in its report may have recorded its own night already (a whole night: its suites were done)
      const mid = historyState(reports);
      const next = await run(args, env, undefined, { markAt: /^target: /m, hardLimitMs: 240_000 });
      const after = historyState(reports);
      const line = /^tokens: \d+ re-consents?.*$/m.exec(next.out)?.[0] ?? (viaSubrun ? reconsentLine(reports) : undefined);
      const recordAfter = store.read(key);
      log.push(
        `kill ${i + 1} (${viaSubrun ? 'playwright sub-run' : 'main job'}) at ${killed.killedAtMs ?? `end ${killed.ms}`} ms in ${phase}: ` +
          `next ${viaSubrun ? 'sub-run' : 'main job'} exit ${next.code} in ${next.ms} ms${next.markedMs !== undefined ? `, started after ${next.markedMs} ms (killed one: ${killed.markedMs} ms)` : ''}; ` +
          `${line}; trend ${before.trend.length} → ${mid.trend.length} (after the kill) → ${after.trend.length}; left ${[...after.left, ...leftovers(reports)].join(',') || 'nothing'}`,
      );
      expect
        .soft(next.out, `kill ${i + 1}: the next run is not refused by the dead job's lock`)
        .not.toMatch(/another job is already running/);
      expect.soft(next.code, `kill ${i + 1}: the next run is not bad input\n${next.out.slice(-3000)}`).not.toBe(2);
      if (!viaSubrun) {
        expect.soft(next.out, `kill ${i + 1}: the next main job produces its report`).toMatch(/^Report: /m);
        expect
          .soft(next.markedMs ?? Infinity, `kill ${i + 1}: the next main job starts as promptly as the killed one`)
          .toBeLessThan((killed.markedMs ?? 10_000) + 5000);
        expect.soft(after.trend.slice(0, before.trend.length), `kill ${i + 1}: no history line lost`).toEqual(before.trend);
        expect.soft(mid.trend.slice(0, before.trend.length), `kill ${i + 1}: the kill lost no history line`).toEqual(before.trend);
        expect
          .soft(mid.trend.length - before.trend.length, `kill ${i + 1}: the killed night is recorded at most once`)
          .toBeLessThanOrEqual(1);
        expect.soft(after.trend.length, `kill ${i + 1}: the next night is recorded once`).toBe(mid.trend.length + 1);
      } else expect.soft(next.code, `kill ${i + 1}: the next sub-run passes\n${next.out.slice(-3000)}`).toBe(0);
      expect.soft(after.whole, `kill ${i + 1}: the history has no partial line`).toBe(true);
      expect.soft(storedBefore, `kill ${i + 1}: the token stored before the kill survived it`).toBe(true);
      expect.soft(line, `kill ${i + 1}: the next run says it needed 0 re-consents`).toBe('tokens: 0 re-consents (1 from the store)');
      expect.soft(recordAfter?.refreshToken, `kill ${i + 1}: the store keeps a refresh token`).toMatch(/\S{8,}/);
      expect.soft([...after.left, ...leftovers(reports)], `kill ${i + 1}: no lock or temp file left`).toEqual([]);
    }
  } finally {
    await testInfo.attach('kills', { body: log.join('\n'), contentType: 'text/plain' });
    process.stdout.write(`${log.join('\n')}\n`);
    rmSync(reports, { recursive: true, force: true });
  }
});

/** Processes of this user whose environment carries `mark` (Linux /proc): a job and everything it started. */
function carrying(mark: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${d}/environ`, 'latin1').split('\0').includes(mark)) out.push(Number(d));
    } catch {
      // gone, or not ours
    }
  }
  return out;
}

test('a main job killed alone (not its process group) during the suites leaves no Playwright run, browser or simulator running on', async ({}, testInfo) => {
  test.skip(process.platform !== 'linux', 'reads /proc');
  test.setTimeout(180_000);
  const reports = reportsFolder('orphans');
  const mark = `HARNESS_CRASH_MARK=${process.pid}-${Date.now()}`;
  const env = {
    ...process.env,
    [mark.split('=')[0]!]: mark.split('=')[1],
    TARGET: 'sim',
    CI: '',
    HARNESS_SIM_URLS: '',
    HARNESS_REPORTS_DIR: reports,
    HARNESS_AUTH_DIR: scratchDir(testInfo, 'auth'),
    HARNESS_ACCOUNTS: 'member',
  };
  let seen = 0;
  try {
    // the job starts its own simulator and its Playwright run; it is killed alone once the suites run
    const killed = await run(
      tsx('scripts/main.ts', '--suites', 'api', '--accounts', 'member', '--', '--grep', 'accessible-resources'),
      env,
      { after: /✓[^\n]*\[consent\]/, afterMs: 0 },
    );
    expect(killed.signal, `the main job was killed mid-run\n${killed.out.slice(-2000)}`).toBe('SIGKILL');
    const t0 = Date.now();
    let left = carrying(mark);
    seen = left.length;
    while (left.length && Date.now() - t0 < 30_000) {
      await new Promise((r) => setTimeout(r, 250));
      left = carrying(mark);
    }
    expect(seen, 'the killed job had a simulator and a Playwright run going').toBeGreaterThan(1);
    expect(left, `within 30 s of the kill nothing the killed job started still runs (${seen} processes at the kill)`).toEqual([]);
  } finally {
    for (const pid of carrying(mark)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(reports, { recursive: true, force: true });
  }
});

/** One report step per night on synthetic results: the first run's duration, and a runner for the nights after it. */
async function reportNights(reports: string, first = true) {
  const env = { ...process.env, HARNESS_REPORTS_DIR: reports, TARGET: 'sim' };
  const args = tsx('scripts/report.ts');
  const night = (n: number) => {
    rmSync(path.join(reports, 'allure-results'), { recursive: true, force: true });
    writeSyntheticResults(
      path.join(reports, 'allure-results'),
      manyTests(20, (i) => (i + n) % 7 === 0),
      Date.now() + n,
    );
  };
  if (!first) return { env, args, night, fullMs: 0 };
  night(0);
  const done = await run(args, env, undefined, { hardLimitMs: 120_000 });
  expect(done.code, done.out).toBe(0);
  return { env, args, night, fullMs: done.ms };
}

/** The checks after a killed report step and the next one: lines kept, the night recorded once in both files. */
function checkNight(
  i: number,
  before: ReturnType<typeof historyState>,
  afterKill: ReturnType<typeof historyState>,
  after: ReturnType<typeof historyState>,
  next: Ended,
  promptMs: number,
) {
  expect
    .soft(afterKill.trend.slice(0, before.trend.length), `kill ${i}: every history line recorded before the kill is kept`)
    .toEqual(before.trend);
  expect.soft(next.code, `kill ${i}: the next report succeeds\n${next.out}`).toBe(0);
  expect.soft(after.trend.slice(0, before.trend.length), `kill ${i}: no trend line lost`).toEqual(before.trend);
  expect.soft(after.allure.slice(0, before.allure.length), `kill ${i}: no Allure history line lost`).toEqual(before.allure);
  // the night is recorded once: by the killed step when it got that far, else by the next one
  expect.soft(after.trend.length, `kill ${i}: this night is in the trend exactly once`).toBe(before.trend.length + 1);
  expect.soft(after.allure.length, `kill ${i}: this night is in Allure's history exactly once`).toBe(before.allure.length + 1);
  expect.soft(after.whole, `kill ${i}: the trend has no partial line`).toBe(true);
  expect.soft(after.left, `kill ${i}: no lock or temp file left`).toEqual([]);
  expect.soft(next.ms, `kill ${i}: the next report is not held up by a stale lock`).toBeLessThan(promptMs);
}

test(`report: ${PER_POINT} report step(s) killed at random points; no history line lost, no lock or temp file left, the next report is prompt`, async ({}, testInfo) => {
  test.setTimeout(FULL ? 300_000 : 120_000);
  const rnd = mulberry32(seedOf('report'));
  const reports = reportsFolder('report');
  const log: string[] = [`seed ${seedOf('report')}`];
  try {
    const { env, args, night, fullMs } = await reportNights(reports);
    for (let i = 1; i <= PER_POINT; i++) {
      const before = historyState(reports);
      night(i);
      const at = Math.round(rnd() * fullMs);
      const killed = await run(args, env, { afterMs: at });
      const afterKill = historyState(reports);
      const next = await run(args, env, undefined, { hardLimitMs: 120_000 });
      const after = historyState(reports);
      log.push(
        `kill ${i} at ${at}/${fullMs} ms (pid ${killed.pid} ${killed.signal ?? `exit ${killed.code}`}): trend ${before.trend.length} → ${afterKill.trend.length} → ${after.trend.length}, Allure history ${before.allure.length} → ${after.allure.length}; next report exit ${next.code} in ${next.ms} ms; left ${after.left.join(',') || 'nothing'}`,
      );
      checkNight(i, before, afterKill, after, next, fullMs * 3 + 5000);
    }
  } finally {
    await testInfo.attach('kills', { body: log.join('\n'), contentType: 'text/plain' });
    process.stdout.write(`${log.join('\n')}\n`);
    rmSync(reports, { recursive: true, force: true });
  }
});

test(`history write: ${PER_POINT} report step(s) killed between two steps of the history write; the next report records the night once in both files`, async ({}, testInfo) => {
  test.setTimeout(FULL ? 300_000 : 120_000);
  const rnd = mulberry32(seedOf('history write'));
  const reports = reportsFolder('history');
  const log: string[] = [`seed ${seedOf('history write')}`];
  // a seeded start, then every step in turn, so the full run covers each of them
  const offset = Math.floor(rnd() * HISTORY_CRASH_POINTS.length);
  try {
    // the nights before: trend lines only (the kill lands at a given step, so no uninterrupted run is needed to time it)
    for (let n = 0; n < 2; n++) appendTrend(historyPaths(reports).trend, earlierNight(`earlier-${n}`));
    const { env, args, night } = await reportNights(reports, false);
    for (let i = 1; i <= PER_POINT; i++) {
      const point = HISTORY_CRASH_POINTS[(offset + i - 1) % HISTORY_CRASH_POINTS.length]!;
      const before = historyState(reports);
      night(i);
      const killed = await run(args, { ...env, HARNESS_TEST_CRASH_AT: point }, undefined, { hardLimitMs: 120_000 });
      const afterKill = historyState(reports);
      const next = await run(args, env, undefined, { hardLimitMs: 120_000 });
      const after = historyState(reports);
      log.push(
        `kill ${i} at ${point} (${killed.signal ?? `exit ${killed.code}`}): trend ${before.trend.length} → ${afterKill.trend.length} → ${after.trend.length}, Allure history ${before.allure.length} → ${afterKill.allure.length} → ${after.allure.length}; next report exit ${next.code} in ${next.ms} ms; left ${after.left.join(',') || 'nothing'}`,
      );
      expect.soft(killed.signal, `kill ${i}: the report step died at ${point}\n${killed.out}`).toBe('SIGKILL');
      // the killed step got through all of its report but the last writes: the next one takes about as long
      checkNight(i, before, afterKill, after, next, killed.ms * 2 + 5000);
    }
  } finally {
    await testInfo.attach('kills', { body: log.join('\n'), contentType: 'text/plain' });
    process.stdout.write(`${log.join('\n')}\n`);
    rmSync(reports, { recursive: true, force: true });
  }
});

test("a history write killed after Allure's history was committed and before the trend line is finished by the next holder of the lock", async ({}, testInfo) => {
  const reports = path.join(scratchDir(testInfo, 'history'), 'reports');
  const h = historyPaths(reports);
  mkdirSync(h.dir, { recursive: true });
  appendTrend(h.trend, earlierNight('night-1'));
  const script = [
    `import { writeFileSync } from 'node:fs';`,
    `import { commitHistory, trendLineFor } from ${JSON.stringify(path.join(ROOT, 'scripts', 'lib', 'history.ts'))};`,
    `const temp = ${JSON.stringify(path.join(h.dir, '.allure-history.jsonl.tmp-test'))};`,
    `writeFileSync(temp, JSON.stringify({ uuid: 'night-2', timestamp: 2, testResults: {} }) + '\\n');`,
    `commitHistory(${JSON.stringify(h)}, temp, trendLineFor([], 'night-2', 'key-2'));`,
  ].join('\n');
  const killed = await run(['--import', 'tsx', '--input-type=module', '-e', script], {
    ...process.env,
    HARNESS_TEST_CRASH_AT: 'history:allure-committed',
  });
  expect(killed.signal, killed.out).toBe('SIGKILL');
  expect(jsonLines(h.allure), "Allure's history has the night").toHaveLength(1);
  expect(jsonLines(h.trend), 'the trend does not have it yet').toHaveLength(1);
  expect(finishPendingHistory(h)).toEqual([expect.stringContaining("the interrupted run's trend line")]);
  expect(
    readTrend(h.trend).map((l) => l.run),
    'the trend has the night once',
  ).toEqual(['night-1', 'night-2']);
  expect(jsonLines(h.allure)).toHaveLength(1);
  expect(
    readdirSync(h.dir).filter((f) => f.startsWith('.')),
    'no intent or temp file left',
  ).toEqual([]);
  expect(finishPendingHistory(h), 'finishing twice does nothing').toEqual([]);
});
