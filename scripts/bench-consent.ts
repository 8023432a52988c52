/**
 * Consent/token benchmark, not a timed test: prints consents performed, refreshes performed and wall time for
 *   1. cold store  — target: consents = number of distinct (account, app, scope set)
 *   2. warm store  — target: consents = 0
 *   3. 4 worker processes with 60-second access tokens for --duration seconds (default 140: not a multiple of ttl − leeway, so no refresh lands on the last instant)
 *                   — target: refreshes = ceil(run / lifetime) per key, lifetime = token TTL − refresh leeway
 * against a private simulator, with a throwaway store under the OS temp folder (tokens never land under reports/,
 * which is published), removed at the end.
 *
 *   node --import tsx scripts/bench-consent.ts [--duration 140] [--ttl 60] [--leeway 10]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { chromiumLaunchOptions } from '../fixtures/core/browser.ts';
import { loadConfigOrExit } from '../fixtures/core/config.ts';
import { startSimulator } from '../fixtures/core/simulator.ts';
import { browserConsentRunner, createTokenProvider } from '../fixtures/tokens/provider.ts';
import { TokenStore } from '../fixtures/tokens/store.ts';
import { runTokenWorkers } from './lib/token-workers.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '140' },
    ttl: { type: 'string', default: '60' },
    leeway: { type: 'string', default: '10' },
  },
});
const durationS = Number(values.duration);
const ttlS = Number(values.ttl);
const leewayS = Number(values.leeway);
if (![durationS, ttlS, leewayS].every((n) => Number.isFinite(n) && n >= 0) || leewayS >= ttlS) {
  process.stderr.write('bench-consent: --duration, --ttl and --leeway must be numbers of seconds with leeway < ttl\n');
  process.exit(2);
}
const config = loadConfigOrExit();
const dir = mkdtempSync(path.join(tmpdir(), 'harness-bench-consent-'));
const sim = await startSimulator({ world: config.simWorld });
const roles = config.accounts.map((a) => a.role);
const rows: Array<{ scenario: string; consents: number; refreshes: number; wallS: number; target: string }> = [];

try {
  const browser = await chromium.launch(chromiumLaunchOptions());
  const makeProvider = () =>
    createTokenProvider({
      config,
      authBase: sim.urls.auth,
      store: new TokenStore(path.join(dir, 'tokens')),
      consent: browserConsentRunner({
        config,
        authBase: sim.urls.auth,
        launch: async () => browser,
        sessionDir: path.join(dir, 'sessions'),
      }),
    });
  for (const [scenario, target] of [
    ['cold store', `consents = ${roles.length} (distinct account/app/scope keys)`],
    ['warm store', 'consents = 0'],
  ] as const) {
    const before = await sim.admin.stats();
    const t0 = performance.now();
    const p = makeProvider();
    for (const role of roles) await p.for(role);
    const after = await sim.admin.stats();
    rows.push({
      scenario,
      consents: after.consents - before.consents,
      refreshes: after.tokens.refresh_token - before.tokens.refresh_token,
      wallS: (performance.now() - t0) / 1000,
      target,
    });
  }
  await browser.close();

  await sim.admin.patchWorld({ settings: { accessTokenTtlSeconds: ttlS } });
  // tokens issued before the TTL change live an hour: make the stored ones due now
  const store = new TokenStore(path.join(dir, 'tokens'));
  const p = makeProvider();
  for (const role of roles) {
    const rec = store.read(p.keyFor(role));
    if (rec) store.write({ ...rec, expiresAt: Date.now() });
  }
  const before = await sim.admin.stats();
  const t0 = performance.now();
  const exits = await runTokenWorkers(4, {
    authBase: sim.urls.auth,
    apiBase: sim.urls.api,
    storeDir: path.join(dir, 'tokens'),
    config: { accounts: config.accounts, app: config.app },
    roles,
    durationMs: durationS * 1000,
    paceMs: 250,
    refreshLeewayMs: leewayS * 1000,
    allowConsent: false,
  });
  const after = await sim.admin.stats();
  const wallS = (performance.now() - t0) / 1000;
  // the workers' run starts after their start-up, so the target uses the run length, not the wall time
  // the stored tokens start due (see above), so the first refresh is at t=0, then one every ttl − leeway seconds
  const perKey = Math.ceil(durationS / (ttlS - leewayS));
  const unauthorised = exits.reduce((n, e) => n + (e.report?.statuses['401'] ?? 0), 0);
  const errors = exits.filter((e) => !e.report || e.report.error).length;
  rows.push({
    scenario: `4 workers, ${ttlS}s tokens, ${durationS}s run`,
    consents: after.consents - before.consents,
    refreshes: after.tokens.refresh_token - before.tokens.refresh_token,
    wallS,
    target: `refreshes ≈ ${perKey} per key × ${roles.length} keys = ${perKey * roles.length}; 401s: ${unauthorised}; worker errors: ${errors}; family revocations: ${after.familyRevocations}`,
  });
} finally {
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
}

const line = (c: string[]) => `| ${c.join(' | ')} |`;
process.stdout.write(
  [
    line(['scenario', 'consents', 'refreshes', 'wall time (s)', 'target']),
    line(['---', '---:', '---:', '---:', '---']),
    ...rows.map((r) => line([r.scenario, String(r.consents), String(r.refreshes), r.wallS.toFixed(1), r.target])),
  ].join('\n') + '\n',
);
