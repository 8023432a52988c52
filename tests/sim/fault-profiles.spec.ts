/**
 * Named, seeded fault profiles of the simulator (POST /__admin/faults `{"profiles":[…]}`, simulator/README.md
 * "Faults"): each profile in its transient mode (fires a few times, then the service is healthy again) and, where
 * the difference matters, its persistent mode; selectable per host and path; randomness reproducible from the seed.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { SimHandle } from '../../fixtures/core/simulator.ts';
import { expect, test } from '../../fixtures/index.ts';
import { ACCOUNTS, ACME, APP_SCOPES, api, basic, oauthToken } from './helpers.ts';

async function profiles(sim: SimHandle, ...selections: Array<Record<string, unknown>>): Promise<void> {
  await sim.admin.setFaults({ profiles: selections });
}

const login = (sim: SimHandle, signal?: AbortSignal) => fetch(`${sim.urls.id}/login`, { ...(signal ? { signal } : {}) });

async function logFor(sim: SimHandle, path: string) {
  return (await sim.admin.requests()).filter((e) => e.path.split('?')[0] === path);
}

test.describe('fault profiles', () => {
  test('the catalogue lists every profile, and a selection expands into one seeded rule', async ({ sim }) => {
    const res = await fetch(`${sim.urls.admin}/faults/profiles`);
    const { profiles: list } = (await res.json()) as { profiles: Array<{ name: string; description: string }> };
    expect(list.map((p) => p.name)).toEqual([
      'latency',
      'rate-limit-burst',
      'server-error',
      'bad-gateway',
      'unavailable',
      'connection-reset',
      'stalled',
      'token-expiry-early',
      'mcp-session-dropped',
      'consent-slow',
      'authorize-500',
    ]);
    expect(list.every((p) => p.description.length > 10)).toBe(true);
    await profiles(sim, { name: 'rate-limit-burst', seed: 7, role: 'api' });
    const active = (await (await fetch(`${sim.urls.admin}/faults`)).json()) as { rules: unknown[] };
    expect(active.rules).toEqual([
      {
        status: 429,
        retryAfterSeconds: 1,
        rateLimitReason: 'jira-burst-based',
        role: 'api',
        seed: 7,
        profile: 'rate-limit-burst',
        count: 2,
      },
    ]);
  });

  test('an unknown profile name is refused with 400 naming the field', async ({ sim }) => {
    const res = await fetch(`${sim.urls.admin}/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ profiles: [{ name: 'gremlins' }] }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error_description: string }).error_description).toContain('profiles.0.name');
  });

  test('latency: matching requests wait at least latencyMs, are marked in the log, and stop after the transient count', async ({ sim }) => {
    await profiles(sim, { name: 'latency', role: 'id', latencyMs: 150, jitterMs: 50, count: 2 });
    for (let i = 0; i < 2; i++) {
      const t0 = Date.now();
      expect((await login(sim)).status).toBe(200);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    }
    expect((await login(sim)).status).toBe(200);
    expect((await logFor(sim, '/login')).map((e) => e.fault ?? null)).toEqual(['latency', 'latency', null]);
  });

  test('rate-limit-burst: transient answers 429 twice with the points-based headers, then 200; persistent keeps answering 429', async ({
    sim,
  }) => {
    const token = basic(ACCOUNTS.member.email, 'ATATT3xSIMCANARY-member-scoped-token');
    const path = `/ex/jira/${ACME}/rest/api/3/project/search`;
    await profiles(sim, { name: 'rate-limit-burst', role: 'api' });
    for (let i = 0; i < 2; i++) {
      const r = await api(sim, token, 'GET', path);
      expect(r.status).toBe(429);
      expect(r.headers.get('retry-after')).toBe('1');
      expect(r.headers.get('beta-retry-after')).toBe('1');
      expect(r.headers.get('ratelimit-reason')).toBe('jira-burst-based');
      expect(r.headers.get('beta-ratelimit')).toBe('"burst";r=0;t=1');
    }
    expect((await api(sim, token, 'GET', path)).status).toBe(200);
    await profiles(sim, { name: 'rate-limit-burst', role: 'api', mode: 'persistent' });
    for (let i = 0; i < 4; i++) expect((await api(sim, token, 'GET', path)).status).toBe(429);
  });

  for (const [name, status] of [
    ['server-error', 500],
    ['bad-gateway', 502],
    ['unavailable', 503],
  ] as const) {
    test(`${name}: ${status} with Retry-After once, then the handler answers again`, async ({ sim }) => {
      await profiles(sim, { name, role: 'id' });
      const hit = await login(sim);
      expect(hit.status).toBe(status);
      expect(hit.headers.get('retry-after')).toBe('1');
      expect((await login(sim)).status).toBe(200);
    });
  }

  test('the host selection holds: a profile on the api host leaves the id host alone', async ({ sim }) => {
    await profiles(sim, { name: 'unavailable', role: 'api', mode: 'persistent' });
    expect((await login(sim)).status).toBe(200);
    expect((await api(sim, null, 'GET', '/oauth/token/accessible-resources')).status).toBe(503);
  });

  test('connection-reset: the connection is destroyed without an answer (logged with status 0), the next request works', async ({
    sim,
  }) => {
    await profiles(sim, { name: 'connection-reset', role: 'id' });
    await expect(login(sim)).rejects.toThrow();
    expect((await login(sim)).status).toBe(200);
    expect((await logFor(sim, '/login'))[0]).toMatchObject({ status: 0, fault: 'connection-reset' });
  });

  test('stalled: no answer within the client timeout; the next request works', async ({ sim }) => {
    await profiles(sim, { name: 'stalled', role: 'id', stallMs: 4000 });
    await expect(login(sim, AbortSignal.timeout(300))).rejects.toThrow(/timeout|aborted/i);
    expect((await login(sim)).status).toBe(200);
  });

  test('token-expiry-early: a token inside its expires_in is refused as expired (persistent), accepted again without the fault', async ({
    sim,
  }) => {
    const token = await oauthToken(sim, { account: ACCOUNTS.member, scopes: APP_SCOPES, sites: [ACME] });
    expect((await api(sim, token, 'GET', '/oauth/token/accessible-resources')).status).toBe(200);
    await profiles(sim, { name: 'token-expiry-early', mode: 'persistent' });
    for (let i = 0; i < 2; i++) expect((await api(sim, token, 'GET', '/oauth/token/accessible-resources')).status).toBe(401);
    await sim.admin.clearFaults();
    expect((await api(sim, token, 'GET', '/oauth/token/accessible-resources')).status).toBe(200);
    // transient: the first verification fails, the next ones pass
    await profiles(sim, { name: 'token-expiry-early' });
    expect((await api(sim, token, 'GET', '/oauth/token/accessible-resources')).status).toBe(401);
    expect((await api(sim, token, 'GET', '/oauth/token/accessible-resources')).status).toBe(200);
  });

  test('mcp-session-dropped: the next request on the session gets 404 "Session not found" (JSON-RPC -32001)', async ({ sim }) => {
    const transport = new StreamableHTTPClientTransport(new URL(`${sim.urls.mcp}/v1/mcp`), {
      requestInit: { headers: { Authorization: basic(ACCOUNTS.member.email, 'ATATT3xSIMCANARY-member-scoped-token') } },
    });
    const client = new Client({ name: 'fault-profiles', version: '0' });
    await client.connect(transport);
    try {
      const sessionId = transport.sessionId!;
      expect(sessionId).toBeTruthy();
      await profiles(sim, { name: 'mcp-session-dropped' });
      const res = await fetch(`${sim.urls.mcp}/v1/mcp`, {
        method: 'POST',
        headers: {
          authorization: basic(ACCOUNTS.member.email, 'ATATT3xSIMCANARY-member-scoped-token'),
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': sessionId,
          'mcp-protocol-version': '2025-06-18',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
      });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: number } }).error.code).toBe(-32001);
      expect((await logFor(sim, '/v1/mcp')).some((e) => e.fault === 'mcp-session-dropped')).toBe(true);
    } finally {
      await client.close();
    }
  });

  test('mcp-session-dropped ends the session on the server: with the fault cleared, the old id is still a 404', async ({ sim }) => {
    const auth = basic(ACCOUNTS.member.email, 'ATATT3xSIMCANARY-member-scoped-token');
    const transport = new StreamableHTTPClientTransport(new URL(`${sim.urls.mcp}/v1/mcp`), {
      requestInit: { headers: { Authorization: auth } },
    });
    const client = new Client({ name: 'fault-profiles', version: '0' });
    await client.connect(transport);
    const sessionId = transport.sessionId!;
    const listTools = (id: number) =>
      fetch(`${sim.urls.mcp}/v1/mcp`, {
        method: 'POST',
        headers: {
          authorization: auth,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': sessionId,
          'mcp-protocol-version': '2025-06-18',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/list' }),
      });
    try {
      expect((await client.listTools()).tools.length, 'the session works before the fault').toBeGreaterThan(0);
      await profiles(sim, { name: 'mcp-session-dropped' });
      expect((await listTools(1)).status).toBe(404);
      await sim.admin.clearFaults();
      const after = await listTools(2);
      expect(after.status, 'a normal request on the dropped session').toBe(404);
      expect(await after.json()).toEqual({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
      const last = (await logFor(sim, '/v1/mcp')).at(-1);
      expect(last?.fault, 'the second 404 came from the session map, not the fault').toBeUndefined();
    } finally {
      await client.close();
    }
  });

  test('consent-slow: GET /consent takes at least latencyMs and still answers', async ({ sim }) => {
    await profiles(sim, { name: 'consent-slow', latencyMs: 300, jitterMs: 0 });
    const t0 = Date.now();
    const res = await fetch(`${sim.urls.auth}/consent?rid=unknown`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(res.status).toBe(400);
    expect((await logFor(sim, '/consent'))[0]?.fault).toBe('consent-slow');
  });

  test('authorize-500: GET /authorize and GET /v1/authorize answer 500 "Internal server error"', async ({ sim }) => {
    await profiles(sim, { name: 'authorize-500', mode: 'persistent' });
    for (const url of [`${sim.urls.auth}/authorize?client_id=x`, `${sim.urls.mcp}/v1/authorize?client_id=x`]) {
      const res = await fetch(url, { redirect: 'manual' });
      expect(res.status, url).toBe(500);
      expect(await res.text(), url).toBe('Internal server error');
    }
  });

  test('probability is drawn from the seed: the same seed gives the same sequence, another seed another one', async ({ sim }) => {
    const run = async (seed: number) => {
      await sim.admin.setFaults({ rules: [{ role: 'id', pathRegex: '^/login$', status: 503, probability: 0.5, seed }] });
      const out: number[] = [];
      for (let i = 0; i < 16; i++) out.push((await login(sim)).status);
      return out;
    };
    const a = await run(42);
    expect(a).toContain(503);
    expect(a).toContain(200);
    expect(await run(42)).toEqual(a);
    expect(await run(43)).not.toEqual(a);
  });
});
