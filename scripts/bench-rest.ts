/**
 * `npm run bench -- rest` (or `tsx scripts/bench-rest.ts`): the full scope × site matrix for every configured account
 * against a private simulator with 150 ms injected latency on every API call. Prints requests sent, retries and wall
 * time next to the lower bound = requests ÷ allowed concurrency × latency (allowed concurrency = per-site limit × site
 * lanes). Target: wall ≤ 1.3 × bound. Tokens are obtained first through the real consent flow and are not
 * part of the timed section. Exit 1 when the target is missed.
 */
import { chromium } from '@playwright/test';
import { runConsent } from '../fixtures/consent/flow.ts';
import type { TokenResponse } from '../fixtures/consent/token-client.ts';
import { chromiumLaunchOptions } from '../fixtures/core/browser.ts';
import { account, loadConfigOrExit } from '../fixtures/core/config.ts';
import { registerSecret } from '../fixtures/core/redact.ts';
import { startSimulator } from '../fixtures/core/simulator.ts';
import { RestClient } from '../fixtures/rest/client.ts';
import { loadExpectations } from '../fixtures/rest/expectations.ts';
import { probeAccount } from '../fixtures/rest/matrix.ts';
import { ScopeProber } from '../fixtures/rest/prober.ts';
import { loadCatalog } from '../fixtures/rest/scopes.ts';

const LATENCY_MS = 150;
const TARGET = 1.3;

const config = loadConfigOrExit();
const catalog = loadCatalog();
if (!config.expectationsFile) {
  process.stderr.write('bench-rest: EXPECTATIONS_FILE is not set. Fix: use the .env.sim defaults (tests/expectations/sim-app.json).\n');
  process.exit(2);
}
const exp = loadExpectations({
  file: config.expectationsFile,
  catalog,
  roles: config.accounts.map((a) => a.role),
  requested: config.app.scopes,
});

interface Row {
  label: string;
  perSite: number;
  requests: number;
  retries: number;
  wallMs: number;
  boundMs?: number;
  cells: number;
}

const sim = await startSimulator({ world: config.simWorld });
const browser = await chromium.launch(chromiumLaunchOptions());
const rows: Row[] = [];
let missed = false;
let callMs: number = LATENCY_MS;
const load = (await import('node:os')).loadavg()[0] ?? 0;
try {
  process.stderr.write('bench-rest: consenting every account on every expected site (not timed)…\n');
  const tokens = new Map<string, TokenResponse>();
  for (const acct of config.accounts) {
    for (const siteKey of exp.sitesPresent(acct.role)) {
      const r = await runConsent({ browser: async () => browser, authBase: sim.urls.auth, app: config.app }, account(config, acct.role), {
        site: new URL(exp.site(siteKey).url).host,
      });
      if (r.outcome.code !== 'granted' || !r.tokens)
        throw new Error(`consent for ${acct.role} on ${siteKey}: ${r.outcome.code} (${r.outcome.detail})`);
      registerSecret(r.tokens.accessToken);
      registerSecret(r.tokens.refreshToken);
      tokens.set(acct.role, r.tokens);
    }
  }

  const run = async (label: string, perSite: number, faults: unknown[]): Promise<Row> => {
    await sim.admin.setFaults({ rules: faults });
    const client = new RestClient({ baseUrl: sim.urls.api, perSiteConcurrency: perSite });
    const t0 = performance.now();
    const all = await Promise.all(
      config.accounts.map((a) => {
        const t = tokens.get(a.role);
        if (!t) throw new Error(`no token for ${a.role}`);
        return probeAccount(new ScopeProber(client, catalog, { role: a.role, token: t.accessToken, tokenScopes: t.scopes }), exp.sites);
      }),
    );
    const wallMs = performance.now() - t0;
    await client.close();
    const lanes = exp.sites.length; // account-level calls (accessible-resources, /me) ride on their own small lane
    return {
      label,
      perSite,
      requests: client.stats.requests,
      retries: client.stats.retries,
      wallMs,
      cells: all.flat().length,
      boundMs: (client.stats.requests / (perSite * lanes)) * LATENCY_MS,
    };
  };

  const latency = { role: 'api', latencyMs: LATENCY_MS };
  // calibration: what one call really costs here (latency + simulator and client work on a shared machine)
  await sim.admin.setFaults({ rules: [latency] });
  const cal = new RestClient({ baseUrl: sim.urls.api });
  const anyToken = [...tokens.values()][0]?.accessToken ?? '';
  const samples: number[] = [];
  for (let i = 0; i < 15; i++)
    samples.push((await cal.request({ method: 'GET', path: '/oauth/token/accessible-resources', token: anyToken })).durationMs);
  await cal.close();
  callMs = samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)] ?? LATENCY_MS;
  for (const perSite of [2, 4, 8]) rows.push(await run(`matrix, ${LATENCY_MS} ms latency`, perSite, [latency]));
  // the same with every 25th call answered 429 Retry-After: 1 (retries are counted; the bound no longer applies)
  const throttled = await run(`matrix, ${LATENCY_MS} ms latency + every 25th call 429 (Retry-After 1 s)`, 4, [
    { role: 'api', pathRegex: '^/ex/', status: 429, everyNth: 25, retryAfterSeconds: 1 },
    latency,
  ]);
  rows.push({ ...throttled, boundMs: undefined });
} finally {
  await browser.close();
  await sim.stop();
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const lines = [
  `REST scope × site matrix: ${config.accounts.length} accounts × ${exp.sites.length} sites × ${catalog.scopes.length} catalog scopes (simulator, ${LATENCY_MS} ms injected latency per API call)`,
  '',
  '| run | per-site limit | cells | requests | retries | wall | lower bound | wall ÷ bound |',
  '|---|---:|---:|---:|---:|---:|---:|---:|',
];
for (const r of rows) {
  const ratio = r.boundMs ? r.wallMs / r.boundMs : undefined;
  if (ratio !== undefined && ratio > TARGET) missed = true;
  lines.push(
    `| ${r.label} | ${r.perSite} | ${r.cells} | ${r.requests} | ${r.retries} | ${fmt(r.wallMs)} | ${r.boundMs ? fmt(r.boundMs) : '—'} | ${ratio ? `${ratio.toFixed(2)}×` : '—'} |`,
  );
}
lines.push(
  '',
  `Lower bound = requests ÷ (per-site limit × ${exp.sites.length} site lanes) × ${LATENCY_MS} ms. Target: wall ≤ ${TARGET}× bound — ${missed ? 'MISSED' : 'met'}.`,
  `Calibration: one call alone takes ${callMs} ms median here (${LATENCY_MS} ms injected + ${callMs - LATENCY_MS} ms simulator/client work); 1-min load average ${load.toFixed(1)} on ${(await import('node:os')).cpus().length} cores.`,
  `With that per-call time the bound for the per-site limit 4 run is ${fmt(((rows[1]?.requests ?? 0) / (4 * exp.sites.length)) * callMs)}.`,
);
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(missed ? 1 : 0);
