/**
 * The generated Allure report opened in a real browser: it renders, its counts match the results it was built from,
 * the categories come from the shared table, and the environment block names target, versions and commit
 * (docs/reference/allure-playwright.md §1 single-file Awesome report).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CATEGORIES } from '../../fixtures/core/categories.ts';
import { expect, test } from '../../fixtures/index.ts';
import { type SyntheticTest, writeSyntheticResults } from '../../scripts/lib/synthetic.ts';
import { generateReport } from '../../scripts/report.ts';

// each test runs `allure generate` (a Node process: 2–3 s idle, far more on a busy 2-core CI box)
test.describe.configure({ timeout: 180_000 });

let dir: string;
test.beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'report-render-'));
});
test.afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const RESULTS: SyntheticTest[] = [
  ...Array.from(
    { length: 6 },
    (_, i): SyntheticTest => ({
      name: `scope ${i} granted`,
      suite: 'api.spec.ts',
      status: 'passed',
      outcome: 'granted',
      labels: { epic: 'rest' },
    }),
  ),
  {
    name: 'read:jira-work search',
    suite: 'api.spec.ts',
    status: 'failed',
    outcome: 'scope-missing',
    message: '[scope-missing] Token lacks the scope',
    labels: { epic: 'rest' },
  },
  {
    name: 'getJiraIssue with a console token',
    suite: 'mcp.spec.ts',
    status: 'failed',
    outcome: 'mcp-client-not-approved',
    message: '[mcp-client-not-approved] tool calls fail',
    labels: { epic: 'mcp' },
  },
  {
    name: 'consent driver crashed',
    suite: 'consent.spec.ts',
    status: 'broken',
    message: 'TypeError: x is undefined',
    labels: { epic: 'consent' },
  },
  { name: 'write probe skipped', suite: 'api.spec.ts', status: 'skipped', labels: { epic: 'rest' } },
];

test('report renders in the browser and its counts match the results', async ({ page }) => {
  writeSyntheticResults(path.join(dir, 'allure-results'), RESULTS);
  const r = await generateReport({ reportsDir: dir, quiet: true });
  expect(r.counts).toEqual({ total: 10, passed: 6, failed: 2, broken: 1, skipped: 1 });
  expect(r.verdictLine).toMatch(
    /^Report: .*index\.html — RED: 3 of 10 tests failed \(3 new failures\); 3 causes: mcp-client-not-approved \(1 cell\); scope-missing \(1 cell\); test-error \(1 cell\); history: 1 run$/,
  );

  await page.goto(pathToFileURL(r.reportFile).href);
  await expect(page.getByTestId('report-title')).toHaveText('Atlassian integration harness');
  await expect(page.getByTestId('metadata-item-total').getByTestId('metadata-value')).toHaveText('10');
  await expect(page.getByTestId('metadata-item-passed').getByTestId('metadata-value')).toHaveText('6');
  await expect(page.getByTestId('metadata-item-failed').getByTestId('metadata-value')).toHaveText('2');
  await expect(page.getByTestId('metadata-item-broken').getByTestId('metadata-value')).toHaveText('1');
  await expect(page.getByTestId('metadata-item-skipped').getByTestId('metadata-value')).toHaveText('1');
  // grouped by surface (epic label)
  for (const surface of ['rest', 'mcp', 'consent'])
    await expect(page.getByTestId('tree-section-title').filter({ hasText: surface })).toHaveCount(1);
});

test('report shows environment info: target, app, harness and Node versions, git commit', async ({ page }) => {
  writeSyntheticResults(path.join(dir, 'allure-results'), RESULTS.slice(0, 2));
  const r = await generateReport({ reportsDir: dir, quiet: true, environment: { Sites: 'sim-a.atlassian.net' } });
  await page.goto(pathToFileURL(r.reportFile).href);
  const vars = page.getByTestId('report-variables');
  await vars.getByText('Show more').click();
  const value = (key: string) =>
    vars
      .getByTestId('metadata-item')
      .filter({ has: page.getByTestId('metadata-item-key').getByText(key, { exact: true }) })
      .getByTestId('metadata-item-value');
  await expect(value('Target')).toHaveText(/^(sim|atlassian)/);
  await expect(value('Sites')).toHaveText('sim-a.atlassian.net');
  await expect(value('Node')).toHaveText(process.version);
  await expect(value('Harness version')).toHaveText(/^\d+\.\d+\.\d+$/);
  await expect(value('Git commit')).toHaveText(/^([0-9a-f]{12}|unknown)/);
});

test('failed tests land in one category per cause, named from the shared table with its cell count and remediation', async ({ page }) => {
  writeSyntheticResults(path.join(dir, 'allure-results'), RESULTS);
  const r = await generateReport({ reportsDir: dir, quiet: true });
  await page.goto(pathToFileURL(r.reportFile).href);
  await page.getByTestId('nav-tab-categories').click();
  for (const code of ['scope-missing', 'mcp-client-not-approved'] as const)
    await expect(
      page.getByText(`${code}: ${CATEGORIES[code].title} (1 cell). Fix: ${CATEGORIES[code].remediation}`, { exact: true }),
    ).toBeVisible();
  await expect(page.getByText('test-error: Test error (broken: the harness itself threw) (1 cell)', { exact: false })).toBeVisible();
  // passing outcomes (granted) are not a category
  await expect(page.getByText(`granted: ${CATEGORIES.granted.title}`)).toHaveCount(0);
});
