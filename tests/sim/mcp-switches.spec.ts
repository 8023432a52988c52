/**
 * Auth modes and org switches of the simulated Rovo MCP server, each provoked and asserted by its exact text:
 * personal API token (Basic), service-account key (Bearer), the API-token toggle, unscoped tokens, scope and
 * Read/Write/Search permission filtering, IP allowlist, server off, the §5 tool-fault texts and the 429 burst limit.
 * Facts: atlassian-mcp.md §2b, §3, §5. Switch docs: simulator/docs/mcp.md.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { SimHandle } from '../../fixtures/core/simulator.ts';
import { expect, test } from '../../fixtures/index.ts';

const ACME = 'a1c3e5f7-0000-4000-8000-000000000001';
const basic = (email: string, token: string) => `Basic ${Buffer.from(`${email}:${token}`).toString('base64')}`;
const MEMBER_SCOPED = basic('member@sim.example', 'ATATT3xSIMCANARY-member-scoped-token');
const MEMBER_UNSCOPED = basic('member@sim.example', 'ATATT3xSIMCANARY-member-unscoped-token');
const SERVICE_KEY = 'Bearer ATSKSIMCANARY-service-key-0001';

const TEXT = {
  trouble: 'We are having trouble completing this action. Please try again shortly.',
  connection: "We couldn't verify your connection settings. Please contact your administrator for assistance.",
  apiToken: "You don't have permission to connect via API token. Please ask your organization admin for access.",
  // atlassian-mcp.md "The v2 generation": the IP-allowlist text ends "…Please ask your admin for access." (1P README)
  ip: "You don't have permission to connect from this IP address. Please ask your admin for access.",
};

async function connect(sim: SimHandle, authorization: string, path = '/v1/mcp') {
  const transport = new StreamableHTTPClientTransport(new URL(sim.urls.mcp + path), {
    requestInit: { headers: { Authorization: authorization } },
  });
  const client = new Client({ name: 'sim-mcp-self', version: '0' });
  await client.connect(transport);
  return { client, transport };
}

interface Called {
  isError: boolean;
  text: string;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<Called> {
  const r = await client.callTool({ name, arguments: args });
  const content = 'content' in r ? (r.content as Array<{ type: string; text?: string }>) : [];
  return { isError: r.isError === true, text: content.map((c) => c.text ?? '').join('') };
}

/** the tool-error shape of atlassian-mcp.md §5: a result whose text is {"error":true,"message":…} with isError */
function expectToolError(r: Called, message: string): void {
  expect(r.isError).toBe(true);
  expect(JSON.parse(r.text)).toEqual({ error: true, message });
}

async function toolNames(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((t) => t.name).sort();
}

test.describe('auth modes', () => {
  test('personal API token as Basic email:token lists tools and answers as the member', async ({ sim }) => {
    const { client } = await connect(sim, MEMBER_SCOPED);
    const me = await call(client, 'atlassianUserInfo');
    expect(me.isError).toBe(false);
    expect(JSON.parse(me.text)).toMatchObject({ email: 'member@sim.example', account_status: 'active' });
    await client.close();
  });

  test('service-account key as Bearer answers as the service account', async ({ sim }) => {
    const { client } = await connect(sim, SERVICE_KEY);
    const me = await call(client, 'atlassianUserInfo');
    expect(JSON.parse(me.text)).toMatchObject({ email: 'svc.bot@sim.example' });
    const sites = JSON.parse((await call(client, 'getAccessibleAtlassianResources')).text) as Array<{ id: string }>;
    expect(sites.map((s) => s.id).sort()).toEqual([ACME, 'b2d4f6a8-0000-4000-8000-000000000002']);
    await client.close();
  });

  test('API token sent raw as Bearer is rejected with 401 (§2b: Basic is required)', async ({ sim }) => {
    const res = await fetch(`${sim.urls.mcp}/v1/mcp`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer ATATT3xSIMCANARY-member-scoped-token',
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: '{}',
    });
    expect(res.status).toBe(401);
  });

  test('API-token toggle off: session opens, every tool call gets the API-token permission text', async ({ sim }) => {
    await sim.admin.patchWorld({ org: { mcp: { apiTokenAuth: false } } });
    for (const auth of [MEMBER_SCOPED, SERVICE_KEY]) {
      const { client } = await connect(sim, auth);
      expect((await toolNames(client)).length).toBeGreaterThan(2);
      expectToolError(await call(client, 'atlassianUserInfo'), TEXT.apiToken);
      expectToolError(await call(client, 'getJiraIssue', { cloudId: ACME, issueIdOrKey: 'DEMO-1' }), TEXT.apiToken);
      await client.close();
    }
  });

  test('unscoped (legacy) API token sees only the two Teamwork Graph tools', async ({ sim }) => {
    const { client } = await connect(sim, MEMBER_UNSCOPED);
    // atlassian-mcp.md §2b [S19]
    expect(await toolNames(client)).toEqual(['getTeamworkGraphContext', 'getTeamworkGraphObject']);
    const ctx = JSON.parse((await call(client, 'getTeamworkGraphContext', { cloudId: ACME })).text) as {
      user: { name: string };
      objects: Array<{ id: string }>;
    };
    expect(ctx.objects.length).toBeGreaterThan(0);
    await client.close();
  });
});

test.describe('tool list filtering', () => {
  test('scopes decide the list: a read:jira-work-only token sees identity, Jira read tools and fetch', async ({ sim }) => {
    await sim.admin.patchWorld({
      users: {
        'member@sim.example': { apiTokens: [{ label: 'narrow', token: 'ATATT3xSIMCANARY-narrow-token', scopes: ['read:jira-work'] }] },
      },
    });
    const { client } = await connect(sim, basic('member@sim.example', 'ATATT3xSIMCANARY-narrow-token'));
    expect(await toolNames(client)).toEqual(
      [
        'atlassianUserInfo',
        'getAccessibleAtlassianResources',
        'getJiraIssue',
        'searchJiraIssuesUsingJql',
        'getVisibleJiraProjects',
        'getJiraProjectIssueTypesMetadata',
        'getJiraIssueTypeMetaWithFields',
        'getTransitionsForJiraIssue',
        'getJiraIssueRemoteIssueLinks',
        'getIssueLinkTypes',
        'lookupJiraAccountId',
        'fetch',
      ].sort(),
    );
    // filtered, not denied (§5 [S47]): calling a hidden tool does not run it
    const hidden = await call(client, 'createJiraIssue', { cloudId: ACME, projectKey: 'SBX', issueTypeName: 'Task', summary: 'x' });
    expect(hidden.isError).toBe(true);
    expect(hidden.text).toBe('MCP error -32602: Tool createJiraIssue not found');
    const w = await sim.admin.world<{ data: Record<string, { jira: { issues: unknown[] } }> }>();
    expect(w.data[ACME]!.jira.issues).toHaveLength(4);
    await client.close();
  });

  test('admin Write permission off hides every write tool, mid-session', async ({ sim }) => {
    const { client } = await connect(sim, MEMBER_SCOPED);
    const all = await toolNames(client);
    expect(all).toContain('createJiraIssue');
    await sim.admin.patchWorld({ org: { mcp: { permissions: { read: true, write: false, search: true } } } });
    const now = await toolNames(client);
    const writes = [
      'addCommentToJiraIssue',
      'addWorklogToJiraIssue',
      'createConfluenceFooterComment',
      'createConfluenceInlineComment',
      'createConfluencePage',
      'createIssueLink',
      'createJiraIssue',
      'editJiraIssue',
      'transitionJiraIssue',
      'updateConfluencePage',
    ];
    expect(all.filter((t) => !now.includes(t)).sort()).toEqual(writes);
    await client.close();
  });

  test('admin Search permission off hides JQL, CQL and Rovo search', async ({ sim }) => {
    await sim.admin.patchWorld({ org: { mcp: { permissions: { read: true, write: true, search: false } } } });
    const { client } = await connect(sim, MEMBER_SCOPED);
    const names = await toolNames(client);
    for (const t of ['searchJiraIssuesUsingJql', 'searchConfluenceUsingCql', 'search']) expect(names).not.toContain(t);
    expect(names).toContain('getJiraIssue');
    await client.close();
  });

  test('admin Read permission off leaves identity, search and write tools', async ({ sim }) => {
    await sim.admin.patchWorld({ org: { mcp: { permissions: { read: false, write: true, search: true } } } });
    const { client } = await connect(sim, MEMBER_SCOPED);
    const names = await toolNames(client);
    expect(names).not.toContain('getJiraIssue');
    expect(names).not.toContain('getConfluencePage');
    expect(names).toEqual(expect.arrayContaining(['atlassianUserInfo', 'searchJiraIssuesUsingJql', 'createJiraIssue']));
    await client.close();
  });
});

test('an unscoped token with Read off sees an empty tool list, and a tool granted later appears mid-session', async ({ sim }) => {
  await sim.admin.patchWorld({ org: { mcp: { permissions: { read: false, write: true, search: true } } } });
  const { client } = await connect(sim, MEMBER_UNSCOPED);
  expect(await toolNames(client)).toEqual([]);
  await sim.admin.patchWorld({ org: { mcp: { permissions: { read: true, write: true, search: true } } } });
  expect(await toolNames(client)).toEqual(['getTeamworkGraphContext', 'getTeamworkGraphObject']);
  await client.close();
});

test.describe('org switches answered as tool errors', () => {
  test('IP allowlist without the caller: every call gets the IP text; with 127.0.0.1 calls work', async ({ sim }) => {
    await sim.admin.patchWorld({ org: { mcp: { ipAllowlist: ['203.0.113.7'] } } });
    const { client } = await connect(sim, MEMBER_SCOPED);
    expectToolError(await call(client, 'getAccessibleAtlassianResources'), TEXT.ip);
    await sim.admin.patchWorld({ org: { mcp: { ipAllowlist: ['203.0.113.7', '127.0.0.1'] } } });
    expect((await call(client, 'getAccessibleAtlassianResources')).isError).toBe(false);
    await client.close();
  });

  test('server turned off: tool calls get the simulator\'s "turned off" text', async ({ sim }) => {
    await sim.admin.patchWorld({ org: { mcp: { enabled: false } } });
    const { client } = await connect(sim, MEMBER_SCOPED);
    expectToolError(
      await call(client, 'atlassianUserInfo'),
      'The Atlassian Rovo MCP server is turned off for your organization. Please ask your organization admin for access.',
    );
    await client.close();
  });

  const faults: Array<[string, string, string]> = [
    ['trouble', 'getJiraIssue', TEXT.trouble],
    ['connection-settings', 'search', TEXT.connection],
    ['verify-access', 'getConfluenceSpaces', "We couldn't verify your access. Reconnecting and signing in again may resolve this issue."],
    ['auth-failed', 'getJiraIssue', 'Authentication failed: {"code":401,"message":"Unauthorized"}'],
  ];
  for (const [fault, tool, text] of faults) {
    test(`toolFault=${fault} answers ${tool} with its §5 text`, async ({ sim }) => {
      await sim.admin.patchWorld({ org: { mcp: { toolFault: fault } } });
      const { client } = await connect(sim, MEMBER_SCOPED);
      const args: Record<string, Record<string, unknown>> = {
        getJiraIssue: { cloudId: ACME, issueIdOrKey: 'DEMO-1' },
        search: { query: 'demo' },
        getConfluenceSpaces: { cloudId: ACME },
      };
      expectToolError(await call(client, tool, args[tool]), text);
      await client.close();
    });
  }

  test('toolFault=app-not-installed fails writes only, reads still work', async ({ sim }) => {
    await sim.admin.patchWorld({ org: { mcp: { toolFault: 'app-not-installed' } } });
    const { client } = await connect(sim, MEMBER_SCOPED);
    expectToolError(
      await call(client, 'addCommentToJiraIssue', { cloudId: ACME, issueIdOrKey: 'SBX-1', commentBody: 'x' }),
      '403 Forbidden — The app is not installed on this instance',
    );
    expect((await call(client, 'getJiraIssue', { cloudId: ACME, issueIdOrKey: 'SBX-1' })).isError).toBe(false);
    await client.close();
  });
});

test.describe('burst limit', () => {
  test('more calls per second than org.mcp.burstLimitPerSecond get HTTP 429 with Retry-After', async ({ sim }) => {
    await sim.admin.patchWorld({ org: { mcp: { burstLimitPerSecond: 2 } } });
    const { client, transport } = await connect(sim, MEMBER_SCOPED);
    const headers = {
      authorization: MEMBER_SCOPED,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-session-id': transport.sessionId!,
      'mcp-protocol-version': transport.protocolVersion ?? '2025-06-18',
    };
    const responses = await Promise.all(
      [1, 2, 3, 4, 5].map((id) =>
        fetch(`${sim.urls.mcp}/v1/mcp`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'atlassianUserInfo', arguments: {} } }),
        }),
      ),
    );
    const limited = responses.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(3);
    expect(responses.filter((r) => r.status === 200).length).toBeLessThanOrEqual(2);
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await limited[0]!.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000, message: 'Too Many Requests' } });
    for (const r of responses) if (!r.bodyUsed) await r.text();
    // the limit is per credential and off at 0
    await sim.admin.patchWorld({ org: { mcp: { burstLimitPerSecond: 0 } } });
    expect((await call(client, 'atlassianUserInfo')).isError).toBe(false);
    await client.close();
  });
});
