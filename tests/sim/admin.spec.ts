/**
 * The simulator's process and admin API (simulator/README.md): world validation naming the path, `--world` errors,
 * unrecognised requests, cheap reset, a request log without secrets, fault injection, TLS routing by Host header.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import path from 'node:path';
import { generate } from 'selfsigned';
import { startSimulator } from '../../fixtures/core/simulator.ts';
import { expect, test } from '../../fixtures/index.ts';

const ACME = 'a1c3e5f7-0000-4000-8000-000000000001';
const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** Run the simulator with arguments that must make it fail; returns exit code and stderr. */
function runSimExpectingFailure(args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'simulator', 'src', 'main.ts'), ...args], { cwd: ROOT });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.on('exit', (code) => resolve({ code, stderr, stdout }));
  });
}

async function adminCall(base: string, method: string, p: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${base}${p}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

test.describe('simulator admin API and process', () => {
  test('PUT of an invalid world gets 400 naming the path, and the world is unchanged', async ({ sim }) => {
    const world = await sim.admin.world<{ sites: Record<string, { url: string }> }>();
    world.sites[ACME]!.url = 'not a url';
    const r = await adminCall(sim.urls.admin, 'PUT', '/world', world);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ path: `sites.${ACME}.url` });
    const now = await sim.admin.world<{ sites: Record<string, { url: string }> }>();
    expect(now.sites[ACME]!.url).toBe('https://acme-sim.atlassian.net');
  });

  test('PATCH that breaks a cross-reference gets 400 naming the path; a valid PATCH merges', async ({ sim }) => {
    const bad = await adminCall(sim.urls.admin, 'PATCH', '/world', {
      users: { 'member@sim.example': { sites: { 'c0ffee00-0000-4000-8000-000000000009': {} } } },
    });
    expect(bad).toEqual({
      status: 400,
      body: {
        error:
          'invalid world at users.member@sim.example.sites.c0ffee00-0000-4000-8000-000000000009: unknown site (no such cloudId in sites)',
        path: 'users.member@sim.example.sites.c0ffee00-0000-4000-8000-000000000009',
      },
    });
    await sim.admin.patchWorld({ sites: { [ACME]: { policy: { userInstalledApps: 'blocked' } } } });
    const w = await sim.admin.world<{ sites: Record<string, { policy: { userInstalledApps: string }; name: string }> }>();
    expect(w.sites[ACME]!.policy.userInstalledApps).toBe('blocked');
    expect(w.sites[ACME]!.name).toBe('acme-sim');
  });

  test('reset restores the start world within its 5 ms budget', async ({ sim }) => {
    await sim.admin.patchWorld({
      settings: { accessTokenTtlSeconds: 5 },
      sites: { [ACME]: { policy: { blockedApps: ['sim-client-3lo'] } } },
    });
    const durations: number[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${sim.urls.admin}/reset`, { method: 'POST' });
      expect(res.status).toBe(204);
      durations.push(Number(res.headers.get('x-sim-reset-ms')));
    }
    durations.sort((a, b) => a - b);
    const median = durations[10]!;
    test.info().annotations.push({ type: 'measured', description: `reset median ${median.toFixed(3)} ms server-side (20 runs)` });
    expect(median).toBeLessThan(5);
    const w = await sim.admin.world<{
      settings: { accessTokenTtlSeconds: number };
      sites: Record<string, { policy: { blockedApps: string[] } }>;
    }>();
    expect(w.settings.accessTokenTtlSeconds).toBe(3600);
    expect(w.sites[ACME]!.policy.blockedApps).toEqual([]);
  });

  test('a request no handler recognises is recorded as unrecognised and answered 404', async ({ sim }) => {
    const res = await fetch(`${sim.urls.auth}/oauth/tokens-typo?x=1`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(res.headers.get('atl-traceid')).toMatch(/^[0-9a-f]{32}$/);
    const un = await sim.admin.unrecognised();
    expect(un).toHaveLength(1);
    expect(un[0]).toMatchObject({
      host: 'auth.atlassian.com',
      method: 'POST',
      path: '/oauth/tokens-typo?x=1',
      status: 404,
      recognised: false,
    });
  });

  test('the request log never contains a secret value (no canary marker anywhere)', async ({ sim }) => {
    // a full flow with every kind of secret on the wire: password, session cookie, state, code, tokens, client secret
    const login = await fetch(`${sim.urls.id}/login`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ step: 'password', username: 'member@sim.example', password: 'SIMCANARY-pw-member', continue: '' }),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const redirectUri = 'http://127.0.0.1:65000/callback';
    const q = new URLSearchParams({
      client_id: 'sim-client-3lo',
      redirect_uri: redirectUri,
      scope: 'read:me offline_access',
      response_type: 'code',
      state: 'SIMCANARY-state',
    });
    const authz = await fetch(`${sim.urls.auth}/authorize?${q}`, { redirect: 'manual', headers: { cookie } });
    const rid = new URL(authz.headers.get('location')!).searchParams.get('rid')!;
    const consent = await fetch(`${sim.urls.auth}/consent`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie },
      body: new URLSearchParams({ rid, action: 'accept', site: ACME }),
    });
    const code = new URL(consent.headers.get('location')!).searchParams.get('code')!;
    const tok = await fetch(`${sim.urls.auth}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'authorization_code',
        client_id: 'sim-client-3lo',
        client_secret: 'SIMCANARY-cs-3lo-8f2k1q',
        code,
        redirect_uri: redirectUri,
      }),
    });
    const tokens = (await tok.json()) as { access_token: string; refresh_token: string };
    expect(tok.status).toBe(200);
    await fetch(`${sim.urls.api}/oauth/token/accessible-resources?access_token=${tokens.access_token}`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    await fetch(`${sim.urls.auth}/nowhere?refresh_token=${tokens.refresh_token}&code=${code}&anything=${tokens.refresh_token}`);
    const log = JSON.stringify(await sim.admin.requests(0)) + JSON.stringify(await sim.admin.unrecognised());
    expect(log).toContain('/oauth/token');
    expect(log).toContain('"account":"member@sim.example"');
    expect(log).not.toContain(sim.urls.canary);
    expect(log).not.toContain('eyJ');
  });

  test('a 429 fault carries Retry-After, X-RateLimit-* and RateLimit-Reason; everyNth and count shape it', async ({ sim }) => {
    await sim.admin.setFaults({
      rules: [
        {
          role: 'auth',
          pathRegex: '^/oauth/token$',
          status: 429,
          everyNth: 2,
          count: 1,
          retryAfterSeconds: 7,
          rateLimitReason: 'jira-burst-based',
        },
      ],
    });
    const post = () =>
      fetch(`${sim.urls.auth}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const first = await post();
    expect(first.status).toBe(400); // 1st: not the Nth
    const second = await post();
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('7');
    expect(second.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(second.headers.get('x-ratelimit-limit')).toMatch(/^\d+$/);
    expect(second.headers.get('x-ratelimit-reset')).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/);
    expect(second.headers.get('ratelimit-reason')).toBe('jira-burst-based');
    expect(await second.json()).toEqual({ code: 429, message: 'Rate limit exceeded.' });
    expect((await post()).status).toBe(400);
    expect((await post()).status).toBe(400); // count: 1 — the 4th (a 2nd Nth) passes
  });

  test('a 503 fault can carry Retry-After; latency delays the handler; DELETE clears faults', async ({ sim }) => {
    await sim.admin.setFaults([
      { role: 'api', method: 'GET', latencyMs: 300 },
      { role: 'api', method: 'GET', status: 503, retryAfterSeconds: 3, body: { message: 'down' } },
    ]);
    const t0 = Date.now();
    const res = await fetch(`${sim.urls.api}/me`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(await res.json()).toEqual({ message: 'down' });
    await sim.admin.clearFaults();
    expect((await fetch(`${sim.urls.api}/me`)).status).toBe(401);
  });

  test('an invalid fault profile gets 400 naming the field', async ({ sim }) => {
    const r = await adminCall(sim.urls.admin, 'POST', '/faults', { rules: [{ pathRegex: '([' }] });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toContain('pathRegex');
  });

  test('--world with an invalid file exits 2 naming the file and the path inside it', async ({}, testInfo) => {
    const file = testInfo.outputPath('bad-world.json');
    writeFileSync(
      file,
      JSON.stringify({ org: { id: 'o', name: 'O' }, sites: { [ACME]: { name: 'x', url: 'nope', products: [] } }, users: {}, apps: {} }),
    );
    const r = await runSimExpectingFailure(['--port', '0', '--world', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain(`invalid world at sites.${ACME}.url`);
    const notJson = testInfo.outputPath('not-json.json');
    writeFileSync(notJson, '{ nope');
    const r2 = await runSimExpectingFailure(['--world', notJson]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain(`${notJson}: the world file is not valid JSON`);
    const r3 = await runSimExpectingFailure(['--colour', 'red']);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toContain('unknown option "--colour"');
  });

  test('prints one ready line with the four host URLs, admin and canary, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'simulator', 'src', 'main.ts'), '--port', '0'], {
      cwd: ROOT,
    });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
      });
      child.on('exit', (code) => reject(new Error(`exited ${code} before the ready line`)));
    });
    const ready = JSON.parse(line) as Record<string, string>;
    expect(Object.keys(ready).sort()).toEqual(['admin', 'api', 'auth', 'canary', 'id', 'mcp']);
    // the admin API has its own port, shared with none of the imitated hosts
    expect(ready.admin).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/__admin$/);
    const adminOrigin = new URL(ready.admin!).origin;
    expect([ready.auth, ready.id, ready.api, ready.mcp]).not.toContain(adminOrigin);
    expect(ready.canary).toBe('SIMCANARY');
    expect(new Set([ready.auth, ready.id, ready.api, ready.mcp]).size).toBe(4);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  test('with --tls-cert/--tls-key one HTTPS port routes by Host header and builds URLs from the real host names', async ({}, testInfo) => {
    const pems = await generate([{ name: 'commonName', value: 'auth.atlassian.com' }], { keySize: 2048 });
    const cert = testInfo.outputPath('cert.pem');
    const key = testInfo.outputPath('key.pem');
    writeFileSync(cert, pems.cert);
    writeFileSync(key, pems.private);
    const sim = await startSimulator({ tls: { cert, key } });
    try {
      expect(sim.urls.https).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const port = Number(new URL(sim.urls.https!).port);
      const get = (host: string, p: string) =>
        new Promise<{ status: number; location?: string }>((resolve, reject) => {
          const req = httpsRequest({ host: '127.0.0.1', port, path: p, headers: { host }, rejectUnauthorized: false }, (res) => {
            res.resume();
            resolve({ status: res.statusCode ?? 0, ...(res.headers.location ? { location: res.headers.location } : {}) });
          });
          req.on('error', reject);
          req.end();
        });
      const q = new URLSearchParams({
        client_id: 'sim-client-3lo',
        redirect_uri: 'http://127.0.0.1:1/callback',
        scope: 'read:me',
        response_type: 'code',
        state: 's',
      });
      const authz = await get('auth.atlassian.com', `/authorize?${q}`);
      expect(authz.status).toBe(302);
      expect(authz.location).toMatch(/^https:\/\/id\.atlassian\.com\/login\?continue=https%3A%2F%2Fauth\.atlassian\.com%2Fauthorize/);
      expect((await get('id.atlassian.com', '/login')).status).toBe(200);
      expect((await get('evil.example.com', '/login')).status).toBe(421);
    } finally {
      await sim.stop();
    }
  });
});
