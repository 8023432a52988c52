/**
 * `npm run support-bundle [-- --test <text>] [-- --category <code>]`: one zip a person attaches to an Atlassian
 * support ticket: the single-file HTML report (report.html) plus summary.md and summary.json listing each failing
 * call with its MCP session id, cloudId, site URL, UTC timestamp, tool or endpoint, arguments, response text,
 * atl-traceid and the classifier's remediation, read back from the evidence attachments (fixtures/core/evidence.ts).
 *
 * Every string goes through redact() with the configured secrets registered, plus any token carrying the simulator's
 * canary marker; the finished zip is then run through the secret scanner and deleted if anything is found.
 *
 * Default selection: every failed/broken test. `--test` picks tests whose full name contains the text (any status),
 * `--category` picks tests whose outcome or whose calls have that category code (any status).
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CATEGORIES, type CategoryInfo, isCategory } from '../fixtures/core/categories.ts';
import { ROOT } from '../fixtures/core/config.ts';
import { EVIDENCE_CONTENT_TYPE, EVIDENCE_PREFIX, type EvidenceRecord } from '../fixtures/core/evidence.ts';
import { redact, registerSecret } from '../fixtures/core/redact.ts';
import { atomicWrite } from './lib/atomic.ts';
import { environmentInfo } from './lib/env-info.ts';
import { reportsDirFromEnv } from './lib/paths.ts';
import { isFailure, readResults, type TestSummary } from './lib/results.ts';
import { createZip } from './lib/zip.ts';
import { CANARY, configuredSecrets, scanSecrets } from './scan-secrets.ts';

export interface BundleOptions {
  reportsDir?: string;
  resultsDir?: string;
  /** default: <reportsDir>/allure-report/index.html */
  reportFile?: string;
  /** only tests whose full name contains this text */
  test?: string;
  /** only tests/calls with this category code */
  category?: string;
  /** output zip; default <reportsDir>/bundles/support-bundle-<UTC>.zip */
  out?: string;
}

export interface FailingCall {
  test: string;
  testStatus: string;
  category?: string;
  categoryTitle?: string;
  surface?: string;
  mcpSessionId?: string;
  cloudId?: string;
  siteUrl?: string;
  /** UTC ISO */
  timestamp?: string;
  /** MCP tool name / JSON-RPC method, or `GET /rest/api/3/myself` */
  toolOrEndpoint: string;
  url?: string;
  arguments?: unknown;
  httpStatus?: number;
  responseText?: string;
  atlTraceId?: string;
  remediation?: string;
  /** the test's failure message when no call evidence was recorded */
  testMessage?: string;
}

export interface BundleResult {
  file: string;
  calls: FailingCall[];
  tests: number;
}

export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleError';
  }
}

const CANARY_TOKEN = new RegExp(`[^\\s"'&<>]*${CANARY}[^\\s"'&<>]*`, 'g');
function scrub(text: string): string {
  return redact(text).replace(CANARY_TOKEN, '[REDACTED]');
}
function scrubValue<T>(v: T): T {
  return JSON.parse(scrub(JSON.stringify(v ?? null))) as T;
}

function readEvidence(t: TestSummary): EvidenceRecord[] {
  const out: EvidenceRecord[] = [];
  for (const a of t.attachments) {
    if (a.type !== EVIDENCE_CONTENT_TYPE && !a.name.startsWith(EVIDENCE_PREFIX)) continue;
    try {
      out.push(JSON.parse(readFileSync(a.file, 'utf8')) as EvidenceRecord);
    } catch {
      // a missing or broken attachment file: the test-level row below still lists the test
    }
  }
  return out;
}

function info(code: string | undefined): CategoryInfo | undefined {
  return code && isCategory(code) ? CATEGORIES[code] : undefined;
}

function isFailingRecord(r: EvidenceRecord): boolean {
  const c = info(r.category);
  if (c) return !c.ok;
  return (r.status ?? 0) >= 400;
}

function siteUrlOf(r: EvidenceRecord, sites: ReadonlyMap<string, string>): string | undefined {
  if (r.site) return /^https?:\/\//.test(r.site) ? r.site : `https://${r.site}`;
  if (r.cloudId && sites.has(r.cloudId)) return sites.get(r.cloudId);
  if (r.url && /\.atlassian\.net/.test(r.url)) return new URL(r.url).origin;
  return undefined;
}

const RESOURCE_ID_URL = /"id"\s*:\s*"([^"]+)"\s*,\s*(?:"[^"]+"\s*:\s*"[^"]*"\s*,\s*)*?"url"\s*:\s*"(https?:[^"]+)"/g;
/**
 * cloudId → site URL from the run's own evidence: accessible-resources answers (REST /oauth/token/accessible-resources
 * and MCP getAccessibleAtlassianResources list `{id, url, name, scopes}`, atlassian-oauth.md) and records with a site.
 * Read with a pattern because response texts are cut at 2,000 characters.
 */
export function siteMap(tests: readonly TestSummary[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const t of tests) {
    for (const r of readEvidence(t)) {
      if (r.cloudId && r.site) map.set(r.cloudId, /^https?:\/\//.test(r.site) ? r.site : `https://${r.site}`);
      const text = (r.responseText ?? '').replace(/\\"/g, '"');
      for (const m of text.matchAll(RESOURCE_ID_URL)) if (!map.has(m[1]!)) map.set(m[1]!, m[2]!);
    }
  }
  return map;
}

function callFrom(t: TestSummary, r: EvidenceRecord, sites: ReadonlyMap<string, string>): FailingCall {
  const c = info(r.category ?? t.outcome);
  return {
    test: t.fullName,
    testStatus: t.status,
    category: r.category ?? t.outcome,
    categoryTitle: c?.title,
    surface: r.surface,
    mcpSessionId: r.mcpSessionId,
    cloudId: r.cloudId,
    siteUrl: siteUrlOf(r, sites),
    timestamp: r.timestamp,
    toolOrEndpoint: r.surface === 'mcp' ? `MCP ${r.operation}` : r.operation,
    url: r.url,
    arguments: r.args,
    httpStatus: r.status,
    responseText: r.responseText,
    atlTraceId: r.traceId,
    remediation: r.remediation ?? c?.remediation,
  };
}

export function selectCalls(
  tests: readonly TestSummary[],
  opts: Pick<BundleOptions, 'test' | 'category'>,
): { calls: FailingCall[]; tests: number } {
  const calls: FailingCall[] = [];
  const sites = siteMap(tests);
  let selectedTests = 0;
  for (const t of tests) {
    const evidence = readEvidence(t);
    let pick: boolean;
    if (opts.test !== undefined) pick = t.fullName.includes(opts.test);
    else if (opts.category !== undefined) pick = t.outcome === opts.category || evidence.some((r) => r.category === opts.category);
    else pick = isFailure(t.status);
    if (opts.test !== undefined && opts.category !== undefined)
      pick &&= t.outcome === opts.category || evidence.some((r) => r.category === opts.category);
    if (!pick) continue;
    selectedTests++;
    let failing = evidence.filter(isFailingRecord);
    if (opts.category !== undefined)
      failing = evidence.filter(
        (r) => r.category === opts.category || (r.category === undefined && t.outcome === opts.category && isFailingRecord(r)),
      );
    if (failing.length === 0 && isFailure(t.status) && evidence.length) failing = [evidence.at(-1)!];
    if (failing.length) for (const r of failing) calls.push(callFrom(t, r, sites));
    else {
      const c = info(t.outcome);
      calls.push({
        test: t.fullName,
        testStatus: t.status,
        category: t.outcome,
        categoryTitle: c?.title,
        toolOrEndpoint: '(no call evidence recorded)',
        timestamp: t.start ? new Date(t.start).toISOString() : undefined,
        remediation: c?.remediation,
        testMessage: t.message?.slice(0, 2000),
      });
    }
  }
  return { calls: scrubValue(calls), tests: selectedTests };
}

function md(v: unknown): string {
  if (v === undefined || v === null || v === '') return '–';
  return String(v).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function fence(text: string): string {
  const ticks = text.includes('```') ? '````' : '```';
  return `${ticks}\n${text}\n${ticks}`;
}

export function summaryMarkdown(calls: readonly FailingCall[], env: Record<string, string>, filter: string): string {
  const lines = [
    '# Support bundle: failing calls',
    '',
    `Selection: ${filter}. ${calls.length} failing call(s). Open report.html (in this zip) in a browser for the full report.`,
    'Secrets (passwords, client secrets, access/refresh tokens, API tokens) are redacted as [REDACTED].',
    '',
    '| environment | |',
    '|---|---|',
    ...Object.entries(env).map(([k, v]) => `| ${md(k)} | ${md(v)} |`),
    '',
  ];
  calls.forEach((c, i) => {
    lines.push(
      `## ${i + 1}. ${c.toolOrEndpoint}: ${c.category ?? 'no category'}${c.categoryTitle ? ` (${c.categoryTitle})` : ''}`,
      '',
      '| field | value |',
      '|---|---|',
      `| test | ${md(c.test)} (${c.testStatus}) |`,
      `| UTC timestamp | ${md(c.timestamp)} |`,
      `| MCP session id | ${md(c.mcpSessionId)} |`,
      `| cloudId | ${md(c.cloudId)} |`,
      `| site URL | ${md(c.siteUrl)} |`,
      `| tool or endpoint | ${md(c.toolOrEndpoint)} |`,
      `| request URL | ${md(c.url)} |`,
      `| HTTP status | ${md(c.httpStatus)} |`,
      `| atl-traceid | ${md(c.atlTraceId)} |`,
      '',
      '**Arguments**',
      '',
      fence(JSON.stringify(c.arguments ?? null, null, 2)),
      '',
      '**Response text**',
      '',
      fence(c.responseText ?? c.testMessage ?? '(none recorded)'),
      '',
      `**Remediation:** ${c.remediation ?? 'no classified remediation; see the report.'}`,
      '',
    );
  });
  return lines.join('\n');
}

export async function writeSupportBundle(opts: BundleOptions = {}): Promise<BundleResult> {
  if (opts.category !== undefined && !isCategory(opts.category)) {
    throw new BundleError(
      `--category ${JSON.stringify(opts.category)} is not a known category code. Fix: use one of ${Object.keys(CATEGORIES).join(', ')}.`,
    );
  }
  const reportsDir = path.resolve(opts.reportsDir ?? reportsDirFromEnv());
  const resultsDir = path.resolve(opts.resultsDir ?? path.join(reportsDir, 'allure-results'));
  const reportFile = path.resolve(opts.reportFile ?? path.join(reportsDir, 'allure-report', 'index.html'));
  if (!existsSync(reportFile)) {
    throw new BundleError(
      `no report at ${path.relative(ROOT, reportFile) || reportFile}. Fix: run \`npm run report\` (or scripts/harness main) first.`,
    );
  }
  for (const s of configuredSecrets()) registerSecret(s.value);
  const { tests } = readResults(resultsDir);
  const selection = selectCalls(tests, opts);
  const filter =
    [opts.test !== undefined ? `tests containing ${JSON.stringify(opts.test)}` : '', opts.category ? `category ${opts.category}` : '']
      .filter(Boolean)
      .join(', ') || 'every failed test';
  if ((opts.test !== undefined || opts.category !== undefined) && selection.tests === 0) {
    throw new BundleError(
      `no test matches ${filter} in ${path.relative(ROOT, resultsDir) || resultsDir}. Fix: check the name/code (the gate table and the report list them).`,
    );
  }
  const env = scrubValue(environmentInfo(tests));
  const summary = {
    generatedAt: new Date().toISOString(),
    selection: filter,
    environment: env,
    tests: { total: tests.length, failed: tests.filter((t) => isFailure(t.status)).length, selected: selection.tests },
    failingCalls: selection.calls,
  };
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const out = path.resolve(opts.out ?? path.join(reportsDir, 'bundles', `support-bundle-${stamp}.zip`));
  mkdirSync(path.dirname(out), { recursive: true });
  const zip = createZip([
    { name: 'report.html', data: readFileSync(reportFile) },
    { name: 'summary.md', data: summaryMarkdown(selection.calls, env, filter) },
    { name: 'summary.json', data: `${JSON.stringify(summary, null, 2)}\n` },
  ]);
  atomicWrite(out, zip);
  const scan = await scanSecrets({ roots: [out] });
  if (!scan.ok) {
    rmSync(out, { force: true });
    const kinds = [...new Set(scan.findings.map((f) => `${f.file.split('!/')[1] ?? f.file}: ${f.kind}`))].join('; ');
    throw new BundleError(
      `the bundle would contain a secret (${kinds}); it was deleted. Fix: the report itself leaks (run npm run scan-secrets), regenerate it with traces/screenshots off.`,
    );
  }
  return { file: out, calls: selection.calls, tests: selection.tests };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string) => {
    const i = args.indexOf(name);
    if (i < 0) return undefined;
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) {
      process.stderr.write(
        `support-bundle: ${name} needs a value. Fix: e.g. npm run support-bundle -- ${name} ${name === '--test' ? '"jira search"' : 'mcp-client-not-approved'}\n`,
      );
      process.exit(2);
    }
    return v;
  };
  try {
    const r = await writeSupportBundle({ test: opt('--test'), category: opt('--category'), out: opt('--out') });
    const shown = r.file.startsWith(ROOT + path.sep) ? path.relative(ROOT, r.file) : r.file;
    process.stdout.write(
      `support bundle: ${shown} (${r.calls.length} failing call(s) from ${r.tests} test(s); report.html, summary.md, summary.json; secrets redacted, scanned clean)\n`,
    );
  } catch (e) {
    if (e instanceof BundleError) {
      process.stderr.write(`support-bundle: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
