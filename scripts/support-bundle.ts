/**
 * `npm run support-bundle [-- --test <text>] [-- --category <code>]`: one zip a person attaches to an Atlassian
 * support ticket: the single-file HTML report (report.html) plus summary.md and summary.json listing each failing
 * call with its MCP session id, cloudId, site URL, UTC timestamp, tool or endpoint, arguments, response text,
 * atl-traceid and the classifier's remediation, read back from the evidence attachments (fixtures/core/evidence.ts).
 *
 * Every string goes through redact() with the configured secrets registered, plus any token carrying the simulator's
 * canary marker; the finished zip is then run through the secret scanner and deleted if anything is found.
 *
 * Failures are grouped by cause (scripts/lib/causes.ts, the same grouping as the gate): summary.md opens with one row
 * per cause (cells, remediation once, first few tests), then the calls of each cause. The cloudId of a call comes from
 * the call, its arguments, the session's resolved site (another call of the same MCP session, the test's cloudId
 * label) or the run's accessible-resources evidence when it lists one site; a call that involves no site (consent,
 * token, initialize, tools/list, accessible-resources) says "no site involved". The site URL of a cloudId comes from an
 * accessible-resources answer that parses whole, then the run's other evidence, then the sites of the expectations
 * file the run was checked against, so it never depends on how much of an answer the 2,000-character excerpt kept.
 * The pictures (scope × site and MCP
 * matrices, long-term trend) are included when the report step wrote them.
 *
 * Default selection: every failed/broken test. `--test` picks tests whose full name contains the text (any status),
 * `--category` picks tests whose outcome or whose calls have that category code (any status).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CATEGORIES, type CategoryInfo, isCategory } from '../fixtures/core/categories.ts';
import { loadConfig, ROOT } from '../fixtures/core/config.ts';
import type { EvidenceRecord } from '../fixtures/core/evidence.ts';
import { redact, registerSecret } from '../fixtures/core/redact.ts';
import { cellsFor } from './gate.ts';
import { atomicWrite } from './lib/atomic.ts';
import { type Cause, causeContext, groupByCause, readEvidence, siteMap } from './lib/causes.ts';
import { environmentInfo } from './lib/env-info.ts';
import { CorruptHistoryError, historyPaths, readTrend } from './lib/history.ts';
import { reportsDirFromEnv } from './lib/paths.ts';
import { isFailure, readResults, resultsKey, type TestSummary } from './lib/results.ts';
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
  /** the expectations file whose sites name the site URLs (default: the configured one; '' for none) */
  expectationsFile?: string;
}

export interface FailingCall {
  test: string;
  testStatus: string;
  category?: string;
  categoryTitle?: string;
  surface?: string;
  mcpSessionId?: string;
  cloudId?: string;
  /** where the cloudId came from: call, arguments, session, test label, accessible-resources, or `no site involved` */
  cloudIdSource?: string;
  siteUrl?: string;
  /** the cause this call's test belongs to (`category · account · site · family`), when it is a red cell */
  cause?: string;
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
  causes: Cause[];
  /** names of the zip entries */
  entries: string[];
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

function info(code: string | undefined): CategoryInfo | undefined {
  return code && isCategory(code) ? CATEGORIES[code] : undefined;
}

function isFailingRecord(r: EvidenceRecord): boolean {
  const c = info(r.category);
  if (c) return !c.ok;
  return (r.status ?? 0) >= 400;
}

/** A site URL, or a host name (`acme.atlassian.net`) made one; a bare site key (`acme`) is not a URL. */
function asSiteUrl(v: string | undefined): string | undefined {
  if (!v) return undefined;
  if (/^https?:\/\//.test(v)) return v;
  return /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(v) ? `https://${v}` : undefined;
}

function siteUrlOf(
  r: Pick<EvidenceRecord, 'site' | 'cloudId' | 'url'>,
  sites: ReadonlyMap<string, string>,
  siteKeys: ReadonlyMap<string, string> = new Map(),
): string | undefined {
  const fromSite = asSiteUrl(r.site) ?? asSiteUrl(r.site ? siteKeys.get(r.site) : undefined);
  if (fromSite) return fromSite;
  const mapped = asSiteUrl(r.cloudId ? sites.get(r.cloudId) : undefined);
  if (mapped) return mapped;
  if (r.url && /\.atlassian\.net/.test(r.url)) return new URL(r.url).origin;
  return undefined;
}

/** The sites the run knows besides its evidence: cloudId → URL and site key → URL. */
export interface KnownSites {
  byCloudId: Map<string, string>;
  byKey: Map<string, string>;
}

/**
 * cloudId → URL from every accessible-resources answer that parses as JSON (REST `[{id, url, …}]`, MCP
 * getAccessibleAtlassianResources the same or `{resources: […]}`), whatever the order of the keys. An answer cut at
 * 2,000 characters does not parse; its sites come from the expectations file instead (knownSites).
 */
export function parsedResponseSites(tests: readonly TestSummary[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of tests)
    for (const r of readEvidence(t)) {
      if (!r.responseText || !/accessible/i.test(r.operation)) continue;
      let body: unknown;
      try {
        body = JSON.parse(r.responseText);
      } catch {
        continue;
      }
      const list = Array.isArray(body) ? body : (body as { resources?: unknown } | null)?.resources;
      if (!Array.isArray(list)) continue;
      for (const e of list) {
        const o = e as { id?: unknown; url?: unknown } | null;
        if (typeof o?.id === 'string' && typeof o.url === 'string' && /^https?:\/\//.test(o.url) && !out.has(o.id)) out.set(o.id, o.url);
      }
    }
  return out;
}

/**
 * The sites of the expectations file the run was checked against (`sites: {key: {cloudId, url}}`,
 * fixtures/rest/expectations.ts): the world as the harness knows it, so a site URL never depends on how much of an
 * accessible-resources answer the evidence kept. A missing or unreadable file gives no sites (the bundle still works).
 */
export function expectationsSites(file: string | undefined): KnownSites {
  const out: KnownSites = { byCloudId: new Map(), byKey: new Map() };
  if (!file || !existsSync(file)) return out;
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as { sites?: Record<string, { cloudId?: unknown; url?: unknown }> };
    for (const [key, site] of Object.entries(j.sites ?? {})) {
      if (typeof site?.url !== 'string' || !/^https?:\/\//.test(site.url)) continue;
      out.byKey.set(key, site.url);
      if (typeof site.cloudId === 'string') out.byCloudId.set(site.cloudId, site.url);
    }
  } catch {
    // an unreadable expectations file was reported by the main job; the bundle goes on with the evidence alone
  }
  return out;
}

function configuredExpectationsFile(): string | undefined {
  try {
    return loadConfig().expectationsFile;
  } catch {
    return undefined;
  }
}

/** Operations that involve no site: consent, tokens, MCP handshakes, and the calls that list the sites themselves. */
const SITE_FREE =
  /^(initialize|tools\/list|notifications\/|ping|getAccessibleAtlassianResources|atlassianUserInfo|(GET|POST) \/(oauth\/token|me\b|authorize))/;

interface SiteContext {
  /** cloudId → site URL (or a site key when no URL is known) */
  sites: ReadonlyMap<string, string>;
  /** site key (`acme`) → site URL, from the expectations file */
  siteKeys: ReadonlyMap<string, string>;
  /** mcpSessionId → cloudId that session resolved (any call of it with one) */
  sessions: ReadonlyMap<string, string>;
}

/**
 * Site URLs, best source first: a parsed accessible-resources answer, the run's other evidence (scripts/lib/causes.ts
 * siteMap, which also reads cut answers with a pattern), then the expectations file's sites.
 */
function siteContext(tests: readonly TestSummary[], known: KnownSites = { byCloudId: new Map(), byKey: new Map() }): SiteContext {
  const sessions = new Map<string, string>();
  for (const t of tests)
    for (const r of readEvidence(t)) {
      const id = r.cloudId ?? argCloudId(r.args);
      if (r.mcpSessionId && id && !sessions.has(r.mcpSessionId)) sessions.set(r.mcpSessionId, id);
    }
  const sites = new Map(known.byCloudId);
  for (const [id, v] of siteMap(tests)) if (asSiteUrl(v) || !sites.has(id)) sites.set(id, v);
  for (const [id, url] of parsedResponseSites(tests)) sites.set(id, url);
  return { sites, siteKeys: known.byKey, sessions };
}

function argCloudId(args: unknown): string | undefined {
  const v = args && typeof args === 'object' ? (args as Record<string, unknown>).cloudId : undefined;
  return typeof v === 'string' && v ? v : undefined;
}

/** cloudId of a failing call and where it came from (see the header). */
export function resolveCloudId(t: TestSummary, r: EvidenceRecord, ctx: SiteContext): { cloudId?: string; source?: string } {
  if (r.cloudId) return { cloudId: r.cloudId, source: 'call' };
  const fromArgs = argCloudId(r.args);
  if (fromArgs) return { cloudId: fromArgs, source: 'arguments' };
  const fromSession = r.mcpSessionId ? ctx.sessions.get(r.mcpSessionId) : undefined;
  if (fromSession) return { cloudId: fromSession, source: 'session' };
  const label = t.labels.cloudId?.[0] ?? (t.parameters.cloudId !== '-' ? t.parameters.cloudId : undefined);
  if (label) return { cloudId: label, source: 'test label' };
  if (r.surface === 'consent' || r.surface === 'token' || SITE_FREE.test(r.operation)) return { source: 'no site involved' };
  if (ctx.sites.size === 1) return { cloudId: [...ctx.sites.keys()][0], source: 'accessible-resources (the only site)' };
  return {};
}

function callFrom(t: TestSummary, r: EvidenceRecord, ctx: SiteContext): FailingCall {
  const c = info(r.category ?? t.outcome);
  const { cloudId, source } = resolveCloudId(t, r, ctx);
  const sites = ctx.sites;
  return {
    test: t.fullName,
    testStatus: t.status,
    category: r.category ?? t.outcome,
    categoryTitle: c?.title,
    surface: r.surface,
    mcpSessionId: r.mcpSessionId,
    cloudId,
    cloudIdSource: source,
    siteUrl: siteUrlOf({ ...r, cloudId }, sites, ctx.siteKeys) ?? (source === 'no site involved' ? 'no site involved' : undefined),
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
  causes: readonly Cause[] = [],
  known?: KnownSites,
): { calls: FailingCall[]; tests: number } {
  const calls: FailingCall[] = [];
  const ctx = siteContext(tests, known);
  const causeOf = new Map<string, string>();
  for (const c of causes) for (const cell of c.cells) causeOf.set(cell.test.historyId, c.label);
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
    if (failing.length) for (const r of failing) calls.push({ ...callFrom(t, r, ctx), cause: causeOf.get(t.historyId) });
    else {
      const c = info(t.outcome);
      const param = t.parameters.cloudId !== '-' ? t.parameters.cloudId : undefined;
      const cloudId = t.labels.cloudId?.[0] ?? param;
      calls.push({
        test: t.fullName,
        testStatus: t.status,
        cause: causeOf.get(t.historyId),
        category: t.outcome,
        categoryTitle: c?.title,
        cloudId,
        cloudIdSource: cloudId ? 'test label' : undefined,
        siteUrl: siteUrlOf({ cloudId, site: t.parameters.site !== '-' ? t.parameters.site : undefined }, ctx.sites, ctx.siteKeys),
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

function callSection(c: FailingCall, n: number): string[] {
  return [
    `### ${n}. ${c.toolOrEndpoint}: ${c.category ?? 'no category'}${c.categoryTitle ? ` (${c.categoryTitle})` : ''}`,
    '',
    '| field | value |',
    '|---|---|',
    `| test | ${md(c.test)} (${c.testStatus}) |`,
    `| UTC timestamp | ${md(c.timestamp)} |`,
    `| MCP session id | ${md(c.mcpSessionId)} |`,
    `| cloudId | ${c.cloudIdSource === 'no site involved' ? 'no site involved' : `${md(c.cloudId)}${c.cloudId && c.cloudIdSource ? ` (from ${c.cloudIdSource})` : ''}`} |`,
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
  ];
}

/**
 * summary.md: the causes first (one row each: cells, regressed/new/still failing/drift, remediation once, first few
 * tests), then each cause's calls under it with its remediation once, then selected calls outside any cause.
 */
export function summaryMarkdown(
  calls: readonly FailingCall[],
  env: Record<string, string>,
  filter: string,
  causes: readonly Cause[] = [],
  pictures: readonly string[] = [],
): string {
  const lines = [
    '# Support bundle: failing calls by cause',
    '',
    `Selection: ${filter}. ${calls.length} failing call(s) from ${causes.length} cause(s). Open report.html (in this zip) in a browser for the full report.`,
    'Secrets (passwords, client secrets, access/refresh tokens, API tokens) are redacted as [REDACTED].',
    ...(pictures.length ? ['', `Pictures in this zip (open in a browser, offline): ${pictures.join(', ')}.`] : []),
    '',
    '| environment | |',
    '|---|---|',
    ...Object.entries(env).map(([k, v]) => `| ${md(k)} | ${md(v)} |`),
    '',
  ];
  if (causes.length) {
    lines.push(
      '## Causes',
      '',
      '| # | cause (category · account · site · family) | cells | regressed | new | still failing | drift | first tests |',
      '|---|---|---|---|---|---|---|---|',
    );
    causes.forEach((c, i) => {
      const eg = c.cells
        .slice(0, 3)
        .map((x) => x.test.name)
        .join('; ');
      lines.push(
        `| ${i + 1} | ${md(c.label)} | ${c.cells.length} | ${c.counts.regressed} | ${c.counts.newFailure} | ${c.counts.stillFailing} | ${c.counts.drift} | ${md(scrub(eg))}${c.cells.length > 3 ? ` …+${c.cells.length - 3}` : ''} |`,
      );
    });
    lines.push('');
  }
  let n = 0;
  causes.forEach((c, i) => {
    const mine = calls.filter((x) => x.cause === c.label);
    if (!mine.length) return;
    lines.push(`## Cause ${i + 1}: ${c.label} (${c.title})`, '', `**Remediation:** ${c.remediation}`, '');
    for (const call of mine) lines.push(...callSection(call, ++n));
  });
  const rest = calls.filter((x) => !x.cause || !causes.some((c) => c.label === x.cause));
  if (rest.length) {
    lines.push(causes.length ? '## Other selected calls' : '## Calls', '');
    for (const call of rest) {
      lines.push(...callSection(call, ++n), `**Remediation:** ${call.remediation ?? 'no classified remediation; see the report.'}`, '');
    }
  }
  return lines.join('\n');
}

function causesOfRun(reportsDir: string, tests: readonly TestSummary[]): Cause[] {
  let previous: ReturnType<typeof readTrend>[number] | undefined;
  try {
    const key = resultsKey(tests);
    previous = readTrend(historyPaths(reportsDir).trend)
      .filter((l) => l.resultsKey !== key)
      .at(-1);
  } catch (e) {
    if (!(e instanceof CorruptHistoryError)) throw e;
  }
  return groupByCause(cellsFor(tests, previous), causeContext(tests));
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
  const allCauses = causesOfRun(reportsDir, tests);
  const known = expectationsSites(opts.expectationsFile === undefined ? configuredExpectationsFile() : opts.expectationsFile || undefined);
  const selection = selectCalls(tests, opts, allCauses, known);
  const selectedCauses = allCauses.filter((c) => selection.calls.some((x) => x.cause === c.label));
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
    causes: selectedCauses.map((c) => ({
      cause: c.label,
      category: c.key.category,
      account: c.key.account,
      site: c.key.site,
      family: c.key.family,
      cells: c.cells.length,
      counts: c.counts,
      remediation: c.remediation,
      tests: c.cells.map((x) => scrub(x.test.fullName)),
    })),
    failingCalls: selection.calls,
  };
  const picturesDir = path.join(reportsDir, 'pictures');
  const pictures = existsSync(picturesDir)
    ? readdirSync(picturesDir)
        .filter((f) => /\.(html|svg)$/.test(f))
        .sort()
        .map((f) => ({ name: `pictures/${f}`, data: readFileSync(path.join(picturesDir, f)) }))
    : [];
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const out = path.resolve(opts.out ?? path.join(reportsDir, 'bundles', `support-bundle-${stamp}.zip`));
  mkdirSync(path.dirname(out), { recursive: true });
  const entries = [
    { name: 'report.html', data: readFileSync(reportFile) },
    {
      name: 'summary.md',
      data: summaryMarkdown(
        selection.calls,
        env,
        filter,
        selectedCauses,
        pictures.map((p) => p.name),
      ),
    },
    { name: 'summary.json', data: `${JSON.stringify(summary, null, 2)}\n` },
    ...pictures,
  ];
  const zip = createZip(entries);
  atomicWrite(out, zip);
  const scan = await scanSecrets({ roots: [out] });
  if (!scan.ok) {
    rmSync(out, { force: true });
    const kinds = [...new Set(scan.findings.map((f) => `${f.file.split('!/')[1] ?? f.file}: ${f.kind}`))].join('; ');
    throw new BundleError(
      `the bundle would contain a secret (${kinds}); it was deleted. Fix: the report itself leaks (run npm run scan-secrets), regenerate it with traces/screenshots off.`,
    );
  }
  return { file: out, calls: selection.calls, tests: selection.tests, causes: selectedCauses, entries: entries.map((e) => e.name) };
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
      `support bundle: ${shown} (${r.calls.length} failing call(s) from ${r.tests} test(s) in ${r.causes.length} cause(s); ${r.entries.join(', ')}; secrets redacted, scanned clean)\n`,
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
