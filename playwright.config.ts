/**
 * Projects:
 *  - consent: setup project (tests/consent/*.setup.ts) that drives login + consent once per account and fills the
 *    token store. api and mcp depend on it.
 *  - consent-outcomes: provokes every consent outcome on private simulators (tests/consent/*.spec.ts).
 *  - api / mcp: the REST and MCP suites, against the shared target.
 *  - sim: the simulator's own behaviour (tests/sim), each test on a private simulator.
 *  - self: the harness's own tests (private simulators flipped into broken states).
 *  - contract: the simulator's REST responses against Atlassian's published schemas (tests/contract, jira.js, confluence.js).
 *
 * Trace, screenshot and video are OFF: Playwright cannot redact traces and the consent pages carry passwords.
 * The consent driver takes its own screenshot on an unknown screen with every input blanked first.
 */
import path from 'node:path';
import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from './fixtures/core/browser.ts';
import { ConfigError, ROOT, reportsDir, rolesLeftOut, titleWordPattern, workersSetting } from './fixtures/core/config.ts';
import type { TargetOptions } from './fixtures/core/fixture.ts';
import { cliSelectsOAuthFlowTest } from './fixtures/mcp/oauth-handoff.ts';
import { MCP_ENDPOINTS } from './fixtures/mcp/vocabulary.ts';

const reports = path.relative(ROOT, reportsDir()) || '.';
let workers: number | string;
try {
  workers = workersSetting() ?? 2;
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  process.stderr.write(`${e.message}\n`);
  process.exit(2);
}
// scripts/main.ts --shard adds a blob report per shard (HARNESS_BLOB_DIR), merged by scripts/merge.ts
const blobDir = process.env.HARNESS_BLOB_DIR;
// HARNESS_ACCOUNTS (scripts/main.ts --accounts): tests whose title names a role left out are left out, per project,
// so the consent setup project consents only the selected accounts (a command-line --grep-invert does not reach a
// dependency project)
const leftOut = rolesLeftOut();
const selection = leftOut.length ? { grepInvert: new RegExp(titleWordPattern(leftOut)) } : {};
// the consent setup project runs the MCP OAuth flow of an endpoint only when the run selects that flow's MCP test
// (a dependency project runs whole, so the command line's selection is read here; fixtures/mcp/oauth-handoff.ts)
const flowsLeftOut = MCP_ENDPOINTS.filter((e) => !cliSelectsOAuthFlowTest(process.argv, e));
const consentInvert = [
  ...(flowsLeftOut.length ? [new RegExp(`MCP OAuth 2\\.1 client flow .* on (${flowsLeftOut.join('|')}) for the MCP suite$`)] : []),
  ...(leftOut.length ? [new RegExp(titleWordPattern(leftOut))] : []),
];
const consentSelection = consentInvert.length ? { grepInvert: consentInvert } : {};

export default defineConfig<TargetOptions>({
  testDir: './tests',
  outputDir: `${reports}/test-results`,
  globalSetup: './fixtures/core/global-setup.ts',
  fullyParallel: true,
  workers,
  retries: 0,
  timeout: 60_000,
  forbidOnly: !!process.env.CI,
  reporter: [
    // a terminal gets one compact progress line (per project, with an estimate); CI logs the full list
    process.stdout.isTTY && !process.env.CI ? ['./scripts/reporters/progress.ts'] : ['list'],
    ['allure-playwright', { resultsDir: `${reports}/allure-results`, detail: false, suiteTitle: false }],
    ['json', { outputFile: `${reports}/last-run.json` }],
    ['./scripts/reporters/summary.ts'],
    ...(blobDir ? [['blob', { outputDir: blobDir }] as ['blob', { outputDir: string }]] : []),
  ],
  use: {
    trace: 'off',
    screenshot: 'off',
    video: 'off',
    // a headless shell where installed (fixtures/core/browser.ts); the full browser for a window
    launchOptions: chromiumLaunchOptions([], { headed: ['--headed', '--debug', '--ui'].some((f) => process.argv.includes(f)) }),
  },
  projects: [
    { name: 'consent', testMatch: /consent\/.*\.setup\.ts$/, ...consentSelection },
    { name: 'consent-outcomes', testMatch: /consent\/.*\.spec\.ts$/ },
    { name: 'api', testMatch: /api\/.*\.spec\.ts$/, dependencies: ['consent'], ...selection },
    { name: 'mcp', testMatch: /mcp\/.*\.spec\.ts$/, dependencies: ['consent'], ...selection },
    { name: 'sim', testMatch: /sim\/.*\.spec\.ts$/ },
    // self-tests break worlds through the admin API: `target` is the worker's private simulator
    { name: 'self', testMatch: /self\/.*\.spec\.ts$/, use: { simulator: 'private' } },
    // the simulator's REST shapes against the schemas of Atlassian's OpenAPI documents (jira.js, confluence.js)
    { name: 'contract', testMatch: /contract\/.*\.spec\.ts$/ },
  ],
});
