/**
 * The REST client on its own, against a private simulator with injected latency and faults: per-site concurrency is
 * bounded, lanes run in parallel, 429/503 are retried after Retry-After within the budget (and a 429 holds the whole
 * site lane), atl-traceid is kept, and the bearer token appears nowhere but the Authorization header. The other
 * transient failures (500, 502, transport failures, Beta-Retry-After, the named limits) are in rest-retry.spec.ts.
 */
import { createServer } from 'node:net';
import { expect, test } from '../../fixtures/index.ts';
import { retryAfterMs } from '../../fixtures/rest/client.ts';
import { ScopeProber } from '../../fixtures/rest/prober.ts';
import { loadCatalog } from '../../fixtures/rest/scopes.ts';
import { WORLD } from '../support/world.ts';

/** a made-up bearer token carrying the canary marker, so the secret scanner would catch it anywhere */
const TOKEN = 'SIMCANARY-rest-client-selftest-token-0001';
const PATH = '/oauth/token/accessible-resources';

test('per-site concurrency is bounded and separate sites run in parallel', async ({ sim, restClient }) => {
  await sim.admin.setFaults({ rules: [{ role: 'api', pathRegex: '^/oauth/token/accessible-resources$', latencyMs: 150 }] });
  const client = restClient({ perSiteConcurrency: 3 });
  const t0 = performance.now();
  const calls = [...Array(12)].map((_, i) =>
    client.request({ method: 'GET', path: PATH, token: TOKEN, lane: i % 2 ? 'site-a' : 'site-b' }),
  );
  const results = await Promise.all(calls);
  const wall = performance.now() - t0;
  expect(results.map((r) => r.status)).toEqual(Array(12).fill(401));
  expect(client.stats.maxInFlight).toEqual({ 'site-a': 3, 'site-b': 3 });
  // 6 calls per lane, 3 at a time → 2 rounds of 150 ms per lane, lanes in parallel
  expect(wall).toBeGreaterThanOrEqual(290);
  expect(wall).toBeLessThan(1500);
});

test('a 429 with Retry-After pauses the whole site lane, then every call completes with the retry recorded', async ({
  sim,
  restClient,
}) => {
  await sim.admin.setFaults({
    rules: [
      {
        role: 'api',
        pathRegex: '^/oauth/token/accessible-resources$',
        status: 429,
        count: 1,
        retryAfterSeconds: 1,
        rateLimitReason: 'jira-quota-tenant-based',
      },
    ],
  });
  const client = restClient({ perSiteConcurrency: 1 });
  const t0 = performance.now();
  const [first, second] = await Promise.all([
    client.request({ method: 'GET', path: PATH, token: TOKEN, lane: 's' }),
    client.request({ method: 'GET', path: PATH, token: TOKEN, lane: 's' }),
  ]);
  expect(first?.status).toBe(401);
  expect(first?.retries).toBe(1);
  expect(first?.retryLog).toEqual([{ status: 429, waitMs: 1000, rateLimitReason: 'jira-quota-tenant-based' }]);
  expect(second?.retries).toBe(0);
  // the second call waited for the pause too instead of hitting the limit again
  expect(performance.now() - t0).toBeGreaterThanOrEqual(1000);
  expect(client.stats).toMatchObject({ requests: 3, retries: 1 });
});

test('a Retry-After beyond the budget is not waited for: the 429 is returned at once', async ({ sim, restClient }) => {
  await sim.admin.setFaults({ rules: [{ role: 'api', status: 429, retryAfterSeconds: 30 }] });
  const client = restClient({ retry: { maxWaitMs: 5_000 } });
  const t0 = performance.now();
  const r = await client.request({ method: 'GET', path: PATH, token: TOKEN });
  expect(r.status).toBe(429);
  expect(r.retries).toBe(0);
  expect(r.headers['retry-after']).toBe('30');
  expect(performance.now() - t0).toBeLessThan(2_000);
});

test('a 503 with Retry-After is retried and the retry is visible', async ({ sim, restClient }) => {
  await sim.admin.setFaults({ rules: [{ role: 'api', status: 503, count: 2, retryAfterSeconds: 0 }] });
  const client = restClient();
  const r = await client.request({ method: 'GET', path: PATH, token: TOKEN });
  expect(r.status).toBe(401);
  expect(r.retryLog.map((x) => x.status)).toEqual([503, 503]);
});

test('the atl-traceid of every response is kept', async ({ sim: _reset, restClient }) => {
  const client = restClient();
  const a = await client.request({ method: 'GET', path: PATH, token: TOKEN });
  const b = await client.request({ method: 'GET', path: PATH, token: TOKEN });
  expect(a.traceId).toMatch(/^[0-9a-f]{8,}$/);
  expect(b.traceId).toMatch(/^[0-9a-f]{8,}$/);
  expect(a.traceId).not.toBe(b.traceId);
  expect(a.traceId).toBe(a.headers['atl-traceid']);
});

// `sim` resets the world: no fault rule of another test is in force
test('the token never appears in evidence, outcomes or transport errors', async ({ sim: _reset, restClient }) => {
  const client = restClient();
  const prober = new ScopeProber(client, loadCatalog(), { role: 'member', token: TOKEN, tokenScopes: [] });
  const outcome = await prober.probe('read:jira-work', WORLD.sites.acme);
  expect(outcome.category).toBe('token-invalid');
  expect(JSON.stringify(outcome)).not.toContain(TOKEN);

  // a port nothing listens on
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const dead = restClient({ baseUrl: `http://127.0.0.1:${port}` });
  const err = await dead.request({ method: 'GET', path: PATH, token: TOKEN }).catch((e: Error) => e);
  expect(err).toBeInstanceOf(Error);
  expect((err as Error).message).toContain(`GET http://127.0.0.1:${port}${PATH} failed`);
  expect((err as Error).message).not.toContain(TOKEN);
});

test('Retry-After is read as delay-seconds or as an HTTP-date', () => {
  const now = Date.parse('2026-11-23T10:00:00Z');
  expect(retryAfterMs('2', now)).toBe(2000);
  expect(retryAfterMs('Mon, 23 Nov 2026 10:00:05 GMT', now)).toBe(5000);
  expect(retryAfterMs('soon', now)).toBeUndefined();
  expect(retryAfterMs(undefined, now)).toBeUndefined();
});
