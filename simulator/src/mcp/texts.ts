/**
 * Every user-visible text the MCP simulator answers with, in one place (atlassian-mcp.md §5), and the tool-error
 * shape: a normal JSON-RPC result whose text is `{"error":true,"message":…}` with `isError: true` [S40].
 */

export const TEXT = {
  /** §5: OAuth 2.0 3LO app instead of OAuth 2.1 + DCR (KB S18); transient outage (#61) */
  trouble: 'We are having trouble completing this action. Please try again shortly.',
  /** §5: seen on Rovo `search` (#61); cause not documented */
  connectionSettings: "We couldn't verify your connection settings. Please contact your administrator for assistance.",
  /** §5: VS Code after OAuth (#108) */
  verifyAccess: "We couldn't verify your access. Reconnecting and signing in again may resolve this issue.",
  /** §5: expired token (~55 min bug, #32) */
  authFailed: 'Authentication failed: {"code":401,"message":"Unauthorized"}',
  /** §5: writes with a ~24 h old token (3P, S64) */
  appNotInstalled: '403 Forbidden — The app is not installed on this instance',
  /** §2b/§5: API-token toggle off (#75) */
  apiTokenDisabled: "You don't have permission to connect via API token. Please ask your organization admin for access.",
  /** §5 and "The v2 generation": IP allowlist; the text ends "…Please ask your admin for access." (1P README since 2026-01) */
  ipBlocked: "You don't have permission to connect from this IP address. Please ask your admin for access.",
  /** "The v2 generation" (3P): agent-interface scopes missing from a token that has none of that family */
  scopeMismatch: 'Authentication failed: {"code": 401, "message": "Unauthorized; scope does not match"}',
  /** "The v2 generation" (3P): Rovo search by an account with no Jira or Confluence access */
  searchDenied: 'Access denied. Your account does not have permission to search Jira or Confluence content.',
  /** "The v2 generation" (3P, atlassian/trello-mcp-server#13): an account with no Jira/Confluence site */
  noSupportedSite:
    "Your account isn't associated with a supported site. Rovo MCP connects with Atlassian sites that use apps like Jira or Confluence",
  /** simulator choice (UNKNOWN real text): org.mcp.enabled = false */
  serverDisabled: 'The Atlassian Rovo MCP server is turned off for your organization. Please ask your organization admin for access.',
} as const;

/** "The v2 generation" (3P): "Insufficient scopes for createJiraIssue. Required: [read:jira:agent-interface, …]" */
export function insufficientScopes(operation: string, required: readonly string[]): string {
  return `Insufficient scopes for ${operation}. Required: [${required.join(', ')}]`;
}

/** An expected tool failure; turned into `{"error":true,"message":…}` + isError by the tool runner. */
export class ToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolError';
  }
}

export interface ToolResult {
  [key: string]: unknown;
  content: Array<{ type: 'text'; text: string }>;
  isError?: boolean;
}

export function errorResult(message: string): ToolResult {
  return { content: [{ type: 'text', text: JSON.stringify({ error: true, message }) }], isError: true };
}

export function okResult(value: unknown): ToolResult {
  return { content: [{ type: 'text', text: typeof value === 'string' ? value : JSON.stringify(value, null, 2) }] };
}
