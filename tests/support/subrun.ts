/**
 * The real suites as a Playwright sub-run against a simulator the calling test owns (its private one, already in
 * the state the test wants), the way CI runs them: the project's own playwright.config.ts, `TARGET=sim`, the
 * simulator's URLs handed over in HARNESS_SIM_URLS (fixtures/core/global-setup.ts then starts none), the results in
 * a reports folder of the caller's. Every sub-run has a global timeout: past it the whole process group is killed and
 * `timedOut` says so, so a hanging suite fails the calling test by name instead of hanging it.
 *
 * `readSubrun` turns the sub-run's Allure results into one row per test title (status, outcome label, the
 * `retries` of every evidence record) for assertions.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../fixtures/core/config.ts';
import { EVIDENCE_PREFIX } from '../../fixtures/core/evidence.ts';
import { redact } from '../../fixtures/core/redact.ts';
import type { SimUrls } from '../../fixtures/core/simulator.ts';
import { readResults, type TestSummary } from '../../scripts/lib/results.ts';

export interface SubrunOptions {
  sim: { urls: SimUrls };
  reportsDir: string;
  /** Playwright projects (e.g. ['api', 'mcp']) */
  projects: string[];
  /** --grep (a title pattern) */
  grep?: string;
  /** HARNESS_ACCOUNTS: the roles this sub-run tests (the consent project consents only these) */
  accounts?: string[];
  /** skip the consent dependency (the store already holds this simulator's tokens) */
  noDeps?: boolean;
  workers?: number;
  /** the whole sub-run is killed past this (default 120 s) */
  timeoutMs?: number;
  /** per-test timeout (--timeout) */
  testTimeoutMs?: number;
  extraArgs?: string[];
  env?: Record<string, string>;
}

export interface SubrunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  durationMs: number;
  /** the last 40 000 characters of stdout + stderr, redacted */
  output: string;
}

export function runSubrun(o: SubrunOptions): Promise<SubrunResult> {
  const timeoutMs = o.timeoutMs ?? 120_000;
  const args = [
    path.join(ROOT, 'node_modules', '@playwright', 'test', 'cli.js'),
    'test',
    ...o.projects.map((p) => `--project=${p}`),
    `--workers=${o.workers ?? 2}`,
    ...(o.grep ? ['--grep', o.grep] : []),
    ...(o.noDeps ? ['--no-deps'] : []),
    ...(o.testTimeoutMs ? [`--timeout=${o.testTimeoutMs}`] : []),
    ...(o.extraArgs ?? []),
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HARNESS_SIM_URLS: JSON.stringify(o.sim.urls),
    HARNESS_REPORTS_DIR: o.reportsDir,
    TARGET: 'sim',
    CI: '',
    ...(o.accounts ? { HARNESS_ACCOUNTS: o.accounts.join(',') } : {}),
    ...o.env,
  };
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    // its own process group, so a timeout ends the runner and its workers together
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const keep = (d: Buffer) => {
      output = (output + d.toString()).slice(-40_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, durationMs: Date.now() - t0, output: redact(output) });
    });
  });
}

export interface SubrunTest {
  title: string;
  status: TestSummary['status'];
  outcome?: string;
  expected?: string;
  message?: string;
  /** the `retries` of each evidence record of the test, in order (0 = first try answered) */
  retries: number[];
  /** operations of the evidence records that needed a retry (REST `GET /path`, MCP tool name) */
  retriedCalls: string[];
  /** MCP records that recovered a lost session (a retry the record keeps as `sessionLost`) */
  sessionsRecovered: number;
  summary: TestSummary;
}

/**
 * One row per test of the sub-run, keyed by title (the part after the last ' › '; the last result wins) or, with
 * `by: 'fullName'`, by the full name (file and describe titles too), so tests that share a title in several describes
 * (one per MCP endpoint) stay apart.
 */
export function readSubrun(reportsDir: string, opts: { by?: 'title' | 'fullName' } = {}): Map<string, SubrunTest> {
  const dir = path.join(reportsDir, 'allure-results');
  const out = new Map<string, SubrunTest>();
  if (!existsSync(dir)) return out;
  const { tests } = readResults(dir);
  for (const t of [...tests].sort((a, b) => (a.start ?? 0) - (b.start ?? 0))) {
    const retries: number[] = [];
    const retriedCalls: string[] = [];
    let sessionsRecovered = 0;
    for (const a of t.attachments) {
      if (!a.name.startsWith(EVIDENCE_PREFIX)) continue;
      try {
        const rec = JSON.parse(readFileSync(a.file, 'utf8')) as {
          retries?: number;
          operation?: string;
          detail?: { sessionLost?: unknown };
        };
        retries.push(rec.retries ?? 0);
        if ((rec.retries ?? 0) > 0) retriedCalls.push(rec.operation ?? a.name);
        if (rec.detail?.sessionLost) sessionsRecovered++;
      } catch {
        // not an evidence record
      }
    }
    out.set(opts.by === 'fullName' ? t.fullName : t.name, {
      title: t.name,
      status: t.status,
      outcome: t.outcome,
      expected: t.expected,
      message: t.message,
      retries,
      retriedCalls,
      sessionsRecovered,
      summary: t,
    });
  }
  return out;
}

/** A one-line-per-test digest for failure messages: `status outcome retries title`. */
export function digest(rows: Map<string, SubrunTest>): string {
  return [...rows.values()]
    .map((r) => `${r.status.padEnd(7)} ${(r.outcome ?? '-').padEnd(24)} r=${r.retries.join(',') || '-'} ${r.title}`)
    .join('\n');
}
