/**
 * Grouping by cause (scripts/lib/causes.ts): what makes a cause, where each part comes from, and how titles are
 * shortened without cutting the part that tells cells apart.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '../../fixtures/index.ts';
import { cellsFor, runGate } from '../../scripts/gate.ts';
import { causeContext, causeKeyOf, familyOfScope, familyOfTool, groupByCause, shortenTitles } from '../../scripts/lib/causes.ts';
import { readResults } from '../../scripts/lib/results.ts';
import { type SyntheticTest, writeSyntheticResults } from '../../scripts/lib/synthetic.ts';
import { writeSupportBundle } from '../../scripts/support-bundle.ts';
import { runSubrun } from '../support/subrun.ts';
import { WORLD } from '../support/world.ts';

let dir: string;
test.beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'report-causes-'));
});
test.afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function load(tests: SyntheticTest[]) {
  writeSyntheticResults(dir, tests);
  return readResults(dir).tests;
}

test('the product family of a scope and of a tool', () => {
  expect(
    ['read:jira-work', 'read:page:confluence', 'read:confluence-content.all', 'write:servicedesk-request', 'read:me', 'offline_access'].map(
      familyOfScope,
    ),
  ).toEqual(['jira', 'confluence', 'confluence', 'jira-service-management', 'identity', undefined]);
  expect(['getJiraIssue', 'getConfluencePage', 'atlassianUserInfo', 'search'].map(familyOfTool)).toEqual([
    'jira',
    'confluence',
    'atlassianUserInfo',
    'search',
  ]);
});

test('a consent cause is per account and site; a scope cause adds the product; an MCP tool cause its site and product', () => {
  const tests = load([
    {
      name: 'member gets granted for read:jira-work on globex',
      status: 'failed',
      outcome: 'admin-must-authorize',
      parameters: { account: 'member', site: 'globex', scope: 'read:jira-work' },
    },
    {
      name: 'member gets granted for read:page:confluence on globex',
      status: 'failed',
      outcome: 'admin-must-authorize',
      parameters: { account: 'member', site: 'globex', scope: 'read:page:confluence' },
    },
    {
      name: 'admin gets granted for read:jira-work on acme',
      status: 'failed',
      outcome: 'scope-missing',
      parameters: { account: 'admin', site: 'acme', scope: 'read:jira-work' },
    },
    {
      name: 'admin gets granted for read:page:confluence on acme',
      status: 'failed',
      outcome: 'scope-missing',
      parameters: { account: 'admin', site: 'acme', scope: 'read:page:confluence' },
    },
    {
      name: 'getJiraIssue as member',
      status: 'failed',
      outcome: 'mcp-tool-error',
      labels: { tool: 'getJiraIssue', account: 'member', authMode: 'console-3lo', cloudId: 'c-acme' },
    },
    // the cloudId label resolves to a site through the run's own accessible-resources evidence
    {
      name: 'accessible resources',
      status: 'passed',
      attachments: [
        {
          name: 'evidence: accessible-resources',
          type: 'application/vnd.harness.evidence+json',
          body: JSON.stringify({
            surface: 'sites',
            operation: 'GET /oauth/token/accessible-resources',
            responseText: '[{"id":"c-acme","name":"acme","url":"https://acme.atlassian.net","scopes":[]}]',
          }),
        },
      ],
    },
    // the account from the title's first word, when that word is an account of this run; the category from the message
    { name: 'member consent crashed', status: 'failed', message: '[login-failed] the login page rejected the password' },
  ]);
  const ctx = causeContext(tests);
  const causes = groupByCause(cellsFor(tests, undefined), ctx);
  expect(causes.map((c) => [c.label, c.cells.length])).toEqual([
    ['admin-must-authorize · member · globex', 2],
    ['login-failed · member', 1],
    ['mcp-tool-error · member · acme · jira', 1],
    ['scope-missing · admin · acme · confluence', 1],
    ['scope-missing · admin · acme · jira', 1],
  ]);
  expect(causeKeyOf(tests.find((t) => t.name.startsWith('getJiraIssue'))!, ctx).site).toBe('acme');
});

test('titles keep what distinguishes them: the common prefix goes, long names lose words from the start', () => {
  const names = [
    'api/scopes.spec.ts › member scopes › member gets granted for read:confluence-content.all on globex',
    'api/scopes.spec.ts › member scopes › member gets granted for read:jira-work on globex',
  ];
  expect(shortenTitles(names, 90)).toEqual({
    prefix: 'api/scopes.spec.ts › member scopes › member gets granted for ',
    short: ['read:confluence-content.all on globex', 'read:jira-work on globex'],
  });
  const one = shortenTitles(['mcp/tools-call.spec.ts › sweep › getConfluencePageDescendants as member with a very long tail on acme'], 40);
  expect(one.short[0]).toBe('… member with a very long tail on acme');
  expect(one.short[0]!.length).toBeLessThanOrEqual(40);
});

test('an account-wide cause (invalid token, auth mode off) is one row per account whatever the site; config errors one row', () => {
  const tests = load([
    ...['acme', 'globex'].flatMap((site) =>
      ['read:jira-work', 'read:page:confluence'].map(
        (scope): SyntheticTest => ({
          name: `admin gets granted for ${scope} on ${site}`,
          status: 'failed',
          outcome: 'token-invalid',
          parameters: { account: 'admin', site, scope },
        }),
      ),
    ),
    ...['oauth-mcp', 'api-token'].map(
      (authMode): SyntheticTest => ({
        name: `getJiraIssue as member (${authMode})`,
        status: 'failed',
        outcome: 'api-token-disabled',
        labels: { tool: 'getJiraIssue', account: 'member', authMode: 'api-token', cloudId: 'c-acme' },
      }),
    ),
    { name: 'admin config', status: 'failed', outcome: 'config-invalid', parameters: { account: 'admin' } },
    { name: 'member config', status: 'failed', outcome: 'config-invalid', parameters: { account: 'member' } },
  ]);
  const causes = groupByCause(cellsFor(tests, undefined), causeContext(tests));
  expect(causes.map((c) => [c.label, c.cells.length])).toEqual([
    ['token-invalid · admin', 4],
    ['api-token-disabled · member · auth api-token', 2],
    ['config-invalid', 2],
  ]);
});

test('end to end: a site blocking user-installed apps is one cause row for the member there, in the gate and the bundle', async ({
  sim,
}, testInfo) => {
  test.setTimeout(480_000);
  const GLOBEX = WORLD.sites.globex.cloudId;
  await sim.admin.patchWorld({ sites: { [GLOBEX]: { policy: { userInstalledApps: 'blocked' } } } });
  const reportsDir = path.join(dir, 'reports');
  // the member's consent project and api suites, on a token store of this test's own (a fresh first night)
  // (the member's classic-scope cells on globex, a dozen or so, and one acme cell that must stay green: more cells add
  // time, not cases)
  const run = await runSubrun({
    sim,
    reportsDir,
    projects: ['consent', 'api'],
    grep: 'gets a stored token|member gets \\S+ for \\S+:(jira|confluence)-\\S+ on globex$|member gets \\S+ for read:jira-work on acme$',
    accounts: ['member'],
    env: { HARNESS_AUTH_DIR: path.join(dir, 'auth') },
    timeoutMs: 420_000,
  });
  await testInfo.attach('sub-run output', { body: run.output, contentType: 'text/plain' });
  expect(run.timedOut, 'the sub-run finished in time').toBe(false);
  expect(run.code, 'the blocked site fails the run').not.toBe(0);

  const gate = await runGate({ reportsDir });
  await testInfo.attach('gate table', { body: gate.table, contentType: 'text/plain' });
  expect(gate.ok).toBe(false);
  const blocked = gate.causes.filter((c) => c.key.category === 'admin-must-authorize');
  // one row for the member on globex, however many cells it covers; never one row per cell
  expect(
    blocked.map((c) => c.label),
    gate.table,
  ).toEqual(['admin-must-authorize · member · globex']);
  const cells = blocked[0]!.cells.map((c) => c.test.name);
  expect(cells.length, gate.table).toBeGreaterThan(5);
  for (const name of cells) expect(name).toMatch(/ on globex$/);
  expect(gate.table.split('\n').filter((l) => l.includes('admin-must-authorize · member · globex'))).toHaveLength(1);
  // every red cell is in that row: no other cause, and no second row for the drift of the same cells
  expect(gate.causes.length, gate.table).toBe(1);
  // acme is untouched: none of its cells is red
  expect(gate.causes.flatMap((c) => c.cells).filter((c) => / on acme$/.test(c.test.name))).toEqual([]);

  // the support bundle groups the same way
  const reportFile = path.join(dir, 'report.html');
  writeFileSync(reportFile, '<html>report</html>');
  const bundle = await writeSupportBundle({ reportsDir, reportFile, out: path.join(dir, 'bundle.zip') });
  expect(bundle.causes.filter((c) => c.key.category === 'admin-must-authorize').map((c) => [c.label, c.cells.length])).toEqual([
    ['admin-must-authorize · member · globex', cells.length],
  ]);
});
