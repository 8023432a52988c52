/**
 * The support bundle groups failing calls by cause (the gate's grouping) and answers what Atlassian support asks of
 * every call: the cloudId comes from the call, its arguments, the session's resolved site or the run's
 * accessible-resources evidence, and a call that involves no site says so. Built from synthetic results shaped like
 * an API-token outage night (every MCP call fails; most calls carry no cloudId of their own).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CATEGORIES } from '../../fixtures/core/categories.ts';
import { EVIDENCE_CONTENT_TYPE } from '../../fixtures/core/evidence.ts';
import { expect, test } from '../../fixtures/index.ts';
import { readResults } from '../../scripts/lib/results.ts';
import { type SyntheticTest, writeSyntheticResults } from '../../scripts/lib/synthetic.ts';
import { readZipEntries } from '../../scripts/lib/zip.ts';
import { generateReport } from '../../scripts/report.ts';
import { expectationsSites, type FailingCall, parsedResponseSites, writeSupportBundle } from '../../scripts/support-bundle.ts';

test.describe.configure({ timeout: 180_000 });

const ACME = '2f1c8f4e-0a63-4c5e-9b1e-6a7d3c2b1a00';
const SESSION = 'mcp-session-0123456789';

const evidence = (name: string, record: Record<string, unknown>) => ({
  name: `evidence: ${name}`,
  type: EVIDENCE_CONTENT_TYPE,
  body: JSON.stringify({ surface: 'mcp', timestamp: '2026-12-01T02:00:00.000Z', mcpSessionId: SESSION, ...record }),
});

const OUTAGE: SyntheticTest[] = [
  {
    name: 'accessible resources as member',
    suite: 'mcp/tools-call.spec.ts',
    status: 'passed',
    outcome: 'granted',
    labels: { tool: 'getAccessibleAtlassianResources', account: 'member', authMode: 'oauth-mcp' },
    attachments: [
      evidence('getAccessibleAtlassianResources', {
        operation: 'getAccessibleAtlassianResources',
        mcpSessionId: 'other-session',
        status: 200,
        responseText: JSON.stringify([{ id: ACME, name: 'acme', url: 'https://acme.atlassian.net', scopes: [] }]),
      }),
    ],
  },
  ...['getJiraIssue', 'searchJiraIssuesUsingJql', 'getConfluencePage'].map(
    (tool, i): SyntheticTest => ({
      name: `${tool} as member (api-token)`,
      suite: 'mcp/tools-call.spec.ts',
      status: 'failed',
      outcome: 'api-token-disabled',
      message: '[api-token-disabled] API token authentication is off',
      labels: { tool, account: 'member', authMode: 'api-token' },
      attachments: [
        evidence(tool, {
          operation: tool,
          // the first call names the site in its arguments, the others only share its session
          args: i === 0 ? { cloudId: ACME, issueIdOrKey: 'SBX-1' } : { query: 'x' },
          status: 401,
          traceId: `trace-${i}`,
          category: 'api-token-disabled',
          responseText: 'Unauthorized',
        }),
      ],
    }),
  ),
  {
    name: 'tools/list as member (api-token)',
    suite: 'mcp/tools-list.spec.ts',
    status: 'failed',
    outcome: 'api-token-disabled',
    labels: { account: 'member', authMode: 'api-token' },
    attachments: [
      evidence('tools/list', { operation: 'tools/list', mcpSessionId: 'list-session', status: 401, category: 'api-token-disabled' }),
    ],
  },
];

let dir: string;
test.beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'report-bundle-causes-'));
});
test.afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('an API-token outage bundle: one cause row, a cloudId for every site call, "no site involved" for tools/list', async () => {
  writeSyntheticResults(path.join(dir, 'allure-results'), OUTAGE);
  await generateReport({ reportsDir: dir, quiet: true });
  const bundle = await writeSupportBundle({ reportsDir: dir });
  expect(bundle.causes.map((c) => [c.label, c.cells.length])).toEqual([['api-token-disabled · member · auth api-token', 4]]);

  const entries = new Map((await readZipEntries(readFileSync(bundle.file))).map((e) => [e.name, e.data.toString('utf8')]));
  const summary = JSON.parse(entries.get('summary.json')!) as {
    failingCalls: FailingCall[];
    causes: Array<{ cause: string; cells: number }>;
  };
  const byTool = new Map(summary.failingCalls.map((c) => [c.toolOrEndpoint, c]));
  expect(byTool.get('MCP getJiraIssue')).toMatchObject({
    cloudId: ACME,
    cloudIdSource: 'arguments',
    siteUrl: 'https://acme.atlassian.net',
  });
  expect(byTool.get('MCP searchJiraIssuesUsingJql')).toMatchObject({ cloudId: ACME, cloudIdSource: 'session' });
  expect(byTool.get('MCP getConfluencePage')).toMatchObject({ cloudId: ACME, cloudIdSource: 'session' });
  expect(byTool.get('MCP tools/list')).toMatchObject({ cloudIdSource: 'no site involved', siteUrl: 'no site involved' });
  expect(byTool.get('MCP tools/list')?.cloudId).toBeUndefined();
  expect(summary.causes).toEqual([expect.objectContaining({ cause: 'api-token-disabled · member · auth api-token', cells: 4 })]);

  const md = entries.get('summary.md')!;
  expect(md).toContain('## Causes');
  expect(md).toMatch(/\| 1 \| api-token-disabled · member · auth api-token \| 4 \| 0 \| 4 \| 0 \| 0 \|/);
  // the remediation once for the cause, not once per call
  expect(md.split(CATEGORIES['api-token-disabled'].remediation)).toHaveLength(2);
  expect(md).toContain(`| cloudId | ${ACME} (from session) |`);
  expect(md).toContain('| cloudId | no site involved |');
  for (const f of ['pictures/scope-site-matrix.html', 'pictures/mcp-matrix.html', 'pictures/trend.svg']) expect(entries.has(f)).toBe(true);
});

test('site URLs come from the expectations file and parsed answers, not from an accessible-resources excerpt cut at 2,000 characters', async () => {
  const GLOBEX = 'b2d4f6a8-0000-4000-8000-000000000002';
  const INITECH = 'c3e5a7b9-0000-4000-8000-000000000003';
  const scopes = Array.from({ length: 120 }, (_, i) => `read:jira-work-scope-${i}`);
  // REST accessible-resources as the prober records it: acme first with many scopes, so globex is past the cut
  const full = JSON.stringify([
    { id: ACME, name: 'acme', url: 'https://acme.atlassian.net', scopes, avatarUrl: 'https://x.example/a.png' },
    { id: GLOBEX, name: 'globex', url: 'https://globex.atlassian.net', scopes, avatarUrl: 'https://x.example/g.png' },
  ]);
  const cut = full.slice(0, 2000);
  expect(cut).not.toContain(GLOBEX);
  const rest = (name: string, record: Record<string, unknown>) => ({
    name: `evidence: ${name}`,
    type: EVIDENCE_CONTENT_TYPE,
    body: JSON.stringify({ surface: 'rest', timestamp: '2026-12-01T02:00:00.000Z', ...record }),
  });
  const tests: SyntheticTest[] = [
    {
      name: 'member accessible-resources lists the expected sites',
      suite: 'api/sites.spec.ts',
      status: 'passed',
      outcome: 'granted',
      parameters: { account: 'member' },
      attachments: [rest('accessible-resources', { operation: 'GET /oauth/token/accessible-resources', status: 200, responseText: cut })],
    },
    {
      name: 'member gets granted for read:jira-work on globex',
      suite: 'api/scopes.spec.ts',
      status: 'failed',
      outcome: 'token-invalid',
      expected: 'granted',
      parameters: { account: 'member', site: 'globex', scope: 'read:jira-work', cloudId: GLOBEX },
      attachments: [
        rest('GET /rest/api/3/myself', {
          operation: 'GET /rest/api/3/myself',
          account: 'member',
          site: 'globex',
          cloudId: GLOBEX,
          url: `http://127.0.0.1:1/ex/jira/${GLOBEX}/rest/api/3/myself`,
          status: 401,
          category: 'token-invalid',
        }),
      ],
    },
    {
      // an MCP answer whose keys come url first: only a parse (not the id-then-url pattern) reads it
      name: 'accessible resources as admin',
      suite: 'mcp/tools-call.spec.ts',
      status: 'passed',
      outcome: 'granted',
      labels: { tool: 'getAccessibleAtlassianResources', account: 'admin' },
      attachments: [
        evidence('getAccessibleAtlassianResources', {
          operation: 'getAccessibleAtlassianResources',
          status: 200,
          responseText: JSON.stringify([{ url: 'https://initech.atlassian.net', name: 'initech', id: INITECH, scopes: [] }]),
        }),
      ],
    },
    {
      name: 'getJiraIssue as admin on initech',
      suite: 'mcp/tools-call.spec.ts',
      status: 'failed',
      outcome: 'mcp-tool-error',
      labels: { tool: 'getJiraIssue', account: 'admin' },
      attachments: [
        evidence('getJiraIssue', {
          operation: 'getJiraIssue',
          args: { cloudId: INITECH, issueIdOrKey: 'SBX-1' },
          status: 200,
          category: 'mcp-tool-error',
          responseText: 'Issue does not exist',
        }),
      ],
    },
  ];
  writeSyntheticResults(path.join(dir, 'allure-results'), tests);
  const expectations = path.join(dir, 'expectations.json');
  writeFileSync(
    expectations,
    JSON.stringify({
      version: 1,
      sites: {
        acme: { cloudId: ACME, url: 'https://acme.atlassian.net' },
        globex: { cloudId: GLOBEX, url: 'https://globex.atlassian.net' },
      },
    }),
  );
  expect(expectationsSites(expectations).byCloudId.get(GLOBEX)).toBe('https://globex.atlassian.net');
  expect(parsedResponseSites(readResults(path.join(dir, 'allure-results')).tests).get(INITECH)).toBe('https://initech.atlassian.net');
  const reportFile = path.join(dir, 'report.html');
  writeFileSync(reportFile, '<html>report</html>');

  const siteOf = (calls: FailingCall[], tool: string) => calls.find((c) => c.toolOrEndpoint === tool)?.siteUrl;
  // the excerpt alone cannot name globex: this is the defect the expectations file's sites fix
  const excerptOnly = await writeSupportBundle({ reportsDir: dir, reportFile, expectationsFile: '', out: path.join(dir, 'a.zip') });
  expect(siteOf(excerptOnly.calls, 'GET /rest/api/3/myself')).toBeUndefined();
  expect(siteOf(excerptOnly.calls, 'MCP getJiraIssue')).toBe('https://initech.atlassian.net');

  const bundle = await writeSupportBundle({ reportsDir: dir, reportFile, expectationsFile: expectations, out: path.join(dir, 'b.zip') });
  expect(bundle.calls.find((c) => c.toolOrEndpoint === 'GET /rest/api/3/myself')).toMatchObject({
    cloudId: GLOBEX,
    siteUrl: 'https://globex.atlassian.net',
  });
  expect(siteOf(bundle.calls, 'MCP getJiraIssue')).toBe('https://initech.atlassian.net');
  const md = new Map((await readZipEntries(readFileSync(bundle.file))).map((e) => [e.name, e.data.toString('utf8')])).get('summary.md')!;
  expect(md).toContain('| site URL | https://globex.atlassian.net |');
  for (const c of bundle.calls) expect(c.siteUrl, c.toolOrEndpoint).toBeTruthy();
});
