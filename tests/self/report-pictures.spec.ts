/**
 * The pictures and the report in a real browser, opened with file:// as a person opening an attachment would:
 * no request leaves the machine (Allure's analytics tag is gone), no console error, and the numbers drawn are the
 * numbers the results hold (cells counted by colour, nights counted on the trend). The same grouping by cause names
 * the report's categories.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from '@playwright/test';
import { expect, test } from '../../fixtures/index.ts';
import { historyPaths, type TrendLine } from '../../scripts/lib/history.ts';
import { CELL_COLOURS } from '../../scripts/lib/pictures.ts';
import { type SyntheticTest, writeSyntheticResults } from '../../scripts/lib/synthetic.ts';
import { generateReport } from '../../scripts/report.ts';

test.describe.configure({ timeout: 180_000 });

let dir: string;
test.beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'report-pictures-'));
});
test.afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const SCOPES = ['read:jira-work', 'read:jira-user', 'read:confluence-content.all', 'write:jira-work'];
/** member on globex is blocked (admin-must-authorize) and one probe of admin on acme is not probeable (skipped) */
function world(): SyntheticTest[] {
  const out: SyntheticTest[] = [];
  for (const account of ['member', 'admin'])
    for (const site of ['acme', 'globex'])
      for (const scope of SCOPES) {
        const blocked = account === 'member' && site === 'globex';
        const skipped = account === 'admin' && site === 'acme' && scope === 'write:jira-work';
        out.push({
          name: `${account} gets granted for ${scope} on ${site}`,
          suite: `api/scopes.spec.ts › ${account} scopes`,
          status: blocked ? 'failed' : skipped ? 'skipped' : 'passed',
          outcome: blocked ? 'admin-must-authorize' : skipped ? 'not-probeable' : 'granted',
          expected: skipped ? 'not-probeable' : 'granted',
          parameters: { account, site, scope, cloudId: `${site}-id` },
          attachments: [
            {
              name: `evidence: ${scope} on ${site}`,
              type: 'application/vnd.harness.evidence+json',
              body: JSON.stringify({ surface: 'rest', operation: 'GET /rest/api/3/myself', status: blocked ? 403 : 200, traceId: 'tr-1' }),
            },
          ],
        });
      }
  for (const tool of ['getJiraIssue', 'getConfluencePage', 'searchJiraIssuesUsingJql'])
    for (const authMode of ['oauth-mcp', 'api-token'])
      out.push({
        name: `${tool} as member (${authMode})`,
        suite: 'mcp/tools-call.spec.ts',
        status: authMode === 'api-token' ? 'failed' : 'passed',
        outcome: authMode === 'api-token' ? 'api-token-disabled' : 'granted',
        labels: { tool, account: 'member', authMode },
      });
  return out;
}

/** 400 nights of trend.jsonl, every 7th red with a top cause, as report.ts records them */
function yearOfNights(): { red: number } {
  const lines: string[] = [];
  let red = 0;
  for (let i = 0; i < 400; i++) {
    const failed = i % 7 === 3 ? 5 : 0;
    if (failed) red++;
    const line: TrendLine = {
      v: 1,
      run: `night-${i}`,
      at: new Date(Date.UTC(2025, 9, 1) + i * 86_400_000).toISOString(),
      resultsKey: `k${i}`,
      counts: { total: 100, passed: 100 - failed, failed, broken: 0, skipped: 0 },
      categories: failed ? { 'admin-must-authorize': 4, 'server-error': 1 } : {},
      topCause: failed ? `admin-must-authorize · member · globex (4 cells) night ${i}` : undefined,
      tests: {},
    };
    lines.push(JSON.stringify(line));
  }
  mkdirSync(historyPaths(dir).dir, { recursive: true });
  writeFileSync(historyPaths(dir).trend, `${lines.join('\n')}\n`);
  return { red };
}

/** Everything a page asks for over the network, and its console errors. */
function watch(page: Page): { requests: string[]; errors: string[] } {
  const seen = { requests: [] as string[], errors: [] as string[] };
  page.on('request', (r) => {
    if (!/^(file|data|blob|about):/.test(r.url())) seen.requests.push(r.url());
  });
  page.on('console', (m) => {
    if (m.type() === 'error') seen.errors.push(m.text());
  });
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  return seen;
}

async function countByColour(page: Page): Promise<Record<string, number>> {
  return page.locator('rect.cell').evaluateAll((rects) => {
    const out: Record<string, number> = {};
    for (const r of rects) {
      const fill = r.getAttribute('fill') ?? '';
      out[fill] = (out[fill] ?? 0) + 1;
    }
    return out;
  });
}

test('the report opens from file:// with zero network requests, no console error, and one category per cause', async ({ page }) => {
  writeSyntheticResults(path.join(dir, 'allure-results'), world());
  const r = await generateReport({ reportsDir: dir, quiet: true });
  expect(r.causes.map((c) => [c.label, c.cells.length])).toEqual([
    ['admin-must-authorize · member · globex', 4],
    ['api-token-disabled · member · auth api-token', 3],
  ]);
  const seen = watch(page);
  await page.goto(pathToFileURL(r.reportFile).href);
  await expect(page.getByTestId('metadata-item-total').getByTestId('metadata-value')).toHaveText('22');
  await expect(page.getByTestId('metadata-item-failed').getByTestId('metadata-value')).toHaveText('7');
  await page.getByTestId('nav-tab-categories').click();
  await expect(
    page.getByText('admin-must-authorize · member · globex: Site admin must authorize this app (4 cells)', { exact: false }),
  ).toBeVisible();
  await expect(page.getByText('api-token-disabled · member · auth api-token', { exact: false }).first()).toBeVisible();
  await expect(page.getByTestId('nav-tab-globalAttachments').getByTestId('counter')).toHaveText('4');
  await page.getByTestId('nav-tab-globalAttachments').click();
  for (const name of ['scope-site-matrix.html', 'mcp-matrix.html', 'trend.svg', 'long-term-trend.md'])
    await expect(page.getByText(name, { exact: true })).toBeVisible();
  expect(seen.requests).toEqual([]);
  expect(seen.errors).toEqual([]);
});

test('each picture opens offline and shows the numbers the results hold', async ({ page }) => {
  writeSyntheticResults(path.join(dir, 'allure-results'), world());
  const { red } = yearOfNights();
  const r = await generateReport({ reportsDir: dir, quiet: true });
  const seen = watch(page);

  // scope × site per account: 2 accounts × 4 scopes × 2 sites; member on globex red, one skipped cell
  await page.goto(pathToFileURL(r.pictures.scopeSite).href);
  await expect(page.locator('h2', { hasText: 'scope × site' })).toHaveCount(2);
  expect(await countByColour(page)).toEqual({ [CELL_COLOURS.pass]: 11, [CELL_COLOURS.fail]: 4, [CELL_COLOURS.skip]: 1 });
  await expect(page.locator('[data-count="fail"]')).toHaveText('4');
  const blocked = page.locator('rect.cell[data-state="fail"]').first();
  await expect(blocked.locator('title')).toHaveText(
    /member gets granted for .* on globex\nfailed; outcome admin-must-authorize, expected granted\nGET \/rest\/api\/3\/myself → HTTP 403, atl-traceid tr-1\nevidence: /,
  );
  expect(await page.locator('a:has(rect.cell)').first().getAttribute('href')).toMatch(/^\.\.\/allure-results\/[0-9a-f-]+-attachment$/);
  await expect(page.getByText('admin-must-authorize: Site admin must authorize this app')).toBeVisible();

  // MCP tool × endpoint × auth mode: 3 tools × 2 auth modes, the api-token column red
  await page.goto(pathToFileURL(r.pictures.mcp).href);
  expect(await countByColour(page)).toEqual({ [CELL_COLOURS.pass]: 3, [CELL_COLOURS.fail]: 3 });

  // trend: every night (400 recorded + this run), red nights marked, each with its top cause on hover
  await page.goto(pathToFileURL(r.pictures.trend).href);
  await expect(page.locator('g.night')).toHaveCount(401);
  await expect(page.locator('g.night[data-red="true"]')).toHaveCount(red + 1);
  await expect(page.locator('g.night').nth(3).locator('title')).toHaveText(
    /5 failed\ntop cause: admin-must-authorize · member · globex \(4 cells\) night 3$/,
  );
  await expect(page.locator('g.night').last().locator('title')).toHaveText(
    /top cause: admin-must-authorize · member · globex \(4 cells\)$/,
  );

  expect(seen.requests).toEqual([]);
  expect(seen.errors).toEqual([]);
});

test('the CI job summary is a Markdown table of causes and matrices', async () => {
  writeSyntheticResults(path.join(dir, 'allure-results'), world());
  const r = await generateReport({ reportsDir: dir, quiet: true });
  const md = (await import('node:fs')).readFileSync(r.pictures.summary, 'utf8');
  expect(md.split('\n')[0]).toBe(`### ${r.verdictLine.replace(/^Report: .* — /, '')}`);
  expect(md).toMatch(/\| 1 \| admin-must-authorize · member · globex \| 4 \| 0 \| 4 \| 0 \| 4 \|/);
  expect(md).toContain('#### member: scope × site');
  expect(md).toMatch(/\| read:jira-work \| ✅ A \| ❌ B \|/);
  expect(md).toContain('#### MCP tool × endpoint × auth mode');
});
