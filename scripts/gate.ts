/**
 * `npm run gate`: the CI quality gate. Red (exit 1) when
 *   - a test that passed in the previous run fails now (REGRESSED), or a test with no previous result fails (NEW FAILURE);
 *   - a test's observed outcome differs from what the expectations file predicts (DRIFT): tests carry the Allure labels
 *     `outcome` (the category code observed, fixtures/core/evidence.ts labelOutcome) and `expected` (from the expectations
 *     file; `a|b` allows either), and a test with `expected` but no `outcome` is a drift too.
 * A test that failed last time and still fails is listed but does not turn the gate red (nothing changed).
 * "Previous run" = the last run in <reportsDir>/history/trend.jsonl with different results (scripts/report.ts
 * records each run there), so the gate gives the same answer before or after the report step.
 *
 * Allure's own `quality-gate` (maxFailures, successRate, …) cannot express "passed last time" or expectations
 * drift, hence this script.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { redact } from '../fixtures/core/redact.ts';
import { CorruptHistoryError, historyPaths, readTrend, statusOf, type TrendLine } from './lib/history.ts';
import { reportsDirFromEnv } from './lib/paths.ts';
import { type AllureStatus, isFailure, ResultsDirError, readResults, resultsKey } from './lib/results.ts';

export type GateKind = 'REGRESSED' | 'NEW FAILURE' | 'DRIFT' | 'still failing' | 'fixed';
const RED: ReadonlySet<GateKind> = new Set(['REGRESSED', 'NEW FAILURE', 'DRIFT']);

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
  /** max rows printed per kind (default 15) */
  maxRows?: number;
}

export interface GateResult {
  ok: boolean;
  rows: GateRow[];
  /** the table as printed */
  table: string;
  total: number;
  previous?: TrendLine;
  notes: string[];
}

function matchesExpected(expected: string, outcome: string | undefined): boolean {
  return (
    outcome !== undefined &&
    expected
      .split('|')
      .map((s) => s.trim())
      .includes(outcome)
  );
}

function cell(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

export function formatGateTable(result: Pick<GateResult, 'ok' | 'rows' | 'total' | 'previous' | 'notes'>, maxRows = 15): string {
  const red = result.rows.filter((r) => RED.has(r.kind));
  const prev = result.previous
    ? `compared with the run of ${result.previous.at.replace('T', ' ').slice(0, 16)} UTC${result.previous.commit ? `, commit ${result.previous.commit}` : ''}`
    : 'no previous run recorded';
  const counts = (['REGRESSED', 'NEW FAILURE', 'DRIFT'] as const)
    .map((k) => [k, red.filter((r) => r.kind === k).length] as const)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k.toLowerCase()}`);
  const lines = [
    `GATE ${result.ok ? 'GREEN' : 'RED'}: ${result.ok ? 'no regression, no drift' : counts.join(', ')} in ${result.total} tests (${prev})`,
  ];
  if (result.rows.length) {
    lines.push(` ${cell('result', 13)} ${cell('test', 58)} ${cell('was', 7)} ${cell('now', 7)} expected → actual`);
    const order: GateKind[] = ['REGRESSED', 'NEW FAILURE', 'DRIFT', 'still failing', 'fixed'];
    for (const kind of order) {
      const rows = result.rows.filter((r) => r.kind === kind);
      for (const r of rows.slice(0, maxRows)) {
        const exp = r.expected !== undefined || r.outcome !== undefined ? `${r.expected ?? '–'} → ${r.outcome ?? '(none)'}` : '';
        lines.push(` ${cell(r.kind, 13)} ${cell(redact(r.test), 58)} ${cell(r.before ?? '–', 7)} ${cell(r.now, 7)} ${exp}`.trimEnd());
      }
      if (rows.length > maxRows) lines.push(` ${cell(kind, 13)} …and ${rows.length - maxRows} more (see the report)`);
    }
  }
  for (const n of result.notes) lines.push(`note: ${n}`);
  if (!result.ok) {
    lines.push(
      'Fix: REGRESSED/NEW FAILURE = behaviour changed; open the report (its category shows the remediation). ' +
        'DRIFT = the outcome differs from EXPECTATIONS_FILE; fix the site/app, or update the file if the new outcome is intended.',
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

  const rows: GateRow[] = [];
  for (const t of tests) {
    const before = previous ? statusOf(previous, t.historyId) : undefined;
    const base = { test: t.fullName, before, now: t.status, expected: t.expected, outcome: t.outcome };
    if (isFailure(t.status)) {
      if (before === undefined) rows.push({ kind: 'NEW FAILURE', ...base });
      else if (before === 'passed') rows.push({ kind: 'REGRESSED', ...base });
      else if (isFailure(before)) rows.push({ kind: 'still failing', ...base });
    } else if (before !== undefined && isFailure(before) && t.status === 'passed') rows.push({ kind: 'fixed', ...base });
    if (t.expected !== undefined && !matchesExpected(t.expected, t.outcome)) rows.push({ kind: 'DRIFT', ...base });
  }
  const ok = tests.length > 0 && !rows.some((r) => RED.has(r.kind));
  if (tests.length === 0) notes.push('an empty run never passes the gate');
  const partial = { ok, rows, total: tests.length, previous, notes };
  return { ...partial, table: formatGateTable(partial, opts.maxRows) };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const i = args.indexOf('--results');
  try {
    const r = await runGate({ resultsDir: i >= 0 ? args[i + 1] : undefined });
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
