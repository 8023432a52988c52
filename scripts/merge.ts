/**
 * `npm run merge -- <shard folder>…`: the shard outputs of `scripts/harness main --shard I/N` (each a folder with
 * `allure-results/` and `blob-report/`, on one machine or downloaded from CI artifacts) → one run under the reports
 * folder (HARNESS_REPORTS_DIR or reports/):
 *
 *  - `allure-results/`: every shard's results. Tests of the consent project run in every shard (Playwright runs a
 *    dependency project whole in each shard), so a test found in several shards is kept once: its worst result
 *    (a failure in one shard is never hidden by a pass in another);
 *  - `playwright-report/` and `last-run.json`: Playwright's `merge-reports` of the blob reports (HTML and JSON);
 *  - `allure-report/index.html` and `history/`: scripts/report.ts's generateReport, called once, so the history
 *    grows by exactly one run however many shards there were; then the quality gate and the secret scan.
 *
 * Ends like the main job: `Report: …` and `Verdict: …`; exit 0 = gate green, 1 = red, 2 = bad input (nothing written).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, reportsDir as reportsDirSetting } from '../fixtures/core/config.ts';
import { runGate } from './gate.ts';
import { acquireReportsLock, BadInputError, checkReportsDir, shownPath } from './main.ts';
import { generateReport } from './report.ts';

const RANK: Record<string, number> = { failed: 4, broken: 4, unknown: 3, passed: 2, skipped: 1 };

interface ResultFile {
  file: string;
  historyId: string;
  status: string;
  stop: number;
}

function readResultFile(file: string): ResultFile | undefined {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as { historyId?: string; fullName?: string; status?: string; stop?: number };
    return { file, historyId: r.historyId ?? r.fullName ?? file, status: r.status ?? 'unknown', stop: r.stop ?? 0 };
  } catch {
    return undefined;
  }
}

export interface MergeResult {
  shards: number;
  tests: number;
  duplicatesDropped: number;
  allureResults: string;
  playwrightReport?: string;
}

/** Merge the shard folders' outputs into `out` (allure-results + Playwright report); no history, no gate. */
export function mergeShardOutputs(shardDirs: readonly string[], out: string): MergeResult {
  const resultsOut = path.join(out, 'allure-results');
  rmSync(resultsOut, { recursive: true, force: true });
  mkdirSync(resultsOut, { recursive: true });
  const best = new Map<string, ResultFile>();
  let unreadable = 0;
  for (const dir of shardDirs) {
    const results = path.join(dir, 'allure-results');
    if (!existsSync(results)) continue;
    for (const name of readdirSync(results)) {
      const file = path.join(results, name);
      if (!name.endsWith('-result.json')) {
        // attachments and containers carry unique uuids: copied as they are
        if (statSync(file).isFile()) copyFileSync(file, path.join(resultsOut, name));
        continue;
      }
      const r = readResultFile(file);
      if (!r) {
        unreadable++;
        copyFileSync(file, path.join(resultsOut, name)); // the report step names unreadable files
        continue;
      }
      const prev = best.get(r.historyId);
      const better =
        !prev || (RANK[r.status] ?? 3) > (RANK[prev.status] ?? 3) || (RANK[r.status] === RANK[prev.status] && r.stop > prev.stop);
      if (better) best.set(r.historyId, r);
    }
  }
  let total = 0;
  for (const dir of shardDirs) {
    const results = path.join(dir, 'allure-results');
    if (existsSync(results)) total += readdirSync(results).filter((n) => n.endsWith('-result.json')).length;
  }
  for (const r of best.values()) copyFileSync(r.file, path.join(resultsOut, path.basename(r.file)));

  // Playwright: blob reports → one HTML report + the JSON the main job also writes
  const blobs = mkdtempSync(path.join(tmpdir(), 'harness-blobs-'));
  let playwrightReport: string | undefined;
  try {
    let n = 0;
    for (const dir of shardDirs) {
      const blobDir = path.join(dir, 'blob-report');
      if (!existsSync(blobDir)) continue;
      for (const name of readdirSync(blobDir).filter((f) => f.endsWith('.zip')))
        copyFileSync(path.join(blobDir, name), path.join(blobs, `${n++}-${name}`));
    }
    if (n > 0) {
      playwrightReport = path.join(out, 'playwright-report');
      rmSync(playwrightReport, { recursive: true, force: true });
      const r = spawnSync(
        process.execPath,
        [path.join(ROOT, 'node_modules', '@playwright', 'test', 'cli.js'), 'merge-reports', '--reporter=html,json', blobs],
        {
          cwd: ROOT,
          encoding: 'utf8',
          env: {
            ...process.env,
            PLAYWRIGHT_HTML_OUTPUT_DIR: playwrightReport,
            PLAYWRIGHT_HTML_OPEN: 'never',
            PLAYWRIGHT_JSON_OUTPUT_FILE: path.join(out, 'last-run.json'),
          },
          maxBuffer: 64 * 1024 * 1024,
        },
      );
      if (r.status !== 0) throw new Error(`playwright merge-reports failed (exit ${r.status}):\n${(r.stderr || r.stdout).slice(-2000)}`);
    }
  } finally {
    rmSync(blobs, { recursive: true, force: true });
  }
  if (unreadable) process.stderr.write(`merge: ${unreadable} result file(s) could not be read (kept; the report names them)\n`);
  return {
    shards: shardDirs.length,
    tests: best.size,
    duplicatesDropped: total - unreadable - best.size,
    allureResults: resultsOut,
    playwrightReport,
  };
}

function fail(message: string): never {
  process.stderr.write(`merge: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.length === 0) {
    process.stdout.write(
      'usage: npm run merge -- <shard folder>… (the folders scripts/harness main --shard I/N wrote, e.g. reports/shard-*-of-3)\n',
    );
    process.exit(args.length === 0 ? 2 : 0);
  }
  const unknown = args.filter((a) => a.startsWith('-'));
  if (unknown.length) fail(`unknown option ${JSON.stringify(unknown[0])}. Fix: pass only shard folders.`);
  const dirs = args.map((a) => path.resolve(a));
  for (const d of dirs) {
    const shown = shownPath(d);
    if (!existsSync(d) || !statSync(d).isDirectory())
      fail(`${shown} is not a folder. Fix: pass the folders scripts/harness main --shard wrote.`);
    if (!existsSync(path.join(d, 'allure-results')) && !existsSync(path.join(d, 'blob-report')))
      fail(
        `${shown} has neither allure-results/ nor blob-report/, so it is not a shard's output. Fix: pass the folders scripts/harness main --shard wrote.`,
      );
  }
  if (new Set(dirs).size !== dirs.length) fail('a shard folder is named twice. Fix: name each shard folder once.');

  const out = reportsDirSetting();
  if (dirs.includes(out)) fail(`${path.relative(ROOT, out)} is the merge's own output folder. Fix: pass the shard folders inside it.`);
  let lock: Awaited<ReturnType<typeof acquireReportsLock>>;
  try {
    checkReportsDir(out, 'HARNESS_REPORTS_DIR', 'HARNESS_REPORTS_DIR');
    lock = await acquireReportsLock(out, 'merge');
  } catch (e) {
    if (e instanceof BadInputError) fail(e.message);
    throw e;
  }
  const rel = shownPath;
  try {
    const t0 = performance.now();
    const merged = mergeShardOutputs(dirs, out);
    process.stderr.write(
      `merge: ${merged.shards} shard(s) → ${merged.tests} tests in ${rel(merged.allureResults)}` +
        `${merged.duplicatesDropped ? ` (${merged.duplicatesDropped} repeated results of setup tests kept once)` : ''}` +
        `${merged.playwrightReport ? `; Playwright report ${rel(merged.playwrightReport)}` : ''} (${Math.round(performance.now() - t0)} ms)\n`,
    );
    let reportLine = '';
    let reportOk = true;
    let green = false;
    try {
      const r = await generateReport({ reportsDir: out });
      green = r.green;
      reportLine = `Report: ${rel(r.reportFile)}\n`;
      writeFileSync(path.join(out, 'summary.json'), JSON.stringify({ ...r.counts, shards: merged.shards }));
    } catch (e) {
      reportOk = false;
      process.stderr.write(`merge: ${(e as Error).message}\n`);
    }
    const gate = await runGate({ reportsDir: out });
    process.stdout.write(`${gate.table}\n`);
    const scanRoots = ['allure-results', 'allure-report', 'playwright-report', 'history', 'pictures', 'summary.md', 'last-run.json']
      .map((p) => path.join(out, p))
      .filter((p) => existsSync(p))
      .map(rel);
    const scan = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/scan-secrets.ts', ...scanRoots], { cwd: ROOT, stdio: 'inherit' });
    const verdict = !reportOk
      ? 'REPORT FAILED: the Allure report could not be generated (see above)'
      : scan.status !== 0
        ? 'SECRET LEAK: the scanner found a secret in the merged output (see above); do not publish the reports'
        : !gate.ok
          ? 'RED: the gate found regressions or drift from expectations (table above)'
          : green
            ? `GREEN: every suite passed in ${merged.shards} shard(s) and matches expectations`
            : 'AMBER: some tests failed, but none regressed and all match expectations';
    process.stdout.write(`\n${reportLine}Verdict: ${verdict}\n`);
    process.exitCode = reportOk && scan.status === 0 && gate.ok ? 0 : 1;
  } finally {
    await lock.release();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
