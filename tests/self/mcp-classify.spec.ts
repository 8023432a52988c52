/**
 * Self-tests of the MCP classifier (fixtures/mcp/classify.ts): every reference text maps to its category, the
 * same "trouble" text means mcp-client-not-approved only for a console 3LO token, and transport errors are
 * recognised from the SDK's own error types (docs/reference/mcp-sdk.md §1 "How errors surface").
 */

import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { expect, test } from '../../fixtures/index.ts';
import { classifySignal, MCP_RULES, signalFromError, signalFromResult } from '../../fixtures/mcp/classify.ts';
import type { McpAuthMode } from '../../fixtures/mcp/vocabulary.ts';

const errorResult = (message: string) => ({ content: [{ type: 'text', text: JSON.stringify({ error: true, message }) }], isError: true });
const classifyText = (message: string, mode: McpAuthMode = 'api-token') =>
  classifySignal(signalFromResult(errorResult(message), mode)).category;

// atlassian-mcp.md §5, one row each
const TEXTS: Array<[string, McpAuthMode, string]> = [
  ['We are having trouble completing this action. Please try again shortly.', 'console-3lo', 'mcp-client-not-approved'],
  ['We are having trouble completing this action. Please try again shortly.', 'oauth-mcp', 'transient'],
  [
    "We couldn't verify your connection settings. Please contact your administrator for assistance.",
    'console-3lo',
    'mcp-connection-settings',
  ],
  ["We couldn't verify your access. Reconnecting and signing in again may resolve this issue.", 'oauth-mcp', 'mcp-auth-failed'],
  // §5 [S63]: the expired-token text inside a result; any other "Authentication failed" stays mcp-auth-failed
  ['Authentication failed: {"code":401,"message":"Unauthorized"}', 'oauth-mcp', 'mcp-token-expired'],
  ['Authentication failed: {"code": 401, "message": "Unauthorized"}', 'api-token', 'mcp-token-expired'],
  ['Authentication failed: {"code":403,"message":"Forbidden"}', 'oauth-mcp', 'mcp-auth-failed'],
  ['403 Forbidden — The app is not installed on this instance', 'oauth-mcp', 'mcp-auth-failed'],
  ["You don't have permission to connect via API token. Please ask your organization admin for access.", 'api-token', 'api-token-disabled'],
  ["You don't have permission to connect from this IP address. Please ask your organization admin for access.", 'api-token', 'ip-blocked'],
  ['Your admin has blocked this domain', 'oauth-mcp', 'domain-blocked'],
  [
    '403 … requires a modern API token (API token with scopes). Legacy API tokens without scopes are not supported.',
    'api-token',
    'scope-filtered',
  ],
  ['MCP error -32602: Tool getJiraIssue not found', 'api-token', 'scope-filtered'],
  ['MCP error -32602: Input validation error: Invalid arguments for tool x', 'api-token', 'mcp-bad-arguments'],
  ['Issue does not exist or you do not have permission to see it.', 'api-token', 'mcp-tool-error'],
  // the v2 generation ("The v2 generation" in docs/reference/atlassian-mcp.md)
  [
    'Insufficient scopes for createJiraIssue. Required: [read:jira:agent-interface, write:jira:agent-interface, search:jira:agent-interface]',
    'oauth-mcp',
    'mcp-scope-insufficient',
  ],
  ['Authentication failed: {"code": 401, "message": "Unauthorized; scope does not match"}', 'oauth-mcp', 'mcp-scope-insufficient'],
  ['Access denied. Your account does not have permission to search Jira or Confluence content.', 'api-token', 'mcp-search-denied'],
  ["You don't have permission to connect from this IP address. Please ask your admin for access.", 'oauth-mcp', 'ip-blocked'],
  [
    "Your account isn't associated with a supported site. Rovo MCP connects with Atlassian sites that use apps like Jira or Confluence",
    'api-token',
    'mcp-no-supported-site',
  ],
  ['Operation harnessNoSuchOp not found', 'api-token', 'scope-filtered'],
  ['Input validation error: issueIdOrKey: Required', 'api-token', 'mcp-bad-arguments'],
];

for (const [text, mode, category] of TEXTS) {
  test(`${mode}: ${JSON.stringify(text.slice(0, 60))} → ${category}`, () => {
    expect(classifyText(text, mode)).toBe(category);
  });
}

test('a successful result is ok and has no category', () => {
  const c = classifySignal(signalFromResult({ content: [{ type: 'text', text: '{"accountId":"x"}' }] }, 'api-token'));
  expect(c).toMatchObject({ ok: true, rule: 'ok' });
  expect(c.category).toBeUndefined();
});

test('an {"error":true} body is an error even when isError is missing', () => {
  const s = signalFromResult({ content: [{ type: 'text', text: '{"error":true,"message":"boom"}' }] }, 'api-token');
  expect(s).toMatchObject({ isError: true, text: 'boom' });
  expect(classifySignal(s).category).toBe('mcp-tool-error');
});

test('SDK transport errors map to session-lost, rate-limited, auth-failed, transient', () => {
  const cat = (e: unknown) => classifySignal(signalFromError(e, 'api-token')).category;
  expect(
    cat(new StreamableHTTPError(404, 'Error POSTing to endpoint: {"jsonrpc":"2.0","error":{"code":-32001,"message":"Session not found"}}')),
  ).toBe('mcp-session-lost');
  expect(cat(new StreamableHTTPError(429, 'Error POSTing to endpoint: Too Many Requests'))).toBe('mcp-rate-limited');
  expect(cat(new StreamableHTTPError(401, 'Error POSTing to endpoint: {"error":"invalid_token"}'))).toBe('mcp-auth-failed');
  expect(cat(new UnauthorizedError())).toBe('mcp-auth-failed');
  expect(cat(new StreamableHTTPError(503, 'Error POSTing to endpoint: unavailable'))).toBe('transient');
  expect(cat(new McpError(ErrorCode.RequestTimeout, 'Request timed out'))).toBe('transient');
  expect(cat(new McpError(ErrorCode.InvalidParams, "Structured content does not match the tool's output schema: x"))).toBe(
    'mcp-schema-mismatch',
  );
  expect(cat(new TypeError('fetch failed'))).toBe('transient');
});

test('every rule cites the reference fact it encodes', () => {
  for (const r of MCP_RULES) expect(r.cite, r.id).toMatch(/atlassian-mcp\.md|mcp-sdk\.md|RFC/);
});

test('secrets in server text are redacted in the classification message', () => {
  const c = classifySignal(signalFromResult(errorResult('bad header Authorization: Bearer abc.def.ghi-SECRET'), 'api-token'));
  expect(c.message).not.toContain('abc.def.ghi-SECRET');
});
