/**
 * Fault injection (POST /__admin/faults): rules applied before every non-admin handler, so every surface gets latency,
 * 429s and 5xx for free. A 429 carries the Jira rate-limit headers of atlassian-oauth.md §5: `Retry-After` (seconds),
 * `X-RateLimit-Limit`, `X-RateLimit-Remaining: 0`, `X-RateLimit-Reset` (ISO 8601 `yyyy-MM-ddTHH:mmZ`),
 * `RateLimit-Reason`; a 503 carries `Retry-After` when retryAfterSeconds is set ("some transient 5xx also carry it").
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
  const headers: Record<string, string> = {};
  if (status === 429) {
    const retry = answer.retryAfterSeconds ?? 1;
    headers['retry-after'] = String(retry);
    headers['x-ratelimit-limit'] = '100';
    headers['x-ratelimit-remaining'] = '0';
    headers['x-ratelimit-reset'] = isoMinute(new Date(Date.now() + retry * 1000 + 60_000));
    headers['ratelimit-reason'] = answer.rateLimitReason ?? 'jira-burst-based';
  } else if (answer.retryAfterSeconds !== undefined) {
    headers['retry-after'] = String(answer.retryAfterSeconds);
  }
  ctx.json(status, answer.body === undefined ? defaultBody(status) : answer.body, headers);
  return true;
}
