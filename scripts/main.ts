/**
 * The README's main command (`scripts/harness main`): the suites against the target (the embedded simulator by
 * default), then the Allure report with history, the quality gate and the secret scan. Ends with where the report
 * is and a one-line verdict. Exit code: the gate's (0 = no regression, no drift from expectations, no secret found);
 * 2 = bad input (one message naming the setting or file and the fix; nothing started, nothing deleted).
 *
 *   scripts/harness main [--suites consent,api,mcp] [--accounts member,admin] [--sites acme.atlassian.net]
 *                        [--shard I/N] [-- <extra playwright args>]
 *
 * Everything is validated before anything runs or is deleted: the configuration (fixtures/core/config.ts), the scope
 * catalog, the expectations files, the reports folder (a folder, writable), the token store's folder (HARNESS_AUTH_DIR,
 * when it exists) and the lock on the reports folder (one main job per reports folder; a second one is refused). Only then is the simulator started (it validates SIM_WORLD's content
 * and exits 2 on a bad world, before any previous result is touched) and the previous results replaced.
 *
 * --shard I/N runs shard I of N (Playwright's --shard) into `<reports>/shard-I-of-N/` with a blob report and Allure
 * results, and records no history: `npm run merge -- <shard folders…>` (scripts/merge.ts) makes the one report and
 * continues the history once.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { lockOwnerNote, lockWithOwner } from '../fixtures/core/atomic.ts';
import { ConfigError, type HarnessConfig, loadConfig, ROOT, titleWordPattern } from '../fixtures/core/config.ts';
import { SimulatorStartError, startSimulator } from '../fixtures/core/simulator.ts';
import { loadExpectations } from '../fixtures/rest/expectations.ts';
import { loadCatalog } from '../fixtures/rest/scopes.ts';
import { reconsentLine } from '../fixtures/tokens/tally.ts';

/** A path as shown to people: relative inside the project, absolute elsewhere (e.g. a temp folder). */
export function shownPath(p: string): string {
  const r = path.relative(ROOT, p);
  return r.startsWith('..') || path.isAbsolute(r) ? p : r || '.';
}

/** Bad input found before anything ran: scripts print its message and exit 2. */
export class BadInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadInputError';
  }
}

/**
 * The reports folder must be a folder (created when missing) that this user can write: checked by writing and
 * removing a probe file, so a read-only mount or a file in its place gives one message, not a stack trace later.
 */
export function checkReportsDir(dir: string, setting: string, variable?: string): void {
  const shown = shownPath(dir);
  const fix = `Fix: make ${shown} a writable folder (remove the file in its place, or fix its permissions)${variable ? `, or point ${variable} at another folder` : ''}.`;
  try {
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new BadInputError(`${setting}: ${shown} is a file, not a folder. ${fix}`);
    mkdirSync(dir, { recursive: true });
    const probe = path.join(dir, `.write-probe-${process.pid}`);
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (e) {
    if (e instanceof BadInputError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    const what =
      code === 'ENOTDIR'
        ? 'has a file where a parent folder should be'
        : code === 'EROFS'
          ? 'is on a read-only file system'
          : code === 'EACCES' || code === 'EPERM'
            ? 'is not writable'
            : `cannot be written (${code})`;
    throw new BadInputError(`${setting}: ${shown} ${what}. ${fix}`);
  }
}

export interface ReportsLock {
  release(): Promise<void>;
}

/**
 * One job per reports folder: a second main (or merge) job on the same folder is refused instead of mixing its
 * results into the first one's. fixtures/core/atomic.ts `lockWithOwner` keeps `<dir>/.main.lock` fresh while held and
 * notes the holder in `<dir>/.main.owner`; a lock left by a job that is gone from this machine is taken over at once,
 * any other after 20 s without refresh.
 */
export async function acquireReportsLock(dir: string, what: string): Promise<ReportsLock> {
  const file = path.join(dir, '.main');
  try {
    const release = await lockWithOwner(file, {
      staleMs: 20_000,
      waitMs: 0,
      note: what,
      onCompromised: (err) => process.stderr.write(`warning: the lock on ${shownPath(dir)} was lost (${err.message})\n`),
      onTakeover: (owner) =>
        process.stderr.write(`note: taking over the lock on ${shownPath(dir)} left by a job that is gone (${owner})\n`),
    });
    return { release };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
    const owner = lockOwnerNote(file);
    throw new BadInputError(
      `another job is already running on ${shownPath(dir)}${owner ? ` (${owner})` : ''}; this ${what} was refused so the two do not mix their results. Fix: wait for it to finish, or give this run its own folder with HARNESS_REPORTS_DIR=reports/other.`,
    );
  }
}

export const SUITES = ['consent', 'api', 'mcp'] as const;
export type Suite = (typeof SUITES)[number];

export interface MainArgs {
  suites: Suite[];
  accounts?: string[];
  sites?: string[];
  shard?: { current: number; total: number };
  /** validate everything and print what would run; start and delete nothing */
  dryRun?: boolean;
  playwright: string[];
}

const USAGE =
  'usage: scripts/harness main [--suites consent,api,mcp] [--accounts ROLE,…] [--sites HOST,…] [--shard I/N] [--dry-run] [-- <playwright args>]';

const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function parseMainArgs(argv: readonly string[]): MainArgs {
  const out: MainArgs = { suites: [...SUITES], playwright: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.playwright.push(...argv.slice(i + 1));
      break;
    }
    const eq = a.indexOf('=');
    const [flag, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v.startsWith('--')) throw new BadInputError(`${flag} needs a value. ${USAGE}`);
      return v;
    };
    switch (flag) {
      case '--dry-run':
        if (inline !== undefined) throw new BadInputError(`--dry-run takes no value. ${USAGE}`);
        out.dryRun = true;
        break;
      case '--suites': {
        const s = list(value().toLowerCase());
        const bad = s.filter((x) => !(SUITES as readonly string[]).includes(x));
        if (bad.length || !s.length)
          throw new BadInputError(
            `--suites: unknown suite(s) ${bad.map((b) => JSON.stringify(b)).join(', ') || '(none given)'}. Fix: pick from ${SUITES.join(', ')} (consent runs with any of them).`,
          );
        out.suites = s as Suite[];
        break;
      }
      case '--accounts':
        out.accounts = list(value().toLowerCase());
        break;
      case '--sites':
        out.sites = list(value().toLowerCase());
        break;
      case '--shard': {
        const v = value();
        const m = /^(\d+)\/(\d+)$/.exec(v);
        const current = Number(m?.[1]);
        const total = Number(m?.[2]);
        if (!m || current < 1 || total < 1 || current > total)
          throw new BadInputError(`--shard: ${JSON.stringify(v)} is not I/N with 1 ≤ I ≤ N. Fix: e.g. --shard 1/3`);
        out.shard = { current, total };
        break;
      }
      default:
        // Playwright's own options pass through (e.g. --grep, --workers); anything else is a typo
        if (a.startsWith('--')) throw new BadInputError(`unknown option ${JSON.stringify(a)}. ${USAGE}`);
        throw new BadInputError(`unexpected argument ${JSON.stringify(a)} (Playwright arguments go after --). ${USAGE}`);
    }
  }
  return out;
}

/**
 * The Playwright arguments for a selection. Tests name their account role and site key in the title (e.g. "member
 * gets granted for read:jira-work on acme"); tests that name neither (most MCP tests) run whatever the selection.
 * Roles left out by --accounts (HARNESS_ACCOUNTS) are left out by playwright.config.ts, per project, because a
 * command-line --grep-invert does not reach the consent setup project (Playwright runs a dependency whole); sites
 * left out by --sites / ATLASSIAN_SITES are left out here with --grep-invert (the consent titles name no site).
 */
export function playwrightArgs(args: MainArgs, config: HarnessConfig, siteKeys: Record<string, string>): string[] {
  const out = ['test', ...args.suites.map((s) => `--project=${s}`)];
  const excluded: string[] = [];
  if (config.sites) {
    for (const [key, host] of Object.entries(siteKeys)) if (!config.sites.includes(host)) excluded.push(key);
  }
  if (excluded.length) out.push(`--grep-invert=${titleWordPattern(excluded)}`);
  if (args.shard) out.push(`--shard=${args.shard.current}/${args.shard.total}`);
  return [...out, ...args.playwright];
}

/**
 * Which simulator the main job starts. `own`: TARGET=sim, a simulator of this job (stopped at its end); `caller`:
 * TARGET=sim with HARNESS_SIM_URLS already set by the calling process (a benchmark or a test that owns the simulator,
 * as fixtures/core/global-setup.ts also honours), so the token store stays warm across jobs; `rehearsal`: REHEARSAL=1,
 * where global setup starts the TLS simulator behind the real host names and hands it to the workers (a plain one
 * started here would only idle, and its canary would mislead the secret scan); `none`: the real target.
 */
export type SimulatorPlan = 'own' | 'caller' | 'rehearsal' | 'none';
export function simulatorPlan(config: Pick<HarnessConfig, 'target' | 'rehearsal'>, env: NodeJS.ProcessEnv): SimulatorPlan {
  if (config.rehearsal) return 'rehearsal';
  if (config.target !== 'sim') return 'none';
  return env.HARNESS_SIM_URLS ? 'caller' : 'own';
}

export function shardDirName(shard: { current: number; total: number }): string {
  return `shard-${shard.current}-of-${shard.total}`;
}

function fail(message: string): never {
  process.stderr.write(`${message.replace(/\s+$/, '')}\n`);
  process.exit(2);
}

/** Validate the catalog and expectations files with their own loaders; returns site key → host of the expectations. */
function validateInputs(config: HarnessConfig): Record<string, string> {
  const catalog = loadCatalog();
  const siteKeys: Record<string, string> = {};
  // a real target's first run has no file yet (the configuration allows that only then): nothing to validate
  if (config.expectationsFile && existsSync(config.expectationsFile)) {
    const exp = loadExpectations({
      file: config.expectationsFile,
      catalog,
      roles: config.accounts.map((a) => a.role),
      requested: config.app.scopes,
    });
    for (const s of exp.sites) siteKeys[s.key] = new URL(s.url).hostname.toLowerCase();
  }
  return siteKeys;
}

async function toolExpectationsProblem(config: HarnessConfig): Promise<string | undefined> {
  // loaded lazily: the MCP fixtures are heavier than the REST ones
  const { loadToolExpectations, toolExpectationsFile } = await import('../fixtures/mcp/expectations.ts');
  try {
    loadToolExpectations(config.target);
    return undefined;
  } catch (e) {
    const file = path.relative(ROOT, toolExpectationsFile(config.target));
    const msg = (e as Error).message;
    return msg.includes(file) ? msg : `${file}: ${msg}. Fix: correct the file (schema in fixtures/mcp/expectations.ts).`;
  }
}

/** How long each step took (ms), in order; `start` = from this process's start to the first step */
const timings: Array<[string, number]> = [];

/**
 * One step in a child process. Scripts of this project run through tsx; the Playwright CLI does not (`tsx: false`):
 * Playwright compiles the config, the fixtures and the tests itself, and its workers inherit the runner's Node
 * options, so tsx there would only add a second TypeScript loader (memory and start time) to the runner and to
 * every worker.
 */
function step(label: string, script: string, args: string[], env: NodeJS.ProcessEnv, name = label, tsx = true): number {
  if (!timings.length) timings.push(['start', performance.now()]);
  process.stderr.write(`\n── ${label} ──\n`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...(tsx ? ['--import', 'tsx'] : []), script, ...args], { cwd: ROOT, stdio: 'inherit', env });
  timings.push([name, performance.now() - t0]);
  return r.status ?? 1;
}

/**
 * `timings: start 1.8 s, suites 61.2 s, report 3.9 s, gate 0.4 s, secret scan 1.6 s; total 69.0 s` on stderr: where a
 * main job's time went (scripts/bench-main.ts reads it to compare the job with its critical path).
 */
function printTimings(): void {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  process.stderr.write(`\ntimings: ${timings.map(([n, ms]) => `${n} ${s(ms)}`).join(', ')}; total ${s(performance.now())}\n`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let args: MainArgs;
  try {
    args = parseMainArgs(argv);
  } catch (e) {
    if (e instanceof BadInputError) fail(`main: ${e.message}`);
    throw e;
  }

  // the selection reaches every process (Playwright workers included) through the configuration
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (args.accounts) env.HARNESS_ACCOUNTS = args.accounts.join(',');
  let config: HarnessConfig;
  try {
    const base = loadConfig(env);
    if (args.sites) {
      const outside = base.sites ? args.sites.filter((s) => !base.sites!.includes(s)) : [];
      if (outside.length)
        fail(
          `main: --sites ${outside.join(', ')} is outside ATLASSIAN_SITES (${base.sites!.join(', ')}). Fix: pick sites from ATLASSIAN_SITES, or widen it.`,
        );
      env.ATLASSIAN_SITES = args.sites.join(',');
    }
    config = args.sites ? loadConfig(env) : base;
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }

  let siteKeys: Record<string, string>;
  try {
    siteKeys = validateInputs(config);
  } catch (e) {
    if (e instanceof Error && e.name === 'ExpectationsError') fail(e.message);
    if (e instanceof Error && e.name === 'CatalogError')
      fail(
        /\bFix:/.test(e.message) ? e.message : `${e.message}\nFix: correct fixtures/rest/scopes.json (schema in fixtures/rest/scopes.ts).`,
      );
    throw e;
  }
  if (args.suites.includes('mcp')) {
    const problem = await toolExpectationsProblem(config);
    if (problem) fail(problem);
  }
  if (config.sites && Object.keys(siteKeys).length && !Object.values(siteKeys).some((h) => config.sites!.includes(h)))
    fail(
      `main: no site of ${path.relative(ROOT, config.expectationsFile!)} is selected (sites: ${Object.values(siteKeys).join(', ')}; ATLASSIAN_SITES/--sites: ${config.sites.join(', ')}). Fix: select one of them.`,
    );

  const reportsDir = args.shard ? path.join(config.reportsDir, shardDirName(args.shard)) : config.reportsDir;
  const rel = shownPath;
  let lock: ReportsLock;
  try {
    checkReportsDir(config.reportsDir, 'HARNESS_REPORTS_DIR', 'HARNESS_REPORTS_DIR');
    if (args.shard) checkReportsDir(reportsDir, 'the shard folder', 'HARNESS_REPORTS_DIR');
    // the token store's folder: checked when it exists (the store creates it 0700 itself)
    if (existsSync(config.authDir)) checkReportsDir(config.authDir, 'HARNESS_AUTH_DIR', 'HARNESS_AUTH_DIR');
    lock = await acquireReportsLock(reportsDir, 'main job');
  } catch (e) {
    if (e instanceof BadInputError) fail(`main: ${e.message}`);
    throw e;
  }

  const plan = simulatorPlan(config, env);
  // a real target's first run: no expectations file yet, every comparison skips (fixtures/rest/expectations.ts)
  const firstRun = !!config.expectationsFile && !existsSync(config.expectationsFile);
  if (args.dryRun) {
    const world = config.simWorld ? ` with ${rel(config.simWorld)}` : '';
    const starts: Record<SimulatorPlan, string> = {
      own: `the embedded simulator${world}`,
      caller: 'nothing (the simulator of HARNESS_SIM_URLS, started by the caller)',
      rehearsal: `nothing here; global setup starts the TLS simulator behind the real host names${world}`,
      none: `nothing (target ${config.target})`,
    };
    process.stdout.write(
      [
        `dry run: the configuration, scope catalog and expectations are valid; ${rel(reportsDir)} is writable and free`,
        `would start: ${starts[plan]}`,
        `would run: playwright ${playwrightArgs(args, config, siteKeys).join(' ')}`,
        `then: ${args.shard ? 'the secret scan (no report, no history: npm run merge does both)' : 'report with history, quality gate, secret scan'}`,
        '',
      ].join('\n'),
    );
    await lock.release();
    return;
  }

  try {
    let sim: Awaited<ReturnType<typeof startSimulator>> | undefined;
    if (plan === 'own') {
      try {
        sim = await startSimulator({ world: config.simWorld });
      } catch (e) {
        if (e instanceof SimulatorStartError && e.exitCode === 2) {
          await lock.release();
          fail(
            `${config.simWorld ? `SIM_WORLD (${rel(config.simWorld).startsWith('..') ? config.simWorld : rel(config.simWorld)})` : 'the simulator'} was refused: ${e.stderr.trim()}\nFix: correct the world file (format: simulator/README.md), or remove SIM_WORLD for the default world.`,
          );
        }
        throw e;
      }
    }

    // results of the previous run are replaced; the history under reports/history is kept and appended to
    for (const d of ['allure-results', 'test-results', 'blob-report']) rmSync(path.join(reportsDir, d), { recursive: true, force: true });
    // HARNESS_MAIN_PID: the Playwright run stops itself when this job is gone (killed), instead of running on unowned
    const childEnv: NodeJS.ProcessEnv = { ...env, HARNESS_REPORTS_DIR: rel(reportsDir), HARNESS_MAIN_PID: String(process.pid) };
    if (args.shard) childEnv.HARNESS_BLOB_DIR = rel(path.join(reportsDir, 'blob-report'));
    if (sim) childEnv.HARNESS_SIM_URLS = JSON.stringify(sim.urls);
    const selection = [
      `suites ${args.suites.join(', ')}`,
      config.selectedRoles ? `accounts ${config.selectedRoles.join(', ')}` : '',
      config.sites ? `sites ${config.sites.join(', ')}` : '',
      args.shard ? `shard ${args.shard.current}/${args.shard.total}` : '',
    ].filter(Boolean);
    process.stderr.write(
      `target: ${config.target}${sim ? ` (embedded simulator at ${sim.urls.auth}, ${sim.urls.api}, ${sim.urls.mcp})` : plan === 'caller' ? " (the caller's simulator, HARNESS_SIM_URLS)" : plan === 'rehearsal' ? ' (rehearsal: the TLS simulator of global setup)' : ''}; ${selection.join('; ')}\n`,
    );

    let suites: number;
    try {
      suites = step(
        `suites: ${args.suites.join(' → ')} (playwright)`,
        path.join(ROOT, 'node_modules', '@playwright', 'test', 'cli.js'),
        playwrightArgs(args, config, siteKeys),
        childEnv,
        'suites',
        false,
      );
    } finally {
      await sim?.stop();
    }
    // how many browser consents the run needed (0 when every token came from the store; fixtures/tokens/tally.ts)
    const tokens = reconsentLine(reportsDir);
    if (tokens) process.stderr.write(`${tokens}\n`);

    const written = (names: string[]) =>
      names
        .map((p) => path.join(reportsDir, p))
        .filter((p) => existsSync(p))
        .map(rel);

    if (args.shard) {
      const scan = step(
        'secret scan',
        'scripts/scan-secrets.ts',
        written(['allure-results', 'test-results', 'blob-report', 'last-run.json', 'summary.json']),
        childEnv,
      );
      const verdict =
        scan !== 0
          ? 'SECRET LEAK: the scanner found a secret in the shard output (see above); do not upload it'
          : `SHARD ${args.shard.current}/${args.shard.total} ${suites === 0 ? 'passed' : 'had failures'}; merge every shard with: npm run merge -- ${rel(path.join(config.reportsDir, `shard-*-of-${args.shard.total}`))}`;
      printTimings();
      process.stdout.write(`\nShard output: ${rel(reportsDir)}\nVerdict: ${verdict}\n`);
      process.exitCode = scan !== 0 ? 1 : 0;
      return;
    }

    const report = step('report (allure 3, with history)', 'scripts/report.ts', [], childEnv, 'report');
    const gate = step('quality gate', 'scripts/gate.ts', [], childEnv, 'gate');
    // everything this run wrote (other folders under reports/, e.g. the self-test run's, are scanned by their own runs)
    const scan = step(
      'secret scan',
      'scripts/scan-secrets.ts',
      written(['allure-results', 'allure-report', 'test-results', 'history', 'pictures', 'summary.md', 'last-run.json', 'summary.json']),
      childEnv,
    );
    const verdict =
      report !== 0
        ? 'REPORT FAILED: the Allure report could not be generated (see above)'
        : scan !== 0
          ? 'SECRET LEAK: the scanner found a secret in the run output (see above); do not publish the reports'
          : gate !== 0
            ? 'RED: the gate found regressions or drift from expectations (table above)'
            : firstRun
              ? `FIRST RUN: nothing was compared (no expectations yet): run \`npm run expectations -- --write\`, review and commit ${rel(config.expectationsFile!)} and the tools file next to it`
              : suites !== 0
                ? 'AMBER: some tests failed, but none regressed and all match expectations'
                : 'GREEN: every suite passed and matches expectations';
    // a failed report step leaves the previous report in place: never point at it as this run's
    const reportLine = report === 0 ? `Report: ${rel(path.join(reportsDir, 'allure-report', 'index.html'))}\n` : '';
    printTimings();
    process.stdout.write(`\n${reportLine}Verdict: ${verdict}\n`);
    process.exitCode = report !== 0 || scan !== 0 || gate !== 0 ? 1 : 0;
  } finally {
    await lock.release();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
