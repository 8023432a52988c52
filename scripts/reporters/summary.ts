/**
 * Ends every Playwright run with the plain line CI reads: `N passed, N failed` (plus `, N skipped`).
 * Flaky (passed on retry) counts as passed; timed out and interrupted count as failed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FullResult, Reporter, TestCase, TestResult } from '@playwright/test/reporter';
import { alive } from '../../fixtures/core/atomic.ts';
import { mainPidSetting, reportsDir } from '../../fixtures/core/config.ts';

export default class SummaryReporter implements Reporter {
  private readonly final = new Map<string, TestResult['status']>();
  private watchdog?: NodeJS.Timeout;

  /** Under scripts/main.ts: once the main job is gone (killed), stop this run, so no suites run on unowned. */
  onBegin(): void {
    const main = mainPidSetting();
    if (!main) return;
    this.watchdog = setInterval(() => {
      if (alive(main)) return;
      clearInterval(this.watchdog);
      process.stderr.write(
        `\nThe main job (pid ${main}) that started this run is gone: stopping the run so it cannot mix with the next one.\n`,
      );
      process.kill(process.pid, 'SIGINT');
    }, 1000);
    this.watchdog.unref();
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    this.final.set(test.id, result.status);
  }

  onEnd(result: FullResult): void {
    clearInterval(this.watchdog);
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const status of this.final.values()) {
      if (status === 'passed') passed++;
      else if (status === 'skipped') skipped++;
      else failed++;
    }
    if (result.status !== 'passed' && failed === 0 && this.final.size === 0) failed = 1;
    process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
    // also kept as data, so a wrapper (scripts/selftest.ts) can add its own checks to the closing line
    const dir = reportsDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({ passed, failed, skipped, status: result.status }));
  }

  printsToStdio(): boolean {
    return false;
  }
}
