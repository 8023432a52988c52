/**
 * Progress output: a terminal gets one compact status line (per project, done/total, failures, an estimate of what is
 * left) and each failure once; CI logs keep Playwright's `list` (playwright.config.ts picks by TTY and CI).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../fixtures/core/config.ts';
import { expect, test } from '../../fixtures/index.ts';
import { formatDuration, progressLine } from '../../scripts/reporters/progress.ts';

test('the status line counts per project and estimates what is left from the pace so far', () => {
  const projects = new Map([
    ['consent', { done: 5, total: 5 }],
    ['api', { done: 5, total: 15 }],
  ]);
  expect(progressLine(projects, { failed: 1, skipped: 2 }, 10_000)).toBe(
    'consent 5/5 · api 5/15 — 10/20 done, 1 failed, 2 skipped, ~10s left',
  );
  expect(progressLine(new Map([['api', { done: 3, total: 3 }]]), { failed: 0, skipped: 0 }, 5_000)).toBe('api 3/3 — 3/3 done, 0 failed');
  expect([formatDuration(59_400), formatDuration(80_000), formatDuration(3_700_000)]).toEqual(['59s', '1m20s', '1h01m']);
});

test('a run with the progress reporter prints the final counts per project and each failure once', () => {
  const sub = path.join(ROOT, '.tmp', `report-progress-${process.pid}-${Date.now()}`);
  mkdirSync(sub, { recursive: true });
  try {
    writeFileSync(
      path.join(sub, 'p.spec.ts'),
      `import { test, expect } from '@playwright/test';
test('one', () => {});
test('two', () => {});
test('breaks', () => { expect(1, 'the number').toBe(2); });
`,
    );
    writeFileSync(
      path.join(sub, 'pw.config.ts'),
      `import { defineConfig } from '@playwright/test';
export default defineConfig({
  testDir: ${JSON.stringify(sub)},
  outputDir: ${JSON.stringify(path.join(sub, 'out'))},
  workers: 1,
  reporter: [[${JSON.stringify(path.join(ROOT, 'scripts', 'reporters', 'progress.ts'))}]],
  projects: [{ name: 'alpha', grep: /one|two/ }, { name: 'beta', grep: /breaks/ }],
});
`,
    );
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, 'node_modules', '@playwright', 'test', 'cli.js'), 'test', '-c', path.join(sub, 'pw.config.ts')],
      { cwd: ROOT, encoding: 'utf8', timeout: 90_000 },
    );
    expect(r.status, r.stdout + r.stderr).toBe(1);
    const screen = r.stdout.split('\n').map((l) => l.split('\r').at(-1)!.replace('\x1b[2K', ''));
    expect(screen.filter((l) => l.startsWith('✘ '))).toEqual(['✘ [beta] p.spec.ts › breaks']);
    expect(screen.at(-2)).toBe('alpha 2/2 · beta 1/1 — 3/3 done, 1 failed');
  } finally {
    rmSync(sub, { recursive: true, force: true });
  }
});

test('playwright.config.ts picks the progress line on a terminal and the full list in CI', () => {
  const pick = (tty: boolean, ci: boolean) => {
    const code = `const c = (await import(${JSON.stringify(path.join(ROOT, 'playwright.config.ts'))})).default; process.stdout.write('PICK=' + c.reporter[0][0] + '\\n');`;
    const node = `${JSON.stringify(process.execPath)} --import tsx -e ${JSON.stringify(code)}`;
    const env = { ...process.env };
    delete env.CI;
    if (ci) env.CI = 'true';
    const r = tty
      ? spawnSync('script', ['-qec', node, '/dev/null'], { cwd: ROOT, encoding: 'utf8', env, timeout: 60_000 })
      : spawnSync('bash', ['-c', node], { cwd: ROOT, encoding: 'utf8', env, timeout: 60_000 });
    return /PICK=(\S+)/.exec(r.stdout)?.[1] ?? `(none: ${r.stdout}${r.stderr})`;
  };
  expect(pick(true, false)).toBe('./scripts/reporters/progress.ts');
  expect(pick(false, true)).toBe('list');
});
