/**
 * The support bundle groups failing calls by cause (the gate's grouping) and answers what Atlassian support asks of
 * every call: the cloudId comes from the call, its arguments, the session's resolved site or the run's
 * accessible-resources evidence, and a call that involves no site says so. Built from synthetic results shaped like
 * an API-token outage night (every MCP call fails; most calls carry no cloudId of their own).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CATEGORIES } from '../../fixtures/core/categories.ts';
import { EVIDENCE_CONTENT_TYPE } from '../../fixtures/core/evidence.ts';
import { expect, test } from '../../fixtures/index.ts';
import { type SyntheticTest, writeSyntheticResults } from '../../scripts/lib/synthetic.ts';
import { readZipEntries } from '../../scripts/lib/zip.ts';
import { generateReport } from '../../scripts/report.ts';
import { type FailingCall, writeSupportBundle } from '../../scripts/support-bundle.ts';

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
