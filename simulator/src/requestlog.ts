/**
 * Request log and unrecognised requests (GET /__admin/requests, GET /__admin/unrecognised).
 * Never records headers or bodies; query values of secret-bearing parameters (code, state, tokens, passwords, the
 * login `continue` URL that embeds state) and any value containing the canary are replaced by `*`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CANARY } from './canary.ts';
import type { Role } from './http.ts';

/** the host an entry names: the real host a role imitates, or `admin` for the admin port */
const HOSTS: Record<Role | 'admin', string> = {
  auth: 'auth.atlassian.com',
  id: 'id.atlassian.com',
  api: 'api.atlassian.com',
  mcp: 'mcp.atlassian.com',
  admin: 'admin',
};

export interface LogEntry {
  seq: number;
  time: string;
  host: string;
  method: string;
  path: string;
  status: number;
  recognised: boolean;
  clientId?: string;
  account?: string;
  grant?: string;
  /** the validation issue (path + message, never the value) when the request was rejected by a schema */
  error?: string;
  /** the fault profiles (or `rule`) that fired on this request */
  fault?: string;
  /** false for admin calls (kept out of the log unless unrecognised) */
  logged: boolean;
}

const SECRET_KEYS = new Set([
  'code',
  'state',
  'continue',
  'code_verifier',
  'code_challenge',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'client_secret',
  'password',
  'api_token',
  'otp',
  'ticket',
  'rid',
  'nonce',
  'session',
  'sessionid',
  'sessionId',
]);

const MAX = 10_000;
let entries: LogEntry[] = [];
let seq = 0;

/** Path plus query with secret values blanked. */
export function safePath(rawUrl: string): string {
  const u = new URL(rawUrl, 'http://x');
  if (!u.search) return u.pathname;
  const parts: string[] = [];
  for (const [k, v] of u.searchParams) {
    const secret = SECRET_KEYS.has(k) || v.includes(CANARY) || /^eyJ/.test(v);
    parts.push(`${encodeURIComponent(k)}=${secret ? '*' : encodeURIComponent(v)}`);
  }
  return `${u.pathname}?${parts.join('&')}`;
}

export function logRequest(role: Role | 'admin', req: IncomingMessage, res: ServerResponse, logged: boolean): LogEntry {
  const entry: LogEntry = {
    seq: ++seq,
    time: new Date().toISOString(),
    host: HOSTS[role],
    method: (req.method ?? 'GET').toUpperCase(),
    path: safePath(req.url ?? '/'),
    status: 0,
    recognised: true,
    logged,
  };
  entries.push(entry);
  if (entries.length > MAX) entries = entries.slice(-MAX / 2);
  res.on('finish', () => {
    entry.status = res.statusCode;
  });
  // a connection closed before any answer (an injected reset or stall, a client that gave up) keeps status 0
  res.on('close', () => {
    if (entry.status === 0 && res.headersSent) entry.status = res.statusCode;
  });
  return entry;
}

function publicEntry(e: LogEntry): Omit<LogEntry, 'logged'> {
  const { logged: _l, ...rest } = e;
  return rest;
}

export function requestsSince(since: number): Array<Omit<LogEntry, 'logged'>> {
  return entries.filter((e) => e.seq > since && (e.logged || !e.recognised)).map(publicEntry);
}

export function unrecognised(): Array<Omit<LogEntry, 'logged'>> {
  return entries.filter((e) => !e.recognised).map(publicEntry);
}

export function clearLog(): void {
  entries = [];
}
