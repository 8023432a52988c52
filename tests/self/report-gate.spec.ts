/**
 * The quality gate: green only when nothing fails and nothing drifts; red for a regression (passed last run, fails
 * now), a new failure (no previous result, or skipped last run), a test still failing since the last run, and a drift
 * between the `outcome` and `expected` labels. The previous run is what scripts/report.ts records in
 * history/trend.jsonl; here it is recorded the same way.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CATEGORIES } from '../../fixtures/core/categories.ts';
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

test('gate is green when nothing changed since the last run and nothing fails', async () => {
  const same = manyTests(8);
  previousThenNow(same, same);
  const r = await runGate({ reportsDir: dir });
  expect(r.ok).toBe(true);
  expect(r.table.split('\n')[0]).toMatch(
    /^GATE GREEN: no regression, no drift, nothing failing in 8 tests \(compared with the run of .* UTC, commit abc123\)$/,
  );
  expect(r.rows).toEqual([]);
});

test('a test still failing since the last run keeps the gate red (STILL FAILING)', async () => {
  const same = manyTests(8, (i) => i === 5);
  previousThenNow(same, same);
  const r = await runGate({ reportsDir: dir });
  expect(r.ok).toBe(false);
  expect(r.rows.map((x) => [x.kind, x.test])).toEqual([['STILL FAILING', 'suite5.spec.ts › test 5']]);
  expect(r.table).toMatch(/^GATE RED: 1 cause, 1 cell \(1 still failing\) in 8 tests/);
  expect(r.table).toMatch(/STILL FAILING\s+1\s+0\s+0\s+1\s+0 {2}mcp-tool-error$/m);
});

test('a test skipped last run and failing now turns the gate red (NEW FAILURE)', async () => {
  previousThenNow(
    manyTests(6).map((t, i) => (i === 2 ? { ...t, status: 'skipped' } : t)),
    manyTests(6, (i) => i === 2),
  );
  const r = await runGate({ reportsDir: dir });
  expect(r.ok).toBe(false);
  expect(r.rows.map((x) => [x.kind, x.test, x.before])).toEqual([['NEW FAILURE', 'suite2.spec.ts › test 2', 'skipped']]);
  expect(r.table).toMatch(/^GATE RED: 1 cause, 1 cell \(1 new failure\) in 6 tests/);
});

test('gate is red when a test that passed last run fails now', async () => {
  previousThenNow(
    manyTests(8),
    manyTests(8, (i) => i === 3),
  );
  const r = await runGate({ reportsDir: dir });
  expect(r.ok).toBe(false);
  expect(r.rows.map((x) => [x.kind, x.test, x.before, x.now])).toEqual([['REGRESSED', 'suite3.spec.ts › test 3', 'passed', 'failed']]);
  expect(r.table).toMatch(/^GATE RED: 1 cause, 1 cell \(1 regressed\) in 8 tests/);
  expect(r.table).toMatch(/REGRESSED\s+1\s+1\s+0\s+0\s+0 {2}mcp-tool-error$/m);
  expect(r.table).toContain('suite3.spec.ts › test 3');
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
  expect(r.table).toMatch(/^GATE RED: 2 causes, 2 cells \(2 drift\) in 6 tests/);
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
  expect(red.stdout).toMatch(/^GATE RED: 1 cause, 1 cell \(1 regressed\) in 5 tests/);
  expect(red.stdout).toContain('suite4.spec.ts › test 4');

  // next night the test passes again: FIXED, green, exit 0
  rmSync(historyPaths(dir).trend);
  rmSync(path.join(dir, 'allure-results'), { recursive: true });
  previousThenNow(
    manyTests(5, (i) => i === 4),
    manyTests(5),
  );
  const green = gate();
  expect(green.status, green.stdout).toBe(0);
  expect(green.stdout).toMatch(/^GATE GREEN/);
  expect(green.stdout).toContain('FIXED (green): 1 test failed last run and pass now: suite4.spec.ts › test 4');
});

/** Nights in a row: each night's results are recorded in trend.jsonl (as report.ts does) after the gate ran on them. */
async function nights(...runs: SyntheticTest[][]) {
  const out: Awaited<ReturnType<typeof runGate>>[] = [];
  for (const [i, now] of runs.entries()) {
    const results = path.join(dir, 'allure-results');
    rmSync(results, { recursive: true, force: true });
    writeSyntheticResults(results, now);
    out.push(await runGate({ reportsDir: dir }));
    const { tests } = readResults(results);
    appendTrend(historyPaths(dir).trend, trendLineFor(tests, `night-${i}`, resultsKey(tests)));
  }
  return out;
}

test('multi-night: skipped → failed → still failed → fixed is red, red, red, then green with FIXED', async () => {
  const night = (status: SyntheticTest['status']) => manyTests(5).map((t, i) => (i === 1 ? { ...t, status } : t));
  const [n1, n2, n3, n4] = await nights(night('skipped'), night('failed'), night('failed'), night('passed'));
  expect(n1!.ok, n1!.table).toBe(true);
  expect([n2!.ok, n2!.rows.map((r) => r.kind)]).toEqual([false, ['NEW FAILURE']]);
  expect([n3!.ok, n3!.rows.map((r) => r.kind)]).toEqual([false, ['STILL FAILING']]);
  expect([n4!.ok, n4!.rows.map((r) => r.kind)]).toEqual([true, ['FIXED']]);
  expect(n4!.table).toMatch(/FIXED \(green\): 1 test failed last run and pass now: suite1\.spec\.ts › test 1/);
});

test('multi-night: a blocked consent skips an account, the next night an outage fails it: red, not "all match"', async () => {
  const mcp = (status: SyntheticTest['status'], outcome?: string): SyntheticTest[] =>
    ['getJiraIssue', 'searchJiraIssuesUsingJql', 'getConfluencePage'].map((tool) => ({
      name: `${tool} as member (api-token)`,
      suite: 'mcp/tools-call.spec.ts',
      status,
      outcome,
      labels: { tool, account: 'member', authMode: 'api-token' },
    }));
  const consent = (status: SyntheticTest['status'], outcome: string): SyntheticTest => ({
    name: 'member gets a stored token for the app',
    suite: 'consent/accounts.setup.ts',
    status,
    outcome,
    labels: { account: 'member' },
  });
  const [green, blocked, outage] = await nights(
    [consent('passed', 'granted'), ...mcp('passed', 'granted')],
    [consent('failed', 'login-failed'), ...mcp('skipped')],
    [consent('passed', 'granted'), ...mcp('failed', 'api-token-disabled')],
  );
  expect(green!.ok).toBe(true);
  expect(blocked!.ok).toBe(false);
  expect(outage!.ok, outage!.table).toBe(false);
  // one cause (the auth mode is off), three cells, each a new failure after a skipped night
  expect(outage!.causes.map((c) => [c.label, c.cells.length, c.counts.newFailure])).toEqual([
    ['api-token-disabled · member · auth api-token', 3, 3],
  ]);
});

test('the blocked-site world: one cause row for the member on that site, REGRESSED and DRIFT as columns, titles kept whole', async () => {
  const scopes = Array.from({ length: 27 }, (_, i) => `read:${['jira-work', 'confluence-content.all', 'jira-user'][i % 3]}-${i}`);
  const cell = (account: string, site: string, scope: string, broken: boolean): SyntheticTest => ({
    name: `${account} gets granted for ${scope} on ${site}`,
    suite: `api/scopes.spec.ts › ${account} scopes`,
    status: broken ? 'failed' : 'passed',
    outcome: broken ? 'admin-must-authorize' : 'granted',
    expected: 'granted',
    parameters: { account, site, scope, cloudId: `${site}-cloud-id` },
  });
  const world = (blocked: boolean) => [
    ...['member', 'admin'].flatMap((a) =>
      ['acme', 'globex'].flatMap((s) => scopes.map((sc) => cell(a, s, sc, blocked && a === 'member' && s === 'globex'))),
    ),
    {
      name: 'getJiraIssue as admin',
      suite: 'mcp/tools-call.spec.ts',
      status: blocked ? 'failed' : 'passed',
      outcome: blocked ? 'mcp-tool-error' : 'granted',
      labels: { tool: 'getJiraIssue', account: 'admin' },
    } satisfies SyntheticTest,
  ];
  previousThenNow(world(false), world(true));
  const r = await runGate({ reportsDir: dir });
  expect(r.ok).toBe(false);
  expect(r.causes.map((c) => [c.label, c.cells.length, c.counts])).toEqual([
    ['admin-must-authorize · member · globex', 27, { regressed: 27, newFailure: 0, stillFailing: 0, drift: 27 }],
    ['mcp-tool-error · admin · jira', 1, { regressed: 1, newFailure: 0, stillFailing: 0, drift: 0 }],
  ]);
  const lines = r.table.split('\n');
  expect(lines[0]).toMatch(/^GATE RED: 2 causes, 28 cells \(28 regressed, 27 drift\) in 109 tests/);
  // one row per cause, not one per cell, and never a second row for the drift of the same cells
  expect(lines.filter((l) => /^ \d+\s/.test(l))).toHaveLength(2);
  expect(lines.filter((l) => l.includes('admin-must-authorize · member · globex'))).toHaveLength(1);
  // the remediation once; the common prefix once, then the distinguishing part (scope and site) in full
  expect(r.table.split(CATEGORIES['admin-must-authorize'].remediation)).toHaveLength(2);
  expect(r.table).toContain('     api/scopes.spec.ts › member scopes › member gets granted for …\n');
  const examples = lines.filter((l) => /^ {7}read:/.test(l)).map((l) => l.trim());
  expect(examples).toHaveLength(3);
  for (const e of examples) expect(scopes.map((sc) => `${sc} on globex`)).toContain(e);
  expect(r.table).toContain('…and 24 more (--verbose lists every cell)');

  const verbose = await runGate({ reportsDir: dir, verbose: true });
  for (const sc of scopes)
    expect(verbose.table).toContain(`member gets granted for ${sc} on globex  passed → failed  granted → admin-must-authorize`);
  expect(verbose.table).toContain('REGRESSED+DRIFT');
});
