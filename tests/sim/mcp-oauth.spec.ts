/**
 * OAuth bearer tokens on the simulated Rovo MCP server, obtained over plain HTTP through the simulator's login, authorize
 * and consent (the browser-driven pages have their own specs):
 *  - user story 2 (docs/user-stories.md §2): a console OAuth 2.0 (3LO) app token works on REST,
 *    initialises an MCP session and lists tools, yet every tool call returns the generic trouble text and `search`
 *    the connection-settings text (org.mcp.rejectConsole3loTokens, default true = real behaviour [S18]);
 *  - an MCP client registered through DCR with PKCE S256 + resource works, limited to the consented site;
 *  - expired and revoked tokens are 401 with the endpoint's challenge;
 *  - a URL client_id names a Client ID Metadata Document, fetched from loopback only and checked strictly
 *    (simulator/src/auth/cimd.ts, simulator/docs/mcp.md).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { SimHandle } from '../../fixtures/core/simulator.ts';
import { expect, test } from '../../fixtures/index.ts';
import { memoryProvider } from '../support/sdk-memory-provider.ts';

const ACME = 'a1c3e5f7-0000-4000-8000-000000000001';
const TENANT = 'SimMcpTenant8ZHncYF1g234fKtc4lNi';
const REDIRECT = 'http://127.0.0.1:65000/callback';
const MEMBER = { email: 'member@sim.example', password: 'SIMCANARY-pw-member' };
const APP_3LO = { id: 'sim-client-3lo', secret: 'SIMCANARY-cs-3lo-8f2k1q' };
const TROUBLE = 'We are having trouble completing this action. Please try again shortly.';
const CONNECTION = "We couldn't verify your connection settings. Please contact your administrator for assistance.";

/** Log in, then accept consent for acme on the authorization URL `url` (followed through redirects); returns the code. */
async function consentAt(sim: SimHandle, url: string): Promise<string> {
  const login = await fetch(`${sim.urls.id}/login`, {
    method: 'POST',
    redirect: 'manual',
    body: new URLSearchParams({ step: 'password', username: MEMBER.email, password: MEMBER.password, continue: '' }),
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  let next = url;
  for (let hop = 0; hop < 5 && !new URL(next).pathname.endsWith('/consent'); hop++) {
    const r = await fetch(next, { redirect: 'manual', headers: { cookie } });
    expect(r.status, `GET ${new URL(next).pathname}`).toBe(302);
    next = new URL(r.headers.get('location')!, next).href;
  }
  const consentUrl = new URL(next);
  expect(consentUrl.pathname).toBe('/consent');
  const accept = await fetch(`${sim.urls.auth}/consent`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie },
    body: new URLSearchParams({ rid: consentUrl.searchParams.get('rid')!, action: 'accept', site: ACME }),
  });
  const back = new URL(accept.headers.get('location')!);
  const code = back.searchParams.get('code');
  expect(code, `consent returned error ${back.searchParams.get('error')}: ${back.searchParams.get('error_description')}`).toBeTruthy();
  return code!;
}

/** Log in, authorize and accept consent for acme over HTTP; returns the authorization code. */
async function consentCode(sim: SimHandle, q: Record<string, string>): Promise<string> {
  const login = await fetch(`${sim.urls.id}/login`, {
    method: 'POST',
    redirect: 'manual',
    body: new URLSearchParams({ step: 'password', username: MEMBER.email, password: MEMBER.password, continue: '' }),
  });
  expect(login.status, 'login').toBe(200);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  const authz = await fetch(
    `${sim.urls.auth}/authorize?${new URLSearchParams({ response_type: 'code', state: 'st-1', prompt: 'consent', redirect_uri: REDIRECT, ...q })}`,
    {
      redirect: 'manual',
      headers: { cookie },
    },
  );
  expect(authz.status, 'authorize').toBe(302);
  const consentUrl = new URL(authz.headers.get('location')!);
  expect(consentUrl.pathname, `authorize went to ${consentUrl.pathname}${consentUrl.search.replace(/code=[^&]+/, 'code=*')}`).toBe(
    '/consent',
  );
  const accept = await fetch(`${sim.urls.auth}/consent`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie },
    body: new URLSearchParams({ rid: consentUrl.searchParams.get('rid')!, action: 'accept', site: ACME }),
  });
  expect(accept.status, 'consent accept').toBe(302);
  const back = new URL(accept.headers.get('location')!);
  const code = back.searchParams.get('code');
  expect(code, `consent returned error ${back.searchParams.get('error')}: ${back.searchParams.get('error_description')}`).toBeTruthy();
  return code!;
}

async function tokenRequest(sim: SimHandle, body: Record<string, string>): Promise<string> {
  const res = await fetch(`${sim.urls.auth}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { access_token?: string; error?: string };
  expect(res.status, `token endpoint said ${json.error}`).toBe(200);
  return json.access_token!;
}

/** a console OAuth 2.0 (3LO) app token, as the harness's own app gets it */
async function console3loToken(sim: SimHandle): Promise<string> {
  const code = await consentCode(sim, {
    client_id: APP_3LO.id,
    scope: 'read:me read:jira-work write:jira-work search:confluence read:page:confluence offline_access',
    audience: 'api.atlassian.com',
  });
  return tokenRequest(sim, {
    grant_type: 'authorization_code',
    client_id: APP_3LO.id,
    client_secret: APP_3LO.secret,
    code,
    redirect_uri: REDIRECT,
  });
}

/** an OAuth 2.1 MCP client: DCR at the tenant, PKCE S256, resource = the MCP endpoint */
async function mcpClientToken(sim: SimHandle, resourcePath = '/v2/mcp'): Promise<{ token: string; clientId: string }> {
  const reg = await fetch(`${sim.urls.auth}/${TENANT}/dcr/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'self-test MCP client', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
  });
  expect(reg.status).toBe(201);
  const clientId = ((await reg.json()) as { client_id: string }).client_id;
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const resource = sim.urls.mcp + resourcePath;
  const code = await consentCode(sim, {
    client_id: clientId,
    scope: 'read:jira-work read:page:confluence offline_access',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    resource,
  });
  const token = await tokenRequest(sim, {
    grant_type: 'authorization_code',
    client_id: clientId,
    code,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
    resource,
  });
  return { token, clientId };
}

async function connect(sim: SimHandle, token: string, path = '/v1/mcp/authv2') {
  const transport = new StreamableHTTPClientTransport(new URL(sim.urls.mcp + path), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'sim-mcp-self', version: '0' });
  await client.connect(transport);
  return { client, transport };
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<{ isError: boolean; text: string }> {
  const r = await client.callTool({ name, arguments: args });
  const content = 'content' in r ? (r.content as Array<{ text?: string }>) : [];
  return { isError: r.isError === true, text: content.map((c) => c.text ?? '').join('') };
}

test.describe('console 3LO app token (user story 2)', () => {
  test('REST works, the MCP session initialises and lists tools, every tool call gets the trouble text', async ({ sim }) => {
    const token = await console3loToken(sim);
    const rest = await fetch(`${sim.urls.api}/ex/jira/${ACME}/rest/api/3/issue/DEMO-1`, { headers: { authorization: `Bearer ${token}` } });
    expect(rest.status, 'REST with the same token').toBe(200);
    const { client, transport } = await connect(sim, token);
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['getJiraIssue', 'search', 'createJiraIssue']));
    for (const [name, args] of [
      ['getAccessibleAtlassianResources', {}],
      ['getJiraIssue', { cloudId: ACME, issueIdOrKey: 'DEMO-1' }],
      ['createJiraIssue', { cloudId: ACME, projectKey: 'SBX', issueTypeName: 'Task', summary: 'never created' }],
    ] as const) {
      const r = await call(client, name, args);
      expect(r.isError, name).toBe(true);
      expect(JSON.parse(r.text), name).toEqual({ error: true, message: TROUBLE });
    }
    const search = await call(client, 'search', { query: 'demo' });
    expect(JSON.parse(search.text)).toEqual({ error: true, message: CONNECTION });
    // nothing was written, and every call was counted and logged with the app's client id
    const w = await sim.admin.world<{ data: Record<string, { jira: { issues: unknown[] } }> }>();
    expect(w.data[ACME]!.jira.issues).toHaveLength(4);
    expect((await sim.admin.stats()).toolCalls).toBe(4);
    const log = (await sim.admin.requests()).filter((e) => e.host === 'mcp.atlassian.com');
    expect(log.every((e) => e.clientId === APP_3LO.id && e.account === MEMBER.email)).toBe(true);
    await client.close();
  });

  test('with rejectConsole3loTokens off the same token gets the same issue REST returns', async ({ sim }) => {
    await sim.admin.patchWorld({ org: { mcp: { rejectConsole3loTokens: false } } });
    const token = await console3loToken(sim);
    const rest = (await (
      await fetch(`${sim.urls.api}/ex/jira/${ACME}/rest/api/3/issue/DEMO-1`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as {
      id: string;
      key: string;
      self: string;
      fields: { summary: string };
    };
    const { client } = await connect(sim, token);
    const r = await call(client, 'getJiraIssue', { cloudId: ACME, issueIdOrKey: 'DEMO-1' });
    expect(r.isError).toBe(false);
    const mcp = JSON.parse(r.text) as typeof rest;
    expect({ id: mcp.id, key: mcp.key, self: mcp.self, summary: mcp.fields.summary }).toEqual({
      id: rest.id,
      key: rest.key,
      self: rest.self,
      summary: rest.fields.summary,
    });
    await client.close();
  });
});

test.describe('MCP OAuth client (DCR + PKCE)', () => {
  test('its token works on /v2/mcp and sees only the consented site', async ({ sim }) => {
    const { token, clientId } = await mcpClientToken(sim);
    const { client } = await connect(sim, token, '/v2/mcp');
    const sites = JSON.parse((await call(client, 'getAccessibleAtlassianResources')).text) as Array<{ id: string }>;
    expect(sites.map((s) => s.id)).toEqual([ACME]);
    const issue = await call(client, 'getJiraIssue', { cloudId: ACME, issueIdOrKey: 'DEMO-1' });
    expect(issue.isError, issue.text).toBe(false);
    expect((JSON.parse(issue.text) as { key: string }).key).toBe('DEMO-1');
    const projects = await call(client, 'executeRead', { name: 'listJiraProjects', cloudId: ACME, inputs: {} });
    expect(projects.isError, projects.text).toBe(false);
    const other = await call(client, 'executeRead', {
      name: 'listJiraProjects',
      cloudId: 'globex-sim.atlassian.net',
      inputs: {},
    });
    expect(JSON.parse(other.text)).toEqual({
      error: true,
      message:
        'Cloud id "globex-sim.atlassian.net" is not one of the sites you can access. Call getAccessibleAtlassianResources to list them.',
    });
    expect((await sim.admin.requests()).filter((e) => e.host === 'mcp.atlassian.com').every((e) => e.clientId === clientId)).toBe(true);
    await client.close();
  });

  test('a revoked grant turns the token into a 401 with the endpoint challenge', async ({ sim }) => {
    const { token, clientId } = await mcpClientToken(sim, '/v1/mcp/authv2');
    const { client } = await connect(sim, token);
    await sim.admin.revokeGrant(MEMBER.email, clientId);
    const res = await fetch(`${sim.urls.mcp}/v1/mcp/authv2`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{}',
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${sim.urls.mcp}/.well-known/oauth-protected-resource/v1/mcp/authv2", error="invalid_token"`,
    );
    expect(await res.json()).toEqual({ error: 'invalid_token', error_description: 'The access token was revoked' });
    await client.close();
  });

  test('an expired token is a 401 "The access token expired"', async ({ sim }) => {
    await sim.admin.patchWorld({ settings: { accessTokenTtlSeconds: 1 } });
    const { token } = await mcpClientToken(sim, '/v1/mcp');
    const post = () =>
      fetch(`${sim.urls.mcp}/v1/mcp`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: '{}',
      }).then(async (r) => ({ status: r.status, body: await r.text() }));
    // the token's own 1-second lifetime is the condition waited for (polled, no sleep)
    await expect
      .poll(post, { timeout: 5000, intervals: [250] })
      .toEqual({ status: 401, body: JSON.stringify({ error: 'invalid_token', error_description: 'The access token expired' }) });
  });
});

test('the SDK completes the v1 chain: root AS → /v1/register → /v1/authorize → consent → /v1/token → tool call', async ({ sim }) => {
  const { provider, st } = memoryProvider(REDIRECT, { clientName: 'sdk-v1-flow', scope: 'read:jira-work offline_access', state: 'st-sdk' });
  const serverUrl = new URL(`${sim.urls.mcp}/v1/mcp`);
  expect(await auth(provider, { serverUrl })).toBe('REDIRECT');
  expect(`${st.authUrl!.origin}${st.authUrl!.pathname}`).toBe(`${sim.urls.mcp}/v1/authorize`);
  const code = await consentAt(sim, st.authUrl!.href);
  expect(await auth(provider, { serverUrl, authorizationCode: code })).toBe('AUTHORIZED');
  expect(st.tokens?.access_token).toBeTruthy();
  const transport = new StreamableHTTPClientTransport(serverUrl, { authProvider: provider });
  const client = new Client({ name: 'sdk-v1-flow', version: '0' });
  await client.connect(transport);
  const r = await call(client, 'getJiraIssue', { cloudId: ACME, issueIdOrKey: 'DEMO-1' });
  expect(r.isError, r.text).toBe(false);
  const log = (await sim.admin.requests()).map((e) => `${e.method} ${e.host} ${e.path.split('?')[0]} ${e.status}`);
  expect(log).toEqual(
    expect.arrayContaining([
      'GET mcp.atlassian.com /.well-known/oauth-authorization-server 200',
      'POST mcp.atlassian.com /v1/register 201',
      'POST mcp.atlassian.com /v1/token 200',
    ]),
  );
  await client.close();
});

test('the SDK completes the /v2/mcp chain: PRM → path-scoped AS → tenant DCR → auth /authorize → consent → token → tool call', async ({
  sim,
}) => {
  const { provider, st } = memoryProvider(REDIRECT, { clientName: 'sdk-v1-flow', scope: 'read:jira-work offline_access', state: 'st-sdk' });
  const serverUrl = new URL(`${sim.urls.mcp}/v2/mcp`);
  const resourceMetadataUrl = new URL(`${sim.urls.mcp}/.well-known/oauth-protected-resource/v2/mcp`);
  expect(await auth(provider, { serverUrl, resourceMetadataUrl })).toBe('REDIRECT');
  expect(`${st.authUrl!.origin}${st.authUrl!.pathname}`).toBe(`${sim.urls.auth}/authorize`);
  const code = await consentAt(sim, st.authUrl!.href);
  expect(await auth(provider, { serverUrl, resourceMetadataUrl, authorizationCode: code })).toBe('AUTHORIZED');
  const client = new Client({ name: 'sdk-v2-flow', version: '0' });
  await client.connect(new StreamableHTTPClientTransport(serverUrl, { authProvider: provider }));
  const r = await call(client, 'search', { query: 'login bug' });
  expect(r.isError, r.text).toBe(false);
  // the grant covers only the consented site
  expect((JSON.parse(r.text) as { results: Array<{ cloudId: string }> }).results.map((h) => h.cloudId)).toEqual([ACME]);
  await client.close();
});

test.describe('Client ID Metadata Document (a URL as client_id)', () => {
  /** documents this test process serves on loopback: path → answer; every request is recorded */
  const docs = new Map<string, { status?: number; body: string; headers?: Record<string, string> }>();
  const fetched: string[] = [];
  let server: Server;
  let base: string;
  test.beforeAll(async () => {
    server = createServer((req, res) => {
      fetched.push(req.url ?? '');
      const d = docs.get(req.url ?? '');
      res.writeHead(d?.status ?? (d ? 200 : 404), { 'content-type': 'application/json', ...d?.headers });
      res.end(d?.body ?? '{"error":"not found"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  test.afterAll(async () => {
    await new Promise((r) => server.close(r));
  });
  test.beforeEach(() => {
    docs.clear();
    fetched.length = 0;
  });

  /** a valid document at `path`, with `edit` applied */
  const serve = (path: string, edit: (d: Record<string, unknown>) => void = () => {}) => {
    const d: Record<string, unknown> = {
      client_id: `${base}${path}`,
      client_name: 'CIMD self-test client',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
    };
    edit(d);
    docs.set(path, { body: JSON.stringify(d) });
    return `${base}${path}`;
  };
  const pkce = () => {
    const verifier = randomBytes(32).toString('base64url');
    return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
  };
  /** GET /authorize for this client_id; the refusal page's reason, or undefined when it went on (302) */
  async function refusal(sim: SimHandle, clientId: string, redirectUri = REDIRECT): Promise<string | undefined> {
    const res = await fetch(
      `${sim.urls.auth}/authorize?${new URLSearchParams({
        client_id: clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        scope: 'read:jira-work offline_access',
        state: 'st-cimd',
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
      })}`,
      { redirect: 'manual' },
    );
    if (res.status === 302) return undefined;
    expect(res.status).toBe(400);
    expect(res.headers.get('location'), 'a refused client is never redirected to its redirect_uri').toBeNull();
    const html = await res.text();
    return /<code id="error-reason">([^<]*)<\/code>/
      .exec(html)?.[1]
      ?.replace(/&amp;/g, '&')
      .replace(/&quot;/g, '"');
  }

  test('the document is fetched from loopback and the flow runs to a token that works on /v2/mcp (auth /authorize and /v1/authorize)', async ({
    sim,
  }) => {
    const clientId = serve('/clients/good.json', (d) => {
      d.scope = 'read:jira-work read:page:confluence offline_access';
    });
    for (const authorizeBase of [`${sim.urls.auth}/authorize`, `${sim.urls.mcp}/v1/authorize`]) {
      fetched.length = 0;
      const { verifier, challenge } = pkce();
      const resource = `${sim.urls.mcp}/v2/mcp`;
      const url = `${authorizeBase}?${new URLSearchParams({
        client_id: clientId,
        redirect_uri: REDIRECT,
        response_type: 'code',
        scope: 'read:jira-work read:page:confluence offline_access',
        state: 'st-cimd',
        prompt: 'consent',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        resource,
      })}`;
      const code = await consentAt(sim, url);
      expect(fetched, 'the simulator fetched the document (no cache)').toContain('/clients/good.json');
      const token = await tokenRequest(sim, {
        grant_type: 'authorization_code',
        client_id: clientId,
        code,
        redirect_uri: REDIRECT,
        code_verifier: verifier,
        resource,
      });
      const { client } = await connect(sim, token, '/v2/mcp');
      expect((await client.listTools()).tools.length).toBeGreaterThan(0);
      await client.close();
    }
    const w = await sim.admin.world<{
      apps: Record<string, { kind: string; clientSecret: string | null; name: string; callbackUrls: string[] }>;
    }>();
    expect(w.apps[clientId]).toMatchObject({ kind: 'mcp', clientSecret: null, name: 'CIMD self-test client', callbackUrls: [REDIRECT] });
  });

  test('a redirect_uri the document does not list is refused with the real wording, on the error page', async ({ sim }) => {
    const clientId = serve('/clients/strict.json');
    expect(await refusal(sim, clientId)).toBeUndefined();
    for (const other of [
      'http://127.0.0.1:65001/callback', // another loopback port: no port wildcard for a document's URIs
      'http://127.0.0.1:65000/callback/more',
      'http://127.0.0.1:65000/callback?x=1',
      'http://localhost:65000/callback',
    ])
      expect(await refusal(sim, clientId, other), other).toBe(`unauthorized_client: redirect_uri is not registered for client: ${other}`);
    expect(await refusal(sim, clientId, 'http://127.0.0.1:65000@evil.example/callback')).toMatch(/^unauthorized_client: /);
  });

  test('the document is read again on every authorization request: a redirect URI it drops is refused at once', async ({ sim }) => {
    const clientId = serve('/clients/changing.json', (d) => {
      d.redirect_uris = [REDIRECT, 'http://127.0.0.1:65002/callback'];
    });
    expect(await refusal(sim, clientId, 'http://127.0.0.1:65002/callback')).toBeUndefined();
    serve('/clients/changing.json');
    expect(await refusal(sim, clientId, 'http://127.0.0.1:65002/callback')).toBe(
      'unauthorized_client: redirect_uri is not registered for client: http://127.0.0.1:65002/callback',
    );
    expect(fetched.filter((f) => f === '/clients/changing.json')).toHaveLength(2);
    // and a document that is gone refuses the next authorization: nothing is served from a cache
    docs.delete('/clients/changing.json');
    expect(await refusal(sim, clientId)).toMatch(/answered HTTP 404/);
  });

  test('a client_id URL off loopback, not https, at the root or with userinfo, dot segments or a fragment is refused before any fetch', async ({
    sim,
  }) => {
    const port = new URL(base).port;
    const cases: Array<[string, RegExp]> = [
      ['https://vscode.dev/oauth/client-metadata.json', /vscode\.dev, which is not a loopback host/],
      ['http://192.168.1.10/client.json', /not a loopback host/],
      [`ftp://127.0.0.1:${port}/client.json`, /must use https/],
      [`http://127.0.0.1:${port}`, /must have a path/],
      [`http://127.0.0.1:${port}/`, /must have a path/],
      [`http://user:pw@127.0.0.1:${port}/client.json`, /must not carry userinfo/],
      [`http://127.0.0.1:${port}/a/../client.json`, /must not have \. or \.\. path segments/],
      [`http://127.0.0.1:${port}/client.json#frag`, /must not carry a fragment/],
    ];
    for (const [clientId, says] of cases) expect(await refusal(sim, clientId), clientId).toMatch(says);
    expect(fetched, 'no request left the simulator for a refused URL').toEqual([]);
  });

  test('a document that breaks a rule is refused naming the rule, and no client is created', async ({ sim }) => {
    const big = 'x'.repeat(6 * 1024);
    const cases: Array<[string, (path: string) => void, RegExp]> = [
      ['/c/mismatch.json', (p) => serve(p, (d) => (d.client_id = `${base}/c/other.json`)), /client_id does not equal the URL/],
      ['/c/no-redirects.json', (p) => serve(p, (d) => delete d.redirect_uris), /redirect_uris/],
      ['/c/empty-redirects.json', (p) => serve(p, (d) => (d.redirect_uris = [])), /redirect_uris/],
      ['/c/pattern.json', (p) => serve(p, (d) => (d.redirect_uris = ['http://127.0.0.1:*/callback'])), /is a pattern/],
      ['/c/userinfo.json', (p) => serve(p, (d) => (d.redirect_uris = ['http://127.0.0.1:1@evil.example/callback'])), /userinfo/],
      ['/c/secret-method.json', (p) => serve(p, (d) => (d.token_endpoint_auth_method = 'client_secret_post')), /must be none/],
      ['/c/secret.json', (p) => serve(p, (d) => (d.client_secret = 'shh')), /client_secret must not be in/],
      ['/c/not-json.json', (p) => docs.set(p, { body: 'client_id: nope' }), /is not JSON/],
      ['/c/missing.json', () => {}, /answered HTTP 404/],
      [
        '/c/moved.json',
        (p) => docs.set(p, { status: 302, body: '', headers: { location: `${base}/clients/good.json` } }),
        /redirect \(HTTP 302\)/,
      ],
      ['/c/big.json', (p) => serve(p, (d) => (d.client_name = big)), /larger than 5120 bytes/],
    ];
    for (const [path, setup, says] of cases) {
      setup(path);
      expect(await refusal(sim, `${base}${path}`), path).toMatch(says);
    }
    expect(fetched, 'a redirect is not followed').not.toContain('/clients/good.json');
    const w = await sim.admin.world<{ apps: Record<string, unknown> }>();
    expect(Object.keys(w.apps).filter((id) => id.startsWith(base))).toEqual([]);
  });
});
