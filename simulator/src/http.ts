/**
 * The simulator's tiny HTTP layer: one router per real host (role), a request context with zod-validated input,
 * the request log, unrecognised-request recording and fault injection in front of every handler.
 *
 * Every response carries `Atl-Traceid` (32 lowercase hex digits) and `Atl-Request-Id` (a UUID), as real edge responses
 * do (docs/reference/atlassian-mcp.md: "`Atl-Traceid` is 32 hex digits and responses also carry `Atl-Request-Id`").
 * A request no route recognises is recorded (GET /__admin/unrecognised) and answered 404, so the test that caused it
 * can see it (STYLE.md habit 6).
 */
import { randomBytes, randomUUID } from 'node:crypto';
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
  note(n: { clientId?: string; account?: string; grant?: string; fault?: string }): void;
}

export type Handler = (ctx: Ctx) => void | Promise<void>;

export interface Router {
  /** method 'GET' | 'POST' | … | '*'; pattern '/ex/jira/:cloudId/rest/api/3/project/search', trailing '/*' = rest (params['*']) */
  route(method: string, pattern: string, handler: Handler): void;
}

/** A request body over MAX_BODY: the dispatcher answers 413 (the body was read to its end first, so no reset). */
export class BodyTooLarge extends Error {
  constructor() {
    super(`request body larger than ${MAX_BODY} bytes`);
    this.name = 'BodyTooLarge';
  }
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
  return randomBytes(16).toString('hex');
}

/** the largest request body any handler reads [sim: Atlassian's own limits are not published for these endpoints] */
export const MAX_BODY = 5 * 1024 * 1024;
/** past this many bytes the rest of an oversized body is not drained: 413 at once, then the connection is closed */
const MAX_DRAIN = 64 * 1024 * 1024;

/** Build the request context. */
export function makeCtx(req: IncomingMessage, res: ServerResponse, role: Role, bases: Bases, entry: LogEntry): Ctx {
  const url = new URL(req.url ?? '/', bases[role]);
  const traceId = newTraceId();
  res.setHeader('atl-traceid', traceId);
  res.setHeader('atl-request-id', randomUUID());
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
        // an oversized body is read to its end and dropped, so the client gets the 413 instead of a reset
        let tooLarge = Number(req.headers['content-length'] ?? 0) > MAX_BODY;
        req.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) tooLarge = true;
          if (tooLarge) {
            chunks.length = 0;
            if (size > MAX_DRAIN) {
              req.pause();
              reject(new BodyTooLarge());
            }
            return;
          }
          chunks.push(c);
        });
        req.on('end', () => (tooLarge ? reject(new BodyTooLarge()) : resolve(Buffer.concat(chunks))));
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
      if (n.fault !== undefined) entry.fault = n.fault;
    },
  };
  return ctx;
}

export interface Dispatcher {
  /** routers per role (the host the request reached) */
  routers: Record<Role, SimRouter>;
  /** admin router: `/__admin/*` on the admin port only (never faulted, never logged) */
  admin: SimRouter;
}

function tooLarge(ctx: Ctx): void {
  ctx.json(413, { code: 413, message: `Request Entity Too Large: the body exceeds ${MAX_BODY} bytes` }, { connection: 'close' });
}

const isAdminPath = (pathname: string) => pathname === '/__admin' || pathname.startsWith('/__admin/');

/**
 * Handle one request for `role`. Order: faults → route → unrecognised (404). `/__admin` is not served here: it has
 * its own port (dispatchAdmin), so no imitated host carries it (403 naming the admin URL).
 */
export async function dispatch(d: Dispatcher, role: Role, bases: Bases, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const pathname = new URL(req.url ?? '/', 'http://x').pathname;
  const entry = logRequest(role, req, res, true);
  const ctx = makeCtx(req, res, role, bases, entry);
  try {
    if (isAdminPath(pathname)) {
      entry.recognised = false;
      ctx.json(403, {
        error: 'forbidden',
        error_description: `the admin API is not served on ${REAL_HOSTS[role]}: use the "admin" URL of the simulator's ready line`,
      });
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
    fail(ctx, method, pathname, e);
  }
}

function fail(ctx: Ctx, method: string, pathname: string, e: unknown): void {
  if (e instanceof HttpDone) return;
  if (e instanceof BodyTooLarge) {
    if (!ctx.res.headersSent) tooLarge(ctx);
    ctx.res.once('finish', () => ctx.req.destroy());
    return;
  }
  process.stderr.write(`simulator: ${method} ${pathname} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  if (!ctx.res.headersSent) ctx.json(500, { error: 'server_error', error_description: 'internal simulator error' });
  else ctx.res.end();
}

/** `localhost`, `127.x.x.x` or `[::1]`, with or without a port */
function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
  return name.toLowerCase() === 'localhost' || name === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(name);
}

function isLoopbackOrigin(origin: string): boolean {
  try {
    return isLoopbackHost(new URL(origin).host);
  } catch {
    return false;
  }
}

/** the media type of a Content-Type header, lowercased, without parameters */
function mediaType(h: string | undefined): string | undefined {
  return h?.split(';')[0]?.trim().toLowerCase() || undefined;
}

/**
 * The admin port: `/__admin/*` only. Refused before any handler runs —
 *   403 when the Host header is not loopback (DNS rebinding: a page on evil.example resolved to 127.0.0.1 sends
 *       `Host: evil.example`), or a browser sent a foreign `Origin` / `Sec-Fetch-Site: cross-site`;
 *   415 when the request carries a body or a Content-Type that is not `application/json` (a cross-site form or
 *       `text/plain` fetch cannot reach a handler; a JSON one needs a CORS preflight the simulator never grants).
 * Admin calls are not written to the request log unless they are refused or unrecognised.
 */
export async function dispatchAdmin(d: Dispatcher, bases: Bases, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const pathname = new URL(req.url ?? '/', 'http://x').pathname;
  const entry = logRequest('admin', req, res, false);
  const ctx = makeCtx(req, res, 'auth', bases, entry);
  const refuse = (status: number, error: string, description: string) => {
    entry.logged = true;
    entry.recognised = false;
    entry.error = description;
    ctx.json(status, { error, error_description: description });
  };
  try {
    if (!isLoopbackHost(req.headers.host)) {
      refuse(403, 'forbidden', `the admin API answers only to a loopback Host header, not ${JSON.stringify(req.headers.host ?? '')}`);
      return;
    }
    const origin = req.headers.origin;
    if ((origin !== undefined && !isLoopbackOrigin(origin)) || req.headers['sec-fetch-site'] === 'cross-site') {
      refuse(403, 'forbidden', 'the admin API refuses cross-site requests');
      return;
    }
    const type = mediaType(req.headers['content-type']);
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if ((hasBody || type !== undefined) && type !== 'application/json') {
      refuse(
        415,
        'unsupported_media_type',
        `admin requests with a body must be sent as Content-Type: application/json, not ${JSON.stringify(type ?? '(none)')}`,
      );
      return;
    }
    if (!isAdminPath(pathname)) {
      refuse(404, 'not_found', `the admin port serves /__admin/* only, not ${pathname} (see simulator/README.md)`);
      return;
    }
    const m = d.admin.match(method, pathname.slice('/__admin'.length) || '/');
    if (!m) {
      refuse(404, 'not_found', `no admin endpoint ${method} ${pathname} (see simulator/README.md)`);
      return;
    }
    ctx.params = m.params;
    await m.handler(ctx);
  } catch (e) {
    fail(ctx, method, pathname, e);
  }
}
