/**
 * Projects:
 *  - consent: setup project (tests/consent/*.setup.ts) that drives login + consent once per account and fills the
 *    token store. api and mcp depend on it.
 *  - consent-outcomes: provokes every consent outcome on private simulators (tests/consent/*.spec.ts).
 *  - api / mcp: the REST and MCP suites, against the shared target.
 *  - sim: the simulator's own behaviour (tests/sim), each test on a private simulator.
 *  - self: the harness's own tests (private simulators flipped into broken states).
 *
 * Trace, screenshot and video are OFF: Playwright cannot redact traces and the consent pages carry passwords.
 * The consent driver takes its own screenshot on an unknown screen with every input blanked first.
 */
import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from './fixtures/core/browser.ts';

const reports = process.env.HARNESS_REPORTS_DIR ?? 'reports';

export default defineConfig({
  testDir: './tests',
  outputDir: `${reports}/test-results`,
  globalSetup: './fixtures/core/global-setup.ts',
  fullyParallel: true,
  workers: process.env.HARNESS_WORKERS ? Number(process.env.HARNESS_WORKERS) : 2,
  retries: 0,
  timeout: 60_000,
  forbidOnly: !!process.env.CI,
  reporter: [
    ['list'],
    ['allure-playwright', { resultsDir: `${reports}/allure-results`, detail: false, suiteTitle: false }],
    ['json', { outputFile: `${reports}/last-run.json` }],
    ['./scripts/reporters/summary.ts'],
  ],
  use: {
    trace: 'off',
    screenshot: 'off',
    video: 'off',
    launchOptions: chromiumLaunchOptions(),
  },
  projects: [
    { name: 'consent', testMatch: /consent\/.*\.setup\.ts$/ },
    { name: 'consent-outcomes', testMatch: /consent\/.*\.spec\.ts$/ },
    { name: 'api', testMatch: /api\/.*\.spec\.ts$/, dependencies: ['consent'] },
    { name: 'mcp', testMatch: /mcp\/.*\.spec\.ts$/, dependencies: ['consent'] },
    { name: 'sim', testMatch: /sim\/.*\.spec\.ts$/ },
    { name: 'self', testMatch: /self\/.*\.spec\.ts$/ },
  ],
});
