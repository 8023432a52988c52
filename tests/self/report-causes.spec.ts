/**
 * Grouping by cause (scripts/lib/causes.ts): what makes a cause, where each part comes from, and how titles are
 * shortened without cutting the part that tells cells apart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '../../fixtures/index.ts';
import { cellsFor } from '../../scripts/gate.ts';
import { causeContext, causeKeyOf, familyOfScope, familyOfTool, groupByCause, shortenTitles } from '../../scripts/lib/causes.ts';
import { readResults } from '../../scripts/lib/results.ts';
import { type SyntheticTest, writeSyntheticResults } from '../../scripts/lib/synthetic.ts';

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
