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
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../fixtures/core/config.ts';
import { redact } from '../fixtures/core/redact.ts';
import { schemaWarningLine } from '../fixtures/rest/schema-check.ts';
import { cellsFor } from './gate.ts';
import { atomicWrite, moveAside, tempPathFor } from './lib/atomic.ts';
import { type CausesFile, causeFingerprint } from './lib/cause-fingerprint.ts';
import { type Cause, type CauseContext, causeContext, groupByCause, retriedPasses } from './lib/causes.ts';
import { environmentInfo, gitCommit } from './lib/env-info.ts';
import {
  commitHistory,
  HISTORY_LIMIT_DEFAULT,
  historyPaths,
  lockHistory,
  readTrendOrMoveAside,
  slimLastAllureLine,
  type TrendLine,
  trendLineFor,
  validateAllureHistory,
} from './lib/history.ts';
import { reportsDirFromEnv } from './lib/paths.ts';
import { mcpHtml, mcpMatrix, scopeSiteHtml, scopeSiteMatrices, summaryMarkdown, trendSvg } from './lib/pictures.ts';
import { readResults, resultsKey, type TestSummary } from './lib/results.ts';

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
  /** failures grouped by cause (scripts/lib/causes.ts), largest first */
  causes: Cause[];
  /** the pictures written under <reportsDir>/pictures/ and attached to the report, and the CI job summary */
  pictures: { scopeSite: string; mcp: string; trend: string; summary: string };
  /** what a killed earlier report step left and this run removed (lock, temp files) */
  recovered: string[];
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
  for (const { test, flags } of cellsFor(tests, previous)) {
    if (flags.regressed) changes.regressed.push(test);
    else if (flags.newFailure) changes.newFailures.push(test);
    else if (flags.stillFailing) changes.stillFailing.push(test);
    else if (flags.fixed) changes.fixed.push(test);
  }
  return changes;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function verdictText(
  counts: TrendLine['counts'],
  changes: RunChanges,
  runs: number,
  causes: readonly Cause[] = [],
  degraded: { tests: number; calls: number } = { tests: 0, calls: 0 },
): string {
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
  const top = causes
    .slice(0, 3)
    .map((c) => `${c.label} (${plural(c.cells.length, 'cell')})`)
    .join('; ');
  const why = causes.length ? `; ${plural(causes.length, 'cause')}: ${top}${causes.length > 3 ? `; …${causes.length - 3} more` : ''}` : '';
  // tests that passed only after retried calls (scripts/lib/causes.ts retriedPasses): never read as a clean night
  const flaky = degraded.tests
    ? `; degraded: ${plural(degraded.tests, 'test')} passed after ${plural(degraded.calls, 'retried call')}`
    : '';
  return `${head}${flaky}${why}; history: ${plural(runs, 'run')}`;
}

/**
 * Allure's Awesome single-file report carries a Google Analytics tag (plugin-awesome generators.js: analyticsEnable is
 * always true there), which reaches the network when the report is opened. A report attached to a ticket must open
 * offline with no request leaving the machine, so the tag and its inline config script are removed.
 */
export function stripAnalytics(html: string): string {
  return html
    .replace(/<script[^>]*\ssrc="https:\/\/www\.googletagmanager\.com\/[^"]*"[^>]*>\s*<\/script>/g, '')
    .replace(/<script>(?:(?!<\/script>)[\s\S])*?gtag\((?:(?!<\/script>)[\s\S])*<\/script>/g, '');
}

function labelsOf(t: TestSummary): Array<{ name: string; value: string }> {
  return Object.entries(t.labels).flatMap(([name, values]) => values.map((value) => ({ name, value })));
}

export function causesFile(causes: readonly Cause[]): CausesFile {
  const out: CausesFile = { causes: [], byFingerprint: {} };
  for (const c of causes) {
    out.causes.push({ id: c.id, name: `${c.label}: ${c.title} (${plural(c.cells.length, 'cell')})`, remediation: c.remediation });
    for (const cell of c.cells) out.byFingerprint[causeFingerprint(cell.test.status, labelsOf(cell.test), cell.test.message)] ??= c.id;
  }
  return out;
}

function writePictures(
  reportsDir: string,
  resultsDir: string,
  tests: readonly TestSummary[],
  ctx: CauseContext,
  causes: readonly Cause[],
  trend: readonly TrendLine[],
  verdict: string,
): ReportResult['pictures'] {
  const dir = path.join(reportsDir, 'pictures');
  const link = path.relative(dir, resultsDir).split(path.sep).join('/');
  const scopeSite = scopeSiteMatrices(tests, ctx, link);
  const mcp = mcpMatrix(tests, ctx, link);
  const files = {
    scopeSite: path.join(dir, 'scope-site-matrix.html'),
    mcp: path.join(dir, 'mcp-matrix.html'),
    trend: path.join(dir, 'trend.svg'),
    summary: path.join(reportsDir, 'summary.md'),
  };
  atomicWrite(files.scopeSite, scopeSiteHtml(scopeSite));
  atomicWrite(files.mcp, mcpHtml(mcp));
  atomicWrite(files.trend, trendSvg(trend));
  // a real target's warn-only schema check (fixtures/rest/schema-check.ts): one line with the counts
  const schema = schemaWarningLine(tests);
  if (schema) process.stdout.write(`${schema}\n`);
  atomicWrite(files.summary, `${summaryMarkdown({ verdict, causes, scopeSite, mcp })}${schema ? `\n${schema}\n` : ''}`);
  return files;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Under the history lock: an `allure generate` left running by a killed report step is stopped (bounded wait of 5 s),
 * then the temp files it may have written since the lock's own clean-up are removed.
 */
async function stopOrphanAllure(historyDir: string, pidFile: string, recovered: string[]): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  rmSync(pidFile, { force: true });
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !pidAlive(pid)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  for (let i = 0; i < 50 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  recovered.push(`allure generate left running by an interrupted report step (pid ${pid})`);
  for (const f of readdirSync(historyDir))
    if (/\.tmp-/.test(f)) {
      rmSync(path.join(historyDir, f), { force: true });
      recovered.push(`temp file ${f}`);
    }
}

/** `allure generate` as an async child: the event loop stays free to refresh the history lock while it runs. */
function runAllure(
  args: string[],
  env: NodeJS.ProcessEnv,
  pidFile: string,
): Promise<{ status: number | null; signal: string | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    // A report step killed while allure runs leaves allure running (a child survives its parent's SIGKILL): the pid
    // file lets the next report step stop it before it cleans up and writes history (stopOrphanAllure).
    if (child.pid) writeFileSync(pidFile, String(child.pid));
    child.on('close', () => rmSync(pidFile, { force: true }));
    const chunks: string[] = [];
    let size = 0;
    const keep = (b: Buffer) => {
      chunks.push(b.toString('utf8'));
      size += b.length;
      while (size > 1_000_000 && chunks.length > 1) size -= chunks.shift()!.length;
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (e) => resolve({ status: null, signal: null, out: String(e) }));
    child.on('close', (status, signal) => resolve({ status, signal, out: chunks.join('') }));
  });
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
  const { release, recovered } = await lockHistory(paths.dir, say);
  const allurePidFile = path.join(paths.dir, '.allure-generate.pid');
  await stopOrphanAllure(paths.dir, allurePidFile, recovered);
  const movedAside: string[] = [];
  let tmpHistory: string | undefined;
  let causesTmp: string | undefined;
  try {
    // temp files of the other files only the report step writes (pictures, summary.md, the report), left by a kill
    for (const [d, only] of [
      [path.join(reportsDir, 'pictures'), /\.tmp-/],
      [outputDir, /\.tmp-/],
      [reportsDir, /^\.summary\.md\.tmp-/],
    ] as const) {
      if (!existsSync(d) || !statSync(d).isDirectory()) continue;
      for (const f of readdirSync(d))
        if (only.test(f)) {
          rmSync(path.join(d, f), { force: true });
          recovered.push(`temp file ${path.relative(reportsDir, path.join(d, f))}`);
        }
    }
    const allureHistory = validateAllureHistory(paths.allure);
    if (!allureHistory.ok) movedAside.push(moveAside(paths.allure, allureHistory.reason));
    const trend = readTrendOrMoveAside(paths.trend);
    if (trend.movedTo) movedAside.push(trend.movedTo);

    const key = resultsKey(tests);
    const last = trend.lines.at(-1);
    const alreadyRecorded = last?.resultsKey === key;
    const previous = alreadyRecorded ? trend.lines.at(-2) : last;
    const commit = gitCommit();
    const cells = cellsFor(tests, previous);
    const ctx = causeContext(tests);
    const causes = groupByCause(cells, ctx);
    const categories: Record<string, number> = {};
    for (const c of causes) {
      const failing = c.cells.filter((x) => x.flags.regressed || x.flags.newFailure || x.flags.stillFailing).length;
      if (failing) categories[c.key.category] = (categories[c.key.category] ?? 0) + failing;
    }
    const top = causes[0];
    const current =
      alreadyRecorded && last
        ? last
        : trendLineFor(tests, crypto.randomUUID(), key, commit.split(' ')[0], {
            categories,
            topCause: top ? `${top.label} (${plural(top.cells.length, 'cell')})` : undefined,
          });
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
    const changes = compareRuns(tests, previous);
    const verdict = verdictText(current.counts, changes, allLines.length, causes, retriedPasses(tests));
    const pictures = writePictures(reportsDir, resultsDir, tests, ctx, causes, allLines, verdict);
    causesTmp = path.join(os.tmpdir(), `harness-causes-${process.pid}-${Date.now()}.json`);
    writeFileSync(causesTmp, JSON.stringify(causesFile(causes)));
    const variables = { ...environmentInfo(tests, commit), ...opts.environment };
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HARNESS_ALLURE_OUTPUT: outputDir,
      HARNESS_ALLURE_HISTORY: tmpHistory,
      HARNESS_ALLURE_HISTORY_LIMIT: String(historyLimit),
      HARNESS_ALLURE_APPEND: alreadyRecorded ? '0' : '1',
      HARNESS_ALLURE_VARIABLES: JSON.stringify(variables),
      HARNESS_ALLURE_GLOBAL_ATTACHMENTS: JSON.stringify([trendMd, pictures.trend, pictures.scopeSite, pictures.mcp]),
      HARNESS_ALLURE_CAUSES: causesTmp,
      ALLURE_NO_ANALYTICS: 'true',
      NO_COLOR: '1',
    };
    say(
      `report: allure generate (${plural(tests.length, 'test')}, ${allureHistory.ok ? allureHistory.runs : 0} of ${historyLimit} runs of full history)…`,
    );
    const t0 = performance.now();
    const r = await runAllure([ALLURE_CLI, 'generate', '--config', CONFIG, resultsDir], env, allurePidFile);
    const allureMs = performance.now() - t0;
    const reportFile = path.join(outputDir, 'index.html');
    if (r.status !== 0 || !existsSync(reportFile)) {
      const out = redact(r.out.trim()).split('\n').slice(-20).join('\n');
      throw new ReportError(
        `allure generate failed (exit ${r.status ?? r.signal}); the history was left unchanged.\n${out}\n` +
          `Fix: check ${path.relative(ROOT, resultsDir)} holds valid results; run \`npx allure generate --config scripts/allurerc.ts ${path.relative(ROOT, resultsDir)}\` to see the full output.`,
      );
    }
    atomicWrite(reportFile, stripAnalytics(readFileSync(reportFile, 'utf8')));
    const patched = patchSingleFileDataRace(reportFile);
    if (!patched)
      say('report: note: the single-file report layout changed; data-race patch not applied (the report may need a reload to show)');
    if (!alreadyRecorded) {
      writeFileSync(tmpHistory, slimLastAllureLine(readFileSync(tmpHistory, 'utf8')));
      // both history files as one step: a kill between them is finished by the next report step (lib/history.ts)
      commitHistory(paths, tmpHistory, current);
      tmpHistory = undefined;
    }
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
      causes,
      pictures,
      recovered,
      durationMs: performance.now() - started,
      allureMs,
    };
  } finally {
    if (tmpHistory) rmSync(tmpHistory, { force: true });
    if (causesTmp) rmSync(causesTmp, { force: true });
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
    // one line per cause (the gate prints the full table), then what was fixed
    for (const [i, c] of r.causes.slice(0, 10).entries())
      process.stdout.write(`cause ${i + 1}: ${c.label}: ${c.title} (${plural(c.cells.length, 'cell')})\n`);
    if (r.causes.length > 10) process.stdout.write(`…and ${r.causes.length - 10} more causes (npm run gate lists them)\n`);
    if (r.changes.fixed.length)
      process.stdout.write(
        `fixed: ${r.changes.fixed
          .slice(0, 10)
          .map((t) => t.fullName)
          .join('; ')}${r.changes.fixed.length > 10 ? ` …and ${r.changes.fixed.length - 10} more` : ''}\n`,
      );
    process.stdout.write(
      `pictures: ${[r.pictures.scopeSite, r.pictures.mcp, r.pictures.trend].map((f) => path.relative(ROOT, f) || f).join(', ')}; CI summary: ${path.relative(ROOT, r.pictures.summary)}\n`,
    );
    if (r.alreadyRecorded)
      process.stdout.write('history: these results were already recorded; the report was regenerated without adding a run\n');
    process.stdout.write(`${r.verdictLine}\n`);
  } catch (e) {
    process.stderr.write(`report: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
