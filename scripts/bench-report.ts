/**
 * `npm run bench -- report` (or `tsx scripts/bench-report.ts [--reps N] [--compare-plain]`): report generation time
 * for 1, 30 and 365 runs of history with 1,000 synthetic tests, as a Markdown table.
 *
 * Target: 365 runs ≤ 1.5 × the 1-run time. docs/reference/allure-playwright.md measured plain Allure at 2.6 s (no history)
 * vs 9.1 s / 515 MB (365 runs, 184 MB file) = 3.5×. The design that meets it (scripts/lib/history.ts): Allure sees
 * only the last `historyLimit` runs of full history, and the year-long trend lives in a compact file of our own
 * (one status letter per test per run). `--compare-plain` also times Allure fed the whole unbounded history.
 *
 * Each cell is the median of `--reps` (default 3) full `generateReport` calls (history checks, lock, copy, allure
 * generate, patch, atomic appends), each on a fresh copy of the seeded history.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../fixtures/core/config.ts';
import { HISTORY_LIMIT_DEFAULT, historyPaths, slimLastAllureLine, trendLineFor } from './lib/history.ts';
import { readResults } from './lib/results.ts';
import { manyTests, syntheticAllureHistoryLine, writeSyntheticResults } from './lib/synthetic.ts';
import { generateReport } from './report.ts';

const TESTS = 1000;
const RUNS = [1, 30, 365];

/**
 * CPU seconds used by this process and its waited-for children (Linux /proc/self/stat utime+stime+cutime+cstime,
 * in clock ticks of 1/100 s). On a shared machine wall time mostly measures the neighbours; CPU time does not.
 */
function cpuSeconds(): number | undefined {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    // after "pid (comm) ": state is index 0, so utime (field 14) is index 11
    return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) / 100;
  } catch {
    return undefined;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function mb(file: string): string {
  try {
    return `${(statSync(file).size / 2 ** 20).toFixed(1)} MB`;
  } catch {
    return '0 MB';
  }
}

/** Seed `runs - 1` earlier runs (the run being reported is the runs-th); every 7th run has a few failures. */
function seed(dir: string, runs: number, fullAllureLines: number): void {
  const { allure, trend } = historyPaths(dir);
  mkdirSync(path.dirname(allure), { recursive: true });
  const start = Date.now() - runs * 86_400_000;
  const allureLines: string[] = [];
  const trendLines: string[] = [];
  const tmpResults = path.join(dir, 'seed-results');
  for (let r = 0; r < runs - 1; r++) {
    const tests = manyTests(TESTS, (i) => r % 7 === 0 && i % 50 === r % 50);
    // as report.ts stores them: slimmed after Allure appends
    if (r >= runs - 1 - fullAllureLines)
      allureLines.push(slimLastAllureLine(`${syntheticAllureHistoryLine(tests, start + r * 86_400_000)}\n`).trimEnd());
    if (r === 0 || r % 7 === 0 || r === 1) {
      rmSync(tmpResults, { recursive: true, force: true });
      writeSyntheticResults(tmpResults, tests);
    }
    const summaries = readResults(tmpResults).tests;
    const line = trendLineFor(summaries, `seed-${r}`, `seed-${r}`, 'bench');
    line.at = new Date(start + r * 86_400_000).toISOString();
    trendLines.push(JSON.stringify(line));
  }
  rmSync(tmpResults, { recursive: true, force: true });
  writeFileSync(allure, allureLines.map((l) => `${l}\n`).join(''));
  writeFileSync(trend, trendLines.map((l) => `${l}\n`).join(''));
}

/** Plain Allure: the CLI fed the whole history file, no historyLimit (what the reference measured). */
function timePlain(dir: string): number {
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    [
      path.join(ROOT, 'node_modules', 'allure', 'cli.js'),
      'generate',
      '--output',
      path.join(dir, 'plain-report'),
      path.join(dir, 'allure-results'),
    ],
    {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    },
  );
  if (r.status !== 0) throw new Error(`plain allure generate failed: ${r.stderr.slice(-500)}`);
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const repsArg = args.indexOf('--reps');
  const reps = repsArg >= 0 ? Number(args[repsArg + 1]) : 3;
  if (!Number.isInteger(reps) || reps < 1) {
    process.stderr.write('bench-report: --reps must be a positive whole number. Fix: e.g. --reps 3\n');
    process.exit(2);
  }
  const comparePlain = args.includes('--compare-plain');
  const work = mkdtempSync(path.join(os.tmpdir(), 'bench-report-'));
  const rows: string[] = [];
  const medians = new Map<number, number>();
  const cpuMedians = new Map<number, number>();
  try {
    const results = path.join(work, 'allure-results');
    writeSyntheticResults(
      results,
      manyTests(TESTS, (i) => i % 100 === 3),
    );
    for (const runs of RUNS) {
      const seeded = path.join(work, `seed-${runs}`);
      seed(seeded, runs, Math.min(runs - 1, HISTORY_LIMIT_DEFAULT));
      const h = historyPaths(seeded);
      const sizes = `${mb(h.allure)} allure + ${mb(h.trend)} trend`;
      const times: number[] = [];
      const allureTimes: number[] = [];
      const cpu: number[] = [];
      for (let i = 0; i < reps; i++) {
        const dir = path.join(work, `run-${runs}-${i}`);
        cpSync(seeded, dir, { recursive: true });
        const c0 = cpuSeconds();
        const r = await generateReport({ reportsDir: dir, resultsDir: results, quiet: true });
        const c1 = cpuSeconds();
        if (c0 !== undefined && c1 !== undefined) cpu.push(c1 - c0);
        if (r.historyRuns !== runs) throw new Error(`expected ${runs} runs of history, the report saw ${r.historyRuns}`);
        times.push(r.durationMs);
        allureTimes.push(r.allureMs);
        rmSync(dir, { recursive: true, force: true });
      }
      medians.set(runs, median(times));
      if (cpu.length) cpuMedians.set(runs, median(cpu));
      let plain = '';
      if (comparePlain) {
        const dir = path.join(work, `plain-${runs}`);
        mkdirSync(dir);
        cpSync(results, path.join(dir, 'allure-results'), { recursive: true });
        const full = path.join(work, `full-${runs}.jsonl`);
        seedFull(full, runs);
        writeFileSync(path.join(dir, 'allurerc.mjs'), `export default { historyPath: ${JSON.stringify(full)} };\n`);
        plain = ` ${(timePlain(dir) / 1000).toFixed(2)} s (${mb(full)}) |`;
        rmSync(dir, { recursive: true, force: true });
        rmSync(full, { force: true });
      }
      const ratio = (medians.get(runs)! / medians.get(1)!).toFixed(2);
      const cpuCell = cpu.length ? `${median(cpu).toFixed(2)} s | ${(median(cpu) / cpuMedians.get(1)!).toFixed(2)}× |` : 'n/a | n/a |';
      rows.push(
        `| ${runs} | ${sizes} | ${(median(times) / 1000).toFixed(2)} s | ${(median(allureTimes) / 1000).toFixed(2)} s | ${ratio}× | ${cpuCell}${plain}`,
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const wallRatio = medians.get(365)! / medians.get(1)!;
  const cpuRatio = cpuMedians.size ? cpuMedians.get(365)! / cpuMedians.get(1)! : undefined;
  // judged on CPU time where /proc is available (wall time on a shared box measures the neighbours), else wall time
  const ratio365 = cpuRatio ?? wallRatio;
  const ok = ratio365 <= 1.5;
  process.stdout.write(
    [
      `Report generation, ${TESTS} synthetic tests, median of ${reps} (history limit ${HISTORY_LIMIT_DEFAULT} runs for Allure, every run in trend.jsonl)`,
      '',
      `| runs of history | history files | wall time | of which allure generate | wall vs 1 run | CPU time (incl. allure) | CPU vs 1 run |${comparePlain ? ' plain Allure, unbounded history (wall; file size after the run) |' : ''}`,
      `|---|---|---|---|---|---|---|${comparePlain ? '---|' : ''}`,
      ...rows,
      '',
      `target 365 runs ≤ 1.5 × 1 run: ${ok ? 'MET' : 'MISSED'} (${cpuRatio !== undefined ? `CPU ${cpuRatio.toFixed(2)}×, ` : ''}wall ${wallRatio.toFixed(2)}×)`,
      '',
    ].join('\n'),
  );
  process.exit(ok ? 0 : 1);
}

/** The whole history as plain Allure would keep it (no limit): one full line per earlier run. */
function seedFull(file: string, runs: number): void {
  const start = Date.now() - runs * 86_400_000;
  const lines: string[] = [];
  for (let r = 0; r < runs - 1; r++)
    lines.push(
      syntheticAllureHistoryLine(
        manyTests(TESTS, (i) => r % 7 === 0 && i % 50 === r % 50),
        start + r * 86_400_000,
      ),
    );
  writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
