/**
 * The README's test command: typecheck, lint, then every Playwright project (consent setup, consent outcomes,
 * api, mcp, self). Playwright's summary reporter ends the output with `N passed, N failed`.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../fixtures/config.ts';

function run(label: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  process.stderr.write(`\n── ${label} ──\n`);
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', env });
  return r.status ?? 1;
}

const bin = (name: string) => path.join(ROOT, 'node_modules', '.bin', name);
const reports = path.join(ROOT, 'reports', 'selftest');
rmSync(reports, { recursive: true, force: true });

const failures: string[] = [];
if (run('typecheck (tsc --noEmit)', bin('tsc'), ['--noEmit', '-p', 'tsconfig.json']) !== 0) failures.push('typecheck');
if (run('lint (biome)', bin('biome'), ['lint', '.']) !== 0) failures.push('lint');
const pw = run('tests (playwright, every project)', bin('playwright'), ['test', ...process.argv.slice(2)], {
  ...process.env,
  HARNESS_REPORTS_DIR: path.relative(ROOT, reports),
});
if (failures.length) {
  process.stdout.write(`\n${failures.join(' and ')} failed (see above)\n`);
  process.exit(1);
}
process.exit(pw);
