/**
 * Consent/token benchmark, not a timed test: prints consents performed, refreshes performed and wall time for
 *   1. cold consents, each (account, site) — the consent setup project's path (`prepare`: every account, each offered
 *                   site in turn, non-admins first) with an empty store and no identity sessions, `--rounds` times;
 *                   target: median ≤ 1 s per (account, site). A second table says where the time of one consent goes:
 *                   the browser context and page, the callback catcher and authorize URL, the page loads (navigation
 *                   request to DOMContentLoaded, redirects included), the driver (screen waits and actions between
 *                   loads), and the callback with the code exchange and the session file; the browser is launched once.
 *   2. warm store  — target: consents = 0
 *   3. 4 worker processes with 60-second access tokens for --duration seconds (default 140: not a multiple of ttl − leeway, so no refresh lands on the last instant)
 *                   — target: refreshes = ceil(run / lifetime) per key, lifetime = token TTL − refresh leeway
 * against a private simulator, with a throwaway store under the OS temp folder (tokens never land under reports/,
 * which is published), removed at the end. The timings come from the browser's own events (a wrapper around
 * `newContext`/`newPage` and page listeners), so the consent path measured is the one the harness runs.
 *
 *   node --import tsx scripts/bench-consent.ts [--rounds 3] [--picker react-select|native] [--duration 140] [--ttl 60]
 *     [--leeway 10] [--no-workers]
 * (`--picker`: the simulator's consent-page site picker, settings.sitePicker; default: the world's, React-Select)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os, { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type Browser, type BrowserContext, chromium, type Page } from '@playwright/test';
import { consentOrder } from '../fixtures/consent/flow.ts';
import { chromiumLaunchOptions } from '../fixtures/core/browser.ts';
import { loadConfigOrExit } from '../fixtures/core/config.ts';
import { startSimulator } from '../fixtures/core/simulator.ts';
import { browserConsentRunner, type ConsentRunner, createTokenProvider } from '../fixtures/tokens/provider.ts';
import { TokenStore } from '../fixtures/tokens/store.ts';
import { runTokenWorkers } from './lib/token-workers.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    picker: { type: 'string' },
    duration: { type: 'string', default: '140' },
    ttl: { type: 'string', default: '60' },
    leeway: { type: 'string', default: '10' },
    'no-workers': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) {
  process.stderr.write('bench-consent: --rounds must be a whole number ≥ 1\n');
  process.exit(2);
}
if (values.picker !== undefined && values.picker !== 'react-select' && values.picker !== 'native') {
  process.stderr.write("bench-consent: --picker must be react-select or native (the simulator's settings.sitePicker)\n");
  process.exit(2);
}
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

/** One consent's timeline (ms since the runner was called). */
interface Timing {
  role: string;
  site?: string;
  /** the consent made its browser context (false: it found one ready, the account's kept one or one made ahead, flow.ts) */
  freshContext: boolean;
  contextPage: number;
  firstRequest?: number;
  callbackRequest?: number;
  /** navigation request → DOMContentLoaded, summed over the consent's documents */
  loads: number;
  end: number;
}
const timings: Timing[] = [];
let current: { t0: number; timing: Timing; navStart?: number } | undefined;
const since = () => (current ? performance.now() - current.t0 : 0);

function watch(page: Page): void {
  page.on('request', (req) => {
    if (!current || !req.isNavigationRequest() || req.frame() !== page.mainFrame()) return;
    const t = since();
    current.timing.firstRequest ??= t;
    current.navStart ??= t;
    if (new URL(req.url()).pathname === '/callback') current.timing.callbackRequest ??= t;
  });
  page.on('domcontentloaded', () => {
    if (!current || current.navStart === undefined) return;
    current.timing.loads += since() - current.navStart;
    current.navStart = undefined;
  });
}

/** The browser with `newContext`/`newPage` timed and every page watched. */
function timedBrowser(browser: Browser): Browser {
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...args: Parameters<Browser['newContext']>): Promise<BrowserContext> => {
    // a context made before the consent's first request is its own; one made after it (a spare made ahead for the
    // next consent, flow.ts) is not counted against it
    const mine = current && current.timing.firstRequest === undefined ? current : undefined;
    const ctx = await newContext(...args);
    if (mine) mine.timing.freshContext = true;
    const newPage = ctx.newPage.bind(ctx);
    ctx.newPage = async () => {
      const page = await newPage();
      watch(page);
      if (mine && mine === current) mine.timing.contextPage = since();
      return page;
    };
    return ctx;
  };
  return browser;
}

/** The consent runner with each call's timeline recorded. */
function timedRunner(runner: ConsentRunner): ConsentRunner {
  return async (role, site) => {
    current = { t0: performance.now(), timing: { role, site, freshContext: false, contextPage: 0, loads: 0, end: 0 } };
    try {
      return await runner(role, site);
    } finally {
      current.timing.end = since();
      timings.push(current.timing);
      current = undefined;
    }
  };
}

const median = (xs: number[]) => {
  const a = [...xs].sort((x, y) => x - y);
  if (a.length === 0) return Number.NaN;
  const m = a.length >> 1;
  return a.length % 2 ? a[m]! : (a[m - 1]! + a[m]!) / 2;
};

let launchMs = 0;
let browserName = '';
let browser: Browser | undefined;
const makeProvider = (sub: string) =>
  createTokenProvider({
    config,
    authBase: sim.urls.auth,
    store: new TokenStore(path.join(dir, sub, 'tokens')),
    consent: timedRunner(
      browserConsentRunner({
        config,
        authBase: sim.urls.auth,
        launch: async () => {
          if (!browser) throw new Error('bench-consent: no browser for this scenario');
          return browser;
        },
        sessionDir: path.join(dir, sub, 'sessions'),
      }),
    ),
  });

try {
  const t0 = performance.now();
  const options = chromiumLaunchOptions();
  browserName = options.executablePath ?? "Playwright's bundled Chromium";
  browser = timedBrowser(await chromium.launch(options));
  launchMs = performance.now() - t0;

  // 1. cold: every (account, site) consented, as the consent setup project does; each round from nothing
  let coldWall = 0;
  let coldConsents = 0;
  for (let r = 0; r < rounds; r++) {
    await sim.admin.reset();
    if (values.picker) await sim.admin.patchWorld({ settings: { sitePicker: values.picker } });
    const p = makeProvider(`cold-${r}`);
    const t = performance.now();
    for (const { role } of consentOrder(config.accounts)) await p.prepare(role);
    coldWall += (performance.now() - t) / 1000;
    coldConsents += (await sim.admin.stats()).consents;
  }
  const perConsent = median(timings.map((t) => t.end));
  rows.push({
    scenario: `cold, each (account, site), ${rounds} round(s)${values.picker ? `, ${values.picker} picker` : ''}`,
    consents: coldConsents,
    refreshes: 0,
    wallS: coldWall,
    target: `median ${(perConsent / 1000).toFixed(2)} s per (account, site) ≤ 1 s: ${perConsent <= 1000 ? 'met' : 'NOT met'}`,
  });

  // 2. warm: the last cold round's store serves every account
  const before = await sim.admin.stats();
  const t = performance.now();
  const warm = makeProvider(`cold-${rounds - 1}`);
  for (const role of roles) await warm.for(role);
  const after = await sim.admin.stats();
  rows.push({
    scenario: 'warm store',
    consents: after.consents - before.consents,
    refreshes: after.tokens.refresh_token - before.tokens.refresh_token,
    wallS: (performance.now() - t) / 1000,
    target: 'consents = 0',
  });
  await browser.close();
  browser = undefined;

  if (!values['no-workers']) await workers();
} finally {
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
}

/** 3. worker processes on the last cold round's store, with short-lived access tokens. */
async function workers(): Promise<void> {
  await sim.admin.patchWorld({ settings: { accessTokenTtlSeconds: ttlS } });
  // tokens issued before the TTL change live an hour: make the stored ones due now
  const storeDir = path.join(dir, `cold-${rounds - 1}`, 'tokens');
  const store = new TokenStore(storeDir);
  const p = makeProvider(`cold-${rounds - 1}`);
  for (const role of roles) {
    const rec = store.read(p.keyFor(role));
    if (rec) store.write({ ...rec, expiresAt: Date.now() });
  }
  const before = await sim.admin.stats();
  const t0 = performance.now();
  const exits = await runTokenWorkers(4, {
    authBase: sim.urls.auth,
    apiBase: sim.urls.api,
    storeDir,
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
}

const line = (c: string[]) => `| ${c.join(' | ')} |`;
const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '–');
/** The phases of one consent, in ms. */
function phases(t: Timing): number[] {
  const first = t.firstRequest ?? t.end;
  const callback = t.callbackRequest ?? t.end;
  return [t.contextPage, first - t.contextPage, t.loads, Math.max(0, callback - first - t.loads), t.end - callback, t.end];
}
function phaseRow(label: string, ts: Timing[]): string {
  const p = ts.map(phases);
  return line([label, String(ts.length), ...[0, 1, 2, 3, 4, 5].map((i) => ms(median(p.map((x) => x[i]!))))]);
}
const fresh = timings.filter((t) => t.freshContext);
const kept = timings.filter((t) => !t.freshContext);
const [l1, l5, l15] = loadavg().map((n) => n.toFixed(1));
process.stdout.write(
  [
    line(['scenario', 'consents', 'refreshes', 'wall time (s)', 'target']),
    line(['---', '---:', '---:', '---:', '---']),
    ...rows.map((r) => line([r.scenario, String(r.consents), String(r.refreshes), r.wallS.toFixed(1), r.target])),
    '',
    `Where one cold consent's time goes (median ms per (account, site); browser ${browserName} launched once: ${ms(launchMs)} ms; load average ${l1} ${l5} ${l15} on ${os.cpus().length} cores):`,
    '',
    line([
      'consents',
      'n',
      'context + page',
      'catcher + URL',
      'page loads',
      'driver (waits, actions)',
      'callback, exchange, session',
      'total',
    ]),
    line(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
    phaseRow('all', timings),
    ...(fresh.length && kept.length
      ? [phaseRow('context made during the consent', fresh), phaseRow('context ready (kept for the next site, or made ahead)', kept)]
      : []),
  ].join('\n') + '\n',
);
