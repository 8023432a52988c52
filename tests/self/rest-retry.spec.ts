/**
 * Transient failures of the API gateway are absorbed within the client's bounded retry budget, and every absorbed one
 * stays visible (fixtures/rest/client.ts, prober.ts, fixtures/core/evidence.ts): against a private simulator switched
 * into its named fault profiles (simulator/README.md "Faults"),
 *  - 500, 502, 503 (with or without Retry-After), 429 and transport failures (a reset connection, a stalled answer)
 *    are retried on idempotent calls, a POST only on 429; every retry is in `retries` / `retryLog` with its status or
 *    error code; the wait is the larger of Retry-After and Beta-Retry-After, else a jittered exponential backoff;
 *  - each limit is bounded and named when it ends the retries (maxRetries, maxWaitMs, budgetMs, deadlineMs);
 *  - a probe whose calls never got an answer is network-error, a persistent 5xx server-error;
 *  - a test that passed after a retried call carries the `retried` label, the `flaky` tag and the retried evidence,
 *    and the report's verdict line counts it as degraded.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, TestInfo } from '@playwright/test';
import { refreshGrant } from '../../fixtures/consent/token-client.ts';
import { EVIDENCE_PREFIX } from '../../fixtures/core/evidence.ts';
import { FLAKY_TAG, LABEL } from '../../fixtures/core/labels.ts';
import { registerSecret } from '../../fixtures/core/redact.ts';
import type { SimHandle } from '../../fixtures/core/simulator.ts';
import type { Target } from '../../fixtures/core/target.ts';
import { test as base, expect } from '../../fixtures/index.ts';
import { RestTransportError, serverWaitMs } from '../../fixtures/rest/client.ts';
import { restSuite } from '../../fixtures/rest/fixture.ts';
import { ScopeProber } from '../../fixtures/rest/prober.ts';
import { loadCatalog } from '../../fixtures/rest/scopes.ts';
import { retriedPasses } from '../../scripts/lib/causes.ts';
import type { TestSummary } from '../../scripts/lib/results.ts';
import { verdictText } from '../../scripts/report.ts';
import { consentRole, consentTokens } from '../support/rest.ts';
import { WORLD } from '../support/world.ts';

/** a made-up bearer token carrying the canary marker (the gateway answers 401 to it once a fault has passed) */
const TOKEN = 'SIMCANARY-rest-retry-selftest-token-0001';
const PATH = '/oauth/token/accessible-resources';
const AR = `^${PATH}$`;
/** small waits so the persistent cases stay fast; the limits themselves are what is asserted */
const FAST = { backoffMs: 20 };

const test = base;

async function profile(sim: SimHandle, selection: Record<string, unknown>): Promise<void> {
  await sim.admin.setFaults({ profiles: [{ role: 'api', seed: 7, ...selection }] });
}

test.describe('client: transient failures are retried and recorded', () => {
  for (const [name, status] of [
    ['server-error', 500],
    ['bad-gateway', 502],
    ['unavailable', 503],
  ] as const) {
    test(`a transient ${status} (${name} profile, Retry-After: 1) is retried once after Retry-After`, async ({ sim, restClient }) => {
      await profile(sim, { name });
      const client = restClient();
      const t0 = performance.now();
      const r = await client.request({ method: 'GET', path: PATH, token: TOKEN });
      expect(r.status).toBe(401);
      expect(r.retries).toBe(1);
      expect(r.retryLog).toEqual([{ status, waitMs: 1000 }]);
      expect(r.retryStop).toBeUndefined();
      expect(performance.now() - t0).toBeGreaterThanOrEqual(1000);
      expect(client.stats).toMatchObject({ requests: 2, retries: 1 });
    });
  }

  test('a 503 without Retry-After backs off exponentially with jitter, each wait inside its band', async ({ sim, restClient }) => {
    await sim.admin.setFaults({ rules: [{ role: 'api', pathRegex: AR, status: 503, count: 3 }] });
    const low = await restClient({ retry: { backoffMs: 100 }, random: () => 0 }).request({ method: 'GET', path: PATH, token: TOKEN });
    expect(low.status).toBe(401);
    // half of each backoff is fixed, half random: 100·2ⁿ → [50·2ⁿ, 100·2ⁿ]
    expect(low.retryLog).toEqual([
      { status: 503, waitMs: 50 },
      { status: 503, waitMs: 100 },
      { status: 503, waitMs: 200 },
    ]);
    await sim.admin.setFaults({ rules: [{ role: 'api', pathRegex: AR, status: 503, count: 2 }] });
    const jittered = await restClient({ retry: { backoffMs: 100 } }).request({ method: 'GET', path: PATH, token: TOKEN });
    expect(jittered.retryLog.map((e) => e.status)).toEqual([503, 503]);
    jittered.retryLog.forEach((e, n) => {
      expect(e.waitMs).toBeGreaterThanOrEqual(50 * 2 ** n);
      expect(e.waitMs).toBeLessThanOrEqual(100 * 2 ** n);
    });
  });

  test('a POST is not retried on a 503 (it may have run) but is retried on a 429 (refused before it ran)', async ({ sim, restClient }) => {
    const client = restClient({ retry: FAST });
    await sim.admin.setFaults({ rules: [{ role: 'api', pathRegex: AR, status: 503, count: 1, retryAfterSeconds: 0 }] });
    const post503 = await client.request({ method: 'POST', path: PATH, token: TOKEN, body: {} });
    expect(post503.status).toBe(503);
    expect(post503.retries).toBe(0);
    expect(post503.retryStop).toContain('POST is not idempotent');
    await sim.admin.setFaults({ rules: [{ role: 'api', pathRegex: AR, status: 429, count: 1, retryAfterSeconds: 0 }] });
    const post429 = await client.request({ method: 'POST', path: PATH, token: TOKEN, body: {} });
    expect(post429.retryLog).toEqual([{ status: 429, waitMs: 0, rateLimitReason: 'jira-burst-based' }]);
    expect(post429.status).not.toBe(429);
  });

  test('a connection reset (connection-reset profile) is retried and logged with its error code', async ({ sim, restClient }) => {
    await profile(sim, { name: 'connection-reset' });
    const r = await restClient({ retry: FAST }).request({ method: 'GET', path: PATH, token: TOKEN });
    expect(r.status).toBe(401);
    expect(r.retries).toBe(1);
    expect(r.retryLog).toHaveLength(1);
    expect(r.retryLog[0]?.status).toBeUndefined();
    expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain(r.retryLog[0]?.error);
    expect((await sim.admin.requests()).filter((e) => e.fault === 'connection-reset')).toHaveLength(1);
  });

  test('a stalled answer past the per-attempt timeout (stalled profile) is retried: UND_ERR_HEADERS_TIMEOUT', async ({
    sim,
    restClient,
  }) => {
    await profile(sim, { name: 'stalled', stallMs: 5000 });
    const t0 = performance.now();
    const r = await restClient({ timeoutMs: 500, retry: FAST }).request({ method: 'GET', path: PATH, token: TOKEN });
    expect(r.status).toBe(401);
    expect(r.retryLog).toEqual([{ error: 'UND_ERR_HEADERS_TIMEOUT', waitMs: expect.any(Number) }]);
    // the stall (5 s) was not waited out: one 500 ms timeout, a short backoff, the healthy answer
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  test('a stall that closes the connection (stalled profile, stallMs 300) is retried as a closed socket', async ({ sim, restClient }) => {
    await profile(sim, { name: 'stalled', stallMs: 300 });
    const r = await restClient({ retry: FAST }).request({ method: 'GET', path: PATH, token: TOKEN });
    expect(r.status).toBe(401);
    expect(r.retries).toBe(1);
    expect(['UND_ERR_SOCKET', 'ECONNRESET']).toContain(r.retryLog[0]?.error);
  });

  test('Beta-Retry-After is honoured next to Retry-After: the larger wait wins', async ({ restClient }) => {
    let calls = 0;
    const server: Server = createServer((_req, res) => {
      calls++;
      if (calls === 1) {
        res.writeHead(429, { 'retry-after': '0', 'beta-retry-after': '0.6', 'content-type': 'application/json' });
        res.end('{"code":429,"message":"Rate limit exceeded."}');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('[]');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const t0 = performance.now();
      const r = await restClient({ baseUrl: `http://127.0.0.1:${port}` }).request({ method: 'GET', path: PATH, token: TOKEN });
      expect(r.status).toBe(200);
      expect(r.retryLog).toEqual([{ status: 429, waitMs: 600 }]);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(600);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    expect(serverWaitMs({ 'beta-retry-after': '2' })).toEqual({ ms: 2000, header: 'beta-retry-after' });
    expect(serverWaitMs({ 'retry-after': '3', 'beta-retry-after': '2' })).toEqual({ ms: 3000, header: 'retry-after' });
    expect(serverWaitMs({})).toBeUndefined();
  });
});

test.describe('client: every limit is bounded and named', () => {
  test('a persistent reset ends after maxRetries with a RestTransportError naming the code and the limit', async ({ sim, restClient }) => {
    await profile(sim, { name: 'connection-reset', mode: 'persistent' });
    const err = await restClient({ retry: FAST })
      .request({ method: 'GET', path: PATH, token: TOKEN })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestTransportError);
    const e = err as RestTransportError;
    expect(e.retries).toBe(3);
    expect(e.retryLog).toHaveLength(3);
    expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain(e.code);
    expect(e.message).toMatch(/^GET http:\/\/\S+\/oauth\/token\/accessible-resources failed in \d+ ms: /);
    expect(e.message).toContain('after 3 retries; not retried again: retry budget spent: 3 of RetryPolicy.maxRetries 3 retries');
    expect(e.message).not.toContain(TOKEN);
  });

  test('a persistent 500 is returned after maxRetries with retryStop saying so', async ({ sim, restClient }) => {
    await sim.admin.setFaults({ rules: [{ role: 'api', pathRegex: AR, status: 500 }] });
    const r = await restClient({ retry: FAST }).request({ method: 'GET', path: PATH, token: TOKEN });
    expect(r.status).toBe(500);
    expect(r.retries).toBe(3);
    expect(r.retryStop).toBe('HTTP 500 after 3 retries; not retried again: retry budget spent: 3 of RetryPolicy.maxRetries 3 retries');
  });

  test('a Retry-After over maxWaitMs, waits over budgetMs and a call over deadlineMs each stop the retries by name', async ({
    sim,
    restClient,
  }) => {
    await sim.admin.setFaults({ rules: [{ role: 'api', pathRegex: AR, status: 503, retryAfterSeconds: 2 }] });
    const long = await restClient({ retry: { maxWaitMs: 1000 } }).request({ method: 'GET', path: PATH, token: TOKEN });
    expect(long.retries).toBe(0);
    expect(long.retryStop).toContain('the wait asked for (Retry-After 2000 ms) is over RetryPolicy.maxWaitMs 1000 ms');

    await sim.admin.setFaults({ rules: [{ role: 'api', pathRegex: AR, status: 503, retryAfterSeconds: 1 }] });
    const budget = await restClient({ retry: { budgetMs: 2500 } }).request({ method: 'GET', path: PATH, token: TOKEN });
    expect(budget.retries).toBe(2);
    expect(budget.retryStop).toContain('Retry-After 1000 ms more would pass RetryPolicy.budgetMs 2500 ms of waits (2000 ms waited)');

    await profile(sim, { name: 'stalled', mode: 'persistent', stallMs: 10_000 });
    const t0 = performance.now();
    const err = (await restClient({ retry: { deadlineMs: 1200 } })
      .request({ method: 'GET', path: PATH, token: TOKEN })
      .catch((e: unknown) => e)) as RestTransportError;
    const took = performance.now() - t0;
    expect(err).toBeInstanceOf(RestTransportError);
    expect(err.code).toBe('UND_ERR_HEADERS_TIMEOUT');
    expect(err.message).toContain('no response headers within 1200 ms');
    expect(err.message).toContain('RetryPolicy.deadlineMs 1200 ms');
    // the 30 s per-attempt timeout was cut to the call's deadline: the stall of 10 s was not waited out
    expect(took).toBeLessThan(4000);
  });
});

test.describe('probes: what persists is classified, what was absorbed is marked', () => {
  const prober = (client: ConstructorParameters<typeof ScopeProber>[0]) =>
    new ScopeProber(client, loadCatalog(), { role: 'member', token: TOKEN, tokenScopes: [] });

  test('a persistent connection reset makes site and account-level probes network-error, with the retries in the evidence', async ({
    sim,
    restClient,
  }) => {
    await profile(sim, { name: 'connection-reset', mode: 'persistent' });
    const p = prober(restClient({ retry: FAST }));
    const site = await p.probe('read:jira-work', WORLD.sites.acme);
    expect(site.category).toBe('network-error');
    expect(site.reason).toContain('accessible-resources for member got no answer');
    expect(site.evidence?.retries).toBe(3);
    expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain(site.evidence?.detail?.error);
    const me = await p.probe('read:me');
    expect(me.category).toBe('network-error');
    expect(me.evidence?.operation).toBe('GET /me');
    expect(me.evidence?.retries).toBe(3);
    expect(JSON.stringify([site, me])).not.toContain(TOKEN);
  });

  test('a persistent 502 is server-error naming the retries it took', async ({ sim, restClient }) => {
    await profile(sim, { name: 'bad-gateway', mode: 'persistent', retryAfterSeconds: 0 });
    const me = await prober(restClient({ retry: FAST })).probe('read:me');
    expect(me.category).toBe('server-error');
    expect(me.reason).toBe('HTTP 502 after 3 retries; not retried again: retry budget spent: 3 of RetryPolicy.maxRetries 3 retries');
    expect(me.evidence?.retries).toBe(3);
  });
});

/** Allure labels the running test carries (allure-js-commons sends them as runtime-message attachments). */
function labels(testInfo: TestInfo, name: string): string[] {
  const out: string[] = [];
  for (const a of testInfo.attachments) {
    if (a.contentType !== 'application/vnd.allure.message+json' || !a.body) continue;
    const msg = JSON.parse(a.body.toString()) as { data?: { labels?: Array<{ name: string; value: string }> } };
    for (const l of msg.data?.labels ?? []) if (l.name === name) out.push(l.value);
  }
  return out;
}
function evidence(testInfo: TestInfo): Array<{ name: string; retries?: number }> {
  return testInfo.attachments
    .filter((a) => a.name.startsWith(EVIDENCE_PREFIX) && a.body)
    .map((a) => ({ name: a.name, retries: (JSON.parse(a.body?.toString() ?? '{}') as { retries?: number }).retries }));
}

test.describe('the probe fixture marks a test that passed after retries', () => {
  const suite = restSuite();
  const withTokens = test.extend({
    restTokens: async ({ sim: _reset, target, browser }, use) => {
      await use(consentTokens(suite, target, browser));
    },
  });
  withTokens.describe.configure({ timeout: 60_000 });

  withTokens(
    'a 503 absorbed by accessible-resources (a setup call) is attached and marks the test retried and flaky',
    async ({ sim, probe }, testInfo) => {
      await probe.prober('member'); // consent first, so the fault hits the probe's own calls
      await profile(sim, { name: 'unavailable', pathRegex: AR, retryAfterSeconds: 0 });
      const outcome = await probe.scope({ role: 'member', scope: 'read:jira-work', site: WORLD.sites.acme, expected: 'granted' });
      expect(outcome).toHaveOutcome('granted');
      const ev = evidence(testInfo);
      expect(ev).toContainEqual({ name: `${EVIDENCE_PREFIX}GET /oauth/token/accessible-resources on acme (setup, retried)`, retries: 1 });
      expect(labels(testInfo, LABEL.retried)).toEqual(['GET /oauth/token/accessible-resources: 1 retry (HTTP 503; waited 0 ms)']);
      expect(labels(testInfo, 'tag')).toContain(FLAKY_TAG);
      expect(testInfo.annotations.filter((a) => a.type === 'retried')).toHaveLength(1);
    },
  );

  withTokens(
    'a reset absorbed by GET /me marks the test once per retried call; a clean call marks nothing',
    async ({ sim, probe }, testInfo) => {
      await probe.prober('member');
      const clean = await probe.identity('member');
      expect(clean).toHaveOutcome('granted');
      expect(labels(testInfo, LABEL.retried)).toEqual([]);
      await profile(sim, { name: 'connection-reset', pathRegex: '^/me$' });
      expect(await probe.identity('member')).toHaveOutcome('granted');
      const marks = labels(testInfo, LABEL.retried);
      expect(marks).toHaveLength(1);
      expect(marks[0]).toMatch(/^GET \/me: 1 retry \((ECONNRESET|UND_ERR_SOCKET); waited \d+ ms\)$/);
      expect(labels(testInfo, 'tag').filter((t) => t === FLAKY_TAG)).toHaveLength(1);
    },
  );
});

test.describe('an access token refused before its expiry is renewed once (token-expiry-early profile)', () => {
  const suite = restSuite();
  /** a prober whose renewal is a refresh at the simulator's token endpoint (what the token provider's renew does) */
  async function renewing(sim: SimHandle, target: Target, browser: Browser, client: ConstructorParameters<typeof ScopeProber>[0]) {
    const tokens = await consentRole(suite, target, browser, 'member');
    let refreshToken = tokens.refreshToken;
    const renewed: string[] = [];
    const creds = {
      tokenUrl: `${sim.urls.auth}/oauth/token`,
      clientId: suite.config.app.clientId,
      clientSecret: suite.config.app.clientSecret,
    };
    const prober = new ScopeProber(client, suite.catalog, {
      role: 'member',
      token: tokens.accessToken,
      tokenScopes: tokens.scopes,
      renew: async () => {
        const next = await refreshGrant(creds, refreshToken ?? '').catch(() => undefined);
        if (!next) return undefined;
        registerSecret(next.accessToken);
        registerSecret(next.refreshToken);
        refreshToken = next.refreshToken;
        renewed.push('refresh');
        return next.accessToken;
      },
    });
    return { prober, renewed, tokens };
  }
  test.describe.configure({ timeout: 60_000 });

  test('transient: the refused call is sent again with a refreshed token, passes, and records the retry', async ({
    sim,
    target,
    browser,
    restClient,
  }) => {
    const { prober, renewed } = await renewing(sim, target, browser, restClient());
    await profile(sim, { name: 'token-expiry-early' });
    const me = await prober.probe('read:me');
    expect(me.category).toBe('granted');
    expect(renewed).toEqual(['refresh']);
    expect(me.evidence?.retries).toBe(1);
    expect(me.evidence?.detail?.retryLog).toEqual([
      { status: 401, waitMs: 0, note: 'access token refreshed: the gateway refused it (401) before its expiry' },
    ]);
    expect((await prober.probe('read:jira-work', WORLD.sites.acme)).category).toBe('granted');
    expect(renewed).toEqual(['refresh']);
  });

  test('persistent: a renewed token refused again stays token-invalid, and renewal stops there', async ({
    sim,
    target,
    browser,
    restClient,
  }) => {
    const { prober, renewed } = await renewing(sim, target, browser, restClient());
    await profile(sim, { name: 'token-expiry-early', mode: 'persistent' });
    expect((await prober.probe('read:me')).category).toBe('token-invalid');
    expect((await prober.probe('read:jira-work', WORLD.sites.acme)).category).toBe('token-invalid');
    expect(renewed).toEqual(['refresh']);
  });

  test('a revoked grant: the refresh is refused, the probe stays token-invalid (no consent)', async ({
    sim,
    target,
    browser,
    restClient,
  }) => {
    const { prober, renewed } = await renewing(sim, target, browser, restClient());
    await sim.admin.revokeGrant(WORLD.emails.member, suite.config.app.clientId);
    const me = await prober.probe('read:me');
    expect(me.category).toBe('token-invalid');
    expect(me.evidence?.retries).toBe(0);
    expect(renewed).toEqual([]);
  });

  test('a 401 scope mismatch and a site outside the grant are never renewed', async ({ sim, target, browser, restClient }) => {
    const { prober, renewed } = await renewing(sim, target, browser, restClient());
    const ghost = { key: 'unknown', cloudId: '00000000-0000-4000-8000-000000000000', url: 'https://unknown.invalid' };
    expect((await prober.probe('read:jira-work', ghost)).category).toBe('site-not-authorized');
    expect(renewed).toEqual([]);
  });
});

test.describe('the report counts degraded passes', () => {
  const summary = (name: string, status: TestSummary['status'], retried: string[] = []): TestSummary => ({
    uuid: name,
    name,
    fullName: name,
    historyId: name,
    status,
    labels: retried.length ? { retried, tag: [FLAKY_TAG] } : {},
    parameters: {},
    attachments: [],
  });

  test('the verdict line says how many tests passed after how many retried calls', () => {
    const tests = [
      summary('a', 'passed', ['GET /me: 1 retry (HTTP 503; waited 1000 ms)']),
      summary('b', 'passed', ['GET /x: 1 retry (ECONNRESET; waited 200 ms)', 'GET /y: 2 retries (HTTP 500, HTTP 500; waited 2000 ms)']),
      summary('c', 'passed'),
      summary('d', 'failed', ['GET /z: 3 retries (HTTP 502, HTTP 502, HTTP 502; waited 3000 ms)']),
    ];
    expect(retriedPasses(tests)).toEqual({ tests: 2, calls: 3 });
    const counts = { total: 4, passed: 3, failed: 1, broken: 0, skipped: 0 };
    const changes = { regressed: [], fixed: [], newFailures: [], stillFailing: [] };
    expect(verdictText(counts, changes, 1, [], retriedPasses(tests))).toContain('degraded: 2 tests passed after 3 retried calls');
    const clean = [summary('c', 'passed')];
    expect(verdictText({ ...counts, total: 1, passed: 1, failed: 0 }, changes, 1, [], retriedPasses(clean))).toBe(
      'GREEN: 1 test passed; history: 1 run',
    );
  });
});
