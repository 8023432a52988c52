/**
 * Reading Allure results (`<uuid>-result.json` files written by allure-playwright) back into a small typed shape the
 * report, gate and support bundle share. Only the fields those scripts use are parsed; everything else is ignored.
 *
 * allure-playwright nests `testInfo.attach` attachments inside steps (seen with allure-playwright 3.12.2: the
 * attachment becomes a child step named like the attachment), so attachments are collected from the whole step tree.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export type AllureStatus = 'passed' | 'failed' | 'broken' | 'skipped' | 'unknown';

const AttachmentSchema = z.object({ name: z.string().default(''), source: z.string(), type: z.string().optional() });
type RawAttachment = z.infer<typeof AttachmentSchema>;
interface RawStep {
  name?: string;
  attachments?: RawAttachment[];
  steps?: RawStep[];
}
const StepSchema: z.ZodType<RawStep> = z.lazy(() =>
  z.object({
    name: z.string().optional(),
    attachments: z.array(AttachmentSchema).optional(),
    steps: z.array(StepSchema).optional(),
  }),
);

const ResultSchema = z.object({
  uuid: z.string(),
  name: z.string().default(''),
  fullName: z.string().optional(),
  historyId: z.string().optional(),
  status: z.enum(['passed', 'failed', 'broken', 'skipped', 'unknown']).default('unknown'),
  statusDetails: z.object({ message: z.string().optional(), trace: z.string().optional() }).partial().optional(),
  start: z.number().optional(),
  stop: z.number().optional(),
  labels: z.array(z.object({ name: z.string(), value: z.string() })).default([]),
  parameters: z.array(z.object({ name: z.string(), value: z.string().default('') })).default([]),
  attachments: z.array(AttachmentSchema).default([]),
  steps: z.array(StepSchema).default([]),
});

export interface AttachmentRef {
  name: string;
  type?: string;
  /** absolute path of the attachment file in the results directory */
  file: string;
}

export interface TestSummary {
  uuid: string;
  name: string;
  fullName: string;
  /** stable across runs (Allure's history key); falls back to fullName */
  historyId: string;
  status: AllureStatus;
  message?: string;
  start?: number;
  labels: Record<string, string[]>;
  /** Allure parameters (allure.parameter: account, site, cloudId, scope, …); the first value of each name */
  parameters: Record<string, string>;
  /** first `outcome` label: the category code the test observed (fixtures/core/evidence.ts labelOutcome) */
  outcome?: string;
  /** first `expected` label: the category code the expectations file predicts */
  expected?: string;
  attachments: AttachmentRef[];
}

export class ResultsDirError extends Error {
  constructor(dir: string, problem: string) {
    super(
      `Allure results directory ${JSON.stringify(dir)} ${problem}. Fix: run the suites first (scripts/harness main or ` +
        'npx playwright test), or pass the directory that holds the *-result.json files.',
    );
    this.name = 'ResultsDirError';
  }
}

function collectAttachments(dir: string, list: RawAttachment[], steps: RawStep[], out: AttachmentRef[]): void {
  for (const a of list) out.push({ name: a.name, type: a.type, file: path.join(dir, a.source) });
  for (const s of steps) collectAttachments(dir, s.attachments ?? [], s.steps ?? [], out);
}

/**
 * Parse every result file. With retries, Allure writes one result per attempt under the same historyId; the last
 * attempt (latest start) is the test's outcome. Files that do not parse are reported in `unreadable`, never fatal.
 */
export function readResults(dir: string): { tests: TestSummary[]; unreadable: string[] } {
  if (!existsSync(dir)) throw new ResultsDirError(dir, 'does not exist');
  const files = readdirSync(dir).filter((f) => f.endsWith('-result.json'));
  const byHistory = new Map<string, TestSummary>();
  const unreadable: string[] = [];
  for (const f of files) {
    let raw: z.infer<typeof ResultSchema>;
    try {
      raw = ResultSchema.parse(JSON.parse(readFileSync(path.join(dir, f), 'utf8')));
    } catch {
      unreadable.push(f);
      continue;
    }
    const labels: Record<string, string[]> = {};
    for (const l of raw.labels) labels[l.name] = [...(labels[l.name] ?? []), l.value];
    const parameters: Record<string, string> = {};
    for (const p of raw.parameters) if (!(p.name in parameters)) parameters[p.name] = p.value;
    const attachments: AttachmentRef[] = [];
    collectAttachments(dir, raw.attachments, raw.steps, attachments);
    const fullName = raw.fullName ?? raw.name;
    const t: TestSummary = {
      uuid: raw.uuid,
      name: raw.name,
      fullName,
      historyId: raw.historyId ?? fullName,
      status: raw.status,
      message: raw.statusDetails?.message,
      start: raw.start,
      labels,
      parameters,
      outcome: labels.outcome?.[0],
      expected: labels.expected?.[0],
      attachments,
    };
    const prev = byHistory.get(t.historyId);
    if (!prev || (t.start ?? 0) >= (prev.start ?? 0)) byHistory.set(t.historyId, t);
  }
  const tests = [...byHistory.values()].sort((a, b) => a.fullName.localeCompare(b.fullName));
  return { tests, unreadable };
}

/** Short, stable key for a test in the compact trend file. */
export function shortKey(historyId: string): string {
  return createHash('sha1').update(historyId).digest('base64url').slice(0, 12);
}

/** Fingerprint of one set of results: the same results directory always gives the same key. */
export function resultsKey(tests: readonly TestSummary[]): string {
  const h = createHash('sha1');
  for (const t of [...tests].sort((a, b) => a.uuid.localeCompare(b.uuid))) h.update(`${t.uuid}:${t.status}\n`);
  return h.digest('hex').slice(0, 16);
}

export function isFailure(status: AllureStatus): boolean {
  return status === 'failed' || status === 'broken';
}
