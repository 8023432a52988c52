/**
 * The README's main command (`scripts/harness main`): every suite against the target (the embedded simulator by
 * default), then the Allure report with history, the quality gate and the secret scan. Ends with where the report
 * is and a one-line verdict. Exit code: the gate's (0 = no regression, no drift from expectations, no secret found).
 *
 *   scripts/harness main [-- <extra playwright args>]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { loadConfigOrExit, ROOT } from '../fixtures/core/config.ts';
import { startSimulator } from '../fixtures/core/simulator.ts';

const config = loadConfigOrExit();
const reportsDir = config.reportsDir;
const rel = (p: string) => path.relative(ROOT, p) || '.';

function step(label: string, script: string, args: string[] = [], env: NodeJS.ProcessEnv = process.env): number {
  process.stderr.write(`\n── ${label} ──\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, stdio: 'inherit', env });
  return r.status ?? 1;
}

// results of the previous run are replaced; the history under reports/history is kept and appended to
rmSync(path.join(reportsDir, 'allure-results'), { recursive: true, force: true });
rmSync(path.join(reportsDir, 'test-results'), { recursive: true, force: true });

const sim = config.target === 'sim' || config.rehearsal ? await startSimulator({ world: config.simWorld }) : undefined;
const env: NodeJS.ProcessEnv = { ...process.env, HARNESS_REPORTS_DIR: rel(reportsDir) };
if (sim) env.HARNESS_SIM_URLS = JSON.stringify(sim.urls);
process.stderr.write(
  `target: ${config.target}${sim ? ` (embedded simulator at ${sim.urls.auth}, ${sim.urls.api}, ${sim.urls.mcp})` : ''}\n`,
);

let suites: number;
try {
  suites = step(
    'suites: consent → api → mcp (playwright)',
    path.join(ROOT, 'node_modules', '@playwright', 'test', 'cli.js'),
    ['test', '--project=consent', '--project=api', '--project=mcp', ...process.argv.slice(2)],
    env,
  );
} finally {
  await sim?.stop();
}

const report = step('report (allure 3, with history)', 'scripts/report.ts', [], env);
const gate = step('quality gate', 'scripts/gate.ts', [], env);
// everything this run wrote (other folders under reports/, e.g. the self-test run's, are scanned by their own runs)
const written = ['allure-results', 'allure-report', 'test-results', 'history', 'last-run.json', 'summary.json']
  .map((p) => path.join(reportsDir, p))
  .filter((p) => existsSync(p))
  .map(rel);
const scan = step('secret scan', 'scripts/scan-secrets.ts', written, env);

const verdict =
  report !== 0
    ? 'REPORT FAILED: the Allure report could not be generated (see above)'
    : scan !== 0
      ? 'SECRET LEAK: the scanner found a secret in the run output (see above); do not publish the reports'
      : gate !== 0
        ? 'RED: the gate found regressions or drift from expectations (table above)'
        : suites !== 0
          ? 'AMBER: some tests failed, but none regressed and all match expectations'
          : 'GREEN: every suite passed and matches expectations';
process.stdout.write(`\nReport: ${rel(path.join(reportsDir, 'allure-report', 'index.html'))}\nVerdict: ${verdict}\n`);
process.exit(report !== 0 || scan !== 0 || gate !== 0 ? 1 : 0);
