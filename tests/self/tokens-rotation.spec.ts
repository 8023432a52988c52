/**
 * Rotation under parallelism: 4 worker processes on one token store, access tokens that expire every few
 * seconds, a run several lifetimes long. Exactly one refresh per expiry (counted by the simulator), no 401s, no
 * reuse of a rotated refresh token, no family revocation (docs/reference/atlassian-oauth.md §3).
 */

import { createHash } from 'node:crypto';
import { expect, test } from '../../fixtures/index.ts';
import { browserConsentRunner, createTokenProvider } from '../../fixtures/tokens/provider.ts';
import { TokenStore } from '../../fixtures/tokens/store.ts';
import { runTokenWorkers } from '../../scripts/lib/token-workers.ts';
import { scratchDir } from '../support/scratch.ts';

test('4 workers sharing one store refresh exactly once per expiry with no 401s', async ({ sim, config, browser }, testInfo) => {
  test.setTimeout(120_000);
  const ttlSeconds = 4;
  const leewayMs = 1000;
  const durationMs = 14_000;
  await sim.admin.patchWorld({ settings: { accessTokenTtlSeconds: ttlSeconds } });
  const dir = scratchDir(testInfo, 'auth');
  // warm the store once (one browser consent), as the consent setup project does
  const seed = createTokenProvider({
    config,
    authBase: sim.urls.auth,
    store: new TokenStore(`${dir}/tokens`),
    consent: browserConsentRunner({ config, authBase: sim.urls.auth, launch: async () => browser }),
    refreshLeewayMs: leewayMs,
  });
  const seedToken = await seed.for('member');
  const before = await sim.admin.stats();

  const exits = await runTokenWorkers(4, {
    authBase: sim.urls.auth,
    apiBase: sim.urls.api,
    storeDir: `${dir}/tokens`,
    config: { accounts: config.accounts, app: config.app },
    roles: ['member'],
    durationMs,
    paceMs: 150,
    refreshLeewayMs: leewayMs,
    allowConsent: false,
  });
  const reports = exits.map((e) => {
    expect(e.report, `worker exited ${e.code}/${e.signal}: ${e.stderr}`).toBeDefined();
    return e.report!;
  });
  const after = await sim.admin.stats();
  const refreshesBySim = after.tokens.refresh_token - before.tokens.refresh_token;
  const refreshesByWorkers = reports.reduce((n, r) => n + r.refreshes, 0);
  // the seed token may expire before the workers start up, so count it in explicitly
  const distinctTokens = new Set([createHash('sha256').update(seedToken).digest('hex').slice(0, 12), ...reports.flatMap((r) => r.tokens)]);
  await testInfo.attach('rotation summary', {
    contentType: 'application/json',
    body: JSON.stringify(
      {
        refreshesBySim,
        refreshesByWorkers,
        distinctTokens: distinctTokens.size,
        statuses: reports.map((r) => r.statuses),
        calls: reports.map((r) => r.calls),
      },
      null,
      2,
    ),
  });

  for (const r of reports) {
    expect(r.error).toBeUndefined();
    expect(r.consents).toBe(0);
    expect(r.statuses['401'] ?? 0).toBe(0);
    expect(r.calls).toBeGreaterThan(10);
  }
  // each refresh the simulator saw was made by exactly one worker, and each produced the one token all workers used next
  expect(refreshesBySim).toBe(refreshesByWorkers);
  expect(distinctTokens.size).toBe(refreshesBySim + 1);
  // once per expiry: a token lives ttl − leeway = 3 s in the store, the run lasts 14 s (+ start-up)
  const perLifetime = ttlSeconds * 1000 - leewayMs;
  expect(refreshesBySim).toBeGreaterThanOrEqual(Math.floor(durationMs / perLifetime));
  expect(refreshesBySim).toBeLessThanOrEqual(Math.ceil((durationMs + 5000) / perLifetime) + 1);
  expect(after.refreshReuseWithinWindow - before.refreshReuseWithinWindow).toBe(0);
  expect(after.familyRevocations).toBe(0);
  expect(after.consents).toBe(before.consents);
});
