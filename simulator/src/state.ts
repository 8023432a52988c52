/**
 * All mutable simulator state: the world, identity sessions, grants, authorization codes, access and refresh tokens,
 * counters. Reset (POST /__admin/reset) restores the start world from a frozen JSON string and clears the rest — no
 * schema validation on that path, so it stays well under 5 ms.
 *
 * Token facts imitated: atlassian-oauth.md §3 (rotation, 10-minute reuse leeway, family revocation, 90-day
 * inactivity, 365-day absolute expiry, refresh token only with offline_access, password change revokes) and §4 (one
 * grant per app per account; new sites join the same grant, so existing tokens cover them).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { CANARY } from './canary.ts';
import { type App, parseWorld, type User, type World, WorldError } from './world.ts';

export { WorldError };

// ---------------------------------------------------------------- world

let startWorldJson = '';
let current: World | undefined;

/** Set the world loaded at start (already validated). */
export function loadStartWorld(w: World): void {
  startWorldJson = JSON.stringify(w);
  current = JSON.parse(startWorldJson) as World;
}

/** Current world. Read freely; mutate only via the functions here. */
export function world(): World {
  if (!current) throw new Error('simulator world not loaded');
  return current;
}

/** Validates after mutation; throws WorldError and keeps the old world. */
export function updateWorld(mutator: (w: World) => void): void {
  const draft = structuredClone(world());
  mutator(draft);
  current = parseWorld(draft);
}

/** Replace the whole world (validated; throws WorldError). */
export function replaceWorld(input: unknown): void {
  current = parseWorld(input);
}

/** RFC 7396 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export function patchWorld(patch: unknown): void {
  current = parseWorld(mergePatch(structuredClone(world()), patch));
}

export function findApp(clientId: string): App | undefined {
  return Object.hasOwn(world().apps, clientId) ? world().apps[clientId] : undefined;
}

export function findUser(email: string): User | undefined {
  const key = Object.keys(world().users).find((e) => e.toLowerCase() === email.toLowerCase());
  return key ? world().users[key] : undefined;
}

export function userEmail(email: string): string | undefined {
  return Object.keys(world().users).find((e) => e.toLowerCase() === email.toLowerCase());
}

export function pwHash(password: string): string {
  return createHash('sha256').update(password).digest('base64url');
}

// ---------------------------------------------------------------- counters

const stats = {
  consents: 0,
  codesIssued: 0,
  tokens: { authorization_code: 0, refresh_token: 0 },
  refreshReuseWithinWindow: 0,
  familyRevocations: 0,
  mcpSessions: 0,
  toolCalls: 0,
} as Record<string, unknown> & { tokens: Record<string, number> };

function freshStats(): typeof stats {
  return {
    consents: 0,
    codesIssued: 0,
    tokens: { authorization_code: 0, refresh_token: 0 },
    refreshReuseWithinWindow: 0,
    familyRevocations: 0,
    mcpSessions: 0,
    toolCalls: 0,
  };
}

let counters = freshStats();

/** Bump a /__admin/stats counter ('tokens.refresh_token' style names address nested counters). */
export function count(counter: 'mcpSessions' | 'toolCalls' | string): void {
  if (counter.startsWith('tokens.')) {
    const k = counter.slice('tokens.'.length);
    counters.tokens[k] = (counters.tokens[k] ?? 0) + 1;
    return;
  }
  const v = counters[counter];
  counters[counter] = (typeof v === 'number' ? v : 0) + 1;
}

export function getStats(): Record<string, unknown> {
  return structuredClone(counters);
}

// ---------------------------------------------------------------- reset hooks

const resetHooks: Array<() => void> = [];

/** Called on POST /__admin/reset (drop MCP sessions etc.). */
export function onReset(fn: () => void): void {
  resetHooks.push(fn);
}

export function resetState(): void {
  current = JSON.parse(startWorldJson) as World;
  sessions.clear();
  grants.clear();
  codes.clear();
  accessTokens.clear();
  refreshTokens.clear();
  families.clear();
  counters = freshStats();
  for (const fn of resetHooks) fn();
}

// ---------------------------------------------------------------- secrets

export function secret(kind: string, bytes = 24): string {
  return `${CANARY}-${kind}-${randomBytes(bytes).toString('base64url')}`;
}

// ---------------------------------------------------------------- identity sessions (id.atlassian.com cookie)

interface Session {
  email: string;
  pw: string;
  createdAt: number;
}
const sessions = new Map<string, Session>();

export function createSession(email: string): string {
  const user = findUser(email)!;
  const sid = secret('session');
  sessions.set(sid, { email: userEmail(email)!, pw: pwHash(user.password), createdAt: Date.now() });
  return sid;
}

/** The session's user, unless the session is unknown, the user is gone/inactive or changed their password. */
export function sessionUser(sid: string | undefined): string | undefined {
  if (!sid) return undefined;
  const s = sessions.get(sid);
  if (!s) return undefined;
  const u = findUser(s.email);
  if (u?.status !== 'active' || pwHash(u.password) !== s.pw) {
    sessions.delete(sid);
    return undefined;
  }
  return s.email;
}

export function dropSession(sid: string | undefined): void {
  if (sid) sessions.delete(sid);
}

// ---------------------------------------------------------------- grants

export interface Grant {
  id: string;
  email: string;
  clientId: string;
  /** union of the scopes consented so far */
  scopes: Set<string>;
  /** sites in the grant (accessible-resources) — new consents add to it (atlassian-oauth.md §4) */
  cloudIds: Set<string>;
  createdAt: number;
  revoked: boolean;
}
const grants = new Map<string, Grant>();
const grantKey = (email: string, clientId: string) => `${email.toLowerCase()}\n${clientId}`;

export function recordConsent(email: string, clientId: string, scopes: string[], cloudId: string | null): Grant {
  const key = grantKey(email, clientId);
  let g = grants.get(key);
  if (!g || g.revoked) {
    g = { id: randomUUID(), email, clientId, scopes: new Set(), cloudIds: new Set(), createdAt: Date.now(), revoked: false };
    grants.set(key, g);
  }
  for (const s of scopes) g.scopes.add(s);
  if (cloudId) g.cloudIds.add(cloudId);
  counters.consents = (counters.consents as number) + 1;
  return g;
}

export function findGrant(email: string, clientId: string): Grant | undefined {
  const g = grants.get(grantKey(email, clientId));
  return g && !g.revoked ? g : undefined;
}

export function grantById(id: string): Grant | undefined {
  for (const g of grants.values()) if (g.id === id) return g;
  return undefined;
}

/** Revoke a grant and every token issued under it. Returns false when there was no live grant. */
export function revokeGrant(email: string, clientId: string): boolean {
  const g = grants.get(grantKey(email, clientId));
  if (!g || g.revoked) return false;
  g.revoked = true;
  for (const f of families.values()) if (f.grantId === g.id) f.revoked = true;
  for (const t of accessTokens.values()) if (t.grantId === g.id) t.revoked = true;
  return true;
}

// ---------------------------------------------------------------- authorization codes

export interface AuthCode {
  clientId: string;
  email: string;
  redirectUri: string;
  scopes: string[];
  grantId: string;
  codeChallenge?: string;
  resource?: string;
  expiresAt: number;
  used: boolean;
  /** families issued from this code (revoked if the code is replayed — RFC 6749 §4.1.2) */
  familyIds: string[];
  accessTokens: string[];
}
const codes = new Map<string, AuthCode>();

export function issueCode(c: Omit<AuthCode, 'used' | 'familyIds' | 'accessTokens' | 'expiresAt'>): string {
  const code = secret('code', 18);
  codes.set(code, { ...c, used: false, familyIds: [], accessTokens: [], expiresAt: Date.now() + world().settings.codeTtlSeconds * 1000 });
  counters.codesIssued = (counters.codesIssued as number) + 1;
  return code;
}

export function findCode(code: string): AuthCode | undefined {
  return codes.get(code);
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

// ---------------------------------------------------------------- tokens

export interface AccessTokenInfo {
  clientId: string;
  appKind: '3lo' | 'mcp';
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
  appKind: '3lo' | 'mcp';
  email: string;
  accountId: string;
  scopes: string[];
  grantId: string;
  expiresAt: number;
  revoked: boolean;
  resource?: string;
}
const accessTokens = new Map<string, AccessRecord>();

interface Family {
  id: string;
  grantId: string;
  clientId: string;
  email: string;
  scopes: string[];
  createdAt: number;
  /** password hash at consent: a password change revokes refresh tokens (atlassian-oauth.md §3 [10]) */
  pw: string;
  revoked: boolean;
  resource?: string;
}
const families = new Map<string, Family>();

interface RefreshRecord {
  familyId: string;
  issuedAt: number;
  /** when it was exchanged (null = never used yet) */
  usedAt: number | null;
}
const refreshTokens = new Map<string, RefreshRecord>();

function b64url(o: unknown): string {
  return Buffer.from(JSON.stringify(o)).toString('base64url');
}

function mintAccessToken(rec: Omit<AccessRecord, 'revoked' | 'expiresAt'>): { token: string; expiresIn: number } {
  const w = world();
  const ttl = w.settings.accessTokenTtlSeconds;
  const now = Date.now();
  let token: string;
  if (w.settings.tokenFormat === 'jwt') {
    // atlassian-oauth.md §3: "Access token decodes as a JWT containing `scope`". Signature is not verifiable (simulator).
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
  accessTokens.set(token, { ...rec, expiresAt: now + ttl * 1000, revoked: false });
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

function tokenPair(f: Family, appKind: '3lo' | 'mcp', accountId: string): { body: TokenResponse; accessToken: string } {
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
  // atlassian-oauth.md §3: refresh token only if offline_access was requested
  if (f.scopes.includes('offline_access')) body.refresh_token = mintRefreshToken(f.id);
  return { body, accessToken: token };
}

/** Exchange a (validated, unused) code for the first token pair of a new family. */
export function tokensForCode(c: AuthCode): TokenResponse {
  const user = findUser(c.email)!;
  const app = findApp(c.clientId)!;
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
  counters.tokens.authorization_code = (counters.tokens.authorization_code ?? 0) + 1;
  return body;
}

export type RefreshResult =
  | { ok: true; body: TokenResponse }
  | { ok: false; reason: 'unknown' | 'revoked' | 'expired' | 'reused' | 'password' | 'client' };

/** Refresh with rotation, reuse window and family revocation (atlassian-oauth.md §3). */
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
    // atlassian-oauth.md §3: reuse leeway 10 min; reuse outside it invalidates ALL refresh tokens of the family
    if (now - r.usedAt >= s.refreshReuseWindowSeconds * 1000) {
      f.revoked = true;
      for (const t of accessTokens.values()) if (t.grantId === f.grantId && t.clientId === f.clientId) t.revoked = true;
      counters.familyRevocations = (counters.familyRevocations as number) + 1;
      return { ok: false, reason: 'reused' };
    }
    counters.refreshReuseWithinWindow = (counters.refreshReuseWithinWindow as number) + 1;
  } else {
    r.usedAt = now;
  }
  counters.tokens.refresh_token = (counters.tokens.refresh_token ?? 0) + 1;
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
  if (Date.now() >= a.expiresAt) return { ok: false, reason: 'expired' };
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

/** The resource (RFC 8707) an access token was issued for, if any. */
export function accessTokenResource(token: string): string | undefined {
  return accessTokens.get(token)?.resource;
}

// ---------------------------------------------------------------- API tokens and service keys

/** Basic email:token (null scopes = unscoped legacy token). */
export function verifyApiToken(email: string, token: string): { ok: true; email: string; scopes: string[] | null } | { ok: false } {
  const key = userEmail(email);
  const u = key ? world().users[key] : undefined;
  if (!key || !u || u.status !== 'active' || u.serviceAccount) return { ok: false };
  const t = u.apiTokens.find((x) => x.token === token);
  return t ? { ok: true, email: key, scopes: t.scopes ? [...t.scopes] : null } : { ok: false };
}

/** Bearer service-account key (atlassian-mcp.md §2b). */
export function verifyServiceKey(key: string): { ok: true; email: string; scopes: string[] | null } | { ok: false } {
  for (const [email, u] of Object.entries(world().users)) {
    if (!u.serviceAccount || u.status !== 'active') continue;
    const t = u.apiTokens.find((x) => x.token === key);
    if (t) return { ok: true, email, scopes: t.scopes ? [...t.scopes] : null };
  }
  return { ok: false };
}

// ---------------------------------------------------------------- dynamic client registration (MCP)

/** Adds an apps entry with kind 'mcp' (atlassian-mcp.md §2a: DCR returns a client_secret even for auth method none). */
export function registerDynamicClient(meta: {
  client_name?: string;
  redirect_uris: string[];
  token_endpoint_auth_method?: string;
  scope?: string;
}): {
  clientId: string;
  clientSecret: string;
} {
  const clientId = `sim-dcr-${randomBytes(9).toString('base64url')}`;
  const clientSecret = secret('dcr-cs', 24);
  const defaultScopes = [
    'offline_access',
    'read:jira-work',
    'write:jira-work',
    'read:page:confluence',
    'write:page:confluence',
    'search:confluence',
    'read:space:confluence',
  ];
  const requested = meta.scope ? meta.scope.split(' ').filter(Boolean) : [];
  // classic Confluence scopes are not added to MCP clients (atlassian-mcp.md §2a: "requested scopes that have not been added")
  const scopes = [...new Set([...defaultScopes, ...requested.filter((s) => /^[a-z]+:[a-z0-9-]+:[a-z0-9.-]+$/.test(s))])];
  updateWorld((w) => {
    w.apps[clientId] = {
      name: meta.client_name ?? 'MCP client',
      clientSecret: meta.token_endpoint_auth_method === 'none' ? null : clientSecret,
      ownerEmail: '',
      callbackUrls: meta.redirect_uris,
      scopes,
      sharing: true,
      kind: 'mcp',
    };
  });
  return { clientId, clientSecret };
}
