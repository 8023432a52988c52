/**
 * `npm run bench -- shards` (or `tsx scripts/bench-shards.ts [main job options, e.g. --suites api]`): the main job as
 * 1 shard and as 2 shards side by side on this machine (`scripts/main.ts --shard I/N`, what `scripts/harness main
 * --shard I/N` runs), each followed by `npm run merge` of its shard folders (scripts/merge.ts), with the merge time,
 * the tests merged and the peak memory of all shards together.
 *
 * As in scripts/bench-main.ts, one simulator of this benchmark serves every shard (HARNESS_SIM_URLS) and the shards
 * share one token store, warmed first by a `--suites consent` job (not timed): shards on one machine share the locked
 * store, and a warm store keeps the consent phase out of the comparison. Tables only; exit 1 when a job failed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfigOrExit } from '../fixtures/core/config.ts';
import { startSimulator } from '../fixtures/core/simulator.ts';
import {
  type JobResult,
  jobEnv,
  jobFailed,
  type MemorySample,
  mbs,
  runJob,
  secs,
  selectionArgs,
  simulatorPid,
  withoutSuites,
} from './bench-main.ts';
import { shardDirName } from './main.ts';

const config = loadConfigOrExit();
if (config.target !== 'sim') {
  process.stderr.write('bench-shards: runs on the simulator. Fix: unset TARGET (or TARGET=sim).\n');
  process.exit(2);
}
const { args, suites } = selectionArgs(process.argv.slice(2));
const work = mkdtempSync(path.join(os.tmpdir(), 'bench-shards-'));
const auth = path.join(work, 'auth');
const sim = await startSimulator({ world: config.simWorld });
const simPid = simulatorPid();

interface Row {
  shards: number;
  jobs: JobResult[];
  shardsWallMs: number;
  merge: JobResult;
  tests?: number;
  peak?: MemorySample;
}
const rows: Row[] = [];
let failed = false;
try {
  process.stderr.write('bench-shards: warm-up (consent, cold store)…\n');
  const warm = await runJob('scripts/main.ts', ['--suites', 'consent', ...withoutSuites(args)], jobEnv(sim, auth, path.join(work, 'warm')));
  if (warm.code !== 0) jobFailed('the warm-up', warm);

  for (const n of [1, 2]) {
    const reports = path.join(work, `n${n}`);
    process.stderr.write(`bench-shards: ${n} shard(s) side by side…\n`);
    const t0 = performance.now();
    // the simulator's memory is counted once, with the first shard
    const jobs = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        runJob('scripts/main.ts', [...args, '--shard', `${i + 1}/${n}`], jobEnv(sim, auth, reports), {
          sample: { extraRoots: i === 0 && simPid ? [simPid] : [] },
        }),
      ),
    );
    const shardsWallMs = performance.now() - t0;
    for (const [i, j] of jobs.entries()) if (j.code !== 0) jobFailed(`shard ${i + 1}/${n}`, j);
    const dirs = Array.from({ length: n }, (_, i) => path.join(reports, shardDirName({ current: i + 1, total: n })));
    process.stderr.write(`bench-shards: merge of ${n} shard(s)…\n`);
    const merge = await runJob('scripts/merge.ts', dirs, jobEnv(sim, auth, reports));
    if (merge.code !== 0) failed = true;
    const tests = Number(/→ (\d+) tests in/.exec(merge.output)?.[1]);
    // the shards ran at the same time: their peaks add up (an upper bound of the machine's peak)
    const peak = jobs.every((j) => j.peak)
      ? {
          processes: jobs.reduce((a, j) => a + j.peak!.processes, 0),
          rssMb: jobs.reduce((a, j) => a + j.peak!.rssMb, 0),
          pssMb: jobs.reduce((a, j) => a + j.peak!.pssMb, 0),
        }
      : undefined;
    rows.push({ shards: n, jobs, shardsWallMs, merge, tests: Number.isFinite(tests) ? tests : undefined, peak });
  }
} finally {
  await sim.stop();
  rmSync(work, { recursive: true, force: true });
}

const one = rows[0]!;
const total = (r: Row) => r.shardsWallMs + r.merge.wallMs;
const load = os.loadavg();
process.stdout.write(
  [
    `Shards on one machine (${suites.join(', ')}${withoutSuites(args).length ? `; ${withoutSuites(args).join(' ')}` : ''}), ${os.cpus().length} cores, one simulator and a warm shared token store; load average ${load.map((l) => l.toFixed(1)).join(' / ')} (1/5/15 min) at the end`,
    '',
    '| shards | each shard: wall (suites) | shards, side by side | merge (npm run merge) | total | vs 1 shard | tests merged | peak RSS of all shards (sum of peaks) |',
    '|---:|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.shards} | ${r.jobs.map((j) => `${secs(j.wallMs)} (${secs(j.timings.suites)})`).join(', ')} | ${secs(r.shardsWallMs)} | ${secs(r.merge.wallMs)}${r.merge.code === 0 ? '' : ` (exit ${r.merge.code})`} | ${secs(total(r))} | ${(total(r) / total(one)).toFixed(2)}× | ${r.tests ?? '—'} | ${mbs(r.peak?.rssMb)} |`,
    ),
    '',
    'A shard runs the consent setup project whole (Playwright runs a dependency project in every shard) and only its part of the other suites; each shard job also has its own start and secret scan, and the merge builds the one report.',
    '',
  ].join('\n'),
);
process.exit(failed ? 1 : 0);
