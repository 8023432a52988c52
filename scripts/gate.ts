/**
 * `npm run gate [-- --verbose]`: the CI quality gate. Red (exit 1) when a test
 *   - passed in the previous run and fails now (REGRESSED);
 *   - fails now and did not fail last time because it had no result or was skipped (NEW FAILURE): one blocked consent
 *     skips every REST and MCP test of that account, so an outage on the next night must not read as "nothing changed";
 *   - failed last time and still fails (STILL FAILING): a breakage stays red until it is fixed, never "accepted";
 *   - has an observed outcome that differs from what the expectations file predicts (DRIFT): tests carry the Allure
 *     labels `outcome` (the category code observed, fixtures/core/evidence.ts labelOutcome) and `expected` (from the
 *     expectations file; `a|b` allows either), and a test with `expected` but no `outcome` is a drift too.
 * A test that failed last time and passes now is FIXED (green).
 *
 * The table has one row per cause = (category, account, site, endpoint or tool family) (scripts/lib/causes.ts):
 * the count of affected cells, REGRESSED / NEW FAILURE / STILL FAILING / DRIFT as columns, the remediation once and the
 * first few test names with their common prefix shortened; `--verbose` lists every cell.
 * "Previous run" = the last run in <reportsDir>/history/trend.jsonl with different results (scripts/report.ts
 * records each run there), so the gate gives the same answer before or after the report step.
 *
 * Allure's own `quality-gate` (maxFailures, successRate, …) cannot express "passed last time" or expectations
 * drift, hence this script.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { redact } from '../fixtures/core/redact.ts';
import { type Cause, type Cell, causeContext, causeStatus, groupByCause, shortenTitles } from './lib/causes.ts';
import { CorruptHistoryError, historyPaths, readTrend, statusOf, type TrendLine } from './lib/history.ts';
import { reportsDirFromEnv } from './lib/paths.ts';
import { type AllureStatus, isFailure, ResultsDirError, readResults, resultsKey, type TestSummary } from './lib/results.ts';

export type GateKind = 'REGRESSED' | 'NEW FAILURE' | 'DRIFT' | 'STILL FAILING' | 'FIXED';
const RED: ReadonlySet<GateKind> = new Set(['REGRESSED', 'NEW FAILURE', 'DRIFT', 'STILL FAILING']);

/** One (kind, test) pair; a test can have two (e.g. REGRESSED and DRIFT). The table groups them by cause. */
export interface GateRow {
  kind: GateKind;
  test: string;
  before?: AllureStatus;
  now: AllureStatus;
  expected?: string;
  outcome?: string;
}

export interface GateOptions {
  reportsDir?: string;
  resultsDir?: string;
  /** test names shown per cause row (default 3) */
  examples?: number;
  /** list every cell under its cause */
  verbose?: boolean;
}

export interface GateResult {
  ok: boolean;
  rows: GateRow[];
  /** red cells grouped by cause, largest first */
  causes: Cause[];
  /** tests that failed last run and pass now */
  fixed: TestSummary[];
  /** the table as printed */
  table: string;
  total: number;
  previous?: TrendLine;
  notes: string[];
}

export function matchesExpected(expected: string, outcome: string | undefined): boolean {
  return (
    outcome !== undefined &&
    expected
      .split('|')
      .map((s) => s.trim())
      .includes(outcome)
  );
}

/** Each test of this run compared with the previous run and with its expectation. */
export function cellsFor(tests: readonly TestSummary[], previous: TrendLine | undefined): Cell[] {
  return tests.map((t) => {
    const before = previous ? statusOf(previous, t.historyId) : undefined;
    const fails = isFailure(t.status);
    const failedBefore = before !== undefined && isFailure(before);
    return {
      test: t,
      before,
      flags: {
        regressed: fails && before === 'passed',
        newFailure: fails && !failedBefore && before !== 'passed',
        stillFailing: fails && failedBefore,
        drift: t.expected !== undefined && !matchesExpected(t.expected, t.outcome),
        fixed: failedBefore && t.status === 'passed',
      },
    };
  });
}

export function rowsFor(cells: readonly Cell[]): GateRow[] {
  const rows: GateRow[] = [];
  for (const { test: t, before, flags } of cells) {
    const base = { test: t.fullName, before, now: t.status, expected: t.expected, outcome: t.outcome };
    if (flags.regressed) rows.push({ kind: 'REGRESSED', ...base });
    if (flags.newFailure) rows.push({ kind: 'NEW FAILURE', ...base });
    if (flags.stillFailing) rows.push({ kind: 'STILL FAILING', ...base });
    if (flags.fixed) rows.push({ kind: 'FIXED', ...base });
    if (flags.drift) rows.push({ kind: 'DRIFT', ...base });
  }
  return rows;
}

function pad(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `54 cells: 54 regressed, 27 drift` */
export function causeCounts(c: Cause): string {
  const parts = [
    c.counts.regressed ? `${c.counts.regressed} regressed` : '',
    c.counts.newFailure ? `${c.counts.newFailure} new` : '',
    c.counts.stillFailing ? `${c.counts.stillFailing} still failing` : '',
    c.counts.drift ? `${c.counts.drift} drift` : '',
  ].filter(Boolean);
  return `${plural(c.cells.length, 'cell')}: ${parts.join(', ')}`;
}

/** The test names of a cause: common prefix once, then each distinguishing part in full. */
export function causeExamples(c: Cause, max: number, width = 90): string[] {
  // the prefix is the one the shown names share, so it is as long as possible and what follows it is what differs
  const names = c.cells.slice(0, max).map((x) => redact(x.test.fullName));
  const { prefix, short: shown } = shortenTitles(names, width);
  const more = c.cells.length > max ? [`…and ${c.cells.length - max} more (--verbose lists every cell)`] : [];
  return [...(prefix ? [`${prefix}…`] : []), ...shown.map((s) => `  ${s}`), ...more];
}

function flagText(cell: Cell): string {
  const f = cell.flags;
  return [f.regressed ? 'REGRESSED' : '', f.newFailure ? 'NEW' : '', f.stillFailing ? 'STILL' : '', f.drift ? 'DRIFT' : '']
    .filter(Boolean)
    .join('+');
}

export function formatGateTable(
  result: Pick<GateResult, 'ok' | 'causes' | 'fixed' | 'total' | 'previous' | 'notes'>,
  opts: { examples?: number; verbose?: boolean } = {},
): string {
  const examples = opts.examples ?? 3;
  const prev = result.previous
    ? `compared with the run of ${result.previous.at.replace('T', ' ').slice(0, 16)} UTC${result.previous.commit ? `, commit ${result.previous.commit}` : ''}`
    : 'no previous run recorded';
  const sum = (k: keyof Cause['counts']) => result.causes.reduce((n, c) => n + c.counts[k], 0);
  const cells = result.causes.reduce((n, c) => n + c.cells.length, 0);
  const counts = [
    sum('regressed') ? `${sum('regressed')} regressed` : '',
    sum('newFailure') ? `${sum('newFailure')} new failure${sum('newFailure') === 1 ? '' : 's'}` : '',
    sum('stillFailing') ? `${sum('stillFailing')} still failing` : '',
    sum('drift') ? `${sum('drift')} drift` : '',
  ].filter(Boolean);
  const lines = [
    result.ok
      ? `GATE GREEN: no regression, no drift, nothing failing in ${result.total} tests (${prev})`
      : `GATE RED: ${plural(result.causes.length, 'cause')}, ${plural(cells, 'cell')} (${counts.join(', ')}) in ${result.total} tests (${prev})`,
  ];
  if (result.causes.length) {
    // the cause comes last and is never cut: its site and family are what tell two rows apart
    lines.push(
      ` ${pad('#', 3)} ${pad('status', 13)} ${'cells'.padStart(5)} ${'regr'.padStart(4)} ${'new'.padStart(4)} ${'still'.padStart(5)} ${'drift'.padStart(5)}  cause (category · account · site · family)`,
    );
    result.causes.forEach((c, i) => {
      lines.push(
        ` ${pad(String(i + 1), 3)} ${pad(causeStatus(c), 13)} ${String(c.cells.length).padStart(5)} ${String(c.counts.regressed).padStart(4)} ${String(c.counts.newFailure).padStart(4)} ${String(c.counts.stillFailing).padStart(5)} ${String(c.counts.drift).padStart(5)}  ${c.label}`,
      );
      lines.push(`     ${c.title}${c.drifts.length ? ` (expected → actual: ${c.drifts.slice(0, 3).join(', ')})` : ''}`);
      lines.push(`     Fix: ${c.remediation}`);
      if (opts.verbose) {
        for (const cell of c.cells)
          lines.push(
            `       ${pad(flagText(cell), 16)} ${redact(cell.test.fullName)}  ${cell.before ?? '–'} → ${cell.test.status}${cell.flags.drift ? `  ${cell.test.expected ?? '–'} → ${cell.test.outcome ?? '(none)'}` : ''}`,
          );
      } else for (const e of causeExamples(c, examples)) lines.push(`     ${e}`);
    });
  }
  if (result.fixed.length) {
    const { prefix, short } = shortenTitles(
      result.fixed.map((t) => redact(t.fullName)),
      90,
    );
    const shown = opts.verbose ? short : short.slice(0, examples);
    lines.push(
      ` FIXED (green): ${plural(result.fixed.length, 'test')} failed last run and pass now: ${prefix}${shown.join('; ')}${shown.length < short.length ? ` …and ${short.length - shown.length} more` : ''}`,
    );
  }
  for (const n of result.notes) lines.push(`note: ${n}`);
  if (!result.ok) {
    lines.push(
      'Fix: each row is one cause; its Fix line says what to do. REGRESSED/NEW FAILURE = behaviour changed; STILL FAILING = not fixed ' +
        'since the last run; DRIFT = the outcome differs from EXPECTATIONS_FILE (fix the site/app, or update the file if intended).',
    );
  }
  return lines.join('\n');
}

export async function runGate(opts: GateOptions = {}): Promise<GateResult> {
  const reportsDir = path.resolve(opts.reportsDir ?? reportsDirFromEnv());
  const resultsDir = path.resolve(opts.resultsDir ?? path.join(reportsDir, 'allure-results'));
  const { tests, unreadable } = readResults(resultsDir);
  const notes: string[] = [];
  if (unreadable.length) notes.push(`${unreadable.length} result file(s) could not be read and were skipped`);
  if (tests.length === 0) notes.push(`no test results in ${resultsDir}`);

  let trend: TrendLine[] = [];
  try {
    trend = readTrend(historyPaths(reportsDir).trend);
  } catch (e) {
    if (!(e instanceof CorruptHistoryError)) throw e;
    notes.push(`the trend history is corrupt (${e.message}); compared with nothing (npm run report moves it aside)`);
  }
  const key = resultsKey(tests);
  const previous = trend.filter((l) => l.resultsKey !== key).at(-1);

  const cells = cellsFor(tests, previous);
  const rows = rowsFor(cells);
  const causes = groupByCause(cells, causeContext(tests));
  const fixed = cells.filter((c) => c.flags.fixed).map((c) => c.test);
  const ok = tests.length > 0 && !rows.some((r) => RED.has(r.kind));
  if (tests.length === 0) notes.push('an empty run never passes the gate');
  const partial = { ok, rows, causes, fixed, total: tests.length, previous, notes };
  return { ...partial, table: formatGateTable(partial, opts) };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const i = args.indexOf('--results');
  try {
    const r = await runGate({ resultsDir: i >= 0 ? args[i + 1] : undefined, verbose: args.includes('--verbose') });
    process.stdout.write(`${r.table}\n`);
    process.exit(r.ok ? 0 : 1);
  } catch (e) {
    if (e instanceof ResultsDirError) {
      process.stderr.write(`gate: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
