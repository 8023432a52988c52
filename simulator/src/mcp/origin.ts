/**
 * DNS-rebinding protection on the MCP endpoints. MCP Streamable HTTP transport, "Security Warning"
 * (https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#security-warning): "Servers MUST validate
 * the Origin header on all incoming connections to prevent DNS rebinding attacks. If the Origin header is present and
 * invalid, servers MUST respond with HTTP 403 Forbidden" (the body MAY be a JSON-RPC error without id). The Host check and the wording
 * follow the SDK's own transport check (`validateRequestHeaders` of @modelcontextprotocol/sdk server/streamableHttp:
 * 403, code -32000, "Invalid Host header: …" / "Invalid Origin header: …"); it runs here, before authentication, so an
 * unauthenticated rebinding probe gets the 403 too.
 *
 * Allowed Host: the mcp host of this request's base URL (loopback `127.0.0.1:<port>`, also as `localhost:<port>`, or
 * `mcp.atlassian.com` in rehearsal mode). Allowed Origin: absent (non-browser clients), the mcp origin itself, or one
 * matching the admin domain list (org.mcp.domains: the origins an organisation allows its MCP clients to run on —
 * simulator choice; the real server's Origin policy is not documented).
 */
import { matchesAny } from '../auth/authorize.ts';
import type { Ctx } from '../http.ts';
import { world } from '../state.ts';

function hostAllowed(host: string, mcpBase: string): boolean {
  const u = new URL(mcpBase);
  if (u.hostname === '127.0.0.1' || u.hostname === 'localhost') return host === `127.0.0.1:${u.port}` || host === `localhost:${u.port}`;
  // rehearsal mode: the HTTPS port is reached under the real host name, with or without a port
  return host.replace(/:\d+$/, '') === u.hostname.toLowerCase();
}

function originAllowed(origin: string, mcpBase: string): boolean {
  let o: URL;
  try {
    o = new URL(origin);
  } catch {
    return false;
  }
  if (o.origin === 'null' || `${o.protocol}//${o.host}` !== origin.replace(/\/$/, '')) return false;
  if (o.origin === new URL(mcpBase).origin) return true;
  return matchesAny(`${o.origin}/`, world().org.mcp.domains);
}

/** The 403 message for a request that fails the check, or null. */
export function rebindingRefusal(ctx: Ctx): string | null {
  const host = (ctx.req.headers.host ?? '').toLowerCase();
  if (!hostAllowed(host, ctx.bases.mcp)) return `Invalid Host header: ${ctx.req.headers.host ?? '(none)'}`;
  const origin = ctx.req.headers.origin;
  if (origin !== undefined && !originAllowed(origin, ctx.bases.mcp)) return `Invalid Origin header: ${origin}`;
  return null;
}

/** Answers 403 and returns true when the request fails the check. */
export function refuseRebinding(ctx: Ctx): boolean {
  const message = rebindingRefusal(ctx);
  if (!message) return false;
  ctx.json(403, { jsonrpc: '2.0', error: { code: -32000, message }, id: null });
  return true;
}
