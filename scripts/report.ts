/**
 * `npm run report`: the Allure 3 report (single HTML file) from `<reportsDir>/allure-results`, with history carried
 * from run to run under `<reportsDir>/history/` (see scripts/lib/history.ts for the two files and why).
 *
 * History is never half-written: Allure appends to a copy of its history file, which is fsynced and renamed over the
 * original only when the report was generated; the long-term trend gets the same copy → append → fsync → rename.
 * A corrupt history file is moved aside with a message and the report is still produced. Regenerating the report
 * from the same results does not record the run twice.
 *
 * The last line printed is where the report is and a one-line verdict.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import lockfile from 'proper-lockfile';
import { ROOT } from '../fixtures/core/config.ts';
import { redact } from '../fixtures/core/redact.ts';
import { atomicWrite, commitTemp, moveAside, tempPathFor } from './lib/atomic.ts';
import { environmentInfo, gitCommit } from './lib/env-info.ts';
import {
  appendTrend,
  HISTORY_LIMIT_DEFAULT,
  historyPaths,
  readTrendOrMoveAside,
  slimLastAllureLine,
  statusOf,
  type TrendLine,
  trendLineFor,
  validateAllureHistory,
} from './lib/history.ts';
import { reportsDirFromEnv } from './lib/paths.ts';
import { isFailure, readResults, resultsKey, type TestSummary } from './lib/results.ts';

export interface ReportOptions {
  /** default: HARNESS_REPORTS_DIR or reports/ */
  reportsDir?: string;
  /** default: <reportsDir>/allure-results */
  resultsDir?: string;
  /** default: <reportsDir>/allure-report */
  outputDir?: string;
  /** runs of full history Allure sees (default 12); the long-term trend keeps every run */
  historyLimit?: number;
  /** extra/overriding environment rows for the report header */
  environment?: Record<string, string>;
  /** do not print progress (the verdict line is still returned) */
  quiet?: boolean;
}

export interface RunChanges {
  regressed: TestSummary[];
  fixed: TestSummary[];
  newFailures: TestSummary[];
  stillFailing: TestSummary[];
}

export interface ReportResult {
  reportFile: string;
  /** one line: where the report is and the verdict */
  verdictLine: string;
  /** true when no test failed */
  green: boolean;
  counts: TrendLine['counts'];
  changes: RunChanges;
  /** runs in the long-term trend, this one included */
  historyRuns: number;
  /** true when these results were already recorded (regenerated report) */
  alreadyRecorded: boolean;
  movedAside: string[];
  durationMs: number;
  allureMs: number;
}

export class ReportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportError';
  }
}

const ALLURE_CLI = path.join(ROOT, 'node_modules', 'allure', 'cli.js');
const CONFIG = path.join(ROOT, 'scripts', 'allurerc.ts');

export function compareRuns(tests: readonly TestSummary[], previous: TrendLine | undefined): RunChanges {
  const changes: RunChanges = { regressed: [], fixed: [], newFailures: [], stillFailing: [] };
  for (const t of tests) {
    const before = previous ? statusOf(previous, t.historyId) : undefined;
    const failsNow = isFailure(t.status);
    if (before === undefined) {
      if (failsNow) changes.newFailures.push(t);
    } else if (before === 'passed' && failsNow) changes.regressed.push(t);
    else if (isFailure(before) && failsNow) changes.stillFailing.push(t);
    else if (isFailure(before) && t.status === 'passed') changes.fixed.push(t);
  }
  return changes;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function verdictText(counts: TrendLine['counts'], changes: RunChanges, runs: number): string {
  const failed = counts.failed + counts.broken;
  const parts = [
    changes.regressed.length ? `${changes.regressed.length} regressed` : '',
    changes.newFailures.length ? plural(changes.newFailures.length, 'new failure') : '',
    changes.stillFailing.length ? `${changes.stillFailing.length} still failing` : '',
  ].filter(Boolean);
  const fixed = changes.fixed.length ? `, ${changes.fixed.length} fixed` : '';
  const head = failed
    ? `RED: ${failed} of ${plural(counts.total, 'test')} failed (${parts.join(', ') || 'see report'})${fixed}`
    : counts.total === 0
      ? 'EMPTY: no test results'
      : `GREEN: ${plural(counts.passed, 'test')} passed${counts.skipped ? `, ${counts.skipped} skipped` : ''}${fixed}`;
  return `${head}; history: ${plural(runs, 'run')}`;
}

function longTermTrendMarkdown(lines: readonly TrendLine[]): string {
  const first = lines[0];
  const rows = lines.slice(-60).map((l) => {
    const failed = l.counts.failed + l.counts.broken;
    const rate = l.counts.total ? ((100 * l.counts.passed) / l.counts.total).toFixed(1) : '–';
    return `| ${l.at.replace('T', ' ').slice(0, 19)} | ${l.commit ?? ''} | ${l.counts.total} | ${l.counts.passed} | ${failed} | ${rate}% |`;
  });
  return [
    '# Long-term trend',
    '',
    `${plural(lines.length, 'run')} recorded${first ? ` since ${first.at.slice(0, 10)}` : ''} (reports/history/trend.jsonl, never truncated).` +
      ' The charts in this report cover the last runs of full history only.',
    '',
    '| run (UTC) | commit | tests | passed | failed | pass rate |',
    '|---|---|---|---|---|---|',
    ...rows.reverse(),
    '',
  ].join('\n');
}

/**
 * Allure 3.18 single-file race, seen here: the app script comes BEFORE the inline script that creates
 * `window.allureReportData`; the app decides "single file?" by `if (globalThis.allureReportData)` when it first
 * loads data, so when the HTML parser yields before reaching the data script (large reports, a busy machine) the
 * app falls back to fetch('widgets/…json'), which file:// forbids, and renders an empty report (≈1 load in 3 here).
 * Defining the (empty) data object before the app script makes it wait for `allureReportDataReady` instead.
 * Returns false when the expected layout is not found (nothing is changed then).
 */
export function patchSingleFileDataRace(reportFile: string): boolean {
  const html = readFileSync(reportFile, 'utf8');
  const marker = 'window.allureReportData = window.allureReportData || {};';
  const app = /<script\s+src="data:text\/javascript;base64,/.exec(html);
  if (!app || !html.includes(marker)) return false;
  if (html.includes('data-harness-patch="single-file-race"')) return true;
  const init =
    '<script data-harness-patch="single-file-race">window.allureReportDataReady = false; window.allureReportData = window.allureReportData || {};</script>\n';
  atomicWrite(reportFile, html.slice(0, app.index) + init + html.slice(app.index));
  return true;
}

export async function generateReport(opts: ReportOptions = {}): Promise<ReportResult> {
  const started = performance.now();
  const say = (s: string) => {
    if (!opts.quiet) process.stderr.write(`${s}\n`);
  };
  const reportsDir = path.resolve(opts.reportsDir ?? reportsDirFromEnv());
  const resultsDir = path.resolve(opts.resultsDir ?? path.join(reportsDir, 'allure-results'));
  const outputDir = path.resolve(opts.outputDir ?? path.join(reportsDir, 'allure-report'));
  const historyLimit = opts.historyLimit ?? HISTORY_LIMIT_DEFAULT;
  const { tests, unreadable } = readResults(resultsDir);
  if (unreadable.length)
    say(
      `report: ${plural(unreadable.length, 'result file')} in ${resultsDir} could not be read and are left out: ${unreadable.slice(0, 5).join(', ')}`,
    );

  const paths = historyPaths(reportsDir);
  mkdirSync(paths.dir, { recursive: true });
  // one report at a time per history (two concurrent runs would race on the rename)
  const release = await lockfile.lock(paths.dir, {
    realpath: false,
    retries: { retries: 60, minTimeout: 250, maxTimeout: 1000 },
    stale: 120_000,
  });
  const movedAside: string[] = [];
  let tmpHistory: string | undefined;
  try {
    const allureHistory = validateAllureHistory(paths.allure);
    if (!allureHistory.ok) movedAside.push(moveAside(paths.allure, allureHistory.reason));
    const trend = readTrendOrMoveAside(paths.trend);
    if (trend.movedTo) movedAside.push(trend.movedTo);

    const key = resultsKey(tests);
    const last = trend.lines.at(-1);
    const alreadyRecorded = last?.resultsKey === key;
    const previous = alreadyRecorded ? trend.lines.at(-2) : last;
    const commit = gitCommit();
    const current = alreadyRecorded && last ? last : trendLineFor(tests, crypto.randomUUID(), key, commit.split(' ')[0]);
    const allLines = alreadyRecorded ? trend.lines : [...trend.lines, current];

    const trendMd = path.join(paths.dir, 'long-term-trend.md');
    atomicWrite(trendMd, longTermTrendMarkdown(allLines));

    tmpHistory = tempPathFor(paths.allure);
    if (existsSync(paths.allure)) {
      if (alreadyRecorded) {
        // regenerating: Allure must compare with the run before this one, not with this run's own line
        const lines = readFileSync(paths.allure, 'utf8')
          .split('\n')
          .filter((l) => l.trim());
        writeFileSync(
          tmpHistory,
          lines
            .slice(0, -1)
            .map((l) => `${l}\n`)
            .join(''),
        );
      } else copyFileSync(paths.allure, tmpHistory);
    }
    const variables = { ...environmentInfo(tests, commit), ...opts.environment };
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HARNESS_ALLURE_OUTPUT: outputDir,
      HARNESS_ALLURE_HISTORY: tmpHistory,
      HARNESS_ALLURE_HISTORY_LIMIT: String(historyLimit),
      HARNESS_ALLURE_APPEND: alreadyRecorded ? '0' : '1',
      HARNESS_ALLURE_VARIABLES: JSON.stringify(variables),
      HARNESS_ALLURE_GLOBAL_ATTACHMENTS: trendMd,
      NO_COLOR: '1',
    };
    say(
      `report: allure generate (${plural(tests.length, 'test')}, ${allureHistory.ok ? allureHistory.runs : 0} of ${historyLimit} runs of full history)…`,
    );
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [ALLURE_CLI, 'generate', '--config', CONFIG, resultsDir], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const allureMs = performance.now() - t0;
    const reportFile = path.join(outputDir, 'index.html');
    if (r.status !== 0 || !existsSync(reportFile)) {
      const out = redact(`${r.stderr ?? ''}\n${r.stdout ?? ''}`.trim())
        .split('\n')
        .slice(-20)
        .join('\n');
      throw new ReportError(
        `allure generate failed (exit ${r.status ?? r.signal}); the history was left unchanged.\n${out}\n` +
          `Fix: check ${path.relative(ROOT, resultsDir)} holds valid results; run \`npx allure generate --config scripts/allurerc.ts ${path.relative(ROOT, resultsDir)}\` to see the full output.`,
      );
    }
    const patched = patchSingleFileDataRace(reportFile);
    if (!patched)
      say('report: note: the single-file report layout changed; data-race patch not applied (the report may need a reload to show)');
    if (!alreadyRecorded) {
      writeFileSync(tmpHistory, slimLastAllureLine(readFileSync(tmpHistory, 'utf8')));
      commitTemp(tmpHistory, paths.allure);
      tmpHistory = undefined;
      appendTrend(paths.trend, current);
    }
    const changes = compareRuns(tests, previous);
    const verdict = verdictText(current.counts, changes, allLines.length);
    const shown = reportFile.startsWith(ROOT + path.sep) ? path.relative(ROOT, reportFile) : reportFile;
    const verdictLine = `Report: ${shown} — ${verdict}`;
    return {
      reportFile,
      verdictLine,
      green: current.counts.failed + current.counts.broken === 0,
      counts: current.counts,
      changes,
      historyRuns: allLines.length,
      alreadyRecorded,
      movedAside,
      durationMs: performance.now() - started,
      allureMs,
    };
  } finally {
    if (tmpHistory) rmSync(tmpHistory, { force: true });
    await release();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  if (args.includes('--help')) {
    process.stdout.write('usage: npm run report [-- --results <dir>] [--history-limit N]\n');
    return;
  }
  const limitRaw = opt('--history-limit');
  const historyLimit = limitRaw === undefined ? undefined : Number(limitRaw);
  if (historyLimit !== undefined && (!Number.isInteger(historyLimit) || historyLimit < 1)) {
    process.stderr.write(
      `report: --history-limit must be a positive whole number, got ${JSON.stringify(limitRaw)}. Fix: e.g. --history-limit 20\n`,
    );
    process.exit(2);
  }
  try {
    const r = await generateReport({ resultsDir: opt('--results'), historyLimit });
    const list = (label: string, ts: TestSummary[]) => {
      if (ts.length)
        process.stdout.write(
          `${label}: ${ts
            .slice(0, 10)
            .map((t) => t.fullName)
            .join('; ')}${ts.length > 10 ? ` …and ${ts.length - 10} more` : ''}\n`,
        );
    };
    list('regressed', r.changes.regressed);
    list('new failures', r.changes.newFailures);
    list('fixed', r.changes.fixed);
    if (r.alreadyRecorded)
      process.stdout.write('history: these results were already recorded; the report was regenerated without adding a run\n');
    process.stdout.write(`${r.verdictLine}\n`);
  } catch (e) {
    process.stderr.write(`report: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
