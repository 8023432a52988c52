/**
 * The quality gate (issue 7): green when nothing changed, red for a new failure (a test that passed last run fails
 * now, or a failing test with no previous result), red for a drift between the `outcome` and `expected` labels.
 * The previous run is what scripts/report.ts records in history/trend.jsonl; here it is recorded the same way.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../../fixtures/core/config.ts';
import { expect, test } from '../../fixtures/index.ts';
import { runGate } from '../../scripts/gate.ts';
import { appendTrend, historyPaths, trendLineFor } from '../../scripts/lib/history.ts';
import { readResults, resultsKey } from '../../scripts/lib/results.ts';
import { manyTests, type SyntheticTest, writeSyntheticResults } from '../../scripts/lib/synthetic.ts';

let dir: string;
test.beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'report-gate-'));
});
test.afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Record `tests` as the previous run (what report.ts appends), then write `now` as the current results. */
function previousThenNow(previous: SyntheticTest[], now: SyntheticTest[]): void {
  const prevDir = path.join(dir, 'previous-results');
  writeSyntheticResults(prevDir, previous);
  const { tests } = readResults(prevDir);
  appendTrend(historyPaths(dir).trend, trendLineFor(tests, 'run-1', resultsKey(tests), 'abc123'));
  writeSyntheticResults(path.join(dir, 'allure-results'), now);
}

test('gate is green when nothing changed since the last run', async () => {
  const same = manyTests(8, (i) => i === 5);
  previousThenNow(same, same);
  const r = await runGate({ reportsDir: dir });
  expect(r.ok).toBe(true);
  expect(r.table.split('\n')[0]).toMatch(
    /^GATE GREEN: no regression, no drift in 8 tests \(compared with the run of .* UTC, commit abc123\)$/,
  );
  // a failure that was already failing is listed, not red
  expect(r.rows.map((x) => [x.kind, x.test])).toEqual([['still failing', 'suite5.spec.ts › test 5']]);
});

test('gate is red when a test that passed last run fails now', async () => {
  previousThenNow(
    manyTests(8),
    manyTests(8, (i) => i === 3),
  );
  const r = await runGate({ reportsDir: dir });
  expect(r.ok).toBe(false);
  expect(r.rows.map((x) => [x.kind, x.test, x.before, x.now])).toEqual([['REGRESSED', 'suite3.spec.ts › test 3', 'passed', 'failed']]);
  expect(r.table).toMatch(/^GATE RED: 1 regressed in 8 tests/);
  expect(r.table).toMatch(/REGRESSED\s+suite3\.spec\.ts › test 3\s+passed\s+failed\s+– → mcp-tool-error/);
});

test('gate is red for a failing test that has no previous result', async () => {
  const added: SyntheticTest = { name: 'new probe', suite: 'api.spec.ts', status: 'failed', outcome: 'scope-missing' };
  previousThenNow(manyTests(4), [...manyTests(4), added]);
  const r = await runGate({ reportsDir: dir });
  expect(r.ok).toBe(false);
  expect(r.rows.map((x) => [x.kind, x.test])).toEqual([['NEW FAILURE', 'api.spec.ts › new probe']]);
});

test('gate is red when an outcome drifts from the expectations, green when it matches one of the alternatives', async () => {
  const base = manyTests(3);
  const now: SyntheticTest[] = [
    ...base,
    { name: 'member consent', suite: 'consent.spec.ts', status: 'passed', expected: 'admin-must-authorize', outcome: 'granted' },
    { name: 'no outcome recorded', suite: 'api.spec.ts', status: 'passed', expected: 'granted' },
    { name: 'either is fine', suite: 'api.spec.ts', status: 'passed', expected: 'granted|permission-denied', outcome: 'permission-denied' },
  ];
  previousThenNow(now, now);
  const r = await runGate({ reportsDir: dir });
  expect(r.ok).toBe(false);
  expect(r.rows.map((x) => [x.kind, x.test, x.expected, x.outcome])).toEqual([
    ['DRIFT', 'api.spec.ts › no outcome recorded', 'granted', undefined],
    ['DRIFT', 'consent.spec.ts › member consent', 'admin-must-authorize', 'granted'],
  ]);
  expect(r.table).toMatch(/^GATE RED: 2 drift in 6 tests/);
  expect(r.table).toContain('admin-must-authorize → granted');
  expect(r.table).toContain('granted → (none)');
});

test('npm run gate exits 1 with the table on a regression and 0 when unchanged', async () => {
  previousThenNow(
    manyTests(5),
    manyTests(5, (i) => i === 4),
  );
  const gate = () =>
    spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'gate.ts')], {
      cwd: ROOT,
      env: { ...process.env, HARNESS_REPORTS_DIR: dir },
      encoding: 'utf8',
    });
  const red = gate();
  expect(red.status, red.stderr).toBe(1);
  expect(red.stdout).toMatch(/^GATE RED: 1 regressed in 5 tests/);
  expect(red.stdout).toContain('suite4.spec.ts › test 4');

  rmSync(historyPaths(dir).trend);
  previousThenNow(
    manyTests(5, (i) => i === 4),
    [],
  );
  const green = gate();
  expect(green.status, green.stdout).toBe(0);
  expect(green.stdout).toMatch(/^GATE GREEN/);
});
