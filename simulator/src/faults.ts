/**
 * Fault injection (POST /__admin/faults): rules applied before every non-admin handler, so every surface gets latency,
 * 429s and 5xx for free. A 429 carries the Jira rate-limit headers of docs/reference/atlassian-oauth.md §5
 * (`Retry-After` in seconds, `X-RateLimit-Limit`, `X-RateLimit-Remaining: 0`, `X-RateLimit-Reset` as ISO 8601
 * `yyyy-MM-ddTHH:mmZ`, `RateLimit-Reason`) and the points-based ones of docs/reference/atlassian-mcp.md "Gateway rate
 * limits" (`X-RateLimit-NearLimit`, `Beta-RateLimit-Policy`, `Beta-RateLimit`, `Beta-Retry-After`,
 * `X-Beta-RateLimit-Reason`); a 5xx carries `Retry-After` when retryAfterSeconds is set ("some transient 5xx also
 * carry it").
 */
import { z } from 'zod';
import type { Ctx, Role } from './http.ts';

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
    /** delay before the handler (or before the injected status) */
    latencyMs: z.number().int().nonnegative().max(120_000).optional(),
    /** answer with this status instead of calling the handler */
    status: z.number().int().min(100).max(599).optional(),
    /** fire on every Nth matching request only (1 = every one) */
    everyNth: z.number().int().positive().optional(),
    /** fire at most this many times */
    count: z.number().int().positive().optional(),
    retryAfterSeconds: z.number().int().nonnegative().optional(),
    /** RateLimit-Reason of a 429; default jira-burst-based */
    rateLimitReason: z.string().min(1).optional(),
    /** response body (JSON); default depends on status */
    body: z.unknown().optional(),
  })
  .strict();
export type FaultRule = z.infer<typeof FaultRuleSchema>;

/** `{ "rules": [...] }` or a bare array of rules. */
export const FaultProfileSchema = z.union([
  z.object({ rules: z.array(FaultRuleSchema) }).strict(),
  z.array(FaultRuleSchema).transform((rules) => ({ rules })),
]);

interface Active {
  rule: FaultRule;
  re?: RegExp;
  seen: number;
  fired: number;
}
let active: Active[] = [];

export function setFaults(rules: FaultRule[]): void {
  active = rules.map((rule) => ({ rule, ...(rule.pathRegex ? { re: new RegExp(rule.pathRegex) } : {}), seen: 0, fired: 0 }));
}

export function clearFaults(): void {
  active = [];
}

export function currentFaults(): FaultRule[] {
  return active.map((a) => a.rule);
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

/** The headers of an injected 429 (exported for the fault profiles). */
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
  return { code: status, message: 'Injected fault' };
}

/** Apply matching rules. Returns true when a fault answered the request. */
export async function applyFaults(role: Role, method: string, pathname: string, ctx: Ctx): Promise<boolean> {
  let delay = 0;
  let answer: FaultRule | undefined;
  for (const a of active) {
    const r = a.rule;
    if (r.role && r.role !== role) continue;
    if (r.method && r.method.toUpperCase() !== method) continue;
    if (a.re && !a.re.test(pathname)) continue;
    a.seen++;
    if (r.everyNth && a.seen % r.everyNth !== 0) continue;
    if (r.count !== undefined && a.fired >= r.count) continue;
    a.fired++;
    delay += r.latencyMs ?? 0;
    if (r.status !== undefined) {
      answer = r;
      break;
    }
  }
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  if (!answer || answer.status === undefined) return false;
  const status = answer.status;
  let headers: Record<string, string> = {};
  if (status === 429) headers = rateLimitHeaders(answer.retryAfterSeconds ?? 1, answer.rateLimitReason ?? 'jira-burst-based');
  else if (answer.retryAfterSeconds !== undefined) headers['retry-after'] = String(answer.retryAfterSeconds);
  ctx.json(status, answer.body === undefined ? defaultBody(status) : answer.body, headers);
  return true;
}
