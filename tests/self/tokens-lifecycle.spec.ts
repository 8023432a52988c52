/**
 * Token provider lifecycle on a private simulator: warm start performs zero browser consents; invalid_grant →
 * re-consent once, then fail with the reason; a grant without offline_access fails as no-refresh-token at expiry;
 * rotation stores the newest refresh token (docs/reference/atlassian-oauth.md §3).
 */

import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from '@playwright/test';
import type { HarnessConfig } from '../../fixtures/core/config.ts';
import { type SimHandle, startSimulator } from '../../fixtures/core/simulator.ts';
import { simTarget } from '../../fixtures/core/target.ts';
import { expect, test } from '../../fixtures/index.ts';
import { targetTokens } from '../../fixtures/tokens/fixture.ts';
import { browserConsentRunner, createTokenProvider } from '../../fixtures/tokens/provider.ts';
import { TokenStore } from '../../fixtures/tokens/store.ts';
import { scratchDir } from '../support/scratch.ts';

function provider(
  sim: SimHandle,
  config: HarnessConfig,
  browser: Browser,
  dir: string,
  over: { scopes?: string[]; leewayMs?: number } = {},
) {
  const cfg = { ...config, app: { ...config.app, scopes: over.scopes ?? config.app.scopes } };
  return createTokenProvider({
    config: cfg,
    authBase: sim.urls.auth,
    store: new TokenStore(`${dir}/tokens`),
    consent: browserConsentRunner({ config: cfg, authBase: sim.urls.auth, launch: async () => browser, sessionDir: `${dir}/sessions` }),
    refreshLeewayMs: over.leewayMs ?? 60_000,
  });
}

test.describe('token lifecycle', () => {
  test('a warm start performs zero browser consents and reuses the stored token', async ({ sim, config, browser }, testInfo) => {
    const dir = scratchDir(testInfo, 'auth');
    const cold = provider(sim, config, browser, dir);
    const t1 = await cold.grant('member');
    expect(cold.stats().consents).toBe(1);
    expect(t1.scopes).toContain('read:jira-work');
    expect(t1.key).toContain('member@sim.example');
    const warm = provider(sim, config, browser, dir); // a new process would build exactly this
    expect(await warm.for('member')).toBe(t1.accessToken);
    expect(warm.stats().consents).toBe(0);
    expect((await sim.admin.stats()).consents).toBe(1);
  });

  test('near expiry the provider refreshes once and stores the rotated refresh token first', async ({ sim, config, browser }, testInfo) => {
    await sim.admin.patchWorld({ settings: { accessTokenTtlSeconds: 30 } });
    const dir = scratchDir(testInfo, 'auth');
    const p = provider(sim, config, browser, dir, { leewayMs: 60_000 }); // 30 s tokens are always "near expiry"
    const first = await p.grant('member');
    const store = new TokenStore(`${dir}/tokens`);
    const before = store.read(p.keyFor('member'))!;
    const second = await p.for('member');
    const after = store.read(p.keyFor('member'))!;
    expect(second).not.toBe(first.accessToken);
    expect(after.accessToken).toBe(second);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.refreshes).toBe(1);
    expect(after.refreshInFlight).toBeUndefined();
    const stats = await sim.admin.stats();
    expect(stats.tokens.refresh_token).toBe(1);
    expect(stats.familyRevocations).toBe(0);
  });

  test('invalid_grant re-consents once automatically, then fails with the reason', async ({ sim, config, browser }, testInfo) => {
    await sim.admin.patchWorld({ settings: { accessTokenTtlSeconds: 30 } });
    const p = provider(sim, config, browser, scratchDir(testInfo, 'auth'));
    await p.for('member');
    await sim.admin.revokeGrant('member@sim.example', config.app.clientId);
    const after = await p.for('member'); // refresh → invalid_grant → one consent
    expect(after).toBeTruthy();
    expect(p.stats().consents).toBe(2);
    expect(p.stats().events.map((e) => e.type)).toContain('reconsent-after-invalid-grant');
    await sim.admin.revokeGrant('member@sim.example', config.app.clientId);
    const err = (await p.for('member').then(
      () => undefined,
      (e: unknown) => e,
    )) as Error;
    expect(err).toMatchObject({ code: 'refresh-invalid-grant' });
    expect(err.message).toContain('rejected again after one re-consent');
    expect(err.message).toContain('Unknown or invalid refresh token');
    expect(p.stats().consents).toBe(2);
  });

  test('a grant without offline_access has no refresh token and fails as no-refresh-token at expiry', async ({
    sim,
    config,
    browser,
  }, testInfo) => {
    const dir = scratchDir(testInfo, 'auth');
    const p = provider(sim, config, browser, dir, { scopes: config.app.scopes.filter((s) => s !== 'offline_access'), leewayMs: 0 });
    const g = await p.grant('member');
    expect(g.scopes).not.toContain('offline_access');
    const store = new TokenStore(`${dir}/tokens`);
    const rec = store.read(p.keyFor('member'))!;
    expect(rec.refreshToken).toBeUndefined();
    // age the stored record past its expiry instead of waiting an hour
    store.write({ ...rec, expiresAt: Date.now() - 1000 });
    p.forget();
    const err = (await p.for('member').then(
      () => undefined,
      (e: unknown) => e,
    )) as Error;
    expect(err).toMatchObject({ code: 'no-refresh-token' });
    expect(err.message).toContain('offline_access');
  });

  test('a grant revoked on the running server is not consented again: the stored token goes out and is refused', async ({
    sim,
    config,
    browser,
  }, testInfo) => {
    const authDir = scratchDir(testInfo, 'auth');
    const on = () => targetTokens({ config, target: simTarget(sim), authDir, launch: async () => browser });
    await on().provider.for('member');
    await sim.admin.revokeGrant(config.accounts.find((a) => a.role === 'member')!.email, config.app.clientId);
    const next = on(); // a later worker or run on the same server
    const token = await next.provider.for('member');
    expect(next.provider.stats()).toMatchObject({ consents: 0, fromStore: 1 });
    const res = await fetch(`${sim.urls.api}/oauth/token/accessible-resources`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401); // the suites report token-invalid; a consent would have re-granted what the admin revoked
    expect((await sim.admin.stats()).consents).toBe(1);
  });

  test('runs on simulators with different ports share one store record; a grant the new simulator never issued costs one consent', async ({
    sim,
    config,
    browser,
  }, testInfo) => {
    test.setTimeout(90_000);
    const authDir = scratchDir(testInfo, 'auth');
    const on = (s: SimHandle) => targetTokens({ config, target: simTarget(s), authDir, launch: async () => browser });
    const first = on(sim);
    await first.provider.for('member');
    expect(first.provider.stats()).toMatchObject({ consents: 1, fromStore: 0 });

    // the same simulator again (a second run against a kept simulator): the stored token is used, zero consents
    const again = on(sim);
    await again.provider.for('member');
    expect(again.provider.stats()).toMatchObject({ consents: 0, fromStore: 1 });

    // a new simulator process on another port: same key, the record names the old issuer, one consent replaces it
    const other = await startSimulator();
    try {
      expect(other.urls.auth).not.toBe(sim.urls.auth);
      const next = on(other);
      const token = await next.provider.for('member');
      const s = next.provider.stats();
      expect(s.events.map((e) => e.type)).toContain('stored-by-another-server');
      expect(s.consents).toBe(1);
      const res = await fetch(`${other.urls.api}/oauth/token/accessible-resources`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
    } finally {
      await other.stop();
    }
    const files = readdirSync(path.join(authDir, 'tokens')).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    expect(readdirSync(path.join(authDir, 'sessions'))).toHaveLength(1);
  });
});
