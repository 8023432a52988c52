/**
 * What keeps the admin API to the test that owns the simulator, and what every host does with an oversized body
 * (simulator/README.md "Admin API", simulator/src/http.ts dispatchAdmin): the admin API answers on its own port
 * only, to a loopback Host header only, refuses cross-site browsers, and takes bodies as application/json only; a
 * body over 5 MiB is answered 413 (never a connection reset) and logged as 413.
 */
import { request } from 'node:http';
import type { SimHandle } from '../../fixtures/core/simulator.ts';
import { expect, test } from '../../fixtures/index.ts';

/** A raw HTTP request (fetch cannot set Host). */
function raw(
  url: string,
  o: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method: o.method ?? 'GET', headers: o.headers, timeout: 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within 5 s`)));
    req.on('error', reject);
    req.end(o.body);
  });
}

const worldName = async (sim: SimHandle) => (await sim.admin.world<{ org: { name: string } }>()).org.name;

test.describe('admin API guard', () => {
  test('/__admin on an imitated host (auth, id, api, mcp) is 403 naming the ready line, and recorded', async ({ sim }) => {
    for (const base of [sim.urls.auth, sim.urls.id, sim.urls.api, sim.urls.mcp]) {
      const res = await fetch(`${base}/__admin/world`);
      expect(res.status, base).toBe(403);
      expect(((await res.json()) as { error_description: string }).error_description, base).toContain('"admin" URL');
    }
    const patched = await fetch(`${sim.urls.auth}/__admin/world`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ org: { name: 'changed through the auth host' } }),
    });
    expect(patched.status).toBe(403);
    expect(await worldName(sim)).not.toBe('changed through the auth host');
    expect((await sim.admin.unrecognised()).filter((e) => e.path === '/__admin/world')).toHaveLength(5);
  });

  test('a Host header that is not loopback (DNS rebinding) gets 403 and changes nothing', async ({ sim }) => {
    const before = await worldName(sim);
    const r = await raw(`${sim.urls.admin}/world`, {
      method: 'PATCH',
      headers: { host: 'evil.example:80', 'content-type': 'application/json' },
      body: JSON.stringify({ org: { name: 'rebound' } }),
    });
    expect(r.status).toBe(403);
    expect(r.body).toContain('loopback Host');
    expect(await worldName(sim)).toBe(before);
    for (const host of ['localhost', `127.0.0.1:${new URL(sim.urls.admin).port}`, '[::1]:1']) {
      expect((await raw(`${sim.urls.admin}/stats`, { headers: { host } })).status, host).toBe(200);
    }
  });

  test('a cross-site browser request gets 403 (foreign Origin, Sec-Fetch-Site: cross-site)', async ({ sim }) => {
    const origin = await fetch(`${sim.urls.admin}/reset`, { method: 'POST', headers: { origin: 'https://evil.example' } });
    expect(origin.status).toBe(403);
    const site = await fetch(`${sim.urls.admin}/reset`, { method: 'POST', headers: { 'sec-fetch-site': 'cross-site' } });
    expect(site.status).toBe(403);
    const local = await fetch(`${sim.urls.admin}/reset`, { method: 'POST', headers: { origin: 'http://127.0.0.1:3000' } });
    expect(local.status).toBe(204);
  });

  test('a body that is not application/json gets 415 and changes nothing; JSON with a charset and a bodyless POST work', async ({
    sim,
  }) => {
    const body = JSON.stringify({ org: { name: 'from a form' } });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const res = await fetch(`${sim.urls.admin}/world`, { method: 'PATCH', headers: { 'content-type': type }, body });
      expect(res.status, type).toBe(415);
      expect(((await res.json()) as { error: string }).error).toBe('unsupported_media_type');
    }
    const none = await raw(`${sim.urls.admin}/world`, { method: 'PATCH', body });
    expect(none.status).toBe(415);
    expect(await worldName(sim)).not.toBe('from a form');
    const json = await fetch(`${sim.urls.admin}/world`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ org: { name: 'from json' } }),
    });
    expect(json.status).toBe(200);
    expect(await worldName(sim)).toBe('from json');
    expect((await fetch(`${sim.urls.admin}/reset`, { method: 'POST' })).status).toBe(204);
  });

  test('the admin port serves nothing but /__admin', async ({ sim }) => {
    const res = await fetch(`${new URL(sim.urls.admin).origin}/oauth/token`, { method: 'POST' });
    expect(res.status).toBe(404);
  });
});

test.describe('oversized request bodies', () => {
  const big = Buffer.alloc(6 * 1024 * 1024, 'a');

  test('a body over 5 MiB is answered 413 on every host (not a reset), and the request log records 413', async ({ sim }) => {
    const targets = [
      { url: `${sim.urls.auth}/oauth/token`, type: 'application/json', path: '/oauth/token' },
      { url: `${sim.urls.id}/login`, type: 'application/x-www-form-urlencoded', path: '/login' },
    ];
    for (const t of targets) {
      const res = await fetch(t.url, { method: 'POST', headers: { 'content-type': t.type }, body: big });
      expect(res.status, t.url).toBe(413);
      expect(await res.json(), t.url).toEqual({ code: 413, message: 'Request Entity Too Large: the body exceeds 5242880 bytes' });
    }
    const log = await sim.admin.requests();
    for (const t of targets) expect(log.find((e) => e.path === t.path)?.status, t.path).toBe(413);
    expect(log.some((e) => e.status === 500)).toBe(false);
  });

  test('an authenticated gateway write and an MCP request with an oversized body get 413 too', async ({ sim }) => {
    const member = `Basic ${Buffer.from('member@sim.example:ATATT3xSIMCANARY-member-scoped-token').toString('base64')}`;
    const issue = await fetch(`${sim.urls.api}/ex/jira/a1c3e5f7-0000-4000-8000-000000000001/rest/api/3/issue`, {
      method: 'POST',
      headers: { authorization: member, 'content-type': 'application/json' },
      body: big,
    });
    expect(issue.status).toBe(413);
    const rpc = await fetch(`${sim.urls.mcp}/v1/mcp`, {
      method: 'POST',
      headers: { authorization: member, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: big,
    });
    expect(rpc.status).toBe(413);
    expect((await sim.admin.requests()).filter((e) => e.status === 413)).toHaveLength(2);
  });

  test('an oversized admin body is 413 too, and the world is unchanged', async ({ sim }) => {
    const before = await worldName(sim);
    const res = await fetch(`${sim.urls.admin}/world`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: `{"org":{"name":"${'x'.repeat(6 * 1024 * 1024)}"}}`,
    });
    expect(res.status).toBe(413);
    expect(await worldName(sim)).toBe(before);
  });

  test('a body just under the limit is read as usual', async ({ sim }) => {
    const res = await fetch(`${sim.urls.auth}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'password', pad: 'p'.repeat(5 * 1024 * 1024 - 100) }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toBe('unsupported_grant_type');
  });
});
