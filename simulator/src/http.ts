/**
 * The simulator's tiny HTTP layer: one router per real host (role), a request context with zod-validated input,
 * the request log, unrecognised-request recording and fault injection in front of every handler.
 *
 * Every response carries an `atl-traceid` header (atlassian-oauth.md §5 / the gateway's trace header).
 * A request no route recognises is recorded (GET /__admin/unrecognised) and answered 404, so the test that caused it
 * can see it (STYLE.md habit 6).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ZodType } from 'zod';
import { applyFaults } from './faults.ts';
import { type LogEntry, logRequest } from './requestlog.ts';

export type Role = 'auth' | 'id' | 'api' | 'mcp';
export const ROLES: readonly Role[] = ['auth', 'id', 'api', 'mcp'];
/** the real host name each role imitates */
export const REAL_HOSTS: Record<Role, string> = {
  auth: 'auth.atlassian.com',
  id: 'id.atlassian.com',
  api: 'api.atlassian.com',
  mcp: 'mcp.atlassian.com',
};

/** Public base URLs for THIS request (loopback ports normally, the real https hosts in rehearsal mode). */
export interface Bases {
  auth: string;
  id: string;
  api: string;
  mcp: string;
}

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  role: Role;
  url: URL;
  params: Record<string, string>;
  query: URLSearchParams;
  bases: Bases;
  /** also sent as `atl-traceid` response header on every response */
  traceId: string;
  /** reads once, cached */
  rawBody(): Promise<Buffer>;
  /** 400 + recorded on failure (throws HttpDone). `onError` replaces the default 400 body. */
  parse<T>(
    schema: ZodType<T>,
    source: 'json' | 'form' | 'query',
    onError?: (issue: string) => { status: number; body: unknown },
  ): Promise<T>;
  json(status: number, body: unknown, headers?: Record<string, string>): void;
  html(status: number, html: string, headers?: Record<string, string>): void;
  text(status: number, text: string, headers?: Record<string, string>): void;
  redirect(location: string, status?: number): void;
  /** annotate the request-log entry */
  note(n: { clientId?: string; account?: string; grant?: string }): void;
}

export type Handler = (ctx: Ctx) => void | Promise<void>;

export interface Router {
  /** method 'GET' | 'POST' | … | '*'; pattern '/ex/jira/:cloudId/rest/api/3/project/search', trailing '/*' = rest (params['*']) */
  route(method: string, pattern: string, handler: Handler): void;
}

/** Thrown after a response has already been sent (e.g. by ctx.parse); the dispatcher swallows it. */
export class HttpDone extends Error {
  constructor() {
    super('response already sent');
    this.name = 'HttpDone';
  }
}

interface RouteEntry {
  method: string;
  segments: string[];
  rest: boolean;
  handler: Handler;
}

export class SimRouter implements Router {
  readonly routes: RouteEntry[] = [];

  route(method: string, pattern: string, handler: Handler): void {
    let p = pattern;
    let rest = false;
    if (p.endsWith('/*')) {
      rest = true;
      p = p.slice(0, -2);
    }
    const segments = p.split('/').filter((s) => s !== '');
    this.routes.push({ method: method.toUpperCase(), segments, rest, handler });
  }

  match(method: string, pathname: string): { handler: Handler; params: Record<string, string> } | undefined {
    const parts = pathname.split('/').filter((s) => s !== '');
    for (const r of this.routes) {
      if (r.method !== '*' && r.method !== method && !(r.method === 'GET' && method === 'HEAD')) continue;
      const params = matchSegments(r, parts);
      if (params) return { handler: r.handler, params };
    }
    return undefined;
  }
}

function matchSegments(r: RouteEntry, parts: string[]): Record<string, string> | undefined {
  if (r.rest ? parts.length < r.segments.length : parts.length !== r.segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < r.segments.length; i++) {
    const seg = r.segments[i]!;
    const part = parts[i]!;
    let value: string;
    try {
      value = decodeURIComponent(part);
    } catch {
      return undefined;
    }
    if (seg.startsWith(':')) params[seg.slice(1)] = value;
    else if (seg !== value) return undefined;
  }
  if (r.rest) params['*'] = parts.slice(r.segments.length).join('/');
  return params;
}

export function newTraceId(): string {
  return randomBytes(8).toString('hex');
}

const MAX_BODY = 5 * 1024 * 1024;

/** Build the request context. */
export function makeCtx(req: IncomingMessage, res: ServerResponse, role: Role, bases: Bases, entry: LogEntry): Ctx {
  const url = new URL(req.url ?? '/', bases[role]);
  const traceId = newTraceId();
  res.setHeader('atl-traceid', traceId);
  let body: Promise<Buffer> | undefined;
  const send = (status: number, type: string, payload: string, headers?: Record<string, string>) => {
    if (res.headersSent) return;
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
    res.end(req.method === 'HEAD' ? undefined : payload);
  };
  const ctx: Ctx = {
    req,
    res,
    role,
    url,
    params: {},
    query: url.searchParams,
    bases,
    traceId,
    rawBody() {
      body ??= new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        req.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) {
            reject(new Error('body too large'));
            req.destroy();
            return;
          }
          chunks.push(c);
        });
        req.on('end', () => resolve(Buffer.concat(chunks)));
        req.on('error', reject);
      });
      return body;
    },
    async parse<T>(
      schema: ZodType<T>,
      source: 'json' | 'form' | 'query',
      onError?: (issue: string) => { status: number; body: unknown },
    ): Promise<T> {
      let input: unknown;
      const fail = (issue: string): never => {
        entry.error = issue;
        const e = onError?.(issue) ?? { status: 400, body: { error: 'invalid_request', error_description: issue } };
        ctx.json(e.status, e.body);
        throw new HttpDone();
      };
      if (source === 'query') input = Object.fromEntries(url.searchParams);
      else {
        const raw = (await ctx.rawBody()).toString('utf8');
        if (source === 'form') input = Object.fromEntries(new URLSearchParams(raw));
        else {
          try {
            input = raw.trim() === '' ? {} : JSON.parse(raw);
          } catch {
            fail('request body is not valid JSON');
          }
        }
      }
      const r = schema.safeParse(input);
      if (!r.success) {
        const issue = r.error.issues[0]!;
        fail(`${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`);
      }
      return (r as { data: T }).data;
    },
    json(status, b, headers) {
      send(status, 'application/json; charset=utf-8', JSON.stringify(b), headers);
    },
    html(status, html, headers) {
      send(status, 'text/html; charset=utf-8', html, headers);
    },
    text(status, text, headers) {
      send(status, 'text/plain; charset=utf-8', text, headers);
    },
    redirect(location, status = 302) {
      if (res.headersSent) return;
      res.writeHead(status, { location, 'cache-control': 'no-store' });
      res.end();
    },
    note(n) {
      if (n.clientId !== undefined) entry.clientId = n.clientId;
      if (n.account !== undefined) entry.account = n.account;
      if (n.grant !== undefined) entry.grant = n.grant;
    },
  };
  return ctx;
}

export interface Dispatcher {
  /** routers per role (the host the request reached) */
  routers: Record<Role, SimRouter>;
  /** admin router, served on every port under /__admin (never faulted, never logged) */
  admin: SimRouter;
}

/**
 * Handle one request for `role`. Order: admin → faults → route → unrecognised (404).
 */
export async function dispatch(d: Dispatcher, role: Role, bases: Bases, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const pathname = new URL(req.url ?? '/', 'http://x').pathname;
  const isAdmin = pathname === '/__admin' || pathname.startsWith('/__admin/');
  const entry = logRequest(role, req, res, !isAdmin);
  const ctx = makeCtx(req, res, role, bases, entry);
  try {
    if (isAdmin) {
      const m = d.admin.match(method, pathname.slice('/__admin'.length) || '/');
      if (!m) {
        entry.recognised = false;
        entry.logged = true;
        ctx.json(404, { error: 'not_found', error_description: `no admin endpoint ${method} ${pathname} (see simulator/README.md)` });
        return;
      }
      ctx.params = m.params;
      await m.handler(ctx);
      return;
    }
    const m = d.routers[role].match(method, pathname);
    if (await applyFaults(role, method, pathname, ctx)) return;
    if (!m) {
      entry.recognised = false;
      ctx.json(404, {
        error: 'not_found',
        error_description: `the simulator does not implement ${method} ${pathname} on ${REAL_HOSTS[role]}`,
      });
      return;
    }
    ctx.params = m.params;
    await m.handler(ctx);
    if (!res.headersSent) ctx.json(500, { error: 'server_error', error_description: 'handler sent no response' });
  } catch (e) {
    if (e instanceof HttpDone) return;
    process.stderr.write(`simulator: ${method} ${pathname} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    if (!res.headersSent) ctx.json(500, { error: 'server_error', error_description: 'internal simulator error' });
    else res.end();
  }
}
