/**
 * Which simulator the main job starts (scripts/main.ts `simulatorPlan`, used by the real run and by `--dry-run`
 * alike): its own one for TARGET=sim, the caller's when HARNESS_SIM_URLS is already set, none for the real target,
 * and none under REHEARSAL=1 either, where global setup starts the TLS simulator behind the real host names
 * (fixtures/core/global-setup.ts): a plain one started by the main job as well would idle next to it, and its
 * HARNESS_SIM_URLS (with its canary) would reach the secret scan instead of the rehearsal simulator's.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { parse as parseDotenv } from 'dotenv';
import { loadConfig, ROOT } from '../../fixtures/core/config.ts';
import { simulatorPlan } from '../../scripts/main.ts';

const SIM_ENV = parseDotenv(readFileSync(path.join(ROOT, '.env.sim')));
const URLS = JSON.stringify({ auth: 'http://127.0.0.1:9', canary: 'XXXX' });

test('simulatorPlan: own for TARGET=sim, the caller’s when handed one, none for the real target, none under rehearsal', () => {
  const sim = loadConfig({ TARGET: 'sim' });
  const real = loadConfig({ ...SIM_ENV, TARGET: 'atlassian' });
  const rehearsal = loadConfig({ ...SIM_ENV, TARGET: 'atlassian', REHEARSAL: '1' });
  expect(rehearsal.rehearsal).toBe(true);
  expect(simulatorPlan(sim, {})).toBe('own');
  expect(simulatorPlan(sim, { HARNESS_SIM_URLS: URLS })).toBe('caller');
  expect(simulatorPlan(real, {})).toBe('none');
  expect(simulatorPlan(rehearsal, {})).toBe('rehearsal');
  // a caller's plain simulator does not make a rehearsal start (or use) one either
  expect(simulatorPlan(rehearsal, { HARNESS_SIM_URLS: URLS })).toBe('rehearsal');
});

test('main --dry-run under REHEARSAL=1 starts no plain simulator; under TARGET=sim it starts its own', () => {
  const reports = mkdtempSync(path.join(tmpdir(), 'main-sim-'));
  try {
    const dry = (env: Record<string, string>) => {
      const base: NodeJS.ProcessEnv = { ...process.env, HARNESS_REPORTS_DIR: reports, ...env };
      delete base.HARNESS_SIM_URLS;
      delete base.HARNESS_REHEARSAL;
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/main.ts', '--suites', 'api', '--dry-run'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 30_000,
        env: base,
      });
      expect(r.status, r.stderr).toBe(0);
      return /^would start: (.*)$/m.exec(r.stdout)?.[1] ?? r.stdout;
    };
    const rehearsal = dry({ ...SIM_ENV, TARGET: 'atlassian', REHEARSAL: '1' });
    expect(rehearsal).toMatch(/^nothing here; global setup starts the TLS simulator/);
    expect(rehearsal).not.toMatch(/embedded simulator/);
    expect(dry({ TARGET: 'sim' })).toMatch(/^the embedded simulator/);
  } finally {
    rmSync(reports, { recursive: true, force: true });
  }
});
