/**
 * Scratch folders for tests that write secrets (token stores, login sessions). They live under the OS temp folder,
 * never under the Playwright output folder, because everything under reports/ is published and secret-scanned.
 * Removed when the worker exits.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestInfo } from '@playwright/test';

const base = path.join(tmpdir(), `harness-scratch-${process.pid}`);
let registered = false;

export function scratchDir(testInfo: TestInfo, name: string): string {
  if (!registered) {
    registered = true;
    process.once('exit', () => rmSync(base, { recursive: true, force: true }));
  }
  const dir = path.join(base, `${testInfo.testId}-${testInfo.retry}-${testInfo.repeatEachIndex}`, name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}
