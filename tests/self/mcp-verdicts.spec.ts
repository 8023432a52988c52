/**
 * Self-tests of the pieces that turn MCP results into a verdict: the endpoint list of MCP_ENDPOINT, rename pairing,
 * the outcome a failing test is labelled with when no spec labelled it, and the `toAnswerTool` matcher's message
 * (expected vs received and the fix).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect as baseExpect } from '@playwright/test';
import { HarnessError } from '../../fixtures/core/categories.ts';
import { test } from '../../fixtures/index.ts';
import { loadToolCatalog } from '../../fixtures/mcp/catalog.ts';
import { diffToolLists, endpointDivergences, nameSimilarity } from '../../fixtures/mcp/drift.ts';
import { mcpMatchers } from '../../fixtures/mcp/matchers.ts';
import { failureCategory, labelFailureOutcome } from '../../fixtures/mcp/outcome.ts';
import type { McpCallRecord } from '../../fixtures/mcp/record.ts';
import { driftError } from '../../fixtures/mcp/verdicts.ts';
import { parseEndpointList } from '../../fixtures/mcp/vocabulary.ts';

const expect = baseExpect.extend(mcpMatchers);

test('MCP_ENDPOINT takes one endpoint, a list or all, and names what it does not know', () => {
  expect(parseEndpointList('v2')).toEqual({ ok: true, endpoints: ['v2'] });
  expect(parseEndpointList('all')).toEqual({ ok: true, endpoints: ['v1', 'authv2', 'v2'] });
  expect(parseEndpointList('v2, v1,v2')).toEqual({ ok: true, endpoints: ['v2', 'v1'] });
  expect(parseEndpointList('v1,v3,sse')).toEqual({ ok: false, bad: ['v3', 'sse'] });
  expect(parseEndpointList('all,v1')).toEqual({ ok: false, bad: ['all'] });
});

test('the documented v1 → v2 renames pair up by name alone, and unrelated names do not', () => {
  const v1 = ['getConfluencePage', 'searchConfluenceUsingCql', 'getVisibleJiraProjects', 'addCommentToJiraIssue', 'getJiraIssue'];
  const v2 = [
    'getConfluenceContent',
    'searchConfluence',
    'listJiraProjects',
    'addOrEditJiraIssueComment',
    'getJiraIssue',
    'deleteJiraIssue',
  ];
  const d = diffToolLists(v1, v2);
  expect(d.renamed.map((r) => `${r.from}→${r.to}`).sort()).toEqual(
    [
      'addCommentToJiraIssue→addOrEditJiraIssueComment',
      'getConfluencePage→getConfluenceContent',
      'getVisibleJiraProjects→listJiraProjects',
      'searchConfluenceUsingCql→searchConfluence',
    ].sort(),
  );
  expect(d.appeared).toEqual(['deleteJiraIssue']);
  expect(d.disappeared).toEqual([]);
  expect(nameSimilarity('getJiraIssue', 'createConfluenceFooterComment')).toBeLessThan(0.2);
  expect(diffToolLists(['getJiraIssue'], ['createConfluenceFooterComment']).renamed).toEqual([]);
});

test('divergences match operations across endpoints through aliases', () => {
  const d = endpointDivergences(
    [
      { endpoint: 'v1', operation: 'getConfluencePage', ok: true },
      { endpoint: 'v2', operation: 'getConfluenceContent', ok: false, category: 'transient' },
      { endpoint: 'v1', operation: 'getJiraIssue', ok: true },
      { endpoint: 'v2', operation: 'getJiraIssue', ok: true },
    ],
    new Map([['getConfluenceContent', 'getConfluencePage']]),
  );
  expect(d).toHaveLength(1);
  expect(d[0]!.operation).toBe('getConfluencePage');
  expect(d[0]!.fails[0]!.operation).toBe('getConfluenceContent');
});

test('a failing test without an outcome label gets the HarnessError code, else the last failing call, else unexpected', () => {
  const err = new HarnessError('sandbox-missing', 'no project NOSUCHSBX');
  expect(failureCategory([`Error: ${err.message}`], 'mcp-tool-error')).toBe('sandbox-missing');
  // Playwright's message of a thrown HarnessError starts with its name
  expect(failureCategory([`HarnessError: ${err.message}`], 'mcp-tool-error')).toBe('sandbox-missing');
  expect(failureCategory([`\u001b[31m${err.message}\u001b[39m`], undefined)).toBe('sandbox-missing');
  expect(failureCategory(['Error: expect(received).toBe(expected)'], 'scope-filtered')).toBe('scope-filtered');
  expect(failureCategory(['Error: expect(received).toBe(expected)'], undefined)).toBe('unexpected');
  expect(failureCategory(['[not-a-code] something'], undefined)).toBe('unexpected');
});

const rec = (over: Partial<McpCallRecord>): McpCallRecord => ({
  operation: 'getJiraIssue',
  account: 'member',
  authMode: 'api-token',
  endpoint: 'http://127.0.0.1/v1/mcp',
  timestamp: new Date().toISOString(),
  durationMs: 3,
  ok: true,
  rule: 'ok',
  text: '{}',
  retries: 0,
  ...over,
});

test('toAnswerTool passes on a good answer and prints expected vs received and the fix otherwise', () => {
  expect(rec({})).toAnswerTool();
  const refused = rec({
    ok: false,
    category: 'scope-filtered',
    rule: 'tool-not-found',
    text: 'MCP error -32602: Tool getJiraIssue not found',
    sessionId: 's-1',
  });
  expect(refused).toAnswerTool({ category: 'scope-filtered' });
  let message = '';
  try {
    expect(refused).toAnswerTool();
  } catch (e) {
    message = e instanceof Error ? e.message : String(e);
  }
  expect(message).toContain('expected a good answer, received scope-filtered (rule tool-not-found)');
  expect(message).toContain('"MCP error -32602: Tool getJiraIssue not found"');
  expect(message).toContain('session s-1');
  expect(message).toContain('Fix: The tool is not in tools/list');
  expect(() => expect(rec({})).toAnswerTool({ category: 'transient' })).toThrow(
    /expected a refusal classified transient, received a good answer/,
  );
});

test('the MCP fixture labels a failed test once, with its category, and leaves passed or labelled tests alone', async () => {
  const outcomes = () =>
    test
      .info()
      .attachments.filter((a) => a.contentType === 'application/vnd.allure.message+json' && a.body)
      .flatMap((a) => (JSON.parse(a.body!.toString()) as { data?: { labels?: Array<{ name: string; value: string }> } }).data?.labels ?? [])
      .filter((l) => l.name === 'outcome')
      .map((l) => l.value);
  const failed = (message: string) => ({
    status: 'failed' as const,
    expectedStatus: 'passed' as const,
    errors: [{ message }],
    attachments: test.info().attachments,
  });
  expect(await labelFailureOutcome({ ...failed('x'), status: 'passed' }, 'transient')).toBeUndefined();
  expect(await labelFailureOutcome({ ...failed('x'), status: 'skipped' }, 'transient')).toBeUndefined();
  expect(outcomes()).toEqual([]);
  expect(await labelFailureOutcome(failed(new HarnessError('sandbox-missing', 'gone').message), 'mcp-tool-error')).toBe('sandbox-missing');
  expect(outcomes()).toEqual(['sandbox-missing']);
  // already labelled: nothing added
  expect(await labelFailureOutcome(failed('Error: expect(received).toBe(expected)'), 'transient')).toBeUndefined();
  expect(outcomes()).toEqual(['sandbox-missing']);
});

test('tool-list drift: renames with additions read as renamed; a tool gone without a successor is scope-filtered; additions alone are mcp-tool-added', () => {
  const renamedAndAdded = diffToolLists(['getConfluencePage', 'getJiraIssue'], ['getConfluenceContent', 'getJiraIssue', 'discover']);
  expect(driftError('tools/list', [{ id: 'p', drift: renamedAndAdded }])?.code).toBe('mcp-tool-renamed');
  const lost = diffToolLists(['getConfluencePage', 'getJiraIssue'], ['getConfluenceContent']);
  const err = driftError('tools/list', [{ id: 'p', drift: lost }]);
  expect(err?.code).toBe('scope-filtered');
  expect(err?.message).toContain('probable rename getConfluencePage → getConfluenceContent');
  expect(err?.message).toContain('disappeared ["getJiraIssue"]');
  expect(driftError('tools/list', [{ id: 'p', drift: diffToolLists(['a'], ['a']) }])).toBeUndefined();
  // only new tools: a tool to review, not a loss (the 'Tool hidden by scopes' title would be wrong)
  const added = driftError('tools/list', [{ id: 'p', drift: diffToolLists(['getJiraIssue'], ['getJiraIssue', 'createJiraWorklog']) }]);
  expect(added?.code).toBe('mcp-tool-added');
  expect(added?.message).toContain('appeared ["createJiraWorklog"]');
});

test('a broken tool catalog or expectations file stops with one message naming the file, the entry and the fix', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'harness-catalog-'));
  try {
    const bad = path.join(dir, 'tools.json');
    writeFileSync(bad, '{ "parameters": {}, "sources": {}, "operations": [{ "name": "createThing", "kind": "write" }] }');
    expect(() => loadToolCatalog(bad)).toThrow(
      /invalid tool catalog at operations\.0\.(sandbox|args): write operations (must name their sandbox|need their recipe arguments)\. Fix the entry/,
    );
    writeFileSync(bad, '{ "parameters": ');
    expect(() => loadToolCatalog(bad)).toThrow(/tools\.json: not readable JSON .* Fix the file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
