/**
 * `npm run bench -- main` (or `tsx scripts/bench-main.ts [main job options, e.g. --suites api --accounts member]`):
 * the whole main job on the simulator with a warm token store, next to its critical-path lower bound, and the peak
 * memory of the job's whole process tree.
 *
 * One simulator of this benchmark serves every job (handed over in HARNESS_SIM_URLS, which scripts/main.ts then uses
 * as it is), with a token store of its own (HARNESS_AUTH_DIR under the temp folder), so the store stays warm from job
 * to job: a simulator's grants die with its process. Steps:
 *   1. warm-up: `main --suites consent` (a cold store: one browser consent per account; not part of the bound);
 *   2. the whole main job, warm, its process tree sampled from /proc every 250 ms (the simulator counted in, as when
 *      the job starts its own);
 *   3. each suite alone (`main --suites api`, `--suites mcp`), warm, for the longest suite.
 * Every job prints `timings:` (scripts/main.ts): start (process start to the suites), suites, report, gate, scan.
 * Lower bound = start + longest suite alone + report (the job cannot end before its slowest suite and its report).
 * Targets: wall ≤ 1.5 × bound; peak RSS of the tree (sum over its processes) ≤ 600 MB. Exit 1 when one is missed.
 * Tables only: nothing here is a timed test.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromiumLaunchOptions } from '../fixtures/core/browser.ts';
import { loadConfigOrExit, ROOT } from '../fixtures/core/config.ts';
import { type SimHandle, startSimulator } from '../fixtures/core/simulator.ts';
import { BadInputError, parseMainArgs, SUITES } from './main.ts';

export const RATIO_TARGET = 1.5;
export const RSS_TARGET_MB = 600;
const JOB_TIMEOUT_MS = 20 * 60_000;

// ── process-tree memory from /proc ───────────────────────────────────────────────────────────────────────────

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined; // gone meanwhile
  }
}

/** pid → parent pid of every process visible in /proc */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProc(Number(name), 'stat');
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'
    const ppid = stat ? Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) : Number.NaN;
    if (Number.isFinite(ppid)) out.set(Number(name), ppid);
  }
  return out;
}

/** the roots and every descendant of them */
export function processTree(roots: readonly number[]): number[] {
  const ppid = parents();
  const children = new Map<number, number[]>();
  for (const [pid, parent] of ppid) children.set(parent, [...(children.get(parent) ?? []), pid]);
  const seen = new Set<number>();
  const stack = roots.filter((r) => ppid.has(r));
  while (stack.length) {
    const p = stack.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    stack.push(...(children.get(p) ?? []));
  }
  return [...seen];
}

const kb = (text: string | undefined, field: string) => {
  const m = text ? new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text) : null;
  return m ? Number(m[1]) : 0;
};

export interface MemorySample {
  processes: number;
  /** sum of the processes' resident set sizes (shared pages counted in each process) */
  rssMb: number;
  /** sum of proportional set sizes (shared pages divided among their processes): the tree's real footprint */
  pssMb: number;
  /** the processes of the sample, largest RSS first: what each is (its script or program), its RSS and PSS */
  top?: Array<{ what: string; rssMb: number; pssMb?: number }>;
}

/** a process named by what it runs: the script after `node --import tsx`, else the program */
function processKind(pid: number): string {
  const argv = (readProc(pid, 'cmdline') ?? '').split('\0').filter(Boolean);
  const script = argv.find((a, i) => i > 0 && /\.(ts|js|mjs)$/.test(a));
  if (script) {
    const rel = path.relative(ROOT, script);
    const what = rel.startsWith('..') ? path.basename(script) : rel;
    // Playwright's runner and its workers run the same cli.js / process.js
    if (what.includes('playwright')) return argv.includes('test') ? 'playwright runner' : 'playwright worker';
    return what;
  }
  // Chromium rewrites its processes' command lines: the kernel's short name says what it is
  return (readProc(pid, 'comm') ?? String(pid)).trim();
}

/** the sample's processes grouped by what they are: `chrome ×9 1210 MB, playwright worker ×2 445 MB, …` */
export function topLine(top: MemorySample['top']): string {
  const groups = new Map<string, { n: number; mb: number; pss: number }>();
  for (const t of top ?? []) {
    const g = groups.get(t.what) ?? { n: 0, mb: 0, pss: 0 };
    groups.set(t.what, { n: g.n + 1, mb: g.mb + t.rssMb, pss: g.pss + (t.pssMb ?? 0) });
  }
  return (
    [...groups.entries()]
      .sort((a, b) => b[1].mb - a[1].mb)
      .map(([what, g]) => `${what}${g.n > 1 ? ` ×${g.n}` : ''} ${Math.round(g.mb)} MB${g.pss ? ` (PSS ${Math.round(g.pss)})` : ''}`)
      .join(', ') || '—'
  );
}

/** CPU seconds a process has used so far (utime + stime of /proc/<pid>/stat, clock ticks of 1/100 s) */
function cpuSeconds(pid: number): number | undefined {
  const stat = readProc(pid, 'stat');
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // after "pid (comm) ": state is index 0, so utime (field 14) is index 11 and stime index 12
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * CPU by process kind over a job: each process's CPU as last seen by a sample (a process that lives less than one
 * sampling interval, or its last 250 ms, is missed, so this is a lower bound per kind).
 */
export class CpuByKind {
  private readonly last = new Map<number, { what: string; cpu: number }>();
  private readonly before = new Map<number, number>();
  /** `running`: processes that were already running when the job started (the shared simulator): only their CPU
   * from now on counts */
  constructor(running: readonly number[] = []) {
    for (const pid of running) this.before.set(pid, cpuSeconds(pid) ?? 0);
  }
  observe(pid: number, what: string): void {
    const cpu = cpuSeconds(pid);
    if (cpu !== undefined) this.last.set(pid, { what, cpu: cpu - (this.before.get(pid) ?? 0) });
  }
  /** `playwright worker ×2 9.1 s, simulator 4.2 s, …`, largest first */
  line(): string {
    const groups = new Map<string, { n: number; s: number }>();
    for (const { what, cpu } of this.last.values()) {
      const g = groups.get(what) ?? { n: 0, s: 0 };
      groups.set(what, { n: g.n + 1, s: g.s + cpu });
    }
    return (
      [...groups.entries()]
        .sort((a, b) => b[1].s - a[1].s)
        .map(([what, g]) => `${what}${g.n > 1 ? ` ×${g.n}` : ''} ${g.s.toFixed(1)} s`)
        .join(', ') || '—'
    );
  }
}

export function sampleTree(roots: readonly number[], cpu?: CpuByKind): MemorySample {
  let rss = 0;
  let pss = 0;
  const pids = processTree(roots);
  const top: NonNullable<MemorySample['top']> = [];
  for (const pid of pids) {
    const r = kb(readProc(pid, 'status'), 'VmRSS');
    const p = kb(readProc(pid, 'smaps_rollup'), 'Pss');
    rss += r;
    pss += p;
    const what = processKind(pid);
    top.push({ what, rssMb: r / 1024, pssMb: p / 1024 });
    cpu?.observe(pid, what);
  }
  top.sort((a, b) => b.rssMb - a.rssMb);
  return { processes: pids.length, rssMb: rss / 1024, pssMb: pss / 1024, top };
}

/** The simulator process this one started (fixtures/core/simulator.ts spawns it as a child). */
export function simulatorPid(): number | undefined {
  for (const [pid, parent] of parents()) {
    if (parent !== process.pid) continue;
    if ((readProc(pid, 'cmdline') ?? '').includes(path.join('simulator', 'src', 'main.ts'))) return pid;
  }
  return undefined;
}

// ── jobs ─────────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * CPU seconds of this process's waited-for children (/proc/self/stat cutime + cstime, clock ticks of 1/100 s): the
 * difference around one job is the CPU its whole tree used (every process of it is waited for by its parent). On a
 * shared machine wall time also measures the neighbours; CPU time does not.
 */
function childCpuSeconds(): number | undefined {
  const stat = readProc(process.pid, 'stat');
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // after "pid (comm) ": state is index 0, so cutime (field 16) is index 13 and cstime index 14
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

export interface JobResult {
  code: number | null;
  wallMs: number;
  /** CPU time of the job's process tree (undefined without /proc, or when jobs overlapped) */
  cpuMs?: number;
  /** the job's own `timings:` line, in ms by step name (start, suites, report, gate, secret scan) */
  timings: Record<string, number>;
  totalMs?: number;
  /** highest sum over the tree (RSS and PSS peaks are taken separately) */
  peak?: MemorySample;
  /** where the tree's CPU went, by process kind (sampled jobs only) */
  cpuByKind?: string;
  output: string;
}

const live = new Set<ChildProcess>();
const killGroup = (child: ChildProcess) => {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
};
process.once('exit', () => {
  for (const c of live) killGroup(c);
});

/** `node --import tsx <script> …args` in its own process group, output kept, optionally its memory sampled. */
export function runJob(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  opts: { sample?: { extraRoots: number[] } } = {},
): Promise<JobResult> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const cpu0 = live.size === 0 ? childCpuSeconds() : undefined;
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, env, detached: true });
    live.add(child);
    let output = '';
    const keep = (d: Buffer) => {
      output = (output + d.toString()).slice(-200_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let peak: MemorySample | undefined;
    const cpu = opts.sample ? new CpuByKind(opts.sample.extraRoots) : undefined;
    const sampler = opts.sample
      ? setInterval(() => {
          const s = sampleTree([child.pid!, ...opts.sample!.extraRoots], cpu);
          const higher = s.rssMb > (peak?.rssMb ?? 0);
          peak = {
            processes: Math.max(peak?.processes ?? 0, s.processes),
            rssMb: Math.max(peak?.rssMb ?? 0, s.rssMb),
            pssMb: Math.max(peak?.pssMb ?? 0, s.pssMb),
            top: higher ? s.top : peak?.top,
          };
        }, 250)
      : undefined;
    const timer = setTimeout(() => killGroup(child), JOB_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (sampler) clearInterval(sampler);
      live.delete(child);
      const wallMs = performance.now() - t0;
      const cpu1 = cpu0 !== undefined && live.size === 0 ? childCpuSeconds() : undefined;
      const cpuMs = cpu0 !== undefined && cpu1 !== undefined ? (cpu1 - cpu0) * 1000 : undefined;
      const m = /^timings: (.*); total ([\d.]+) s$/m.exec(output);
      const timings: Record<string, number> = {};
      for (const part of m?.[1]?.split(', ') ?? []) {
        const t = /^(.*) ([\d.]+) s$/.exec(part);
        if (t) timings[t[1]!] = Number(t[2]) * 1000;
      }
      resolve({ code, wallMs, cpuMs, timings, totalMs: m ? Number(m[2]) * 1000 : undefined, peak, cpuByKind: cpu?.line(), output });
    });
  });
}

/** The environment of a job on `sim` with the token store in `authDir` and its output in `reportsDir`. */
export function jobEnv(sim: SimHandle, authDir: string, reportsDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TARGET: 'sim',
    HARNESS_SIM_URLS: JSON.stringify(sim.urls),
    HARNESS_AUTH_DIR: authDir,
    HARNESS_REPORTS_DIR: reportsDir,
  };
  delete env.HARNESS_BLOB_DIR;
  delete env.HARNESS_REHEARSAL;
  return env;
}

export const secs = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`);
export const mbs = (mb: number | undefined) => (mb === undefined ? '—' : `${Math.round(mb)} MB`);

/** The job failed to run at all: its output's tail, and exit 1. */
export function jobFailed(label: string, r: JobResult): never {
  process.stderr.write(`bench: ${label} ended with exit ${r.code}:\n${r.output.slice(-4000)}\n`);
  process.exit(1);
}

/** main-job options given to a benchmark: validated as scripts/main.ts validates them (exit 2 on bad input) */
export function selectionArgs(argv: readonly string[]): { args: string[]; suites: string[] } {
  try {
    const parsed = parseMainArgs(argv);
    if (parsed.shard || parsed.dryRun) throw new BadInputError('--shard and --dry-run are the benchmark’s to set');
    return { args: [...argv], suites: parsed.suites };
  } catch (e) {
    if (!(e instanceof BadInputError)) throw e;
    process.stderr.write(`bench: ${e.message}\n`);
    process.exit(2);
  }
}

/** argv without its --suites option (the benchmark sets the suites of each job) */
export function withoutSuites(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (argv[i] === '--suites') i++;
    else if (!argv[i]!.startsWith('--suites=')) out.push(argv[i]!);
  }
  return out;
}

/**
 * The floor of the stack: Playwright's runner and one worker running one test that opens one page in one headless
 * browser, with no harness code (a plain .mjs config and spec in a temp folder). No main job can hold less while it
 * drives a browser under Playwright, so this is what a memory target is measured against.
 */
export async function stackFloor(work: string): Promise<MemorySample | undefined> {
  const dir = path.join(work, 'floor');
  mkdirSync(path.join(dir, 'tests'), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  writeFileSync(path.join(dir, 'playwright.config.mjs'), "export default { testDir: './tests', workers: 1, reporter: 'dot' };\n");
  writeFileSync(
    path.join(dir, 'tests', 'floor.spec.mjs'),
    `import { test, chromium } from '@playwright/test';
test('one page', async () => {
  const browser = await chromium.launch(${JSON.stringify(chromiumLaunchOptions())});
  const page = await browser.newPage();
  await page.setContent('<h1>floor</h1><input id="username">');
  await page.locator('#username').fill('x');
  // hold still while the benchmark samples the tree
  await new Promise((r) => setTimeout(r, 1500));
  await browser.close();
});
`,
  );
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'node_modules', '@playwright', 'test', 'cli.js'), 'test', '-c', 'playwright.config.mjs'],
    {
      cwd: dir,
      stdio: 'ignore',
    },
  );
  let peak: MemorySample | undefined;
  const sampler = setInterval(() => {
    const t = sampleTree([child.pid!]);
    if (t.rssMb > (peak?.rssMb ?? 0)) peak = t;
  }, 100);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(sampler);
  return code === 0 ? peak : undefined;
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  if (config.target !== 'sim') {
    process.stderr.write('bench-main: runs on the simulator. Fix: unset TARGET (or TARGET=sim).\n');
    process.exit(2);
  }
  const { args, suites } = selectionArgs(process.argv.slice(2));
  const rest = withoutSuites(args);
  const work = mkdtempSync(path.join(os.tmpdir(), 'bench-main-'));
  const auth = path.join(work, 'auth');
  const sim = await startSimulator({ world: config.simWorld });
  const simPid = simulatorPid();
  const rows: Array<{ label: string; r: JobResult }> = [];
  let whole: JobResult;
  const alone = new Map<string, JobResult>();
  let floor: MemorySample | undefined;
  try {
    process.stderr.write('bench-main: warm-up (consent, cold store)…\n');
    const warm = await runJob('scripts/main.ts', ['--suites', 'consent', ...rest], jobEnv(sim, auth, path.join(work, 'warm')));
    if (warm.code !== 0) jobFailed('the warm-up', warm);
    rows.push({ label: 'warm-up: consent only, cold store (not in the bound)', r: warm });

    process.stderr.write(`bench-main: the whole main job (${suites.join(', ')}), warm store, memory sampled…\n`);
    whole = await runJob('scripts/main.ts', args, jobEnv(sim, auth, path.join(work, 'whole')), {
      sample: { extraRoots: simPid ? [simPid] : [] },
    });
    if (whole.code !== 0 && whole.totalMs === undefined) jobFailed('the whole main job', whole);
    rows.push({ label: `whole main job (${suites.join(', ')}), warm store`, r: whole });

    // with one suite (besides consent) the whole job is that suite alone
    const measured = suites.filter((x) => x !== 'consent');
    for (const s of measured.length > 1 ? measured : []) {
      process.stderr.write(`bench-main: ${s} alone, warm store…\n`);
      const r = await runJob('scripts/main.ts', ['--suites', s, ...rest], jobEnv(sim, auth, path.join(work, `alone-${s}`)));
      if (r.code !== 0 && r.totalMs === undefined) jobFailed(`${s} alone`, r);
      alone.set(s, r);
      rows.push({ label: `${s} alone (with its consent dependency), warm store`, r });
    }
    process.stderr.write("bench-main: the stack's floor (Playwright's runner, one worker, one headless browser page)…\n");
    floor = await stackFloor(work);
  } finally {
    await sim.stop();
    if (existsSync(work)) rmSync(work, { recursive: true, force: true });
  }

  const longest = [...alone.entries()].sort((a, b) => (b[1].timings.suites ?? 0) - (a[1].timings.suites ?? 0))[0];
  const longestMs = longest?.[1].timings.suites ?? whole.timings.suites ?? 0;
  const boundMs = (whole.timings.start ?? 0) + longestMs + (whole.timings.report ?? 0);
  const wallMs = whole.wallMs;
  const ratio = wallMs / boundMs;
  const ratioOk = ratio <= RATIO_TARGET;
  const rssOk = (whole.peak?.rssMb ?? Number.POSITIVE_INFINITY) <= RSS_TARGET_MB;
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
  const load = os.loadavg();
  const lines = [
    `Main job on the simulator (${SUITES.filter((s) => suites.includes(s)).join(', ')}${rest.length ? `; ${rest.join(' ')}` : ''}), one simulator and token store for every job; ${os.cpus().length} cores, load average ${load.map((l) => l.toFixed(1)).join(' / ')} (1/5/15 min) at the end`,
    '',
    '| job | exit | wall | CPU (whole tree) | start | suites | report | gate | secret scan |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      ({ label, r }) =>
        `| ${label} | ${r.code} | ${secs(r.wallMs)} | ${secs(r.cpuMs)} | ${secs(r.timings.start)} | ${secs(r.timings.suites)} | ${secs(r.timings.report)} | ${secs(r.timings.gate)} | ${secs(r.timings['secret scan'])} |`,
    ),
    '',
    '| measure | value | bound or target | ratio | verdict |',
    '|---|---:|---:|---:|---|',
    `| whole main job, warm store: wall vs start + longest suite${longest ? ` (${longest[0]})` : ''} + report | ${secs(wallMs)} | ${secs(boundMs)} (${secs(whole.timings.start)} + ${secs(longestMs)} + ${secs(whole.timings.report)}) | ${ratio.toFixed(2)}× (target ≤ ${RATIO_TARGET}×) | ${verdict(ratioOk)} |`,
    `| peak RSS of the main job's process tree (sum over up to ${whole.peak?.processes ?? 0} processes, simulator included) | ${mbs(whole.peak?.rssMb)} | ≤ ${RSS_TARGET_MB} MB | ${whole.peak ? `${(whole.peak.rssMb / RSS_TARGET_MB).toFixed(2)}×` : '—'} | ${verdict(rssOk)} |`,
    `| peak PSS of the same tree (shared pages divided among processes) | ${mbs(whole.peak?.pssMb)} | (for reference) | | |`,
    `| the stack's floor: Playwright's runner + 1 worker + one headless browser on one page, no harness code (RSS / PSS) | ${mbs(floor?.rssMb)} / ${mbs(floor?.pssMb)} | (for reference: no job that drives a browser under Playwright holds less) | | |`,
    '',
    `At the RSS peak (RSS and PSS by process, summed per kind): ${topLine(whole.peak?.top)}. Browser: ${chromiumLaunchOptions().executablePath ?? "Playwright's bundled Chromium"} (fixtures/core/browser.ts).`,
    '',
    `CPU of the whole main job by process kind (as last sampled): ${whole.cpuByKind ?? '—'}.`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
  process.exit(ratioOk && rssOk ? 0 : 1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
