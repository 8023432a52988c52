/**
 * The README's test command: typecheck, lint, every Playwright project (consent setup, consent outcomes, api, mcp,
 * self), then the secret scanner over everything the run wrote. Typecheck, lint and the scan count as one test each
 * in the closing line, so the last line is always `N passed, N failed[, N skipped]`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../fixtures/core/config.ts';
import { BadInputError, checkReportsDir } from './main.ts';

function run(label: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): boolean {
  process.stderr.write(`\n── ${label} ──\n`);
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', env });
  return r.status === 0;
}

const bin = (name: string) => path.join(ROOT, 'node_modules', '.bin', name);
const reports = path.join(ROOT, 'reports', 'selftest');
try {
  // a file or a read-only folder in the way: one message, exit 2 (not an ENOTDIR stack from the first write)
  checkReportsDir(path.join(ROOT, 'reports'), 'the reports folder');
} catch (e) {
  if (!(e instanceof BadInputError)) throw e;
  process.stderr.write(`test: ${e.message}\n`);
  process.exit(2);
}
rmSync(reports, { recursive: true, force: true });
const env = { ...process.env, HARNESS_REPORTS_DIR: path.relative(ROOT, reports) };

const checks: Array<[string, boolean]> = [];
checks.push(['typecheck', run('typecheck (tsc --noEmit)', bin('tsc'), ['--noEmit', '-p', 'tsconfig.json'])]);
checks.push(['lint', run('lint and format (biome check)', bin('biome'), ['check', '.'])]);
const pwOk = run('tests (playwright, every project)', bin('playwright'), ['test', ...process.argv.slice(2)], env);
checks.push([
  'secret scan',
  run('secret scan of the run output', process.execPath, ['--import', 'tsx', 'scripts/scan-secrets.ts', path.relative(ROOT, reports)], env),
]);

const summaryFile = path.join(reports, 'summary.json');
const pw = existsSync(summaryFile)
  ? (JSON.parse(readFileSync(summaryFile, 'utf8')) as { passed: number; failed: number; skipped: number })
  : { passed: 0, failed: 1, skipped: 0 }; // Playwright did not get as far as its reporter
if (!pwOk && pw.failed === 0) pw.failed = 1; // e.g. a setup error that failed no single test
const bad = checks.filter(([, ok]) => !ok).map(([name]) => name);
const passed = pw.passed + checks.length - bad.length;
const failed = pw.failed + bad.length;
if (bad.length) process.stdout.write(`\nfailed checks: ${bad.join(', ')}\n`);
process.stdout.write(`\n${passed} passed, ${failed} failed${pw.skipped ? `, ${pw.skipped} skipped` : ''}\n`);
process.exit(failed ? 1 : 0);
