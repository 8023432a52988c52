/**
 * History across runs: three runs with a change between them show the regression in the report and its
 * trend; the history is appended atomically (a failed generation leaves it byte-for-byte unchanged), never
 * recorded twice for the same results, a corrupt history is moved aside while the report is still produced, and a
 * report step killed while it held the history lock neither blocks the next run nor costs a history line.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../../fixtures/core/config.ts';
import { expect, test } from '../../fixtures/index.ts';
import { deadLockOwner, historyPaths, LOCK_STALE_MS, lockHistory } from '../../scripts/lib/history.ts';
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
  expect(r3.verdictLine).toContain('RED: 1 of 6 tests failed (1 regressed); 1 cause: mcp-tool-error (1 cell); history: 3 runs');
  const h = historyPaths(dir);
  expect(lines(h.allure)).toBe(3);
  expect(lines(h.trend)).toBe(3);

  // Allure computed the transition itself from the history we carried: only the regressed test passes the filter
  await page.goto(`${pathToFileURL(r3.reportFile).href}?transition=regressed`);
  await expect(page.getByTestId('tree-leaf')).toHaveCount(1);
  await expect(page.getByTestId('tree-leaf')).toContainText('test 2');
  // the long-term trend (every run, from trend.jsonl: a table and a chart) and the two matrices ride along as global attachments
  await expect(page.getByTestId('nav-tab-globalAttachments').getByTestId('counter')).toHaveText('4');

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

test('a report step killed while holding the history lock: the next run recovers at once and loses no history line', async () => {
  await run(() => false);
  await run((i) => i === 1);
  const h = historyPaths(dir);
  const before = { trend: readFileSync(h.trend, 'utf8'), allure: readFileSync(h.allure, 'utf8') };
  // a real report step's lock, then killed (SIGKILL: no cleanup) with a half-written temp file beside the history
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `const h = await import(${JSON.stringify(path.join(ROOT, 'scripts', 'lib', 'history.ts'))});
       await h.lockHistory(${JSON.stringify(h.dir)});
       (await import('node:fs')).writeFileSync(${JSON.stringify(path.join(h.dir, `.trend.jsonl.tmp-${process.pid}-1`))}, '{"v":1,"cut off');
       process.stdout.write('locked\\n');
       setInterval(() => {}, 1000);`,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the child never took the lock')), 30_000);
    child.once('exit', (code) => reject(new Error(`the child exited (${code}) before it took the lock`)));
    child.stdout!.on('data', (b: Buffer) => {
      if (b.toString().includes('locked')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  child.kill('SIGKILL');
  // temp files of a picture and of the CI summary, as atomicWrite leaves them when killed between write and rename
  writeFileSync(path.join(dir, 'pictures', '.trend.svg.tmp-1-2-abc'), '<svg');
  writeFileSync(path.join(dir, '.summary.md.tmp-1-2-abc'), '### RED');
  await new Promise((r) => child.once('exit', r));
  expect(existsSync(`${h.dir}.lock`)).toBe(true);

  const r = await run((i) => i === 1 || i === 2);
  // the lock was taken over at once (not after the 15 s stale time), the temp file removed
  expect(r.durationMs - r.allureMs).toBeLessThan(LOCK_STALE_MS / 3);
  expect(r.recovered).toEqual([
    expect.stringMatching(/^lock of process \d+/),
    expect.stringMatching(/^temp file \.trend\.jsonl\.tmp-/),
    'temp file pictures/.trend.svg.tmp-1-2-abc',
    'temp file .summary.md.tmp-1-2-abc',
  ]);
  for (const d of [h.dir, path.join(dir, 'pictures'), dir]) expect(readdirSync(d).filter((f) => f.includes('.tmp-'))).toEqual([]);
  expect(existsSync(`${h.dir}.lock`)).toBe(false);
  // history intact: the old lines byte for byte, plus this run
  const trend = readFileSync(h.trend, 'utf8');
  expect(trend.startsWith(before.trend)).toBe(true);
  expect(lines(h.trend)).toBe(3);
  expect(lines(h.allure)).toBe(3);
  expect(readFileSync(h.allure, 'utf8').split('\n').slice(0, 2).join('\n')).toBe(before.allure.split('\n').slice(0, 2).join('\n'));
});

test('a lock held by a live report step is waited for, not stolen', async () => {
  const h = historyPaths(dir);
  const held = await lockHistory(h.dir);
  try {
    expect(deadLockOwner(h.dir)).toBeUndefined();
    const second = lockHistory(h.dir);
    const state = await Promise.race([second.then(() => 'acquired'), new Promise((r) => setTimeout(() => r('waiting'), 1500))]);
    expect(state).toBe('waiting');
    await held.release();
    const got = await second;
    await got.release();
  } finally {
    await held.release().catch(() => {});
  }
});
