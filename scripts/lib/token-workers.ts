/**
 * Spawner for token-consuming worker processes (scripts/lib/tokens-worker.ts): N processes on one token store, as
 * Playwright workers and shards on one machine would be. Used by tests/self/tokens-*.spec.ts and scripts/bench-consent.ts.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { HarnessConfig } from '../../fixtures/core/config.ts';
import { ROOT } from '../../fixtures/core/config.ts';

export interface WorkerSpec {
  authBase: string;
  apiBase: string;
  storeDir: string;
  /** the store key's identity (fixtures/tokens/store.ts `targetIdentity`, as the tokens fixture uses); default: the token endpoint's origin */
  storeOrigin?: string;
  sessionDir?: string;
  config: Pick<HarnessConfig, 'accounts' | 'app'>;
  roles: string[];
  durationMs: number;
  /** pause between token uses: the workload's request rate (not a wait for a condition) */
  paceMs: number;
  refreshLeewayMs: number;
  lockStaleMs?: number;
  /** test seam: SIGKILL the process right after the token endpoint answered a refresh, before the pair is stored */
  crashAfterRefreshResponse?: boolean;
  /** may this worker open a browser to consent (cold store)? */
  allowConsent: boolean;
}

export interface WorkerReport {
  pid: number;
  calls: number;
  statuses: Record<string, number>;
  /** short hashes of the distinct access tokens this worker used */
  tokens: string[];
  consents: number;
  refreshes: number;
  events: Array<{ type: string; detail: string }>;
  error?: string;
}

export interface WorkerExit {
  /** undefined when the process died without reporting (e.g. SIGKILL) */
  report?: WorkerReport;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

export function runTokenWorker(spec: WorkerSpec): Promise<WorkerExit> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'lib', 'tokens-worker.ts'), JSON.stringify(spec)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      const line = out.trim().split('\n').pop() ?? '';
      let report: WorkerReport | undefined;
      try {
        report = line ? (JSON.parse(line) as WorkerReport) : undefined;
      } catch {
        report = undefined;
      }
      resolve({ report, code, signal, stderr: err });
    });
  });
}

export function runTokenWorkers(n: number, spec: WorkerSpec): Promise<WorkerExit[]> {
  return Promise.all(Array.from({ length: n }, () => runTokenWorker(spec)));
}
