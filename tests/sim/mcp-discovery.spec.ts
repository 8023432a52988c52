/**
 * OAuth discovery of the simulated Rovo MCP server: protected-resource metadata (RFC 9728) where real has it and 404
 * where real 404s, authorization-server metadata (RFC 8414, with the issuer quirks as switches), dynamic client
 * registration (RFC 7591) at the versioned paths, and the SDK's own auth() walking the chain to an authorization URL.
 * Facts: atlassian-mcp.md §2a "Discovery chains actually observed".
 */
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import type { SimHandle } from '../../fixtures/core/simulator.ts';
import { expect, test } from '../../fixtures/index.ts';
import { memoryProvider } from '../support/sdk-memory-provider.ts';

const TENANT = 'SimMcpTenant8ZHncYF1g234fKtc4lNi';

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> | string; headers: Headers }> {
  const res = await fetch(url, { redirect: 'manual' });
  const text = await res.text();
  let body: Record<string, unknown> | string = text;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* text */
  }
  return { status: res.status, body, headers: res.headers };
}

function register(url: string, meta: Record<string, unknown>) {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(meta) });
}

test.describe('protected-resource metadata', () => {
  test('/v1/mcp has none: both well-known forms are 404', async ({ sim }) => {
    // atlassian-mcp.md §2a: v1 PRM → 404 (Feb–Sep 2026) [S25][S26]
    for (const p of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/v1/mcp']) {
      const r = await getJson(sim.urls.mcp + p);
      expect(r.status, p).toBe(404);
      expect(r.headers.get('server')).toBe('AtlassianEdge');
    }
  });

  test('/v1/mcp/authv2 names the path-scoped auth server', async ({ sim }) => {
    const r = await getJson(`${sim.urls.mcp}/.well-known/oauth-protected-resource/v1/mcp/authv2`);
    expect(r.status).toBe(200);
    // the exact document of [S32], with the simulator's hosts and tenant
    expect(r.body).toEqual({ resource: `${sim.urls.mcp}/v1/mcp/authv2`, authorization_servers: [`${sim.urls.auth}/${TENANT}`] });
  });

  test('/v2/mcp lists scopes_supported', async ({ sim }) => {
    const r = await getJson(`${sim.urls.mcp}/.well-known/oauth-protected-resource/v2/mcp`);
    expect(r.status).toBe(200);
    const body = r.body as Record<string, unknown>;
    expect(body.resource).toBe(`${sim.urls.mcp}/v2/mcp`);
    expect(body.authorization_servers).toEqual([`${sim.urls.auth}/${TENANT}`]);
    expect(body.scopes_supported).toEqual(
      expect.arrayContaining(['offline_access', 'read:jira-work', 'write:jira-work', 'read:page:confluence', 'search:confluence']),
    );
  });
});

test.describe('authorization-server metadata', () => {
  test('path-scoped metadata (both RFC 8414 forms) has issuer = the bare auth origin by default', async ({ sim }) => {
    for (const p of [`/.well-known/oauth-authorization-server/${TENANT}`, `/${TENANT}/.well-known/oauth-authorization-server`]) {
      const r = await getJson(sim.urls.auth + p);
      expect(r.status, p).toBe(200);
      const body = r.body as Record<string, unknown>;
      // atlassian-mcp.md §2a: issuer = https://auth.atlassian.com, the RFC 8414 §3.3 mismatch [S21][S27]
      expect(body.issuer).toBe(sim.urls.auth);
      expect(body.authorization_endpoint).toBe(`${sim.urls.auth}/authorize`);
      expect(body.token_endpoint).toBe(`${sim.urls.auth}/oauth/token`);
      expect(body.registration_endpoint).toBe(`${sim.urls.auth}/${TENANT}/dcr/register`);
      expect(body.code_challenge_methods_supported).toEqual(['S256']);
    }
  });

  test('org.mcp.asIssuerConsistent makes the path-scoped issuer match its URL', async ({ sim }) => {
    await sim.admin.patchWorld({ org: { mcp: { asIssuerConsistent: true } } });
    const r = await getJson(`${sim.urls.auth}/.well-known/oauth-authorization-server/${TENANT}`);
    expect((r.body as Record<string, unknown>).issuer).toBe(`${sim.urls.auth}/${TENANT}`);
  });

  test('origin-only lookup on the auth host has no registration_endpoint', async ({ sim }) => {
    const r = await getJson(`${sim.urls.auth}/.well-known/oauth-authorization-server`);
    expect(r.status).toBe(200);
    // atlassian-mcp.md §2a [S34]
    expect(r.body).not.toHaveProperty('registration_endpoint');
    expect((r.body as Record<string, unknown>).authorization_endpoint).toBe(`${sim.urls.auth}/authorize`);
  });

  test('v1 root metadata on the mcp host uses the versioned endpoints and, by default, the cf.mcp issuer', async ({ sim }) => {
    const r = await getJson(`${sim.urls.mcp}/.well-known/oauth-authorization-server`);
    expect(r.status).toBe(200);
    const body = r.body as Record<string, unknown>;
    const mcp = new URL(sim.urls.mcp);
    // atlassian-mcp.md "The v2 generation": issuer https://cf.mcp.atlassian.com is what the real server answers (#148,
    // #205); a loopback IP base cannot take the prefix, so the simulator answers cf.localhost
    expect(body.issuer).toBe(`${mcp.protocol}//cf.localhost:${mcp.port}`);
    expect(body.authorization_endpoint).toBe(`${sim.urls.mcp}/v1/authorize`);
    expect(body.token_endpoint).toBe(`${sim.urls.mcp}/v1/token`);
    expect(body.registration_endpoint).toBe(`${sim.urls.mcp}/v1/register`);
  });

  test('org.mcp.issuerQuirk=false makes the v1 issuer the mcp host itself', async ({ sim }) => {
    await sim.admin.patchWorld({ org: { mcp: { issuerQuirk: false } } });
    const r = await getJson(`${sim.urls.mcp}/.well-known/oauth-authorization-server`);
    // atlassian-mcp.md §2a CONFLICT: issuer https://mcp.atlassian.com was reported too [S26][S30]
    expect((r.body as Record<string, unknown>).issuer).toBe(sim.urls.mcp);
  });

  test('every authorization-server document advertises client_id_metadata_document_supported', async ({ sim }) => {
    // atlassian-mcp.md "The v2 generation" (3P): CIMD advertised
    for (const url of [
      `${sim.urls.mcp}/.well-known/oauth-authorization-server`,
      `${sim.urls.auth}/.well-known/oauth-authorization-server/${TENANT}`,
      `${sim.urls.auth}/.well-known/oauth-authorization-server`,
    ]) {
      const r = await getJson(url);
      expect((r.body as Record<string, unknown>).client_id_metadata_document_supported, url).toBe(true);
    }
  });
});

test.describe('dynamic client registration', () => {
  for (const where of ['auth', 'mcp'] as const) {
    test(`${where} host registers a public client with 201 and still returns a client_secret`, async ({ sim }) => {
      const url = where === 'auth' ? `${sim.urls.auth}/${TENANT}/dcr/register` : `${sim.urls.mcp}/v1/register`;
      const res = await register(url, {
        client_name: 'self-test',
        redirect_uris: ['http://127.0.0.1:9/callback'],
        token_endpoint_auth_method: 'none',
        scope: 'read:jira-work search:rovo:mcp',
      });
      expect(res.status).toBe(201);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body.client_id).toMatch(/^sim-dcr-/);
      // atlassian-mcp.md §2a [S36]: a client_secret even for token_endpoint_auth_method=none
      expect(typeof body.client_secret).toBe('string');
      expect(body.token_endpoint_auth_method).toBe('none');
      expect(body.redirect_uris).toEqual(['http://127.0.0.1:9/callback']);
      expect(String(body.scope).split(' ')).toEqual(expect.arrayContaining(['read:jira-work', 'search:rovo:mcp']));
      const w = await sim.admin.world<{ apps: Record<string, { kind: string; name: string }> }>();
      expect(w.apps[String(body.client_id)]).toMatchObject({ kind: 'mcp', name: 'self-test' });
    });
  }

  test('org.mcp.dcrEnabled=false turns both registration endpoints into 404', async ({ sim }) => {
    await sim.admin.patchWorld({ org: { mcp: { dcrEnabled: false } } });
    for (const url of [`${sim.urls.auth}/${TENANT}/dcr/register`, `${sim.urls.mcp}/v1/register`]) {
      const res = await register(url, { redirect_uris: ['http://127.0.0.1:9/callback'] });
      expect(res.status, url).toBe(404);
    }
  });

  test('registration without redirect_uris is 400 invalid_redirect_uri (RFC 7591 §3.2.2)', async ({ sim }) => {
    const res = await register(`${sim.urls.mcp}/v1/register`, { client_name: 'x' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_redirect_uri');
  });

  test('unversioned /register, /authorize and /token on the mcp host are 404', async ({ sim }) => {
    // atlassian-mcp.md §2a [S33]
    expect((await register(`${sim.urls.mcp}/register`, { redirect_uris: ['http://127.0.0.1:9/cb'] })).status).toBe(404);
    expect((await fetch(`${sim.urls.mcp}/authorize`, { redirect: 'manual' })).status).toBe(404);
    expect((await fetch(`${sim.urls.mcp}/token`, { method: 'POST' })).status).toBe(404);
    expect((await sim.admin.unrecognised()).filter((e) => e.host === 'mcp.atlassian.com')).toEqual([]);
  });
});

test('/v1/authorize redirects to the auth host and /v1/token answers as the auth token endpoint', async ({ sim }) => {
  const a = await fetch(`${sim.urls.mcp}/v1/authorize?client_id=x&response_type=code&state=s`, { redirect: 'manual' });
  expect(a.status).toBe(302);
  expect(a.headers.get('location')).toBe(`${sim.urls.auth}/authorize?client_id=x&response_type=code&state=s`);
  const body = JSON.stringify({
    grant_type: 'authorization_code',
    code: 'no-such-code',
    redirect_uri: 'http://127.0.0.1:9/cb',
    client_id: 'sim-client-3lo',
    client_secret: 'wrong',
  });
  const viaMcp = await fetch(`${sim.urls.mcp}/v1/token`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const direct = await fetch(`${sim.urls.auth}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  expect(viaMcp.status).toBe(direct.status);
  expect(viaMcp.status).toBeGreaterThanOrEqual(400);
  expect(await viaMcp.json()).toEqual(await direct.json());
  expect(viaMcp.headers.get('server')).toBe('AtlassianEdge');
});

async function sdkChain(sim: SimHandle, path: string) {
  const { provider, st } = memoryProvider('http://127.0.0.1:9/callback', { clientName: 'sdk-self-test', state: 'state-1' });
  const before = (await sim.admin.requests()).at(-1)?.seq ?? 0;
  const result = await auth(provider, {
    serverUrl: new URL(sim.urls.mcp + path),
    resourceMetadataUrl: new URL(`${sim.urls.mcp}/.well-known/oauth-protected-resource${path}`),
  });
  const log = (await sim.admin.requests(before)).map((e) => `${e.method} ${e.host} ${e.path.split('?')[0]} ${e.status}`);
  return { result, st, log };
}

test('the SDK auth() walks /v2/mcp: PRM → path-scoped AS → DCR → S256 authorization URL with resource', async ({ sim }) => {
  const { result, st, log } = await sdkChain(sim, '/v2/mcp');
  expect(result).toBe('REDIRECT');
  expect(log).toEqual([
    'GET mcp.atlassian.com /.well-known/oauth-protected-resource/v2/mcp 200',
    `GET auth.atlassian.com /.well-known/oauth-authorization-server/${TENANT} 200`,
    `POST auth.atlassian.com /${TENANT}/dcr/register 201`,
  ]);
  expect(st.client?.client_id).toMatch(/^sim-dcr-/);
  const u = st.authUrl!;
  expect(`${u.origin}${u.pathname}`).toBe(`${sim.urls.auth}/authorize`);
  expect(u.searchParams.get('code_challenge_method')).toBe('S256');
  expect(u.searchParams.get('resource')).toBe(`${sim.urls.mcp}/v2/mcp`);
  expect(u.searchParams.get('scope')).toContain('read:jira-work');
});
