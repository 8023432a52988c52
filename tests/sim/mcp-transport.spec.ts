/**
 * The simulated Rovo MCP server's transport surface: per-endpoint unauthenticated 401s, `Server: AtlassianEdge`,
 * the retired SSE endpoint, `Mcp-Session-Id` sessions (create, reuse, DELETE, unknown → 404, admin reset drops them),
 * the stats counters / request log, and the Origin/Host checks of the MCP transport spec (DNS rebinding).
 * Facts: atlassian-mcp.md §1; SDK wire behaviour: mcp-sdk.md §2.
 */
import { request as httpRequest } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { SimHandle } from '../../fixtures/core/simulator.ts';
import { expect, test } from '../../fixtures/index.ts';

const MEMBER_BASIC = `Basic ${Buffer.from('member@sim.example:ATATT3xSIMCANARY-member-scoped-token').toString('base64')}`;
const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
};
const ACCEPT = 'application/json, text/event-stream';

async function connect(sim: SimHandle, path = '/v1/mcp', auth = MEMBER_BASIC) {
  const transport = new StreamableHTTPClientTransport(new URL(sim.urls.mcp + path), { requestInit: { headers: { Authorization: auth } } });
  const client = new Client({ name: 'sim-mcp-self', version: '0' });
  await client.connect(transport);
  return { client, transport };
}

function rawPost(sim: SimHandle, path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(sim.urls.mcp + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers },
    body: JSON.stringify(body),
  });
}

test.describe('unauthenticated requests', () => {
  test('/v1/mcp answers 401 with the realm="OAuth" challenge and no resource_metadata', async ({ sim }) => {
    const res = await rawPost(sim, '/v1/mcp', INIT);
    expect(res.status).toBe(401);
    // atlassian-mcp.md §1 [S25][S26]
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="OAuth", error="invalid_token", error_description="Missing or invalid access token"',
    );
    expect(res.headers.get('server')).toBe('AtlassianEdge');
    expect(res.headers.get('atl-traceid')).toMatch(/^[0-9a-f]{32}$/);
  });

  for (const path of ['/v1/mcp/authv2', '/v2/mcp']) {
    test(`${path} answers 401 pointing at its protected-resource metadata`, async ({ sim }) => {
      const res = await rawPost(sim, path, INIT);
      expect(res.status).toBe(401);
      // atlassian-mcp.md §1 [S27][S28]
      expect(res.headers.get('www-authenticate')).toBe(
        `Bearer resource_metadata="${sim.urls.mcp}/.well-known/oauth-protected-resource${path}", error="invalid_token"`,
      );
      expect(res.headers.get('server')).toBe('AtlassianEdge');
    });
  }

  test('a wrong API token and an unknown bearer are both 401', async ({ sim }) => {
    const wrong = `Basic ${Buffer.from('member@sim.example:not-the-token').toString('base64')}`;
    for (const auth of [wrong, 'Bearer not-a-token']) {
      const res = await rawPost(sim, '/v1/mcp', INIT, { authorization: auth });
      expect(res.status, auth.split(' ')[0]).toBe(401);
      expect(await res.json()).toEqual({ error: 'invalid_token', error_description: 'Missing or invalid access token' });
    }
  });

  test('the SDK client surfaces the 401 as StreamableHTTPError 401', async ({ sim }) => {
    const transport = new StreamableHTTPClientTransport(new URL(`${sim.urls.mcp}/v2/mcp`));
    const err = await new Client({ name: 'x', version: '0' }).connect(transport).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StreamableHTTPError);
    expect((err as StreamableHTTPError).code).toBe(401);
  });
});

test('retired /v1/sse answers POST with 404 "Missing sessionId parameter"', async ({ sim }) => {
  const res = await rawPost(sim, '/v1/sse', INIT, { authorization: MEMBER_BASIC });
  expect(res.status).toBe(404);
  // atlassian-mcp.md §1 [S24]
  expect(await res.text()).toBe('Missing sessionId parameter');
  expect(res.headers.get('server')).toBe('AtlassianEdge');
});

test.describe('sessions', () => {
  test('initialize answers an event stream with an Mcp-Session-Id header', async ({ sim }) => {
    const res = await rawPost(sim, '/v1/mcp', INIT, { authorization: MEMBER_BASIC });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(res.headers.get('mcp-session-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('server')).toBe('AtlassianEdge');
    const text = await res.text();
    const data = JSON.parse(
      text
        .split('\n')
        .find((l) => l.startsWith('data: '))!
        .slice(6),
    ) as { result: { serverInfo: { name: string; version: string } } };
    expect(data.result.serverInfo).toEqual({ name: 'atlassian-mcp-server', version: '1.1.3' });
  });

  test('each initialize gets its own session id and the SDK reuses it for later calls', async ({ sim }) => {
    const a = await connect(sim);
    const b = await connect(sim);
    expect(a.transport.sessionId).toBeTruthy();
    expect(a.transport.sessionId).not.toBe(b.transport.sessionId);
    expect((await a.client.listTools()).tools.length).toBeGreaterThan(0);
    expect((await sim.admin.stats()).mcpSessions).toBe(2);
    await a.client.close();
    await b.client.close();
  });

  test('a request without a session id that is not initialize is a 400', async ({ sim }) => {
    const res = await rawPost(sim, '/v1/mcp', { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { authorization: MEMBER_BASIC });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      jsonrpc: '2.0',
      error: { code: -32000, message: 'Bad Request: Mcp-Session-Id header is required' },
      id: null,
    });
  });

  test('an unknown session id is a 404 "Session not found"', async ({ sim }) => {
    const res = await rawPost(
      sim,
      '/v1/mcp',
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      { authorization: MEMBER_BASIC, 'mcp-session-id': '00000000-0000-4000-8000-000000000000' },
    );
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
  });

  test('sessions are per endpoint: a /v1/mcp session id is unknown on /v2/mcp', async ({ sim }) => {
    const { client, transport } = await connect(sim, '/v1/mcp');
    const res = await rawPost(
      sim,
      '/v2/mcp',
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      { authorization: MEMBER_BASIC, 'mcp-session-id': transport.sessionId! },
    );
    expect(res.status).toBe(404);
    await client.close();
  });

  test('DELETE ends the session; the next call with its id is a 404', async ({ sim }) => {
    const { client, transport } = await connect(sim);
    const sid = transport.sessionId!;
    await transport.terminateSession();
    const res = await rawPost(
      sim,
      '/v1/mcp',
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      { authorization: MEMBER_BASIC, 'mcp-session-id': sid },
    );
    expect(res.status).toBe(404);
    await client.close();
  });

  test('admin reset drops every session: the SDK then gets 404 Session not found', async ({ sim }) => {
    const { client } = await connect(sim, '/v2/mcp');
    await sim.admin.reset();
    const err = await client.listTools().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StreamableHTTPError);
    expect((err as StreamableHTTPError).code).toBe(404);
    expect(String((err as Error).message)).toContain('Session not found');
    await client.close();
  });
});

test('sessions and tool calls are counted and logged with the account', async ({ sim }) => {
  const before = (await sim.admin.requests()).at(-1)?.seq ?? 0;
  const { client } = await connect(sim);
  await client.callTool({ name: 'atlassianUserInfo', arguments: {} });
  await client.callTool({ name: 'getAccessibleAtlassianResources', arguments: {} });
  const stats = await sim.admin.stats();
  expect(stats.mcpSessions).toBe(1);
  expect(stats.toolCalls).toBe(2);
  const log = (await sim.admin.requests(before)).filter((e) => e.host === 'mcp.atlassian.com' && e.path === '/v1/mcp');
  expect(log.length).toBeGreaterThanOrEqual(4); // initialize, initialized, 2 calls (+ optional GET stream)
  expect(log.every((e) => e.account === 'member@sim.example' && e.recognised)).toBe(true);
  expect((await sim.admin.unrecognised()).filter((e) => e.host === 'mcp.atlassian.com')).toEqual([]);
  await client.close();
});

/** POST with a Host header of our choosing (fetch does not let a caller set Host) */
function postWithHost(sim: SimHandle, path: string, host: string): Promise<{ status: number; body: string }> {
  const u = new URL(sim.urls.mcp + path);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        headers: { host, 'content-type': 'application/json', accept: ACCEPT, authorization: MEMBER_BASIC },
        timeout: 5000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`POST ${path} with Host ${host}: no answer within 5 s`)));
    req.on('error', reject);
    req.end(JSON.stringify(INIT));
  });
}

test.describe('DNS-rebinding protection (MCP transport: Origin and Host)', () => {
  for (const path of ['/v1/mcp', '/v1/mcp/authv2', '/v2/mcp', '/v1/sse']) {
    test(`${path}: a foreign Origin gets 403 before authentication`, async ({ sim }) => {
      // MCP Streamable HTTP "Security Warning": present and invalid Origin → HTTP 403 Forbidden
      const tries: Array<Record<string, string>> = [
        { origin: 'http://evil.example' },
        { origin: 'http://evil.example', authorization: MEMBER_BASIC },
      ];
      for (const headers of tries) {
        const res = await rawPost(sim, path, INIT, headers);
        expect(res.status, JSON.stringify(Object.keys(headers))).toBe(403);
        expect(await res.json()).toEqual({
          jsonrpc: '2.0',
          error: { code: -32000, message: 'Invalid Origin header: http://evil.example' },
          id: null,
        });
      }
    });
  }

  test('no Origin (non-browser client), the mcp origin itself and an origin in the admin domain list are accepted', async ({ sim }) => {
    for (const origin of [undefined, sim.urls.mcp, 'http://localhost:5173']) {
      const res = await rawPost(sim, '/v2/mcp', INIT, { authorization: MEMBER_BASIC, ...(origin ? { origin } : {}) });
      expect(res.status, origin ?? '(no Origin)').toBe(200);
      await res.text();
    }
    // the domain list decides: without the localhost pattern that origin is foreign
    await sim.admin.patchWorld({ org: { mcp: { domains: ['http://127.0.0.1:*/**'] } } });
    expect((await rawPost(sim, '/v2/mcp', INIT, { authorization: MEMBER_BASIC, origin: 'http://localhost:5173' })).status).toBe(403);
  });

  test('a Host that is not the MCP host gets 403; localhost:<port> is the same host', async ({ sim }) => {
    const port = new URL(sim.urls.mcp).port;
    const evil = await postWithHost(sim, '/v2/mcp', `evil.example:${port}`);
    expect(evil.status).toBe(403);
    expect(JSON.parse(evil.body)).toEqual({
      jsonrpc: '2.0',
      error: { code: -32000, message: `Invalid Host header: evil.example:${port}` },
      id: null,
    });
    expect((await postWithHost(sim, '/v1/mcp', `127.0.0.1:${Number(port) + 1}`)).status).toBe(403);
    expect((await postWithHost(sim, '/v2/mcp', `localhost:${port}`)).status).toBe(200);
  });
});
