/**
 * Crash safety: a worker is killed right after the simulator issued a new token pair and before the worker
 * stored it. The next run either still has a working refresh token (Atlassian's 10-minute reuse leeway,
 * docs/reference/atlassian-oauth.md §3) or — when the leeway is over and the family is revoked — re-consents once, and says which.
 */

import type { Browser } from '@playwright/test';
import type { HarnessConfig } from '../../fixtures/core/config.ts';
import type { SimHandle } from '../../fixtures/core/simulator.ts';
import { expect, test } from '../../fixtures/index.ts';
import { browserConsentRunner, createTokenProvider } from '../../fixtures/tokens/provider.ts';
import { TokenStore } from '../../fixtures/tokens/store.ts';
import { runTokenWorker } from '../../scripts/lib/token-workers.ts';
import { scratchDir } from '../support/scratch.ts';

const LOCK_STALE_MS = 5000;

async function crashMidRefresh(sim: SimHandle, config: HarnessConfig, browser: Browser, dir: string) {
  const make = () =>
    createTokenProvider({
      config,
      authBase: sim.urls.auth,
      store: new TokenStore(`${dir}/tokens`, { staleMs: LOCK_STALE_MS }),
      consent: browserConsentRunner({ config, authBase: sim.urls.auth, launch: async () => browser }),
    });
  const seed = make();
  await seed.for('member');
  const stored = new TokenStore(`${dir}/tokens`).read(seed.keyFor('member'))!;
  const exit = await runTokenWorker({
    authBase: sim.urls.auth,
    apiBase: sim.urls.api,
    storeDir: `${dir}/tokens`,
    config: { accounts: config.accounts, app: config.app },
    roles: ['member'],
    durationMs: 0,
    paceMs: 0,
    refreshLeewayMs: 24 * 3600_000, // every token is "near expiry": the worker refreshes at once
    lockStaleMs: LOCK_STALE_MS,
    crashAfterRefreshResponse: true,
    allowConsent: false,
  });
  return { make, stored, exit };
}

test.describe('crash in the middle of a refresh', () => {
  test('the next run reuses the old refresh token within the leeway and says so', async ({ sim, config, browser }, testInfo) => {
    test.setTimeout(90_000);
    const dir = scratchDir(testInfo, 'auth');
    const { make, stored, exit } = await crashMidRefresh(sim, config, browser, dir);
    expect(exit.signal).toBe('SIGKILL');
    expect(exit.report).toBeUndefined();
    expect((await sim.admin.stats()).tokens.refresh_token).toBe(1); // the server did issue the new pair
    const left = new TokenStore(`${dir}/tokens`).read(make().keyFor('member'))!;
    expect(left.refreshToken).toBe(stored.refreshToken); // the new pair never reached the store
    expect(left.refreshInFlight?.pid).toBeGreaterThan(0);

    const next = make();
    const token = await next.for('member');
    const events = next.stats().events;
    expect(events.map((e) => e.type)).toEqual(['refresh', 'recovered-interrupted-refresh']);
    expect(events[1]?.detail).toContain('reuse leeway');
    expect(next.stats().consents).toBe(0);
    // the account was served by the stored refresh token: the run's line counts it as from the store
    expect(next.stats().fromStoreRoles).toEqual(['member']);
    const stats = await sim.admin.stats();
    expect(stats.refreshReuseWithinWindow).toBe(1);
    expect(stats.familyRevocations).toBe(0);
    const res = await fetch(`${sim.urls.api}/oauth/token/accessible-resources`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).not.toBe(401);
  });

  test('outside the leeway the family is revoked and the next run re-consents exactly once', async ({ sim, config, browser }, testInfo) => {
    test.setTimeout(90_000);
    await sim.admin.patchWorld({ settings: { refreshReuseWindowSeconds: 0 } });
    const dir = scratchDir(testInfo, 'auth');
    const { make, exit } = await crashMidRefresh(sim, config, browser, dir);
    expect(exit.signal).toBe('SIGKILL');
    const next = make();
    const token = await next.for('member');
    expect(token).toBeTruthy();
    const events = next.stats().events;
    expect(events.map((e) => e.type)).toEqual(['reconsent-after-invalid-grant', 'consent']);
    expect(events[0]?.detail).toContain('previous refresh was interrupted');
    expect(next.stats().consents).toBe(1);
    expect(next.stats().consented, 'the re-consent names its reason').toEqual([{ role: 'member', reason: 'refresh token rejected' }]);
    expect(next.stats().fromStoreRoles).toEqual([]);
    const stats = await sim.admin.stats();
    expect(stats.familyRevocations).toBe(1);
    expect(stats.consents).toBe(2);
  });
});
