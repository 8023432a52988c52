/**
 * Request-body and query validation for the gateway handlers: zod at every boundary (STYLE.md habit 6), with the
 * failure mapped to an ApiError so the product's own 400 body is sent (not the http layer's generic 400).
 */
import type { z } from 'zod';
import type { Ctx } from '../http.ts';
import { type ApiError, invalidBody } from './errors.ts';

/** Real Jira's text for an unparseable payload. */
const BAD_JSON = 'Invalid request payload. Refer to the REST API documentation and try again.';

export async function readJson(ctx: Ctx): Promise<unknown> {
  const raw = (await ctx.rawBody()).toString('utf8');
  if (raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw invalidBody(BAD_JSON);
  }
}

export type IssueMapper = (issues: z.core.$ZodIssue[]) => ApiError;

/**
 * Field → message map from zod issues, keyed by the innermost field name (Jira reports `fields.summary` as
 * `"summary"`); `messages` replaces zod's text with the product's wording for known fields.
 */
export function fieldErrors(issues: z.core.$ZodIssue[], messages: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of issues) {
    const names = issue.path.filter((p): p is string => typeof p === 'string');
    const key = names[names.length - 1] ?? 'body';
    out[key] ??= messages[key] ?? issue.message;
  }
  return out;
}

export function validate<T>(schema: z.ZodType<T>, input: unknown, onError: IssueMapper): T {
  const r = schema.safeParse(input);
  if (!r.success) throw onError(r.error.issues);
  return r.data;
}

/** Query parameters as an object, validated (400 in the product's style on failure). */
export function validateQuery<T>(ctx: Ctx, schema: z.ZodType<T>, onError: IssueMapper): T {
  return validate(schema, Object.fromEntries(ctx.query), onError);
}
