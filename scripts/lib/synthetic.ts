/**
 * Synthetic Allure results, shaped like allure-playwright 3.12 output (result JSON with labels and nested
 * attachment steps, attachment files next to it). Used by the report self-tests and the report benchmark so they do
 * not need a full suite run.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AllureStatus } from './results.ts';

export interface SyntheticTest {
  /** test title; the file part of fullName is `suite` */
  name: string;
  suite?: string;
  status: AllureStatus;
  message?: string;
  outcome?: string;
  expected?: string;
  labels?: Record<string, string>;
  /** Allure parameters (the REST suites set account, site, cloudId, scope) */
  parameters?: Record<string, string>;
  /** attachments: name → { type, body } (evidence uses application/vnd.harness.evidence+json) */
  attachments?: Array<{ name: string; type: string; body: string | Buffer }>;
  durationMs?: number;
}

export function historyIdOf(fullName: string): string {
  return createHash('md5').update(fullName).digest('hex');
}

export function writeSyntheticResults(dir: string, tests: readonly SyntheticTest[], startAt = Date.now()): void {
  mkdirSync(dir, { recursive: true });
  let t0 = startAt;
  for (const t of tests) {
    const uuid = randomUUID();
    const suite = t.suite ?? 'synthetic.spec.ts';
    const fullName = `${suite} › ${t.name}`;
    const labels = [
      { name: 'language', value: 'javascript' },
      { name: 'framework', value: 'playwright' },
      { name: 'package', value: suite },
      // allure-playwright writes it and Allure drops it on reading (scripts/lib/cause-fingerprint.ts relies on that)
      { name: '_fallbackTestCaseId', value: historyIdOf(fullName) },
      ...Object.entries(t.labels ?? {}).map(([name, value]) => ({ name, value })),
    ];
    if (t.outcome) labels.push({ name: 'outcome', value: t.outcome });
    if (t.expected) labels.push({ name: 'expected', value: t.expected });
    const steps = (t.attachments ?? []).map((a) => {
      const source = `${randomUUID()}-attachment`;
      writeFileSync(path.join(dir, source), a.body);
      return {
        name: a.name,
        status: 'passed',
        stage: 'finished',
        statusDetails: {},
        steps: [],
        attachments: [{ name: a.name, source, type: a.type }],
        parameters: [],
        start: t0,
        stop: t0,
      };
    });
    const duration = t.durationMs ?? 5;
    const result = {
      uuid,
      name: t.name,
      fullName,
      historyId: historyIdOf(fullName),
      testCaseId: historyIdOf(fullName),
      status: t.status,
      statusDetails: t.message ? { message: t.message, trace: t.message } : {},
      stage: 'finished',
      start: t0,
      stop: t0 + duration,
      steps,
      attachments: [],
      parameters: Object.entries(t.parameters ?? {}).map(([name, value]) => ({ name, value })),
      labels,
      links: [],
    };
    writeFileSync(path.join(dir, `${uuid}-result.json`), JSON.stringify(result));
    t0 += duration;
  }
}

/** `n` tests named `test 0…n-1` spread over 10 suites; `failing(i)` picks the failures. */
export function manyTests(n: number, failing: (i: number) => boolean = () => false): SyntheticTest[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `test ${i}`,
    suite: `suite${i % 10}.spec.ts`,
    status: failing(i) ? 'failed' : 'passed',
    message: failing(i) ? '[mcp-tool-error] Tool returned an error: synthetic' : undefined,
    outcome: failing(i) ? 'mcp-tool-error' : 'granted',
    labels: { epic: ['consent', 'rest', 'sites', 'mcp'][i % 4]! },
  }));
}

/**
 * One line of Allure's history file for `tests` (the shape of @allurereport/core createHistory), so benchmarks can
 * build a year of history without running Allure 365 times.
 */
export function syntheticAllureHistoryLine(tests: readonly SyntheticTest[], timestamp: number): string {
  const testResults: Record<string, unknown> = {};
  for (const t of tests) {
    const fullName = `${t.suite ?? 'synthetic.spec.ts'} › ${t.name}`;
    const historyId = historyIdOf(fullName);
    testResults[historyId] = {
      id: randomUUID(),
      name: t.name,
      fullName,
      environment: 'default',
      status: t.status,
      message: t.message,
      trace: t.message,
      start: timestamp,
      stop: timestamp + 5,
      duration: 5,
      labels: [
        { name: 'language', value: 'javascript' },
        { name: 'framework', value: 'playwright' },
        { name: 'package', value: t.suite ?? 'synthetic.spec.ts' },
        ...(t.outcome ? [{ name: 'outcome', value: t.outcome }] : []),
      ],
      url: '',
      historyId,
      reportLinks: [],
    };
  }
  return JSON.stringify({
    uuid: randomUUID(),
    name: 'Atlassian integration harness',
    timestamp,
    knownTestCaseIds: Object.keys(testResults),
    testResults,
    metrics: {},
    url: '',
  });
}
