/**
 * POST https://auth.atlassian.com/oauth/token — atlassian-oauth.md §3.
 *
 * Body: JSON as documented; `application/x-www-form-urlencoded` is accepted too (MCP/OAuth 2.1 clients send form).
 * Client authentication: `client_id` + `client_secret` in the body (documented) or HTTP Basic (RFC 6749 §2.3.1).
 *
 * Error bodies (the reference says auth-code exchange errors are unknown; Atlassian is built on Auth0 [8], so these
 * are Auth0-style — simulator choice, documented in simulator/README.md):
 *   unknown client / wrong or missing client_secret → 401 {"error":"access_denied","error_description":"Unauthorized"}
 *   bad/used/expired code                          → 403 {"error":"invalid_grant","error_description":"Invalid authorization code"}
 *   redirect_uri differs from the authorize request → 403 {"error":"invalid_grant","error_description":"Invalid redirect_uri"}
 *   PKCE verifier missing or wrong                 → 403 {"error":"invalid_grant","error_description":"Failed to verify code verifier"}
 *   any refresh failure                            → 403 {"error":"invalid_grant","error_description":"Unknown or invalid refresh token."} (documented [4])
 *   unsupported grant_type                         → 403 {"error":"unsupported_grant_type","error_description":"Grant type 'X' not allowed for the client."}
 *   malformed body / missing parameter             → 400 {"error":"invalid_request","error_description":"Missing required parameter: code"}
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Ctx, Router } from '../http.ts';
import { findApp, findCode, findUser, grantById, refresh, revokeCodeProducts, tokensForCode } from '../state.ts';
import type { App } from '../world.ts';

export const REFRESH_FAILED = { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' } as const;
export const UNAUTHORIZED_CLIENT = { error: 'access_denied', error_description: 'Unauthorized' } as const;
export const INVALID_CODE = { error: 'invalid_grant', error_description: 'Invalid authorization code' } as const;

const Common = { client_id: z.string().min(1).optional(), client_secret: z.string().optional() };
const CodeGrant = z.object({
  grant_type: z.literal('authorization_code'),
  code: z.string().min(1),
  redirect_uri: z.string().min(1),
  code_verifier: z.string().optional(),
  resource: z.string().optional(),
  ...Common,
});
const RefreshGrant = z.object({
  grant_type: z.literal('refresh_token'),
  refresh_token: z.string().min(1),
  scope: z.string().optional(),
  resource: z.string().optional(),
  ...Common,
});
const AnyGrant = z.object({ grant_type: z.string().min(1) }).passthrough();

function safeEq(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function noStore(): Record<string, string> {
  return { 'cache-control': 'no-store', pragma: 'no-cache' };
}

async function readBody(ctx: Ctx): Promise<Record<string, unknown> | undefined> {
  const raw = (await ctx.rawBody()).toString('utf8');
  const type = (ctx.req.headers['content-type'] ?? '').toLowerCase();
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  try {
    const v: unknown = raw.trim() === '' ? {} : JSON.parse(raw);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  ctx.json(
    400,
    { error: 'invalid_request', error_description: 'The request body must be JSON (or application/x-www-form-urlencoded).' },
    noStore(),
  );
  return undefined;
}

function basicCredentials(ctx: Ctx): { id: string; secret: string } | undefined {
  const h = ctx.req.headers.authorization;
  if (!h?.toLowerCase().startsWith('basic ')) return undefined;
  const decoded = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  try {
    return { id: decodeURIComponent(decoded.slice(0, i)), secret: decodeURIComponent(decoded.slice(i + 1)) };
  } catch {
    return undefined;
  }
}

/** Authenticate the client. 3LO apps need their secret; MCP (public PKCE) clients need none, but a secret sent must match. */
function authenticate(
  ctx: Ctx,
  body: { client_id?: string | undefined; client_secret?: string | undefined },
): { clientId: string; app: App } | undefined {
  const basic = basicCredentials(ctx);
  const clientId = basic?.id ?? body.client_id;
  const secret = basic?.secret ?? body.client_secret;
  const app = clientId ? findApp(clientId) : undefined;
  if (!clientId || !app) {
    ctx.json(401, UNAUTHORIZED_CLIENT, noStore());
    return undefined;
  }
  ctx.note({ clientId });
  const needsSecret = app.kind === '3lo';
  const secretOk = app.clientSecret !== null && secret !== undefined && safeEq(secret, app.clientSecret);
  if ((needsSecret && !secretOk) || (!needsSecret && secret !== undefined && secret !== '' && app.clientSecret !== null && !secretOk)) {
    ctx.json(401, UNAUTHORIZED_CLIENT, noStore());
    return undefined;
  }
  return { clientId, app };
}

function missingParam(issuePath: string): { status: number; body: unknown } {
  return { status: 400, body: { error: 'invalid_request', error_description: `Missing required parameter: ${issuePath}` } };
}

export async function handleToken(ctx: Ctx): Promise<void> {
  const body = await readBody(ctx);
  if (!body) return;
  const any = AnyGrant.safeParse(body);
  if (!any.success) {
    const m = missingParam('grant_type');
    ctx.json(m.status, m.body, noStore());
    return;
  }
  const grantType = any.data.grant_type;
  if (grantType === 'authorization_code') return codeGrant(ctx, body);
  if (grantType === 'refresh_token') return refreshGrant(ctx, body);
  ctx.json(403, { error: 'unsupported_grant_type', error_description: `Grant type '${grantType}' not allowed for the client.` }, noStore());
}

function parseOr400<T>(ctx: Ctx, schema: z.ZodType<T>, body: unknown): T | undefined {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const m = missingParam(issue.path.map(String).join('.') || 'body');
  ctx.json(m.status, m.body, noStore());
  return undefined;
}

function codeGrant(ctx: Ctx, body: unknown): void {
  const b = parseOr400(ctx, CodeGrant, body);
  if (!b) return;
  const client = authenticate(ctx, b);
  if (!client) return;
  const c = findCode(b.code);
  if (!c || c.clientId !== client.clientId) {
    ctx.json(403, INVALID_CODE, noStore());
    return;
  }
  ctx.note({ account: c.email, grant: c.grantId });
  if (c.used) {
    // RFC 6749 §4.1.2: a replayed code SHOULD revoke the tokens issued from it (simulator does)
    revokeCodeProducts(c);
    ctx.json(403, INVALID_CODE, noStore());
    return;
  }
  if (c.expiresAt < Date.now()) {
    ctx.json(403, INVALID_CODE, noStore());
    return;
  }
  if (b.redirect_uri !== c.redirectUri) {
    ctx.json(403, { error: 'invalid_grant', error_description: 'Invalid redirect_uri' }, noStore());
    return;
  }
  if (c.codeChallenge !== undefined || client.app.kind === 'mcp') {
    // RFC 7636 §4.6: S256 → BASE64URL(SHA256(code_verifier)) == code_challenge; plain → code_verifier == code_challenge
    const v = b.code_verifier;
    const ok =
      v !== undefined &&
      c.codeChallenge !== undefined &&
      (c.codeChallengeMethod === 'plain'
        ? safeEq(v, c.codeChallenge)
        : createHash('sha256').update(v).digest('base64url') === c.codeChallenge);
    if (!ok) {
      ctx.json(403, { error: 'invalid_grant', error_description: 'Failed to verify code verifier' }, noStore());
      return;
    }
  }
  const grant = grantById(c.grantId);
  const user = findUser(c.email);
  if (!grant || grant.revoked || !user || user.status !== 'active') {
    ctx.json(403, INVALID_CODE, noStore());
    return;
  }
  c.used = true;
  ctx.json(200, tokensForCode(c), noStore());
}

function refreshGrant(ctx: Ctx, body: unknown): void {
  const b = parseOr400(ctx, RefreshGrant, body);
  if (!b) return;
  const client = authenticate(ctx, b);
  if (!client) return;
  const r = refresh(b.refresh_token, client.clientId);
  if (!r.ok) {
    // atlassian-oauth.md §3: refresh failure = 403 invalid_grant "Unknown or invalid refresh token."
    ctx.json(403, REFRESH_FAILED, noStore());
    return;
  }
  ctx.json(200, r.body, noStore());
}

export function registerToken(r: Router): void {
  r.route('POST', '/oauth/token', handleToken);
}
