/**
 * Support bundle for a provoked MCP failure: a Playwright sub-run (its own config, its own simulator) makes
 * a real MCP tool call through the harness's MCP fixture with an argument of the wrong type and a secret in another
 * argument; the tool answers with an input-validation error (docs/reference/mcp-sdk.md §1: -32602) and the test fails with
 * mcp-bad-arguments. The bundle built from that run's Allure results must carry every field a support ticket needs
 * and no secret.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CATEGORIES } from '../../fixtures/core/categories.ts';
import { ROOT } from '../../fixtures/core/config.ts';
import { expect, test } from '../../fixtures/index.ts';
import { readZipEntries } from '../../scripts/lib/zip.ts';
import { generateReport } from '../../scripts/report.ts';
import { CANARY, scanSecrets } from '../../scripts/scan-secrets.ts';
import { type FailingCall, writeSupportBundle } from '../../scripts/support-bundle.ts';

test.describe.configure({ timeout: 300_000 });

const SPEC = `
import { test } from ${JSON.stringify(path.join(ROOT, 'fixtures', 'index.ts'))};
import { labelOutcome } from ${JSON.stringify(path.join(ROOT, 'fixtures', 'core', 'evidence.ts'))};
import { expectToolOk, labelMcp } from ${JSON.stringify(path.join(ROOT, 'fixtures', 'mcp', 'fixture.ts'))};

test('jira search with a numeric jql is rejected', async ({ mcp, config }) => {
  const s = await mcp.session();
  const cloudId = await s.resolver.resolve('cloudId', s.callFn, []);
  await labelMcp({ tool: 'searchJiraIssuesUsingJql', account: s.account, cloudId });
  const rec = await s.call('searchJiraIssuesUsingJql', { cloudId, jql: 42, note: 'secret ' + config.app.clientSecret });
  if (rec.category) await labelOutcome(rec.category);
  expectToolOk(rec);
});
`;

let sub: string;
test.beforeEach(() => {
  // inside the project so the sub-run resolves @playwright/test; .tmp/ is git-ignored and not a scan root
  sub = path.join(ROOT, '.tmp', `report-bundle-${process.pid}-${Date.now()}`);
  mkdirSync(sub, { recursive: true });
});
test.afterEach(() => {
  rmSync(sub, { recursive: true, force: true });
});

test('bundle for a provoked MCP failure lists every field a support ticket needs and no secret', async ({ config }) => {
  writeFileSync(path.join(sub, 'provoke.spec.ts'), SPEC);
  writeFileSync(
    path.join(sub, 'pw.config.ts'),
    `import { defineConfig } from '@playwright/test';
export default defineConfig({
  testDir: ${JSON.stringify(sub)},
  testMatch: /provoke\\.spec\\.ts$/,
  globalSetup: ${JSON.stringify(path.join(ROOT, 'fixtures', 'core', 'global-setup.ts'))},
  outputDir: ${JSON.stringify(path.join(sub, 'test-results'))},
  workers: 1,
  retries: 0,
  timeout: 90_000,
  reporter: [['allure-playwright', { resultsDir: ${JSON.stringify(path.join(sub, 'allure-results'))}, detail: false, suiteTitle: false }]],
});
`,
  );
  const env = { ...process.env };
  delete env.HARNESS_SIM_URLS; // the sub-run starts a simulator of its own
  const pw = spawnSync(
    process.execPath,
    [path.join(ROOT, 'node_modules', '@playwright', 'test', 'cli.js'), 'test', '-c', path.join(sub, 'pw.config.ts')],
    {
      cwd: ROOT,
      env,
      encoding: 'utf8',
    },
  );
  // the provoked test must fail (and only because of the tool error)
  expect(pw.status, `${pw.stdout}\n${pw.stderr}`).toBe(1);
  expect(pw.stdout).toContain('mcp-bad-arguments');

  await generateReport({ reportsDir: sub, quiet: true });
  const bundle = await writeSupportBundle({ reportsDir: sub });
  expect(path.dirname(bundle.file)).toBe(path.join(sub, 'bundles'));
  const entries = new Map((await readZipEntries(readFileSync(bundle.file))).map((e) => [e.name, e.data.toString('utf8')]));
  expect([...entries.keys()].sort()).toEqual([
    'pictures/mcp-matrix.html',
    'pictures/scope-site-matrix.html',
    'pictures/trend.svg',
    'report.html',
    'summary.json',
    'summary.md',
  ]);

  const summary = JSON.parse(entries.get('summary.json')!) as { failingCalls: FailingCall[] };
  const call = summary.failingCalls.find((c) => c.toolOrEndpoint === 'MCP searchJiraIssuesUsingJql');
  expect(call, JSON.stringify(summary.failingCalls, null, 2)).toBeTruthy();
  if (!call) return;
  expect(call.category).toBe('mcp-bad-arguments');
  expect(call.test).toContain('jira search with a numeric jql is rejected');
  expect(call.mcpSessionId).toMatch(/\S{8,}/);
  expect(call.cloudId).toMatch(/^[0-9a-f-]{36}$/);
  // the site comes from the cloudId the session resolved (accessible-resources evidence of the same run)
  expect(call.cause).toMatch(/^mcp-bad-arguments · member · [a-z0-9-]+ · jira$/);
  expect(call.siteUrl).toMatch(/^https?:\/\/\S+/);
  expect(call.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  expect(call.arguments).toMatchObject({ cloudId: call.cloudId, jql: 42, note: expect.stringContaining('[REDACTED]') });
  expect(call.responseText).toMatch(/\S/);
  expect(call.atlTraceId).toMatch(/\S{8,}/);
  expect(call.remediation).toBe(CATEGORIES['mcp-bad-arguments'].remediation);

  const md = entries.get('summary.md')!;
  for (const v of [
    call.mcpSessionId!,
    call.cloudId!,
    call.siteUrl!,
    call.timestamp!,
    call.atlTraceId!,
    'searchJiraIssuesUsingJql',
    CATEGORIES['mcp-bad-arguments'].remediation,
  ]) {
    expect(md).toContain(v);
  }
  for (const text of [...entries.values()]) {
    expect(text).not.toContain(config.app.clientSecret);
    expect(text).not.toContain(CANARY);
  }
  expect((await scanSecrets({ roots: [bundle.file] })).findings).toEqual([]);
});

test('bundle for an unknown category code fails with the list of codes', async () => {
  await expect(writeSupportBundle({ reportsDir: sub, category: 'no-such-code' })).rejects.toThrow(
    /--category "no-such-code" is not a known category code\. Fix: use one of granted, admin-must-authorize/,
  );
});
