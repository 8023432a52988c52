/**
 * HEAVY (about 1–3 minutes on a 2-core machine; the slowest self-test): the main job as 1 shard and as 3 shards
 * (separate processes on this machine, each with its own simulator), then `npm run merge` of the 3 shard folders.
 * The merged results must equal the single run's (same tests, same outcomes, same counts) and the history must grow
 * by exactly one run for the merge, not one per shard.
 *
 * Bounded: the api suite only, for the member account on one site (`--suites api --accounts member --sites …`), one
 * worker per shard; every process has a timeout. Both runs write under a temp folder, never under reports/.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { ROOT } from '../../fixtures/core/config.ts';
import { readTrend } from '../../scripts/lib/history.ts';
import { readResults } from '../../scripts/lib/results.ts';

const SELECTION = ['--suites', 'api', '--accounts', 'member', '--sites', 'acme-sim.atlassian.net'];

const live = new Set<number>();
const killGroup = (pid: number) => {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
};
// the worker going away (timeout, Ctrl-C) takes the jobs' process groups with it
process.once('exit', () => {
  for (const pid of live) killGroup(pid);
});

function run(script: string, args: string[], reportsDir: string, timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, HARNESS_REPORTS_DIR: reportsDir, HARNESS_WORKERS: '1' };
    delete env.HARNESS_SIM_URLS; // each main job starts its own simulator
    delete env.HARNESS_BLOB_DIR;
    // its own process group, so a timeout ends the job with its simulator and browsers, not just the job
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, env, detached: true });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    live.add(child.pid!);
    const timer = setTimeout(() => killGroup(child.pid!), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out: out.slice(-6000) });
    });
  });
}

/** fullName → status, and the counts */
function outcomes(resultsDir: string) {
  const { tests, unreadable } = readResults(resultsDir);
  expect(unreadable).toEqual([]);
  const byName = Object.fromEntries(tests.map((t) => [t.fullName, t.status]).sort(([a], [b]) => a!.localeCompare(b!)));
  const counts: Record<string, number> = {};
  for (const t of tests) counts[t.status] = (counts[t.status] ?? 0) + 1;
  return { byName, counts, total: tests.length };
}

test('[heavy] the main job as 3 shards + merge equals the main job as 1 shard, and the history grows by one run', async () => {
  test.setTimeout(420_000);
  const base = mkdtempSync(path.join(tmpdir(), 'shard-merge-'));
  try {
    const single = path.join(base, 'single');
    const sharded = path.join(base, 'sharded');

    const one = await run('scripts/main.ts', SELECTION, single, 200_000);
    expect(one.code, one.out).toBe(0);
    expect(one.out).toMatch(/Verdict: GREEN/);
    const singleTrend = readTrend(path.join(single, 'history', 'trend.jsonl'));
    expect(singleTrend).toHaveLength(1);

    // the sharded side continues the same history: it starts from the single run's
    mkdirSync(path.join(sharded, 'history'), { recursive: true });
    cpSync(path.join(single, 'history'), path.join(sharded, 'history'), { recursive: true });

    const shards = await Promise.all([1, 2, 3].map((i) => run('scripts/main.ts', [...SELECTION, '--shard', `${i}/3`], sharded, 240_000)));
    const dirs = [1, 2, 3].map((i) => path.join(sharded, `shard-${i}-of-3`));
    for (const [i, r] of shards.entries()) {
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain(`SHARD ${i + 1}/3 passed`);
      expect(readdirSync(path.join(dirs[i]!, 'blob-report')).filter((f) => f.endsWith('.zip'))).toHaveLength(1);
      expect(existsSync(path.join(dirs[i]!, 'history')), 'a shard records no history').toBe(false);
    }
    // nothing recorded until the merge
    expect(readTrend(path.join(sharded, 'history', 'trend.jsonl'))).toHaveLength(1);
    // each shard ran a part: together more than any one of them
    const perShard = dirs.map((d) => outcomes(path.join(d, 'allure-results')).total);
    expect(Math.max(...perShard)).toBeLessThan(outcomes(path.join(single, 'allure-results')).total);

    const merged = await run('scripts/merge.ts', dirs, sharded, 120_000);
    expect(merged.code, merged.out).toBe(0);
    expect(merged.out).toMatch(/Verdict: GREEN/);
    expect(merged.out).toMatch(/GATE GREEN/);

    const a = outcomes(path.join(single, 'allure-results'));
    const b = outcomes(path.join(sharded, 'allure-results'));
    expect(b.total).toBe(a.total);
    expect(b.counts).toEqual(a.counts);
    expect(b.byName).toEqual(a.byName);

    const trend = readTrend(path.join(sharded, 'history', 'trend.jsonl'));
    expect(trend, 'history grew by one run for three shards').toHaveLength(2);
    expect(trend.at(-1)!.counts).toEqual(singleTrend[0]!.counts);
    // same number of tests recorded (keys are compared by name above: a test whose Allure parameters vary from run
    // to run, such as a made-up cloudId, gets a new history key each run)
    expect(Object.keys(trend.at(-1)!.tests)).toHaveLength(Object.keys(singleTrend[0]!.tests).length);

    // one Playwright report and one Allure report
    expect(existsSync(path.join(sharded, 'playwright-report', 'index.html'))).toBe(true);
    expect(existsSync(path.join(sharded, 'allure-report', 'index.html'))).toBe(true);
    const json = JSON.parse(readFileSync(path.join(sharded, 'last-run.json'), 'utf8')) as { stats: { expected: number } };
    expect(json.stats.expected).toBeGreaterThan(0);
  } finally {
    // whatever a job left behind in its group (a simulator, a browser) ends with the test
    for (const pid of live) killGroup(pid);
    live.clear();
    rmSync(base, { recursive: true, force: true });
  }
});
