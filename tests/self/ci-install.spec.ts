/**
 * Install like CI does: `npm ci` in a fresh clone must accept the committed lockfile on every platform. The lockfile
 * must list every platform's optional packages (npm refuses a lockfile that lacks e.g. @biomejs/cli-darwin-arm64
 * on any machine); `scripts/harness` installs with plain `npm ci` and prints one line per install step.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { ROOT } from '../../fixtures/core/config.ts';

interface LockEntry {
  version?: string;
  optionalDependencies?: Record<string, string>;
}
const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };

/** Where npm would find `name` for the package at `at` (nested node_modules first, then each parent's). */
function resolves(at: string, name: string): boolean {
  let base = at;
  for (;;) {
    if (lock.packages[`${base ? `${base}/` : ''}node_modules/${name}`]) return true;
    if (!base) return false;
    const i = base.lastIndexOf('/node_modules/');
    base = i >= 0 ? base.slice(0, i) : '';
  }
}

test('the lockfile lists every optional (per-platform) package its packages name', () => {
  const missing: string[] = [];
  let optional = 0;
  for (const [at, entry] of Object.entries(lock.packages)) {
    for (const name of Object.keys(entry.optionalDependencies ?? {})) {
      optional++;
      if (!resolves(at, name)) missing.push(`${name} (optional dependency of ${at || 'the project'})`);
    }
  }
  expect(optional, 'some packages have per-platform optional dependencies').toBeGreaterThan(5);
  expect(missing).toEqual([]);
  for (const p of ['@biomejs/cli-darwin-arm64', '@biomejs/cli-win32-x64', '@biomejs/cli-linux-arm64'])
    expect(lock.packages[`node_modules/${p}`], p).toBeDefined();
});

test('npm ci --dry-run accepts the committed lockfile in a fresh folder (needs the registry; skipped offline)', () => {
  test.setTimeout(45_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'npm-ci-'));
  try {
    for (const f of ['package.json', 'package-lock.json']) copyFileSync(path.join(ROOT, f), path.join(dir, f));
    const r = spawnSync('npm', ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 40_000,
    });
    const out = `${r.stdout}\n${r.stderr}`;
    test.skip(
      r.error !== undefined || /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET|network/i.test(out),
      `the npm registry is not reachable here: ${(r.error?.message ?? out).slice(0, 200)}`,
    );
    expect(out).not.toMatch(/Missing: .* from lock file/);
    expect(r.status, out).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('scripts/harness installs with plain npm ci (no fallback): one line, the full npm output in a log named on failure', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'harness-ci-'));
  try {
    mkdirSync(path.join(dir, 'scripts'));
    mkdirSync(path.join(dir, 'bin'));
    copyFileSync(path.join(ROOT, 'scripts', 'harness'), path.join(dir, 'scripts', 'harness'));
    for (const f of ['package.json', 'package-lock.json']) copyFileSync(path.join(ROOT, f), path.join(dir, f));
    // an npm that records how it was called, prints progress noise and fails (no node_modules here: install runs)
    const calls = path.join(dir, 'npm-calls');
    writeFileSync(
      path.join(dir, 'bin', 'npm'),
      `#!/bin/sh\necho "$@" >> "${calls}"\nfor i in $(seq 1 50); do echo "npm progress noise $i"; done\necho "npm error the registry said no" >&2\nexit 1\n`,
    );
    chmodSync(path.join(dir, 'bin', 'npm'), 0o755);
    const r = spawnSync('bash', [path.join(dir, 'scripts', 'harness'), 'main'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 20_000,
      env: { PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`, HOME: process.env.HOME, TMPDIR: dir },
    });
    expect(r.status, r.stderr).toBe(2);
    expect(readFileSync(calls, 'utf8').trim().split('\n')).toEqual(['ci --no-audit --no-fund --loglevel=error']);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^harness: npm ci \(dependencies pinned in package-lock\.json\)… FAILED$/);
    const log = /full log: (\S+)\)/.exec(lines[1]!)?.[1];
    expect(log, lines[1]).toBeDefined();
    expect(lines[1]).toMatch(/Fix: /);
    const text = readFileSync(log!, 'utf8');
    expect(text).toContain('npm progress noise 50');
    expect(text).toContain('npm error the registry said no');
    expect(r.stderr).not.toContain('noise');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
