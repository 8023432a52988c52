/**
 * Compact progress for a terminal (playwright.config.ts uses it when stdout is a TTY and CI is not set; CI logs get
 * Playwright's `list` reporter, one line per test). One status line, rewritten in place at most 5 times a second:
 *
 *   consent 5/5 · api 120/216 · mcp 3/40 — 128/261 done, 2 failed, 1 skipped, ~1m20s left
 *
 * "left" is the elapsed time per finished test times the tests still to run (a rough guide: the first minute is
 * consent, which is slower per test). A failed test is printed above the status line, once, with the first lines of
 * its error; the report has the rest.
 */
import type { FullConfig, FullResult, Reporter, Suite, TestCase, TestResult } from '@playwright/test/reporter';

interface Count {
  done: number;
  total: number;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** The status line for per-project counts (exported for tests). */
export function progressLine(
  projects: ReadonlyMap<string, Count>,
  totals: { failed: number; skipped: number },
  elapsedMs: number,
  width = 200,
): string {
  let done = 0;
  let total = 0;
  for (const c of projects.values()) {
    done += c.done;
    total += c.total;
  }
  const per = [...projects.entries()].map(([name, c]) => `${name} ${c.done}/${c.total}`).join(' · ');
  const left = done > 0 && done < total ? `, ~${formatDuration((elapsedMs / done) * (total - done))} left` : '';
  const line = `${per} — ${done}/${total} done, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}${left}`;
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

export default class ProgressReporter implements Reporter {
  private readonly projects = new Map<string, Count>();
  private readonly totals = { failed: 0, skipped: 0 };
  private readonly final = new Map<string, TestResult['status']>();
  private started = Date.now();
  private lastDraw = 0;

  onBegin(_config: FullConfig, suite: Suite): void {
    this.started = Date.now();
    for (const t of suite.allTests()) {
      const name = t.parent.project()?.name || 'tests';
      const c = this.projects.get(name) ?? { done: 0, total: 0 };
      c.total++;
      this.projects.set(name, c);
    }
    this.draw(true);
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    const name = test.parent.project()?.name || 'tests';
    const retrying = result.status !== 'passed' && result.status !== 'skipped' && result.retry < test.retries;
    if (retrying) return;
    const c = this.projects.get(name);
    if (c && !this.final.has(test.id)) c.done++;
    this.final.set(test.id, result.status);
    if (result.status === 'skipped') this.totals.skipped++;
    else if (result.status !== 'passed') {
      this.totals.failed++;
      const message = (result.error?.message ?? result.status).split('\n').slice(0, 4).join('\n    ');
      this.clear();
      process.stdout.write(`✘ [${name}] ${test.titlePath().slice(2).join(' › ')}\n    ${message}\n`);
    }
    this.draw();
  }

  onError(error: { message?: string }): void {
    this.clear();
    process.stdout.write(`error: ${(error.message ?? '').split('\n').slice(0, 6).join('\n    ')}\n`);
    this.draw(true);
  }

  onEnd(_result: FullResult): void {
    this.draw(true);
    process.stdout.write('\n');
  }

  printsToStdio(): boolean {
    return true;
  }

  private clear(): void {
    process.stdout.write('\r\x1b[2K');
  }

  private draw(force = false): void {
    const now = Date.now();
    if (!force && now - this.lastDraw < 200) return;
    this.lastDraw = now;
    this.clear();
    process.stdout.write(progressLine(this.projects, this.totals, now - this.started, (process.stdout.columns || 120) - 1));
  }
}
