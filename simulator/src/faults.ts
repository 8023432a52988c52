/**
 * Fault injection (POST /__admin/faults): rules applied before every non-admin handler, so every surface gets latency,
 * 429s, 5xx, resets and stalls for free, and named, seeded profiles that expand into such rules (simulator/README.md
 * "Faults" lists them).
 *
 * A 429 carries the Jira rate-limit headers of docs/reference/atlassian-oauth.md §5 (`Retry-After` in seconds,
 * `X-RateLimit-Limit`, `X-RateLimit-Remaining: 0`, `X-RateLimit-Reset` as ISO 8601 `yyyy-MM-ddTHH:mmZ`,
 * `RateLimit-Reason`) and the points-based ones of docs/reference/atlassian-mcp.md "Gateway rate limits"
 * (`X-RateLimit-NearLimit`, `Beta-RateLimit-Policy`, `Beta-RateLimit`, `Beta-Retry-After`, `X-Beta-RateLimit-Reason`);
 * a 5xx carries `Retry-After` when retryAfterSeconds is set ("some transient 5xx also carry it").
 *
 * Randomness (jitter, probability) comes from a seeded PRNG per rule (mulberry32), so a profile with a seed behaves
 * the same on every run.
 */
import { z } from 'zod';
import type { Ctx, Role } from './http.ts';

const MAX_WAIT_MS = 120_000;

export const FaultRuleSchema = z
  .object({
    role: z.enum(['auth', 'id', 'api', 'mcp']).optional(),
    method: z.string().min(1).optional(),
    /** JavaScript regular expression tested against the path (no query) */
    pathRegex: z
      .string()
      .refine((s) => {
        try {
          new RegExp(s);
          return true;
        } catch {
          return false;
        }
      }, 'must be a valid regular expression')
      .optional(),
    /** only requests that carry this header (e.g. `mcp-session-id`) */
    withHeader: z.string().min(1).optional(),
    /** only MCP `tools/call` requests for this tool name */
    tool: z.string().min(1).optional(),
    /** delay before the handler (or before the injected answer) */
    latencyMs: z.number().int().nonnegative().max(MAX_WAIT_MS).optional(),
    /** extra delay, uniform in [0, jitterMs), drawn from the rule's seeded PRNG */
    jitterMs: z.number().int().nonnegative().max(MAX_WAIT_MS).optional(),
    /** answer with this status instead of calling the handler */
    status: z.number().int().min(100).max(599).optional(),
    /** destroy the connection without an answer (the client sees a reset) */
    reset: z.literal(true).optional(),
    /** send nothing for this long, then close the connection (a stalled response) */
    stallMs: z.number().int().positive().max(MAX_WAIT_MS).optional(),
    /** end the request's MCP session (Mcp-Session-Id) first, through the hook the MCP server registers */
    dropMcpSession: z.literal(true).optional(),
    /** while this rule is active, every access token expires this many seconds after it was issued (early expiry) */
    accessTokenLifetimeSeconds: z.number().int().nonnegative().optional(),
    /** fire on every Nth matching request only (1 = every one) */
    everyNth: z.number().int().positive().optional(),
    /** fire with this probability (0..1), drawn from the seeded PRNG */
    probability: z.number().min(0).max(1).optional(),
    /** PRNG seed for jitter and probability (default 1) */
    seed: z.number().int().optional(),
    /** fire at most this many times */
    count: z.number().int().positive().optional(),
    retryAfterSeconds: z.number().int().nonnegative().optional(),
    /** RateLimit-Reason of a 429; default jira-burst-based */
    rateLimitReason: z.string().min(1).optional(),
    /** response body (JSON); default depends on status */
    body: z.unknown().optional(),
    /** plain-text response body instead of JSON */
    text: z.string().optional(),
    /** the profile this rule came from (set by the expansion; shown in the request log as `fault`) */
    profile: z.string().optional(),
  })
  .strict();
export type FaultRule = z.infer<typeof FaultRuleSchema>;

// ---------------------------------------------------------------- named profiles

export const PROFILE_NAMES = [
  'latency',
  'rate-limit-burst',
  'server-error',
  'bad-gateway',
  'unavailable',
  'connection-reset',
  'stalled',
  'token-expiry-early',
  'mcp-session-dropped',
  'consent-slow',
  'authorize-500',
] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** A profile selection: which profile, transient (a few times, then healthy) or persistent, seed, and where. */
export const ProfileSelectionSchema = z
  .object({
    name: z.enum(PROFILE_NAMES),
    /** transient: fires `count` times (profile default) then the service is healthy again; persistent: every time */
    mode: z.enum(['transient', 'persistent']).default('transient'),
    seed: z.number().int().default(1),
    /** narrow or move the profile's target (its defaults are in simulator/README.md) */
    role: z.enum(['auth', 'id', 'api', 'mcp']).optional(),
    method: z.string().min(1).optional(),
    pathRegex: FaultRuleSchema.shape.pathRegex,
    tool: z.string().min(1).optional(),
    /** transient mode: how many times it fires */
    count: z.number().int().positive().optional(),
    latencyMs: z.number().int().nonnegative().max(MAX_WAIT_MS).optional(),
    jitterMs: z.number().int().nonnegative().max(MAX_WAIT_MS).optional(),
    retryAfterSeconds: z.number().int().nonnegative().optional(),
    stallMs: z.number().int().positive().max(MAX_WAIT_MS).optional(),
    accessTokenLifetimeSeconds: z.number().int().nonnegative().optional(),
  })
  .strict();
export type ProfileSelection = z.infer<typeof ProfileSelectionSchema>;

interface ProfileDef {
  description: string;
  /** fires this many times in transient mode */
  transientCount: number;
  rule: Omit<FaultRule, 'profile' | 'seed' | 'count'>;
}

const PROFILES: Record<ProfileName, ProfileDef> = {
  latency: {
    description: 'every matching request waits latencyMs plus a seeded jitter (default 200 ms + up to 300 ms)',
    transientCount: 5,
    rule: { latencyMs: 200, jitterMs: 300 },
  },
  'rate-limit-burst': {
    description: '429 with Retry-After and the points-based rate-limit headers (RateLimit-Reason jira-burst-based)',
    transientCount: 2,
    rule: { status: 429, retryAfterSeconds: 1, rateLimitReason: 'jira-burst-based' },
  },
  'server-error': {
    description: '500 with Retry-After',
    transientCount: 1,
    rule: { status: 500, retryAfterSeconds: 1 },
  },
  'bad-gateway': {
    description: '502 with Retry-After',
    transientCount: 1,
    rule: { status: 502, retryAfterSeconds: 1 },
  },
  unavailable: {
    description: '503 with Retry-After',
    transientCount: 1,
    rule: { status: 503, retryAfterSeconds: 1 },
  },
  'connection-reset': {
    description: 'the connection is destroyed before any answer',
    transientCount: 1,
    rule: { reset: true },
  },
  stalled: {
    description: 'no answer for stallMs (default 10 s), then the connection is closed',
    transientCount: 1,
    rule: { stallMs: 10_000 },
  },
  'token-expiry-early': {
    description: 'access tokens die accessTokenLifetimeSeconds (default 0) after issue although expires_in says more',
    transientCount: 1,
    rule: { accessTokenLifetimeSeconds: 0 },
  },
  'mcp-session-dropped': {
    description: 'the MCP session of the request is gone: 404 "Session not found" on its Mcp-Session-Id',
    transientCount: 1,
    rule: { role: 'mcp', method: 'POST', withHeader: 'mcp-session-id', dropMcpSession: true },
  },
  'consent-slow': {
    description: 'the consent page takes latencyMs (default 3 s) plus a seeded jitter to load',
    transientCount: 1,
    rule: { role: 'auth', method: 'GET', pathRegex: '^/consent$', latencyMs: 3000, jitterMs: 500 },
  },
  'authorize-500': {
    description: 'GET /authorize (auth) and GET /v1/authorize (mcp) answer 500 "Internal server error"',
    transientCount: 1,
    rule: { method: 'GET', pathRegex: '^(/v1)?/authorize$', status: 500, text: 'Internal server error' },
  },
};

export function profileCatalog(): Array<{ name: ProfileName; description: string; transientCount: number; rule: FaultRule }> {
  return PROFILE_NAMES.map((name) => ({ name, ...PROFILES[name] }));
}

/** A selection → the rule it stands for (the selection's fields override the profile's defaults). */
export function expandProfile(sel: ProfileSelection): FaultRule {
  const def = PROFILES[sel.name];
  const { name, mode, seed, count, ...overrides } = sel;
  const rule: FaultRule = { ...def.rule, ...overrides, seed, profile: name };
  if (mode === 'transient') rule.count = count ?? def.transientCount;
  return rule;
}

/** `{ "rules": [...], "profiles": [...] }` (either may be left out), or a bare array of rules. */
export const FaultProfileSchema = z.preprocess(
  (v) => (Array.isArray(v) ? { rules: v } : v),
  z
    .object({ rules: z.array(FaultRuleSchema).default([]), profiles: z.array(ProfileSelectionSchema).default([]) })
    .strict()
    .transform((f) => ({ rules: [...f.rules, ...f.profiles.map(expandProfile)] })),
);

// ---------------------------------------------------------------- active rules

/** mulberry32: a small seeded PRNG, uniform in [0, 1) */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Active {
  rule: FaultRule;
  re?: RegExp;
  random: () => number;
  seen: number;
  fired: number;
}
let active: Active[] = [];

export function setFaults(rules: FaultRule[]): void {
  active = rules.map((rule) => ({
    rule,
    ...(rule.pathRegex ? { re: new RegExp(rule.pathRegex) } : {}),
    random: prng(rule.seed ?? 1),
    seen: 0,
    fired: 0,
  }));
}

export function clearFaults(): void {
  active = [];
}

export function currentFaults(): FaultRule[] {
  return active.map((a) => a.rule);
}

/**
 * Early access-token expiry: is a token issued at `issuedAt` dead now because an active rule shortens its life? Read
 * by the token store when it verifies a token; a transient rule counts only the verifications it failed.
 */
export function expiredByFault(issuedAt: number, now = Date.now()): boolean {
  for (const a of active) {
    const s = a.rule.accessTokenLifetimeSeconds;
    if (s === undefined) continue;
    if (a.rule.count !== undefined && a.fired >= a.rule.count) continue;
    if (now - issuedAt >= s * 1000) {
      a.fired++;
      return true;
    }
  }
  return false;
}

/** The MCP server registers how to end a session by its id (returns false when there was none). */
let sessionDropper: ((sessionId: string) => boolean) | undefined;
export function onMcpSessionDrop(fn: (sessionId: string) => boolean): void {
  sessionDropper = fn;
}

function isoMinute(d: Date): string {
  return `${d.toISOString().slice(0, 16)}Z`;
}

/**
 * The points-based policy a RateLimit-Reason names, in the IETF RateLimit-Policy form real responses use
 * (`"tenant-app-quota";q=100100;w=3600`, seen on Jira in March 2026). Quotas and windows other than that one are
 * simulator choices [sim]: the real numbers depend on the app's tier.
 */
function policyOf(reason: string): { name: string; quota: number; window: number } {
  if (reason === 'jira-burst-based') return { name: 'burst', quota: 100, window: 1 };
  if (reason === 'jira-per-issue-on-write') return { name: 'issue-write', quota: 20, window: 2 };
  if (reason.endsWith('global-based')) return { name: 'global-app-quota', quota: 65000, window: 3600 };
  return { name: 'tenant-app-quota', quota: 100100, window: 3600 };
}

/** The headers of an injected 429. */
export function rateLimitHeaders(retryAfterSeconds: number, reason: string, now = Date.now()): Record<string, string> {
  const p = policyOf(reason);
  return {
    'retry-after': String(retryAfterSeconds),
    'x-ratelimit-limit': '100',
    'x-ratelimit-remaining': '0',
    'x-ratelimit-reset': isoMinute(new Date(now + retryAfterSeconds * 1000 + 60_000)),
    'x-ratelimit-nearlimit': 'true',
    'ratelimit-reason': reason,
    'beta-ratelimit-policy': `"${p.name}";q=${p.quota};w=${p.window}`,
    'beta-ratelimit': `"${p.name}";r=0;t=${retryAfterSeconds}`,
    'beta-retry-after': String(retryAfterSeconds),
    'x-beta-ratelimit-reason': reason,
  };
}

function defaultBody(status: number): unknown {
  if (status === 429) return { code: 429, message: 'Rate limit exceeded.' }; // 429 body: unknown in the reference; simulator choice
  if (status === 503) return { code: 503, message: 'Service Unavailable' };
  if (status === 502) return { code: 502, message: 'Bad Gateway' };
  return { code: status, message: 'Injected fault' };
}

/** The tool names of an MCP JSON-RPC body's `tools/call` messages. */
async function toolNames(ctx: Ctx): Promise<string[]> {
  try {
    const body: unknown = JSON.parse((await ctx.rawBody()).toString('utf8'));
    return (Array.isArray(body) ? body : [body])
      .filter((m) => m && typeof m === 'object' && (m as { method?: unknown }).method === 'tools/call')
      .map((m) => String((m as { params?: { name?: unknown } }).params?.name ?? ''));
  } catch {
    return [];
  }
}

/** does the rule's request filter match (not counting everyNth/probability/count) */
async function matches(a: Active, role: Role, method: string, pathname: string, ctx: Ctx): Promise<boolean> {
  const r = a.rule;
  if (r.accessTokenLifetimeSeconds !== undefined && r.status === undefined && !r.reset && !r.stallMs && !r.latencyMs) return false;
  if (r.role && r.role !== role) return false;
  if (r.method && r.method.toUpperCase() !== method) return false;
  if (a.re && !a.re.test(pathname)) return false;
  if (r.withHeader && ctx.req.headers[r.withHeader.toLowerCase()] === undefined) return false;
  if (r.tool && !(method === 'POST' && (await toolNames(ctx)).includes(r.tool))) return false;
  return true;
}

const wait = (ms: number, ctx: Ctx) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    ctx.res.once('close', () => {
      clearTimeout(t);
      resolve();
    });
  });

/** Apply matching rules. Returns true when a fault answered (or ended) the request. */
export async function applyFaults(role: Role, method: string, pathname: string, ctx: Ctx): Promise<boolean> {
  let delay = 0;
  let answer: FaultRule | undefined;
  const fired: string[] = [];
  for (const a of active) {
    const r = a.rule;
    if (!(await matches(a, role, method, pathname, ctx))) continue;
    a.seen++;
    if (r.everyNth && a.seen % r.everyNth !== 0) continue;
    if (r.probability !== undefined && a.random() >= r.probability) continue;
    if (r.count !== undefined && a.fired >= r.count) continue;
    a.fired++;
    fired.push(r.profile ?? 'rule');
    delay += (r.latencyMs ?? 0) + (r.jitterMs ? Math.floor(a.random() * r.jitterMs) : 0);
    if (r.dropMcpSession) {
      const sid = ctx.req.headers['mcp-session-id'];
      // with the MCP server's hook the session is really gone and its handler answers the 404; without it, answer here
      if (!(typeof sid === 'string' && sessionDropper?.(sid))) answer = r;
      if (answer) break;
      continue;
    }
    if (r.status !== undefined || r.reset || r.stallMs) {
      answer = r;
      break;
    }
  }
  if (fired.length > 0) ctx.note({ fault: fired.join(',') });
  if (delay > 0) await wait(delay, ctx);
  if (!answer) return false;
  if (answer.reset) {
    ctx.req.socket.destroy();
    return true;
  }
  if (answer.stallMs) {
    await wait(answer.stallMs, ctx);
    ctx.req.socket.destroy();
    return true;
  }
  if (answer.dropMcpSession && answer.status === undefined) {
    // what the MCP SDK answers for an unknown session id
    ctx.json(404, { jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
    return true;
  }
  const status = answer.status ?? 500;
  let headers: Record<string, string> = {};
  if (status === 429) headers = rateLimitHeaders(answer.retryAfterSeconds ?? 1, answer.rateLimitReason ?? 'jira-burst-based');
  else if (answer.retryAfterSeconds !== undefined) headers['retry-after'] = String(answer.retryAfterSeconds);
  if (answer.text !== undefined) ctx.text(status, answer.text, headers);
  else ctx.json(status, answer.body === undefined ? defaultBody(status) : answer.body, headers);
  return true;
}
