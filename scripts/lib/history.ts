/**
 * The history the report carries from run to run, in two files under `<reportsDir>/history/`:
 *
 *  - `allure-history.jsonl`: Allure's own history (one JSON line per run with every test's entry; Allure writes
 *    ≈ 0.5 MB per run for 1,000 tests, slimLastAllureLine cuts that to ≈ 0.25 MB). Allure reads it for the trend
 *    charts and the new/fixed/regressed marks; it holds the last `historyLimit` runs, because Allure's generation
 *    time and memory grow with it (docs/reference/allure-playwright.md: 2.6 s with none, 9.1 s / 515 MB with 365 runs).
 *  - `trend.jsonl`: the long-term record, one compact line per run (counts and one status letter per test), appended
 *    atomically and never truncated. The gate compares with its last line; the report draws the long-term trend
 *    from it. 365 runs of 1,000 tests ≈ 8 MB.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { z } from 'zod';
import { atomicAppend, atomicWrite, commitTemp, moveAside } from './atomic.ts';
import { type AllureStatus, shortKey, type TestSummary } from './results.ts';

/** runs of full history Allure sees (its charts, transitions, per-test history); every run stays in trend.jsonl */
export const HISTORY_LIMIT_DEFAULT = 12;

const KEPT_LABELS = new Set(['epic', 'feature', 'story', 'outcome', 'expected']);

/**
 * Slim the line Allure just appended before it is committed: Allure's history entry repeats every test's labels,
 * error message and stack trace (≈ 0.5 MB per run for 1,000 tests). Transitions, flakiness and the per-test history
 * list need status, times and ids; the grouping labels and a short message are kept, the trace is dropped.
 * Returns the file text with its last line replaced (unchanged when the last line is not a history entry).
 */
export function slimLastAllureLine(text: string): string {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  const cut = body.lastIndexOf('\n');
  const last = body.slice(cut + 1);
  let entry: { testResults?: Record<string, Record<string, unknown>> };
  try {
    entry = JSON.parse(last) as typeof entry;
  } catch {
    return text;
  }
  if (!entry.testResults || typeof entry.testResults !== 'object') return text;
  for (const [key, t] of Object.entries(entry.testResults)) {
    const labels = Array.isArray(t.labels)
      ? (t.labels as Array<{ name?: string }>).filter((l) => KEPT_LABELS.has(l.name ?? ''))
      : undefined;
    const message = typeof t.message === 'string' ? t.message.slice(0, 300) : undefined;
    entry.testResults[key] = {
      id: t.id,
      name: t.name,
      fullName: t.fullName,
      environment: t.environment,
      status: t.status,
      message,
      start: t.start,
      stop: t.stop,
      duration: t.duration,
      labels,
      url: t.url,
      historyId: t.historyId,
    };
  }
  return `${body.slice(0, cut + 1)}${JSON.stringify(entry)}\n`;
}

export function historyPaths(reportsDir: string): { dir: string; allure: string; trend: string } {
  const dir = path.join(reportsDir, 'history');
  return { dir, allure: path.join(dir, 'allure-history.jsonl'), trend: path.join(dir, 'trend.jsonl') };
}

const STATUS_LETTER: Record<AllureStatus, string> = { passed: 'p', failed: 'f', broken: 'b', skipped: 's', unknown: 'u' };
const LETTER_STATUS: Record<string, AllureStatus> = { p: 'passed', f: 'failed', b: 'broken', s: 'skipped', u: 'unknown' };

export const TrendLineSchema = z.object({
  v: z.literal(1),
  run: z.string(),
  /** UTC ISO time the report was generated */
  at: z.string(),
  resultsKey: z.string(),
  commit: z.string().optional(),
  counts: z.object({
    total: z.number().int(),
    passed: z.number().int(),
    failed: z.number().int(),
    broken: z.number().int(),
    skipped: z.number().int(),
  }),
  /** failing tests per cause category (absent in lines written before it was kept) */
  categories: z.record(z.string(), z.number()).optional(),
  /** the night's largest cause, `category · account · site · family (N cells)` */
  topCause: z.string().optional(),
  /** shortKey(historyId) → status letter; checked as an object only (365 runs × 1,000 entries through zod cost ~0.5 s) */
  tests: z.custom<Record<string, string>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'expected an object'),
});
export type TrendLine = z.infer<typeof TrendLineSchema>;

export function trendLineFor(
  tests: readonly TestSummary[],
  run: string,
  resultsKey: string,
  commit?: string,
  extra: Pick<TrendLine, 'categories' | 'topCause'> = {},
): TrendLine {
  const counts = { total: tests.length, passed: 0, failed: 0, broken: 0, skipped: 0 };
  const map: Record<string, string> = {};
  for (const t of tests) {
    if (t.status === 'passed') counts.passed++;
    else if (t.status === 'failed') counts.failed++;
    else if (t.status === 'broken') counts.broken++;
    else counts.skipped++;
    map[shortKey(t.historyId)] = STATUS_LETTER[t.status];
  }
  return { v: 1, run, at: new Date().toISOString(), resultsKey, commit, counts, ...extra, tests: map };
}

export function statusOf(line: TrendLine, historyId: string): AllureStatus | undefined {
  const letter = line.tests[shortKey(historyId)];
  return letter === undefined ? undefined : LETTER_STATUS[letter];
}

export class CorruptHistoryError extends Error {
  constructor(
    readonly file: string,
    readonly lineNo: number,
    detail: string,
  ) {
    super(`line ${lineNo}: ${detail}`);
    this.name = 'CorruptHistoryError';
  }
}

/**
 * Parse a JSON-lines file, each line checked against `schema`; throws CorruptHistoryError naming the first bad line
 * (not JSON, unexpected shape, or a last line cut off without its newline). A missing file has no lines.
 */
function readJsonLines<T>(file: string, schema: z.ZodType<T>): T[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const out: T[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (!l.trim()) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(l);
    } catch (e) {
      throw new CorruptHistoryError(file, i + 1, `not JSON (${(e as Error).message})`);
    }
    const r = schema.safeParse(parsed);
    if (!r.success) throw new CorruptHistoryError(file, i + 1, `unexpected shape at ${r.error.issues[0]?.path.join('.') || '(root)'}`);
    out.push(r.data);
  }
  if (text.length > 0 && !text.endsWith('\n')) throw new CorruptHistoryError(file, lines.length, 'last line is cut off (no newline)');
  return out;
}

/** Parse the trend file; throws CorruptHistoryError naming the first bad line. */
export function readTrend(file: string): TrendLine[] {
  return readJsonLines(file, TrendLineSchema);
}

/** Read the trend file; a corrupt one is moved aside (with a message) and an empty history returned. */
export function readTrendOrMoveAside(file: string): { lines: TrendLine[]; movedTo?: string } {
  try {
    return { lines: readTrend(file) };
  } catch (e) {
    if (e instanceof CorruptHistoryError) return { lines: [], movedTo: moveAside(file, e.message) };
    throw e;
  }
}

export function appendTrend(file: string, line: TrendLine): void {
  atomicAppend(file, `${JSON.stringify(line)}\n`);
}

/**
 * Test seam for the crash-safety self-test (tests/self/crash-safety.spec.ts): with `HARNESS_TEST_CRASH_AT` set to
 * this name the process SIGKILLs itself here, so a kill lands between two given steps of the history write.
 */
export function crashPoint(name: string): void {
  if (process.env.HARNESS_TEST_CRASH_AT === name) process.kill(process.pid, 'SIGKILL');
}

/** The steps of `commitHistory`, in order (the crash-safety test kills at each). */
export const HISTORY_CRASH_POINTS = ['history:intent-written', 'history:allure-committed', 'history:trend-appended'] as const;

const PendingSchema = z.object({ allureTemp: z.string().optional(), line: TrendLineSchema }).strict();

function pendingFile(dir: string): string {
  return path.join(dir, '.pending-write.json');
}

/**
 * Record one run in both history files as one step. Each file is replaced atomically on its own, but a kill between
 * the two renames would leave Allure's history with the run and the trend without it, and the next report step would
 * then add the run to Allure's history a second time. So an intent file naming both (the temp copy of Allure's
 * history and the trend line) is written first and removed last; the next report step finishes what it names, under
 * the lock, before anything else (`finishPendingHistory`). Every step is idempotent: the run is recorded once.
 */
export function commitHistory(
  paths: { dir: string; allure: string; trend: string },
  allureTemp: string | undefined,
  line: TrendLine,
): void {
  const pending = pendingFile(paths.dir);
  atomicWrite(pending, JSON.stringify({ ...(allureTemp ? { allureTemp: path.basename(allureTemp) } : {}), line }));
  crashPoint(HISTORY_CRASH_POINTS[0]);
  if (allureTemp) commitTemp(allureTemp, paths.allure);
  crashPoint(HISTORY_CRASH_POINTS[1]);
  appendTrend(paths.trend, line);
  crashPoint(HISTORY_CRASH_POINTS[2]);
  rmSync(pending, { force: true });
}

/**
 * Finish a history write a killed report step left half done (its intent file is there): the temp copy of Allure's
 * history is renamed into place when it is still there, the trend line appended when the trend's last line is not
 * it. Returns what was done, for the `recovered` message. Call under the history lock, before temp files are removed.
 */
export function finishPendingHistory(paths: { dir: string; allure: string; trend: string }): string[] {
  const pending = pendingFile(paths.dir);
  if (!existsSync(pending)) return [];
  const done: string[] = [];
  let intent: z.infer<typeof PendingSchema> | undefined;
  try {
    intent = PendingSchema.parse(JSON.parse(readFileSync(pending, 'utf8')));
  } catch {
    intent = undefined; // written atomically, so never half; unreadable only when foreign: dropped below
  }
  if (intent) {
    const temp = intent.allureTemp ? path.join(paths.dir, intent.allureTemp) : undefined;
    if (temp && existsSync(temp)) {
      commitTemp(temp, paths.allure);
      done.push("Allure's history of the interrupted run");
    }
    const { lines } = readTrendOrMoveAside(paths.trend);
    if (lines.at(-1)?.run !== intent.line.run) {
      appendTrend(paths.trend, intent.line);
      done.push("the interrupted run's trend line");
    }
  }
  rmSync(pending, { force: true });
  return done.length ? [`an interrupted history write (finished: ${done.join(', ')})`] : [];
}

const AllureLineSchema = z.object({
  uuid: z.string(),
  timestamp: z.number(),
  testResults: z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'expected an object'),
});

/**
 * Check Allure's history file line by line (Allure itself throws on the first bad line and produces no report).
 * Only the shape Allure relies on is checked.
 */
export function validateAllureHistory(file: string): { ok: true; runs: number } | { ok: false; reason: string } {
  try {
    return { ok: true, runs: readJsonLines(file, AllureLineSchema).length };
  } catch (e) {
    if (e instanceof CorruptHistoryError) return { ok: false, reason: e.message };
    throw e;
  }
}

/** How long a report step may stop refreshing its lock before another run takes it over (proper-lockfile `stale`). */
export const LOCK_STALE_MS = 15_000;

interface LockOwner {
  pid: number;
  host: string;
  at: string;
}

function ownerFile(dir: string): string {
  return `${dir}.lock-owner.json`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * A lock left by a process that no longer exists (the report step was killed): its owner file names a pid on this
 * host that is gone. Returns the owner when it is dead, undefined when the lock is free, held by a live process, or
 * its owner is unknown (then proper-lockfile's `stale` decides, from the lock's mtime).
 */
export function deadLockOwner(dir: string): LockOwner | undefined {
  if (!existsSync(`${dir}.lock`)) return undefined;
  let owner: LockOwner;
  try {
    owner = JSON.parse(readFileSync(ownerFile(dir), 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
  if (typeof owner.pid !== 'number' || owner.host !== os.hostname()) return undefined;
  return isAlive(owner.pid) ? undefined : owner;
}

/**
 * One report at a time per history (two concurrent runs would race on the renames). The lock is proper-lockfile's
 * `<dir>.lock` folder, refreshed every few seconds while held (the report step keeps its event loop free for that:
 * allure runs as an async child), so a holder that died is taken over after LOCK_STALE_MS, and at once when the pid
 * recorded next to the lock is gone. Temp files a killed writer left in the history folder are removed once the
 * lock is ours (nobody else writes there without it). `say` reports what was recovered.
 */
export async function lockHistory(
  dir: string,
  say: (s: string) => void = () => {},
): Promise<{ release: () => Promise<void>; recovered: string[] }> {
  const recovered: string[] = [];
  mkdirSync(dir, { recursive: true });
  const dead = deadLockOwner(dir);
  if (dead && deadLockOwner(dir)?.pid === dead.pid) {
    rmSync(`${dir}.lock`, { recursive: true, force: true });
    rmSync(ownerFile(dir), { force: true });
    recovered.push(`lock of process ${dead.pid} (gone since ${dead.at} or later)`);
  }
  const release = await lockfile.lock(dir, {
    realpath: false,
    stale: LOCK_STALE_MS,
    update: LOCK_STALE_MS / 5,
    retries: { retries: 60, minTimeout: 250, maxTimeout: 1000 },
    // proper-lockfile throws from a timer by default, which would kill the report half-way; the writes are atomic
    // renames, so going on is safe: say so instead
    onCompromised: (e) => say(`history: the history lock was taken over while this report ran (${e.message}); finishing anyway`),
  });
  writeFileSync(ownerFile(dir), JSON.stringify({ pid: process.pid, host: os.hostname(), at: new Date().toISOString() }));
  // a history write cut short by a kill is finished first: its intent names a temp file the clean-up would remove
  recovered.push(...finishPendingHistory(historyPaths(path.dirname(dir))));
  for (const f of readdirSync(dir)) {
    if (!/\.tmp-/.test(f)) continue;
    rmSync(path.join(dir, f), { force: true });
    recovered.push(`temp file ${f}`);
  }
  if (recovered.length) say(`history: recovered after an interrupted report step: removed ${recovered.join(', ')}`);
  return {
    recovered,
    release: async () => {
      rmSync(ownerFile(dir), { force: true });
      await release();
    },
  };
}
