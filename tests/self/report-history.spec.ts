/**
 * History across runs (issue 7): three runs with a change between them show the regression in the report and its
 * trend; the history is appended atomically (a failed generation leaves it byte-for-byte unchanged), never
 * recorded twice for the same results, and a corrupt history is moved aside while the report is still produced.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, test } from '../../fixtures/index.ts';
import { historyPaths } from '../../scripts/lib/history.ts';
import { manyTests, writeSyntheticResults } from '../../scripts/lib/synthetic.ts';
import { generateReport } from '../../scripts/report.ts';
import { scanSecrets } from '../../scripts/scan-secrets.ts';

// several `allure generate` runs per test (2–3 s each idle, far more on a busy 2-core box)
test.describe.configure({ timeout: 300_000 });

let dir: string;
test.beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'report-history-'));
});
test.afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function run(failing: (i: number) => boolean, n = 6) {
  const results = path.join(dir, 'allure-results');
  rmSync(results, { recursive: true, force: true });
  writeSyntheticResults(results, manyTests(n, failing));
  return generateReport({ reportsDir: dir, quiet: true });
}

const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim()).length;

test('three runs with a regression in the third: the report marks it regressed and the trend shows it', async ({ page }, testInfo) => {
  const r1 = await run(() => false);
  const r2 = await run(() => false);
  const r3 = await run((i) => i === 2);
  expect([r1.historyRuns, r2.historyRuns, r3.historyRuns]).toEqual([1, 2, 3]);
  expect(r2.changes.regressed).toEqual([]);
  expect(r3.changes.regressed.map((t) => t.name)).toEqual(['test 2']);
  expect(r3.verdictLine).toContain('RED: 1 of 6 tests failed (1 regressed); history: 3 runs');
  const h = historyPaths(dir);
  expect(lines(h.allure)).toBe(3);
  expect(lines(h.trend)).toBe(3);

  // Allure computed the transition itself from the history we carried: only the regressed test passes the filter
  await page.goto(`${pathToFileURL(r3.reportFile).href}?transition=regressed`);
  await expect(page.getByTestId('tree-leaf')).toHaveCount(1);
  await expect(page.getByTestId('tree-leaf')).toContainText('test 2');
  // the long-term trend (every run, from trend.jsonl) rides along as a global attachment
  await expect(page.getByTestId('nav-tab-globalAttachments').getByTestId('counter')).toHaveText('1');

  await page.goto(pathToFileURL(r3.reportFile).href);
  await page.getByRole('button', { name: 'Report' }).click();
  await page.getByText('Graphs', { exact: true }).click();
  await expect(page.getByText('Status dynamics')).toBeVisible();
  const shot = path.join(dir, 'trend.png');
  await page.screenshot({ path: shot, fullPage: true });
  const scan = await scanSecrets({ roots: [shot, r3.reportFile] });
  expect(scan.findings).toEqual([]);
  await testInfo.attach('report graphs after three runs', { path: shot, contentType: 'image/png' });
});

test('regenerating the report from the same results does not record the run twice', async () => {
  await run(() => false);
  const second = await run((i) => i === 1);
  const again = await generateReport({ reportsDir: dir, quiet: true });
  expect(again.alreadyRecorded).toBe(true);
  expect(again.historyRuns).toBe(2);
  // still compared with the run before, not with itself
  expect(again.changes.regressed.map((t) => t.name)).toEqual(second.changes.regressed.map((t) => t.name));
  expect(again.changes.regressed).toHaveLength(1);
  const h = historyPaths(dir);
  expect(lines(h.allure)).toBe(2);
  expect(lines(h.trend)).toBe(2);
});

test('a failed report generation leaves the history byte-for-byte unchanged', async () => {
  await run(() => false);
  const h = historyPaths(dir);
  const before = { allure: readFileSync(h.allure), trend: readFileSync(h.trend) };
  writeSyntheticResults(
    path.join(dir, 'allure-results'),
    manyTests(3, () => true),
  );
  const notADir = path.join(dir, 'not-a-dir');
  writeFileSync(notADir, 'x');
  await expect(generateReport({ reportsDir: dir, outputDir: notADir, quiet: true })).rejects.toThrow(
    /allure generate failed .*history was left unchanged/,
  );
  expect(readFileSync(h.allure).equals(before.allure)).toBe(true);
  expect(readFileSync(h.trend).equals(before.trend)).toBe(true);
  expect(readdirSync(h.dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
});

test('a corrupt history is moved aside with a clear message and the report is still produced', async () => {
  await run(() => false);
  const h = historyPaths(dir);
  writeFileSync(h.allure, `${readFileSync(h.allure, 'utf8')}{"uuid": "cut off in the mid`);
  writeFileSync(h.trend, 'not json at all\n');
  const stderr: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  let r: Awaited<ReturnType<typeof generateReport>>;
  try {
    r = await run((i) => i === 0);
  } finally {
    process.stderr.write = write;
  }
  expect(r.movedAside).toHaveLength(2);
  for (const moved of r.movedAside) expect(existsSync(moved)).toBe(true);
  expect(stderr.join('')).toMatch(
    /allure-history\.jsonl is corrupt \(line 2: not JSON.*moved it aside to .*allure-history\.jsonl\.corrupt-/,
  );
  expect(stderr.join('')).toMatch(/trend\.jsonl is corrupt \(line 1: not JSON/);
  expect(existsSync(r.reportFile)).toBe(true);
  expect(r.historyRuns).toBe(1);
  expect(lines(h.allure)).toBe(1);
  expect(lines(h.trend)).toBe(1);
});
