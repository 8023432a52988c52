/**
 * The Streamable HTTP endpoints (atlassian-mcp.md §1): the Origin/Host check first (origin.ts, 403), then auth
 * (per-endpoint 401), then the burst limit, then the
 * `Mcp-Session-Id` session map of that endpoint (one McpServer + StreamableHTTPServerTransport per session, plain
 * node:http as in mcp-sdk.md §3 "Without express"; the parsed body goes to handleRequest).
 *
 *  - initialize without a session id → new session (200, text/event-stream, `mcp-session-id` header); counted as
 *    `mcpSessions`.
 *  - unknown session id → 404 `{"code":-32001,"message":"Session not found"}` (what the SDK answers).
 *  - no session id on anything but initialize → 400 (SDK wording).
 *  - DELETE with the session id ends it; POST /__admin/reset drops every session.
 *  - an access token that expired inside a known session: 401 (default), or with org.mcp.expiredTokenInSession
 *    "tool-error" the request goes on as the session's caller and every tool call answers "Authentication failed …
 *    Unauthorized" (3P reports: the error arrives inside the tool result, so the client never refreshes).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { onMcpSessionDrop } from '../faults.ts';
import type { Ctx } from '../http.ts';
import { count, world } from '../state.ts';
import { callerIp } from './gate.ts';
import { refuseRebinding } from './origin.ts';
import { authenticate, type Endpoint, type Principal, send401 } from './principal.ts';
import { takeCall } from './ratelimit.ts';
import { authInfoFor, buildServer, type Mode, type RequestEnv } from './server.ts';

interface Session {
  id: string;
  mode: Mode;
  transport: StreamableHTTPServerTransport;
  sync: ReturnType<typeof buildServer>['sync'];
  /** the caller of the last authenticated request */
  principal: Principal;
  close(): Promise<void>;
}

const sessions: Record<Endpoint, Map<string, Session>> = { v1: new Map(), authv2: new Map(), v2: new Map() };
/** clients rarely DELETE (the SDK's close() does not); beyond this many per endpoint the oldest session is dropped (simulator choice) */
const MAX_SESSIONS_PER_ENDPOINT = 500;

/** Drop every session (admin reset). Open GET streams are closed by the transports. */
export function dropAllSessions(): void {
  for (const map of Object.values(sessions)) {
    const all = [...map.values()];
    map.clear();
    for (const s of all) void s.close().catch(() => undefined);
  }
}

/**
 * End one session by its id on whichever endpoint holds it (the `mcp-session-dropped` fault, faults.ts): it is gone
 * for every later request too, and the request that fired the fault gets the unknown-session 404 below.
 */
function dropSession(id: string): boolean {
  for (const map of Object.values(sessions)) {
    const s = map.get(id);
    if (!s) continue;
    map.delete(id);
    void s.close().catch(() => undefined);
    return true;
  }
  return false;
}
onMcpSessionDrop(dropSession);

function rpcError(ctx: Ctx, status: number, code: number, message: string, id: unknown = null, headers?: Record<string, string>): void {
  ctx.json(status, { jsonrpc: '2.0', error: { code, message }, id }, headers);
}

function toolCallIds(body: unknown): unknown[] {
  const msgs = Array.isArray(body) ? body : [body];
  return msgs
    .filter((m) => m && typeof m === 'object' && (m as { method?: unknown }).method === 'tools/call')
    .map((m) => (m as { id?: unknown }).id ?? null);
}

export async function handleMcp(ctx: Ctx, endpoint: Endpoint): Promise<void> {
  if (refuseRebinding(ctx)) return;
  const map = sessions[endpoint];
  const sid = ctx.req.headers['mcp-session-id'];
  const known = typeof sid === 'string' && sid !== '' ? map.get(sid) : undefined;
  const auth = authenticate(ctx);
  let p: Principal;
  let tokenExpired = false;
  if (auth.ok) p = auth.principal;
  else if (auth.expired && known?.principal.via === 'oauth' && world().org.mcp.expiredTokenInSession === 'tool-error') {
    p = known.principal;
    tokenExpired = true;
  } else {
    send401(ctx, endpoint, auth.description);
    return;
  }
  ctx.note({ account: p.email, ...(p.clientId ? { clientId: p.clientId } : {}), ...(p.grantId ? { grant: p.grantId } : {}) });

  let body: unknown;
  if (ctx.req.method === 'POST') {
    const raw = (await ctx.rawBody()).toString('utf8');
    try {
      body = JSON.parse(raw);
    } catch {
      rpcError(ctx, 400, -32700, 'Parse error: Invalid JSON');
      return;
    }
    // §5: 429 on bursts; the limit counts tool calls per credential (0 = off)
    const limit = world().org.mcp.burstLimitPerSecond;
    for (const id of toolCallIds(body)) {
      const wait = takeCall(p.key, limit);
      if (wait > 0) {
        rpcError(ctx, 429, -32000, 'Too Many Requests', id, { 'retry-after': String(wait) });
        return;
      }
    }
  }

  const renv: RequestEnv = { principal: p, bases: ctx.bases, ip: callerIp(ctx.req), endpoint, note: ctx.note, tokenExpired };
  (ctx.req as IncomingMessage & { auth?: AuthInfo }).auth = authInfoFor(renv);
  if (typeof sid === 'string' && sid !== '') {
    if (!known) {
      rpcError(ctx, 404, -32001, 'Session not found');
      return;
    }
    if (!tokenExpired) known.principal = p;
    known.sync(p);
    await known.transport.handleRequest(ctx.req, ctx.res, body);
    return;
  }
  if (ctx.req.method !== 'POST' || !isInitializeRequest(body)) {
    rpcError(ctx, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    return;
  }
  const mode = modeFor(endpoint, ctx.query.get('tools'));
  const built = buildServer(mode);
  built.sync(p);
  const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: (id) => {
      map.set(id, { id, mode, transport, sync: built.sync, principal: p, close: () => built.server.close() });
      count('mcpSessions');
      if (map.size > MAX_SESSIONS_PER_ENDPOINT) {
        const [oldestId, oldest] = map.entries().next().value as [string, Session];
        map.delete(oldestId);
        void oldest.close().catch(() => undefined);
      }
    },
    onsessionclosed: (id) => {
      map.delete(id);
    },
  });
  transport.onclose = () => {
    if (transport.sessionId) map.delete(transport.sessionId);
  };
  await built.server.connect(transport);
  await transport.handleRequest(ctx.req, ctx.res, body);
}

/**
 * Which tool list a new session gets: /v2/mcp the v2 generation (`?tools=all` flat, paginated); the v1 endpoints
 * the v1 names, or the v2 tools when org.mcp.v1ExposesV2Tools ("Existing v1 connections automatically start to
 * expose and use v2 tools", 1P README; 3P probes still saw v1 names, hence a switch).
 */
function modeFor(endpoint: Endpoint, tools: string | null): Mode {
  if (endpoint === 'v2') return tools === 'all' ? 'v2-all' : 'v2';
  return world().org.mcp.v1ExposesV2Tools ? 'v2' : 'v1';
}
