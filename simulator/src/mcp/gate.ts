/**
 * Who sees which operation, and what stops a call (docs/reference/atlassian-mcp.md §2b, §3, §5, "The v2 generation").
 *
 * Visibility ("tools are filtered, not denied", §5 [S47]):
 *  - legacy unscoped API tokens see only the Teamwork Graph tools (§2b [S19]);
 *  - an operation needs its coarse admin toggle (org.mcp.permissions read/write/search) and its v2 permission group
 *    (org.mcp.permissionGroups; delete_jira and manage_jira are off by default, 1P);
 *  - and one of its scopes — except OAuth tokens under org.mcp.scopeFamily "agent-interface", whose scopes are checked
 *    when the tool is called (the refusal arrives inside the tool result, 3P).
 *
 * Call gate, first match wins (each answers as a tool-error result, the session stays up):
 *  1. the access token expired inside a session and org.mcp.expiredTokenInSession is "tool-error" → TEXT.authFailed
 *  2. org.mcp.enabled false            → TEXT.serverDisabled (simulator choice; real switch UNVERIFIED, §3)
 *  3. org.mcp.ipAllowlist w/o caller   → TEXT.ipBlocked (§3: "IP allowlisting applies to MCP calls")
 *  4. API token / service key and org.mcp.apiTokenAuth false → TEXT.apiTokenDisabled (§2b)
 *  5. console 3LO OAuth token and org.mcp.rejectConsole3loTokens → TEXT.trouble; `search` → TEXT.connectionSettings
 *     (docs/user-stories.md §2; KB S18 "plain OAuth 2.0 3LO app … instead of OAuth 2.1 with DCR")
 *  6. org.mcp.toolFault on an endpoint in org.mcp.toolFaultEndpoints → the chosen §5 text (app-not-installed: writes only)
 *  7. agent-interface scope family: no scope of the family → TEXT.scopeMismatch; some missing → insufficientScopes()
 *  8. an account with no Jira/Confluence site (every tool but atlassianUserInfo) → TEXT.noSupportedSite
 *  9. Rovo `search` with no Jira or Confluence access on any reachable site → TEXT.searchDenied
 */
import type { IncomingMessage } from 'node:http';
import { world } from '../state.ts';
import type { Operation } from './ops.ts';
import type { Endpoint, Principal } from './principal.ts';
import { insufficientScopes, TEXT } from './texts.ts';
import { accessibleCloudIds } from './tools/common.ts';

const AGENT = ':agent-interface';

export function isVisible(op: Operation, p: Principal): boolean {
  const m = world().org.mcp;
  const spec = op.spec;
  if (spec.group && !m.permissions[spec.group]) return false;
  if (op.group && !m.permissionGroups[op.group]) return false;
  if (p.scopes === null) return spec.unscoped === true;
  if (p.via === 'oauth' && m.scopeFamily === 'agent-interface') return true;
  if (spec.scopes.length === 0) return true;
  return spec.scopes.some((s) => p.scopes!.includes(s));
}

/**
 * The agent-interface scopes an operation needs. One observation (3P): createJiraIssue needs read, write and search of
 * the Jira family; the rest of the table generalises it (simulator choice): reads need read, searches read + search,
 * writes and deletes all three; Rovo search and fetch need search:rovo; identity and Teamwork Graph tools none.
 */
export function agentScopesOf(op: Operation): string[] {
  const { product } = op.spec;
  if (op.spec.group === null || product === 'twg') return [];
  if (product === 'platform') return [`search:rovo${AGENT}`];
  const fam = (verb: string) => `${verb}:${product}${AGENT}`;
  if (op.kind !== 'read') return [fam('read'), fam('write'), fam('search')];
  return op.spec.group === 'search' ? [fam('read'), fam('search')] : [fam('read')];
}

/** the caller's IP as the allowlist compares it (IPv4-mapped IPv6 unwrapped) */
export function callerIp(req: IncomingMessage): string {
  const a = req.socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

export interface CallContext {
  principal: Principal;
  ip: string;
  endpoint: Endpoint;
  /** the request's access token expired; the session's earlier principal stands in (expiredTokenInSession) */
  tokenExpired?: boolean;
}

/** The message that stops this call, or null to run it. */
export function blockedBy(op: Operation, c: CallContext): string | null {
  const m = world().org.mcp;
  const p = c.principal;
  if (c.tokenExpired) return TEXT.authFailed;
  if (!m.enabled) return TEXT.serverDisabled;
  if (m.ipAllowlist !== null && !m.ipAllowlist.includes(c.ip)) return TEXT.ipBlocked;
  if (p.via !== 'oauth' && !m.apiTokenAuth) return TEXT.apiTokenDisabled;
  if (p.via === 'oauth' && p.appKind === '3lo' && m.rejectConsole3loTokens)
    return op.spec.name === 'search' ? TEXT.connectionSettings : TEXT.trouble;
  const fault = m.toolFaultEndpoints.includes(c.endpoint) ? faultText(m.toolFault, op) : null;
  if (fault) return fault;
  if (p.via === 'oauth' && m.scopeFamily === 'agent-interface') {
    const required = agentScopesOf(op);
    const have = p.scopes ?? [];
    if (required.length > 0 && !have.some((s) => s.endsWith(AGENT))) return TEXT.scopeMismatch;
    if (required.some((s) => !have.includes(s))) return insufficientScopes(op.name, required);
  }
  if (op.spec.name !== 'atlassianUserInfo' && !hasSupportedSite(p)) return TEXT.noSupportedSite;
  if (op.spec.name === 'search' && !canSearch(p)) return TEXT.searchDenied;
  return null;
}

function faultText(fault: ReturnType<typeof world>['org']['mcp']['toolFault'], op: Operation): string | null {
  switch (fault) {
    case 'trouble':
      return TEXT.trouble;
    case 'connection-settings':
      return TEXT.connectionSettings;
    case 'verify-access':
      return TEXT.verifyAccess;
    case 'auth-failed':
      return TEXT.authFailed;
    case 'app-not-installed':
      return op.kind !== 'read' ? TEXT.appNotInstalled : null;
    default:
      return null;
  }
}

/** a reachable site that runs Jira or Confluence */
function hasSupportedSite(p: Principal): boolean {
  const w = world();
  return accessibleCloudIds(p).some((id) => (w.sites[id]?.products.length ?? 0) > 0);
}

/** a reachable site where the account has a Jira or Confluence role */
function canSearch(p: Principal): boolean {
  const w = world();
  const member = w.users[p.email]?.sites ?? {};
  return accessibleCloudIds(p).some((id) => member[id] && (member[id].jira !== 'none' || member[id].confluence !== 'none'));
}
