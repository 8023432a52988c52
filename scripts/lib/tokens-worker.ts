/**
 * A token-consuming worker process, for the rotation/crash tests and the benchmark: N of these share one token store
 * the way Playwright workers and shards on one machine do. It asks the provider for a token, uses it on the API host,
 * repeats until its time is up, and prints ONE JSON line (no secrets: tokens are reduced to short hashes).
 *
 *   node --import tsx scripts/lib/tokens-worker.ts '<json WorkerSpec>'
 */
import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { chromium } from '@playwright/test';
import { chromiumLaunchOptions } from '../../fixtures/core/browser.ts';
import type { HarnessConfig } from '../../fixtures/core/config.ts';
import { browserConsentRunner, createTokenProvider } from '../../fixtures/tokens/provider.ts';
import { TokenStore } from '../../fixtures/tokens/store.ts';
import type { WorkerReport, WorkerSpec } from './token-workers.ts';

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as WorkerSpec;
  const runner = browserConsentRunner({
    config: spec.config as HarnessConfig,
    authBase: spec.authBase,
    sessionDir: spec.sessionDir,
    launch: async () => {
      if (!spec.allowConsent) throw new Error('this worker was started with a warm store and must not consent');
      return chromium.launch(chromiumLaunchOptions());
    },
  });
  const provider = createTokenProvider({
    config: spec.config,
    authBase: spec.authBase,
    store: new TokenStore(spec.storeDir, { staleMs: spec.lockStaleMs }),
    consent: runner,
    storeOrigin: spec.storeOrigin,
    refreshLeewayMs: spec.refreshLeewayMs,
    afterRefreshResponse: spec.crashAfterRefreshResponse ? () => process.kill(process.pid, 'SIGKILL') : undefined,
  });
  const report: WorkerReport = { pid: process.pid, calls: 0, statuses: {}, tokens: [], consents: 0, refreshes: 0, events: [] };
  const seen = new Set<string>();
  const end = Date.now() + spec.durationMs;
  try {
    do {
      for (const role of spec.roles) {
        const token = await provider.for(role);
        seen.add(createHash('sha256').update(token).digest('hex').slice(0, 12));
        const res = await fetch(`${spec.apiBase}/oauth/token/accessible-resources`, { headers: { authorization: `Bearer ${token}` } });
        await res.arrayBuffer();
        report.statuses[String(res.status)] = (report.statuses[String(res.status)] ?? 0) + 1;
        report.calls++;
      }
      if (Date.now() < end) await delay(spec.paceMs);
    } while (Date.now() < end);
  } catch (e) {
    report.error = (e as Error).message.slice(0, 600);
  }
  const s = provider.stats();
  report.tokens = [...seen];
  report.consents = s.consents;
  report.refreshes = s.refreshes;
  report.events = s.events.map((e) => ({ type: e.type, detail: e.detail }));
  await runner.close();
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

await main();
