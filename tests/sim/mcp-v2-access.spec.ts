/**
 * Access and failure behaviour of the simulated Rovo MCP server as v2 users meet it (docs/reference/atlassian-mcp.md
 * "The v2 generation"), each provoked through the admin API and asserted by its exact text:
 *  - v2 permission groups (read_jira … search_atlassian; delete_jira/manage_jira off by default) hide the tools of a group;
 *  - the agent-interface scope family for OAuth clients: "Insufficient scopes for …" and "Unauthorized; scope does not match";
 *  - Rovo search "Access denied …", the no-supported-site text;
 *  - a tool failure on /v2/mcp only while /v1/mcp/authv2 works; /v1/authorize answering 500; an access token that
 *    expires inside a session answered as "Authentication failed … Unauthorized"; the domain list ignored.
 * Switch docs: simulator/docs/mcp.md.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { SimHandle } from '../../fixtures/core/simulator.ts';
import { expect, test } from '../../fixtures/index.ts';

const ACME = 'a1c3e5f7-0000-4000-8000-000000000001';
const GLOBEX = 'b2d4f6a8-0000-4000-8000-000000000002';
const TENANT = 'SimMcpTenant8ZHncYF1g234fKtc4lNi';
const REDIRECT = 'http://127.0.0.1:65000/callback';
const MEMBER = { email: 'member@sim.example', password: 'SIMCANARY-pw-member' };
const MEMBER_BASIC = `Basic ${Buffer.from('member@sim.example:ATATT3xSIMCANARY-member-scoped-token').toString('base64')}`;
const TROUBLE = 'We are having trouble completing this action. Please try again shortly.';

async function connect(sim: SimHandle, authorization: string, path = '/v2/mcp') {
  const transport = new StreamableHTTPClientTransport(new URL(sim.urls.mcp + path), {
    requestInit: { headers: { Authorization: authorization } },
  });
  const client = new Client({ name: 'sim-mcp-v2-access', version: '0' });
  await client.connect(transport);
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<{ isError: boolean; text: string }> {
  const r = await client.callTool({ name, arguments: args });
  const content = 'content' in r ? (r.content as Array<{ text?: string }>) : [];
  return { isError: r.isError === true, text: content.map((c) => c.text ?? '').join('') };
}

/** the tool-error shape of atlassian-mcp.md §5: a result whose text is {"error":true,"message":…} with isError */
async function expectToolError(client: Client, name: string, args: Record<string, unknown>, message: string): Promise<void> {
  const r = await call(client, name, args);
  expect(r.isError, `${name}: ${r.text}`).toBe(true);
  expect(JSON.parse(r.text)).toEqual({ error: true, message });
}

async function expectOk(client: Client, name: string, args: Record<string, unknown> = {}): Promise<unknown> {
  const r = await call(client, name, args);
  expect(r.isError, `${name}: ${r.text}`).toBe(false);
  return JSON.parse(r.text);
}

const names = async (client: Client) => (await client.listTools()).tools.map((t) => t.name);
const discovered = async (client: Client) =>
  (JSON.parse((await call(client, 'discover')).text) as { operations: Array<{ name: string }> }).operations.map((o) => o.name);

/** log in as the member; returns the id-host session cookie */
async function login(sim: SimHandle): Promise<string> {
  const res = await fetch(`${sim.urls.id}/login`, {
    method: 'POST',
    redirect: 'manual',
    body: new URLSearchParams({ step: 'password', username: MEMBER.email, password: MEMBER.password, continue: '' }),
  });
  expect(res.status, 'login').toBe(200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
}

async function registerClient(sim: SimHandle, scope: string): Promise<string> {
  const reg = await fetch(`${sim.urls.auth}/${TENANT}/dcr/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'v2 access self-test', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', scope }),
  });
  expect(reg.status).toBe(201);
  return ((await reg.json()) as { client_id: string }).client_id;
}

/** GET /authorize for a DCR client with PKCE; returns the consent URL it leads to and the verifier */
async function authorize(sim: SimHandle, cookie: string, clientId: string, scope: string) {
  const verifier = randomBytes(32).toString('base64url');
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    scope,
    redirect_uri: REDIRECT,
    state: 'st',
    prompt: 'consent',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    resource: `${sim.urls.mcp}/v2/mcp`,
  });
  const res = await fetch(`${sim.urls.auth}/authorize?${q}`, { redirect: 'manual', headers: { cookie } });
  expect(res.status, 'authorize').toBe(302);
  return { consentUrl: new URL(res.headers.get('location')!), verifier };
}

/** an OAuth 2.1 MCP client token for acme with exactly `scope` requested (DCR + PKCE + consent over HTTP) */
async function oauthToken(sim: SimHandle, scope: string): Promise<string> {
  const clientId = await registerClient(sim, scope);
  const cookie = await login(sim);
  const { consentUrl, verifier } = await authorize(sim, cookie, clientId, scope);
  expect(consentUrl.pathname).toBe('/consent');
  const accept = await fetch(`${sim.urls.auth}/consent`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie },
    body: new URLSearchParams({ rid: consentUrl.searchParams.get('rid')!, action: 'accept', site: ACME }),
  });
  const code = new URL(accept.headers.get('location')!).searchParams.get('code');
  expect(code, 'consent gave no code').toBeTruthy();
  const tok = await fetch(`${sim.urls.auth}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'authorization_code',
      client_id: clientId,
      code,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
      resource: `${sim.urls.mcp}/v2/mcp`,
    }),
  });
  const body = (await tok.json()) as { access_token?: string; scope?: string; error?: string };
  expect(tok.status, `token endpoint: ${body.error}`).toBe(200);
  return body.access_token!;
}

test.describe('v2 permission groups', () => {
  test('write_jira off hides the Jira writes on v2 and v1, Confluence writes stay', async ({ sim }) => {
    await sim.admin.patchWorld({ org: { mcp: { permissionGroups: { write_jira: false } } } });
    const v2 = await connect(sim, MEMBER_BASIC);
    const listed = await names(v2);
    expect(listed).not.toContain('createJiraIssue');
    expect(listed).not.toContain('addOrEditJiraIssueComment');
    expect(listed).toContain('createConfluenceContent');
    expect(listed).toContain('getJiraIssue');
    expect(await discovered(v2)).not.toContain('editJiraIssue');
    const v1 = await connect(sim, MEMBER_BASIC, '/v1/mcp');
    const v1names = await names(v1);
    for (const t of ['createJiraIssue', 'editJiraIssue', 'addCommentToJiraIssue', 'transitionJiraIssue']) expect(v1names).not.toContain(t);
    expect(v1names).toContain('createConfluencePage');
    await v2.close();
    await v1.close();
  });

  test('read_confluence, search_confluence and search_atlassian off hide their tools only', async ({ sim }) => {
    await sim.admin.patchWorld({
      org: { mcp: { permissionGroups: { read_confluence: false, search_confluence: false, search_atlassian: false } } },
    });
    const v2 = await connect(sim, MEMBER_BASIC);
    const listed = await names(v2);
    for (const t of ['getConfluenceContent', 'searchConfluence', 'search', 'fetch']) expect(listed).not.toContain(t);
    for (const t of ['getJiraIssue', 'searchJiraIssuesUsingJql', 'createConfluenceContent', 'getAccessibleAtlassianResources'])
      expect(listed).toContain(t);
    expect(await discovered(v2)).not.toContain('getConfluenceSpaces');
    await v2.close();
  });

  test('delete_jira and manage_jira are off by default and each enables its own operation', async ({ sim }) => {
    const v2 = await connect(sim, MEMBER_BASIC);
    let ops = await discovered(v2);
    expect(ops).not.toContain('deleteJiraIssue');
    expect(ops).not.toContain('updateJiraProject');
    await sim.admin.patchWorld({ org: { mcp: { permissionGroups: { manage_jira: true } } } });
    ops = await discovered(v2);
    expect(ops).toContain('updateJiraProject');
    expect(ops).not.toContain('deleteJiraIssue');
    await v2.close();
  });
});

test.describe('agent-interface scope family (OAuth)', () => {
  test('the v2 PRM lists the agent-interface scopes when the family is on', async ({ sim }) => {
    const prm = async () =>
      ((await (await fetch(`${sim.urls.mcp}/.well-known/oauth-protected-resource/v2/mcp`)).json()) as { scopes_supported: string[] })
        .scopes_supported;
    expect(await prm()).toContain('read:jira-work');
    await sim.admin.patchWorld({ org: { mcp: { scopeFamily: 'agent-interface' } } });
    const scopes = await prm();
    expect(scopes).toEqual(
      expect.arrayContaining([
        'read:jira:agent-interface',
        'write:jira:agent-interface',
        'search:jira:agent-interface',
        'search:rovo:agent-interface',
      ]),
    );
    expect(scopes).not.toContain('read:jira-work');
  });

  test('a token with only read:jira:agent-interface reads, and createJiraIssue answers "Insufficient scopes"', async ({ sim }) => {
    await sim.admin.patchWorld({ org: { mcp: { scopeFamily: 'agent-interface' } } });
    const token = await oauthToken(sim, 'read:jira:agent-interface offline_access');
    const client = await connect(sim, `Bearer ${token}`);
    // scopes are checked on the call, not by filtering: the tool is listed
    expect(await names(client)).toContain('createJiraIssue');
    expect(await expectOk(client, 'getJiraIssue', { cloudId: ACME, issueIdOrKey: 'DEMO-1' })).toMatchObject({ key: 'DEMO-1' });
    await expectToolError(
      client,
      'createJiraIssue',
      { cloudId: ACME, projectKey: 'SBX', issueType: 'Task', summary: 'never created' },
      'Insufficient scopes for createJiraIssue. Required: [read:jira:agent-interface, write:jira:agent-interface, search:jira:agent-interface]',
    );
    await expectToolError(
      client,
      'searchConfluence',
      { cloudId: ACME, cql: 'type = page' },
      'Insufficient scopes for searchConfluence. Required: [read:confluence:agent-interface, search:confluence:agent-interface]',
    );
    const w = await sim.admin.world<{ data: Record<string, { jira: { issues: unknown[] } }> }>();
    expect(w.data[ACME]!.jira.issues).toHaveLength(4);
    await client.close();
  });

  test('a token of granular scopes only answers "scope does not match" under the agent-interface family', async ({ sim }) => {
    const token = await oauthToken(sim, 'read:jira-work write:jira-work offline_access');
    const client = await connect(sim, `Bearer ${token}`);
    expect(await expectOk(client, 'getJiraIssue', { cloudId: ACME, issueIdOrKey: 'DEMO-1' })).toMatchObject({ key: 'DEMO-1' });
    await sim.admin.patchWorld({ org: { mcp: { scopeFamily: 'agent-interface' } } });
    await expectToolError(
      client,
      'getJiraIssue',
      { cloudId: ACME, issueIdOrKey: 'DEMO-1' },
      'Authentication failed: {"code": 401, "message": "Unauthorized; scope does not match"}',
    );
    // API tokens keep their granular scopes: the family applies to OAuth clients only
    const basic = await connect(sim, MEMBER_BASIC);
    expect(await expectOk(basic, 'getJiraIssue', { cloudId: ACME, issueIdOrKey: 'DEMO-1' })).toMatchObject({ key: 'DEMO-1' });
    await client.close();
    await basic.close();
  });
});

test.describe('account texts', () => {
  test('Rovo search by an account with no Jira or Confluence access answers "Access denied …"', async ({ sim }) => {
    await sim.admin.patchWorld({
      users: {
        'member@sim.example': { sites: { [ACME]: { jira: 'none', confluence: 'none' }, [GLOBEX]: { jira: 'none', confluence: 'none' } } },
      },
    });
    const client = await connect(sim, MEMBER_BASIC);
    await expectToolError(
      client,
      'search',
      { query: 'login bug' },
      'Access denied. Your account does not have permission to search Jira or Confluence content.',
    );
    await expectOk(client, 'getAccessibleAtlassianResources');
    await client.close();
  });

  test('an account with no supported site gets the no-supported-site text on every tool but atlassianUserInfo', async ({ sim }) => {
    await sim.admin.patchWorld({ users: { 'member@sim.example': { sites: { [ACME]: null, [GLOBEX]: null } } } });
    for (const path of ['/v2/mcp', '/v1/mcp']) {
      const client = await connect(sim, MEMBER_BASIC, path);
      const text =
        "Your account isn't associated with a supported site. Rovo MCP connects with Atlassian sites that use apps like Jira or Confluence";
      await expectToolError(client, 'getAccessibleAtlassianResources', {}, text);
      await expectToolError(client, 'search', { query: 'demo' }, text);
      await expectOk(client, 'atlassianUserInfo');
      await client.close();
    }
  });
});

test.describe('failure modes users report', () => {
  test('toolFault on /v2/mcp only: every v2 call fails while /v1/mcp/authv2 answers the same call', async ({ sim }) => {
    await sim.admin.patchWorld({ org: { mcp: { toolFault: 'trouble', toolFaultEndpoints: ['v2'] } } });
    const v2 = await connect(sim, MEMBER_BASIC);
    const authv2 = await connect(sim, MEMBER_BASIC, '/v1/mcp/authv2');
    await expectToolError(v2, 'getJiraIssue', { cloudId: ACME, issueIdOrKey: 'DEMO-1' }, TROUBLE);
    await expectToolError(v2, 'executeRead', { name: 'listJiraProjects', cloudId: ACME, inputs: {} }, TROUBLE);
    expect(await expectOk(authv2, 'getJiraIssue', { cloudId: ACME, issueIdOrKey: 'DEMO-1' })).toMatchObject({ key: 'DEMO-1' });
    await v2.close();
    await authv2.close();
  });

  test('authorizeError: /v1/authorize answers 500 "Internal server error"', async ({ sim }) => {
    const url = `${sim.urls.mcp}/v1/authorize?client_id=x&response_type=code&state=s`;
    expect((await fetch(url, { redirect: 'manual' })).status).toBe(302);
    await sim.admin.patchWorld({ org: { mcp: { authorizeError: true } } });
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('Internal server error');
  });

  test('expiredTokenInSession=tool-error: a token that expires mid-session answers "Authentication failed … Unauthorized" inside the result', async ({
    sim,
  }) => {
    await sim.admin.patchWorld({ settings: { accessTokenTtlSeconds: 1 }, org: { mcp: { expiredTokenInSession: 'tool-error' } } });
    const token = await oauthToken(sim, 'read:jira-work offline_access');
    const client = await connect(sim, `Bearer ${token}`);
    // the token's own 1-second lifetime is the condition waited for (polled, no sleep)
    await expect
      .poll(async () => (await call(client, 'getJiraIssue', { cloudId: ACME, issueIdOrKey: 'DEMO-1' })).text, {
        timeout: 5000,
        intervals: [250],
      })
      .toBe(JSON.stringify({ error: true, message: 'Authentication failed: {"code":401,"message":"Unauthorized"}' }));
    // a new session with the expired token is still an HTTP 401
    await expect(connect(sim, `Bearer ${token}`)).rejects.toThrow(/The access token expired/);
    await client.close();
  });

  test('domainListIgnored: consent shows "Your admin has blocked this domain" although the redirect URI is in the list', async ({
    sim,
  }) => {
    const clientId = await registerClient(sim, 'read:jira-work');
    const cookie = await login(sim);
    const { consentUrl } = await authorize(sim, cookie, clientId, 'read:jira-work');
    expect((await fetch(consentUrl, { headers: { cookie } })).status).toBe(200);
    await sim.admin.patchWorld({ org: { mcp: { domainListIgnored: true } } });
    const w = await sim.admin.world<{ org: { mcp: { domains: string[] } } }>();
    expect(w.org.mcp.domains).toContain('http://127.0.0.1:*/**');
    const blocked = await fetch(consentUrl, { headers: { cookie } });
    expect(blocked.status).toBe(403);
    expect(await blocked.text()).toContain('<h1>Your admin has blocked this domain</h1>');
  });
});

test.describe('bad switch values are refused with the path and nothing changes', () => {
  const cases: Array<[string, unknown, string]> = [
    ['a permission group that does not exist', { permissionGroups: { delete_jra: true } }, 'org.mcp.permissionGroups'],
    ['an extra tool named like a meta-tool', { extraTools: [{ name: 'discover' }] }, 'org.mcp.extraTools.0.name'],
    ['a rename to a name that is not a tool name', { renames: { getJiraIssue: 'get jira issue' } }, 'org.mcp.renames.getJiraIssue'],
    ['an endpoint that does not exist', { toolFaultEndpoints: ['v3'] }, 'org.mcp.toolFaultEndpoints.0'],
  ];
  for (const [what, mcp, path] of cases) {
    test(`${what}: 400 naming ${path}`, async ({ sim }) => {
      const before = await sim.admin.world<{ org: { mcp: unknown } }>();
      const res = await fetch(`${sim.urls.admin}/world`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ org: { mcp } }),
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: string; path: string };
      expect(body.path).toBe(path);
      expect((await sim.admin.world<{ org: { mcp: unknown } }>()).org.mcp).toEqual(before.org.mcp);
    });
  }
});
