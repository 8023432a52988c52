/**
 * The simulator's token endpoint (POST /oauth/token): every documented and chosen error with its exact status and
 * body, rotation, the reuse window, family revocation, password change, expiry, token formats.
 * Facts: atlassian-oauth.md §3; chosen Auth0-style auth-code errors: simulator/README.md "Token endpoint".
 * The flow to a code is driven over plain HTTP here (login form POST, /authorize, consent POST); the browser-driven
 * pages have their own spec (sim-consent-states.spec.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { SimHandle } from '../../fixtures/core/simulator.ts';
import { expect, test } from '../../fixtures/index.ts';

const CLIENT_ID = 'sim-client-3lo';
const CLIENT_SECRET = 'SIMCANARY-cs-3lo-8f2k1q';
const ACME = 'a1c3e5f7-0000-4000-8000-000000000001';
const REDIRECT = 'http://127.0.0.1:65000/callback';
const MEMBER = { email: 'member@sim.example', password: 'SIMCANARY-pw-member' };
const REFRESH_FAILED = { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' };

interface CodeOptions {
  clientId?: string;
  scopes?: string[];
  redirectUri?: string;
  extra?: Record<string, string>;
  user?: { email: string; password: string };
}

/** Log in, authorize and accept consent for acme over HTTP; returns the authorization code. */
async function getCode(sim: SimHandle, o: CodeOptions = {}): Promise<string> {
  const user = o.user ?? MEMBER;
  const login = await fetch(`${sim.urls.id}/login`, {
    method: 'POST',
    redirect: 'manual',
    body: new URLSearchParams({ step: 'password', username: user.email, password: user.password, continue: '' }),
  });
  expect(login.status, 'login').toBe(200);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  const q = new URLSearchParams({
    client_id: o.clientId ?? CLIENT_ID,
    redirect_uri: o.redirectUri ?? REDIRECT,
    scope: (o.scopes ?? ['read:me', 'read:jira-work', 'offline_access']).join(' '),
    response_type: 'code',
    state: 'st-1',
    prompt: 'consent',
    ...o.extra,
  });
  const authz = await fetch(`${sim.urls.auth}/authorize?${q}`, { redirect: 'manual', headers: { cookie } });
  expect(authz.status, 'authorize').toBe(302);
  const consentUrl = new URL(authz.headers.get('location')!);
  expect(consentUrl.pathname).toBe('/consent');
  const accept = await fetch(`${sim.urls.auth}/consent`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie },
    body: new URLSearchParams({ rid: consentUrl.searchParams.get('rid')!, action: 'accept', site: ACME }),
  });
  expect(accept.status, 'consent accept').toBe(302);
  const back = new URL(accept.headers.get('location')!);
  expect(back.searchParams.get('state')).toBe('st-1');
  return back.searchParams.get('code')!;
}

async function token(sim: SimHandle, body: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${sim.urls.auth}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function exchange(sim: SimHandle, code: string, over: Record<string, string> = {}) {
  return token(sim, {
    grant_type: 'authorization_code',
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    code,
    redirect_uri: REDIRECT,
    ...over,
  });
}

function refreshWith(sim: SimHandle, refreshToken: unknown) {
  return token(sim, {
    grant_type: 'refresh_token',
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    refresh_token: String(refreshToken),
  });
}

function jwtPayload(t: unknown): Record<string, unknown> {
  const parts = String(t).split('.');
  expect(parts).toHaveLength(3);
  return JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

test.describe('simulator token endpoint', () => {
  test('code exchange returns a Bearer JWT carrying scope, sub, aud, client_id and a canary signature', async ({ sim }) => {
    const r = await exchange(sim, await getCode(sim));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'read:me read:jira-work offline_access' });
    const p = jwtPayload(r.body.access_token);
    expect(p).toMatchObject({
      scope: 'read:me read:jira-work offline_access',
      aud: 'api.atlassian.com',
      client_id: CLIENT_ID,
      sub: '557058:00000000-0000-4000-8000-0000000000a3',
    });
    expect(Number(p.exp) - Number(p.iat)).toBe(3600);
    expect(String(r.body.access_token).split('.')[2]!.startsWith(sim.urls.canary)).toBe(true);
    expect(String(r.body.refresh_token)).toContain(sim.urls.canary);
    expect((await sim.admin.stats()).tokens.authorization_code).toBe(1);
  });

  test('a code is single-use: the second exchange gets 403 invalid_grant and revokes what the first produced', async ({ sim }) => {
    const code = await getCode(sim);
    const first = await exchange(sim, code);
    expect(first.status).toBe(200);
    const second = await exchange(sim, code);
    expect(second).toEqual({ status: 403, body: { error: 'invalid_grant', error_description: 'Invalid authorization code' } });
    expect(await refreshWith(sim, first.body.refresh_token)).toEqual({ status: 403, body: REFRESH_FAILED });
  });

  test('wrong or missing client_secret gets 401 access_denied Unauthorized', async ({ sim }) => {
    const code = await getCode(sim);
    expect(await exchange(sim, code, { client_secret: 'SIMCANARY-wrong' })).toEqual({
      status: 401,
      body: { error: 'access_denied', error_description: 'Unauthorized' },
    });
    const noSecret = await token(sim, { grant_type: 'authorization_code', client_id: CLIENT_ID, code, redirect_uri: REDIRECT });
    expect(noSecret).toEqual({ status: 401, body: { error: 'access_denied', error_description: 'Unauthorized' } });
    // the failed attempts did not burn the code
    expect((await exchange(sim, code)).status).toBe(200);
  });

  test('redirect_uri different from the authorize request gets 403 invalid_grant', async ({ sim }) => {
    const code = await getCode(sim);
    expect(await exchange(sim, code, { redirect_uri: 'http://127.0.0.1:65001/callback' })).toEqual({
      status: 403,
      body: { error: 'invalid_grant', error_description: 'Invalid redirect_uri' },
    });
  });

  test('missing parameter gets 400 invalid_request naming it; unsupported grant_type gets 403', async ({ sim }) => {
    expect(
      await token(sim, { grant_type: 'authorization_code', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uri: REDIRECT }),
    ).toEqual({
      status: 400,
      body: { error: 'invalid_request', error_description: 'Missing required parameter: code' },
    });
    expect(await token(sim, { grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET })).toEqual({
      status: 403,
      body: { error: 'unsupported_grant_type', error_description: "Grant type 'client_credentials' not allowed for the client." },
    });
  });

  test('without offline_access the response has no refresh_token', async ({ sim }) => {
    const r = await exchange(sim, await getCode(sim, { scopes: ['read:me', 'read:jira-work'] }));
    expect(r.status).toBe(200);
    expect(r.body).not.toHaveProperty('refresh_token');
    expect(r.body.scope).toBe('read:me read:jira-work');
  });

  test('every refresh rotates the refresh token and the new one works', async ({ sim }) => {
    const first = await exchange(sim, await getCode(sim));
    const r1 = await refreshWith(sim, first.body.refresh_token);
    expect(r1.status).toBe(200);
    expect(r1.body.refresh_token).not.toBe(first.body.refresh_token);
    expect(r1.body.access_token).not.toBe(first.body.access_token);
    const r2 = await refreshWith(sim, r1.body.refresh_token);
    expect(r2.status).toBe(200);
    expect((await sim.admin.stats()).tokens.refresh_token).toBe(2);
  });

  test('reusing a rotated refresh token inside the window returns a fresh pair and is counted', async ({ sim }) => {
    const first = await exchange(sim, await getCode(sim));
    const r1 = await refreshWith(sim, first.body.refresh_token);
    const reuse = await refreshWith(sim, first.body.refresh_token);
    expect(reuse.status).toBe(200);
    expect(reuse.body.refresh_token).not.toBe(r1.body.refresh_token);
    const stats = await sim.admin.stats();
    expect(stats.refreshReuseWithinWindow).toBe(1);
    expect(stats.familyRevocations).toBe(0);
  });

  test('reusing a rotated refresh token after the window revokes the whole family', async ({ sim }) => {
    await sim.admin.patchWorld({ settings: { refreshReuseWindowSeconds: 0 } });
    const first = await exchange(sim, await getCode(sim));
    const r1 = await refreshWith(sim, first.body.refresh_token);
    expect(r1.status).toBe(200);
    expect(await refreshWith(sim, first.body.refresh_token)).toEqual({ status: 403, body: REFRESH_FAILED });
    // the newest token of the family is dead too: re-consent needed (atlassian-oauth.md §3)
    expect(await refreshWith(sim, r1.body.refresh_token)).toEqual({ status: 403, body: REFRESH_FAILED });
    expect((await sim.admin.stats()).familyRevocations).toBe(1);
  });

  test('a password change revokes refresh tokens', async ({ sim }) => {
    const first = await exchange(sim, await getCode(sim));
    await sim.admin.patchWorld({ users: { [MEMBER.email]: { password: 'SIMCANARY-pw-member-changed' } } });
    expect(await refreshWith(sim, first.body.refresh_token)).toEqual({ status: 403, body: REFRESH_FAILED });
  });

  test('a revoked grant revokes its refresh tokens; an unknown refresh token gets the same 403', async ({ sim }) => {
    const first = await exchange(sim, await getCode(sim));
    await sim.admin.revokeGrant(MEMBER.email, CLIENT_ID);
    expect(await refreshWith(sim, first.body.refresh_token)).toEqual({ status: 403, body: REFRESH_FAILED });
    expect(await refreshWith(sim, 'SIMCANARY-rt-not-issued')).toEqual({ status: 403, body: REFRESH_FAILED });
  });

  test('a revoked grant stops every token of it on every product: Jira, Jira Software, Confluence v2 and v1 answer 401, refresh answers invalid_grant', async ({
    sim,
  }) => {
    // docs/reference/atlassian-oauth.md §2 (an admin revokes the app's access for a user) and §3 (each consent yields
    // a pair; refresh failures are 403 invalid_grant): every pair of the grant dies with it, the refreshed one too
    const scopes = [
      'read:me',
      'read:jira-user',
      'read:jira-work',
      'read:board-scope:jira-software',
      'read:project:jira',
      'read:page:confluence',
      'search:confluence',
      'offline_access',
    ];
    const jiraFirst = await exchange(sim, await getCode(sim, { scopes: ['read:me', 'read:jira-work', 'offline_access'] }));
    const both = await exchange(sim, await getCode(sim, { scopes }));
    const refreshed = await refreshWith(sim, both.body.refresh_token);
    expect([jiraFirst.status, both.status, refreshed.status]).toEqual([200, 200, 200]);
    const paths = [
      '/oauth/token/accessible-resources',
      '/me',
      `/ex/jira/${ACME}/rest/api/3/myself`,
      `/ex/jira/${ACME}/rest/api/3/project/search`,
      `/ex/jira/${ACME}/rest/agile/1.0/board`,
      `/ex/confluence/${ACME}/wiki/api/v2/pages?limit=1`,
      `/ex/confluence/${ACME}/wiki/rest/api/search?cql=type%3Dpage`,
    ];
    const call = async (t: unknown, p: string) =>
      (await fetch(`${sim.urls.api}${p}`, { headers: { authorization: `Bearer ${String(t)}`, accept: 'application/json' } })).status;
    // before: the refreshed token reaches every product (so the 401s below are the revocation, not the scopes)
    for (const p of paths) expect(await call(refreshed.body.access_token, p), p).toBe(200);
    await sim.admin.revokeGrant(MEMBER.email, CLIENT_ID);
    for (const t of [jiraFirst.body.access_token, both.body.access_token, refreshed.body.access_token])
      for (const p of paths) expect(await call(t, p), p).toBe(401);
    for (const r of [jiraFirst.body.refresh_token, refreshed.body.refresh_token])
      expect(await refreshWith(sim, r)).toEqual({ status: 403, body: REFRESH_FAILED });
  });

  test('a short accessTokenTtlSeconds makes the token expire at the gateway', async ({ sim }) => {
    await sim.admin.patchWorld({ settings: { accessTokenTtlSeconds: 1 } });
    const r = await exchange(sim, await getCode(sim));
    expect(r.body.expires_in).toBe(1);
    const p = jwtPayload(r.body.access_token);
    expect(Number(p.exp) - Number(p.iat)).toBe(1);
    const call = async () =>
      (
        await fetch(`${sim.urls.api}/oauth/token/accessible-resources`, {
          headers: { authorization: `Bearer ${String(r.body.access_token)}` },
        })
      ).status;
    await expect.poll(call, { timeout: 5000, intervals: [200] }).toBe(401);
  });

  test('tokenFormat opaque issues opaque access tokens that still carry the canary', async ({ sim }) => {
    await sim.admin.patchWorld({ settings: { tokenFormat: 'opaque' } });
    const r = await exchange(sim, await getCode(sim));
    expect(r.status).toBe(200);
    expect(String(r.body.access_token)).toMatch(new RegExp(`^${sim.urls.canary}-at-[A-Za-z0-9_-]+$`));
  });

  test('form-encoded bodies and HTTP Basic client authentication are accepted', async ({ sim }) => {
    const code = await getCode(sim);
    const res = await fetch(`${sim.urls.auth}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { token_type: string }).token_type).toBe('Bearer');
  });

  test('an MCP (PKCE public) client must present the right code_verifier', async ({ sim }) => {
    await sim.admin.patchWorld({
      apps: {
        'sim-mcp-pkce': {
          name: 'PKCE Client',
          // a JSON merge patch cannot set null (RFC 7396 §2), so this MCP client has a secret it never sends (public client)
          clientSecret: 'SIMCANARY-cs-pkce-unused',
          ownerEmail: '',
          callbackUrls: ['http://127.0.0.1:*/callback'],
          scopes: ['offline_access', 'read:jira-work'],
          kind: 'mcp',
        },
      },
    });
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const extra = { code_challenge: challenge, code_challenge_method: 'S256', resource: `${sim.urls.mcp}/v1/mcp/authv2` };
    const code = await getCode(sim, { clientId: 'sim-mcp-pkce', scopes: ['offline_access', 'read:jira-work'], extra });
    const base = { grant_type: 'authorization_code', client_id: 'sim-mcp-pkce', code, redirect_uri: REDIRECT };
    expect(await token(sim, { ...base, code_verifier: 'wrong-verifier-wrong-verifier-wrong-verifier' })).toEqual({
      status: 403,
      body: { error: 'invalid_grant', error_description: 'Failed to verify code verifier' },
    });
    const ok = await token(sim, { ...base, code_verifier: verifier });
    expect(ok.status).toBe(200);
    expect(jwtPayload(ok.body.access_token).aud).toBe(`${sim.urls.mcp}/v1/mcp/authv2`);
  });

  test('a code_challenge without code_challenge_method is plain (RFC 7636 §4.3): the verifier must equal the challenge', async ({
    sim,
  }) => {
    const challenge = randomBytes(32).toString('base64url');
    const code = await getCode(sim, { extra: { code_challenge: challenge } });
    // the S256 transform of a verifier is what the old, lenient behaviour compared against
    const s256Verifier = randomBytes(32).toString('base64url');
    const s256Code = await getCode(sim, { extra: { code_challenge: createHash('sha256').update(s256Verifier).digest('base64url') } });
    expect(await exchange(sim, s256Code, { code_verifier: s256Verifier })).toEqual({
      status: 403,
      body: { error: 'invalid_grant', error_description: 'Failed to verify code verifier' },
    });
    const ok = await exchange(sim, code, { code_verifier: challenge });
    expect(ok.status).toBe(200);
    expect(ok.body.token_type).toBe('Bearer');
  });

  test('an MCP public client sending a code_challenge without a method (plain) is refused at /authorize', async ({ sim }) => {
    await sim.admin.patchWorld({
      apps: {
        'sim-mcp-plain': {
          name: 'Plain PKCE Client',
          clientSecret: 'SIMCANARY-cs-plain-unused',
          ownerEmail: '',
          callbackUrls: ['http://127.0.0.1:*/callback'],
          scopes: ['offline_access', 'read:jira-work'],
          kind: 'mcp',
        },
      },
    });
    const q = new URLSearchParams({
      client_id: 'sim-mcp-plain',
      redirect_uri: REDIRECT,
      scope: 'read:jira-work',
      response_type: 'code',
      state: 'st-plain',
      code_challenge: randomBytes(32).toString('base64url'),
    });
    const res = await fetch(`${sim.urls.auth}/authorize?${q}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe('http://127.0.0.1:65000/callback');
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('state')).toBe('st-plain');
  });

  test('an unknown code_challenge_method is refused at /authorize with invalid_request', async ({ sim }) => {
    const q = new URLSearchParams({
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT,
      scope: 'read:me',
      response_type: 'code',
      state: 'st-s512',
      code_challenge: randomBytes(32).toString('base64url'),
      code_challenge_method: 'S512',
    });
    const res = await fetch(`${sim.urls.auth}/authorize?${q}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location')!);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toBe('code_challenge_method must be S256 or plain');
  });
});
