/**
 * Rehearsal of TARGET=atlassian, offline: the real host names (https://auth.atlassian.com, id., api.) resolve to a
 * private TLS simulator — Chromium through host-resolver rules and an SPKI pin of a throwaway certificate, Node through
 * an undici dispatcher — so the code that builds the real URLs runs end to end: login, consent, code exchange,
 * refresh and an API call.
 */

import { chromium } from '@playwright/test';
import { request } from 'undici';
import { chromiumLaunchOptions } from '../../fixtures/core/browser.ts';
import { startRehearsal } from '../../fixtures/core/rehearsal.ts';
import { expect, test } from '../../fixtures/index.ts';
import { browserConsentRunner, createTokenProvider } from '../../fixtures/tokens/provider.ts';
import { TokenStore } from '../../fixtures/tokens/store.ts';
import { scratchDir } from '../support/scratch.ts';
import { attachOutcome } from './support.ts';

test('consent, exchange, refresh and an API call reach the real host names through the rehearsal mapping', async ({ config }, testInfo) => {
  test.setTimeout(120_000);
  const rehearsal = await startRehearsal();
  const browser = await chromium.launch(chromiumLaunchOptions(rehearsal.chromiumArgs));
  try {
    expect(rehearsal.urls.auth).toBe('https://auth.atlassian.com');
    const runner = browserConsentRunner({
      config,
      authBase: rehearsal.urls.auth,
      launch: async () => browser,
      dispatcher: rehearsal.dispatcher,
    });
    const provider = createTokenProvider({
      config,
      authBase: rehearsal.urls.auth,
      store: new TokenStore(scratchDir(testInfo, 'tokens')),
      consent: async (role, site) => {
        const r = await runner(role, site);
        await attachOutcome(testInfo, role, r.outcome);
        return r;
      },
      dispatcher: rehearsal.dispatcher,
      refreshLeewayMs: 24 * 3600_000, // force the second call to refresh through the mapping too
    });
    const first = await provider.grant('member');
    expect(first.key.startsWith('https://auth.atlassian.com|member@sim.example|')).toBe(true);
    const second = await provider.for('member');
    expect(second).not.toBe(first.accessToken);
    expect(provider.stats()).toMatchObject({ consents: 1, refreshes: 1 });

    const res = await request(`${rehearsal.urls.api}/oauth/token/accessible-resources`, {
      headers: { authorization: `Bearer ${second}` },
      dispatcher: rehearsal.dispatcher,
    });
    const body = await res.body.text();
    expect(res.statusCode, body.slice(0, 200)).toBe(200);

    // every request arrived on the simulator under its real host name
    const hosts = new Set((await rehearsal.sim.admin.requests()).map((r) => r.host));
    for (const h of ['auth.atlassian.com', 'id.atlassian.com', 'api.atlassian.com']) expect(hosts).toContain(h);
  } finally {
    await browser.close();
    await rehearsal.stop();
  }
});

test('rehearsal trusts only its own certificate: other hosts are refused by the Node dispatcher', async () => {
  const rehearsal = await startRehearsal();
  try {
    const err = await request('https://example.com/', { dispatcher: rehearsal.dispatcher }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toContain('only the four Atlassian hosts are mapped');
    expect(rehearsal.chromiumArgs.join(' ')).toContain(`--ignore-certificate-errors-spki-list=${rehearsal.spki}`);
  } finally {
    await rehearsal.stop();
  }
});
