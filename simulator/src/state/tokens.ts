/**
 * Access tokens, refresh tokens and their families (docs/reference/atlassian-oauth.md §3): rotation, the 10-minute
 * reuse leeway, family revocation on reuse outside it, 90-day inactivity, 365-day absolute expiry, a refresh token
 * only with offline_access, and a password change revoking refresh tokens. Revoking a grant (§4) or replaying a code
 * (RFC 6749 §4.1.2) revokes the tokens issued under it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { CANARY } from '../canary.ts';
import { expiredByFault } from '../faults.ts';
import type { AuthCode } from './codes.ts';
import { count } from './counters.ts';
import { grantById, grantOf } from './grants.ts';
import { onReset } from './reset.ts';
import { pwHash, secret } from './secrets.ts';
import { findApp, findUser, world } from './world.ts';

type AppKind = '3lo' | 'mcp';

export interface AccessTokenInfo {
  clientId: string;
  appKind: AppKind;
  email: string;
  accountId: string;
  /** scopes granted to this token */
  scopes: string[];
  /** sites in the grant (accessible-resources) */
  cloudIds: string[];
  grantId: string;
  /** epoch ms */
  expiresAt: number;
}

interface AccessRecord {
  clientId: string;
  appKind: AppKind;
  email: string;
  accountId: string;
  scopes: string[];
  grantId: string;
  issuedAt: number;
  expiresAt: number;
  revoked: boolean;
  /** RFC 8707 resource the token was issued for (becomes the JWT `aud`) */
  resource?: string;
}

interface Family {
  id: string;
  grantId: string;
  clientId: string;
  email: string;
  scopes: string[];
  createdAt: number;
  /** password fingerprint at consent: a password change revokes refresh tokens (§3) */
  pw: string;
  revoked: boolean;
  resource?: string;
}

interface RefreshRecord {
  familyId: string;
  issuedAt: number;
  /** when it was exchanged (null = never used yet) */
  usedAt: number | null;
}

const accessTokens = new Map<string, AccessRecord>();
const families = new Map<string, Family>();
const refreshTokens = new Map<string, RefreshRecord>();
onReset(() => {
  accessTokens.clear();
  families.clear();
  refreshTokens.clear();
});

function b64url(o: unknown): string {
  return Buffer.from(JSON.stringify(o)).toString('base64url');
}

function mintAccessToken(rec: Omit<AccessRecord, 'revoked' | 'expiresAt' | 'issuedAt'>): { token: string; expiresIn: number } {
  const w = world();
  const ttl = w.settings.accessTokenTtlSeconds;
  const now = Date.now();
  let token: string;
  if (w.settings.tokenFormat === 'jwt') {
    // §3: "Access token decodes as a JWT containing `scope`". The signature is not verifiable (simulator).
    const header = { alg: 'RS256', typ: 'JWT', kid: 'sim-signing-key' };
    const payload = {
      iss: 'https://atlassian.com',
      sub: rec.accountId,
      aud: rec.resource ?? 'api.atlassian.com',
      scope: rec.scopes.join(' '),
      client_id: rec.clientId,
      iat: Math.floor(now / 1000),
      exp: Math.floor(now / 1000) + ttl,
      jti: randomUUID(),
    };
    token = `${b64url(header)}.${b64url(payload)}.${CANARY}${randomBytes(32).toString('base64url')}`;
  } else {
    token = secret('at', 32);
  }
  accessTokens.set(token, { ...rec, issuedAt: now, expiresAt: now + ttl * 1000, revoked: false });
  return { token, expiresIn: ttl };
}

function mintRefreshToken(familyId: string): string {
  const t = secret('rt', 32);
  refreshTokens.set(t, { familyId, issuedAt: Date.now(), usedAt: null });
  return t;
}

export interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  expires_in: number;
  scope: string;
  token_type: 'Bearer';
}

function tokenPair(f: Family, appKind: AppKind, accountId: string): { body: TokenResponse; accessToken: string } {
  const { token, expiresIn } = mintAccessToken({
    clientId: f.clientId,
    appKind,
    email: f.email,
    accountId,
    scopes: f.scopes,
    grantId: f.grantId,
    ...(f.resource ? { resource: f.resource } : {}),
  });
  const body: TokenResponse = { access_token: token, expires_in: expiresIn, scope: f.scopes.join(' '), token_type: 'Bearer' };
  // §3: a refresh token only if offline_access was requested
  if (f.scopes.includes('offline_access')) body.refresh_token = mintRefreshToken(f.id);
  return { body, accessToken: token };
}

/** Exchange a (validated, unused) code for the first token pair of a new family. */
export function tokensForCode(c: AuthCode): TokenResponse {
  const user = findUser(c.email);
  const app = findApp(c.clientId);
  if (!user || !app) throw new Error('tokensForCode: the code names no user or app');
  const f: Family = {
    id: randomUUID(),
    grantId: c.grantId,
    clientId: c.clientId,
    email: c.email,
    scopes: c.scopes,
    createdAt: Date.now(),
    pw: pwHash(user.password),
    revoked: false,
    ...(c.resource ? { resource: c.resource } : {}),
  };
  families.set(f.id, f);
  c.familyIds.push(f.id);
  const { body, accessToken } = tokenPair(f, app.kind, user.accountId);
  c.accessTokens.push(accessToken);
  count('tokens.authorization_code');
  return body;
}

export type RefreshResult =
  | { ok: true; body: TokenResponse }
  | { ok: false; reason: 'unknown' | 'revoked' | 'expired' | 'reused' | 'password' | 'client' };

/** Refresh with rotation, reuse window and family revocation (§3). */
export function refresh(token: string, clientId: string): RefreshResult {
  const r = refreshTokens.get(token);
  if (!r) return { ok: false, reason: 'unknown' };
  const f = families.get(r.familyId);
  if (!f) return { ok: false, reason: 'unknown' };
  if (f.clientId !== clientId) return { ok: false, reason: 'client' };
  if (f.revoked) return { ok: false, reason: 'revoked' };
  const s = world().settings;
  const now = Date.now();
  const grant = grantById(f.grantId);
  const user = findUser(f.email);
  const app = findApp(f.clientId);
  if (!grant || grant.revoked || !user || user.status !== 'active' || !app) return { ok: false, reason: 'revoked' };
  if (pwHash(user.password) !== f.pw) {
    f.revoked = true;
    return { ok: false, reason: 'password' };
  }
  // 365 days absolute from first consent (not extended); 90 days inactivity, reset on each refresh
  if (now - f.createdAt > s.refreshAbsoluteSeconds * 1000) return { ok: false, reason: 'expired' };
  if (now - r.issuedAt > s.refreshInactivitySeconds * 1000 && r.usedAt === null) return { ok: false, reason: 'expired' };
  if (r.usedAt !== null) {
    // §3: reuse leeway 10 min; reuse outside it invalidates ALL refresh tokens of the family
    if (now - r.usedAt >= s.refreshReuseWindowSeconds * 1000) {
      f.revoked = true;
      for (const t of accessTokens.values()) if (t.grantId === f.grantId && t.clientId === f.clientId) t.revoked = true;
      count('familyRevocations');
      return { ok: false, reason: 'reused' };
    }
    count('refreshReuseWithinWindow');
  } else {
    r.usedAt = now;
  }
  count('tokens.refresh_token');
  return { ok: true, body: tokenPair(f, app.kind, user.accountId).body };
}

/** Validate a Bearer access token issued by /oauth/token. */
export function verifyAccessToken(
  token: string,
): { ok: true; info: AccessTokenInfo } | { ok: false; reason: 'unknown' | 'expired' | 'revoked' } {
  const a = accessTokens.get(token);
  if (!a) return { ok: false, reason: 'unknown' };
  if (a.revoked) return { ok: false, reason: 'revoked' };
  const g = grantById(a.grantId);
  if (!g || g.revoked) return { ok: false, reason: 'revoked' };
  // the `token-expiry-early` fault profile ends a token before its expires_in (faults.ts)
  if (Date.now() >= a.expiresAt || expiredByFault(a.issuedAt)) return { ok: false, reason: 'expired' };
  const user = findUser(a.email);
  if (user?.status !== 'active') return { ok: false, reason: 'revoked' };
  // sites that disappeared from the world or that the user left drop out of the token's reach
  const cloudIds = [...g.cloudIds].filter((id) => world().sites[id] && user.sites[id]);
  return {
    ok: true,
    info: {
      clientId: a.clientId,
      appKind: a.appKind,
      email: a.email,
      accountId: a.accountId,
      scopes: [...a.scopes],
      cloudIds,
      grantId: a.grantId,
      expiresAt: a.expiresAt,
    },
  };
}

/** Revoke a grant and every token issued under it. Returns false when there was no live grant. */
export function revokeGrant(email: string, clientId: string): boolean {
  const g = grantOf(email, clientId);
  if (!g || g.revoked) return false;
  g.revoked = true;
  for (const f of families.values()) if (f.grantId === g.id) f.revoked = true;
  for (const t of accessTokens.values()) if (t.grantId === g.id) t.revoked = true;
  return true;
}

/** A replayed code: revoke what it produced. */
export function revokeCodeProducts(c: AuthCode): void {
  for (const id of c.familyIds) {
    const f = families.get(id);
    if (f) f.revoked = true;
  }
  for (const t of c.accessTokens) {
    const a = accessTokens.get(t);
    if (a) a.revoked = true;
  }
}
