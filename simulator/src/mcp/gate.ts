/**
 * Who sees which tool, and which org switch stops a call (atlassian-mcp.md §2b, §3, §5).
 *
 * Visibility ("tools are filtered, not denied", §5 [S47]):
 *  - legacy unscoped API tokens see only the Teamwork Graph tools (§2b [S19]);
 *  - otherwise a tool needs one of its scopes (tools/*.ts) and its admin permission group (Read/Write/Search, §3).
 *
 * Call gate, first match wins (each answers as a tool-error result, the session stays up):
 *  1. org.mcp.enabled false            → TEXT.serverDisabled (simulator choice; real switch UNVERIFIED, §3)
 *  2. org.mcp.ipAllowlist w/o caller   → TEXT.ipBlocked (§3: "IP allowlisting applies to MCP calls")
 *  3. API token / service key and org.mcp.apiTokenAuth false → TEXT.apiTokenDisabled (§2b)
 *  4. console 3LO OAuth token and org.mcp.rejectConsole3loTokens → TEXT.trouble; `search` → TEXT.connectionSettings
 *     (user story 2; KB S18 "plain OAuth 2.0 3LO app … instead of OAuth 2.1 with DCR")
 *  5. org.mcp.toolFault                → the chosen §5 text (app-not-installed: write tools only)
 */
import type { IncomingMessage } from 'node:http';
import { world } from '../state.ts';
import type { Principal } from './principal.ts';
import { TEXT } from './texts.ts';
import type { ToolSpec } from './tools/common.ts';

export function isVisible(spec: ToolSpec, p: Principal): boolean {
  const perms = world().org.mcp.permissions;
  if (spec.group && !perms[spec.group]) return false;
  if (p.scopes === null) return spec.unscoped === true;
  if (spec.scopes.length === 0) return true;
  return spec.scopes.some((s) => p.scopes!.includes(s));
}

/** the caller's IP as the allowlist compares it (IPv4-mapped IPv6 unwrapped) */
export function callerIp(req: IncomingMessage): string {
  const a = req.socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/** The message that stops this call, or null to run it. */
export function blockedBy(spec: ToolSpec, p: Principal, ip: string): string | null {
  const m = world().org.mcp;
  if (!m.enabled) return TEXT.serverDisabled;
  if (m.ipAllowlist !== null && !m.ipAllowlist.includes(ip)) return TEXT.ipBlocked;
  if (p.via !== 'oauth' && !m.apiTokenAuth) return TEXT.apiTokenDisabled;
  if (p.via === 'oauth' && p.appKind === '3lo' && m.rejectConsole3loTokens)
    return spec.name === 'search' ? TEXT.connectionSettings : TEXT.trouble;
  switch (m.toolFault) {
    case 'trouble':
      return TEXT.trouble;
    case 'connection-settings':
      return TEXT.connectionSettings;
    case 'verify-access':
      return TEXT.verifyAccess;
    case 'auth-failed':
      return TEXT.authFailed;
    case 'app-not-installed':
      return spec.group === 'write' ? TEXT.appNotInstalled : null;
    default:
      return null;
  }
}
