/**
 * Failures grouped by cause. One cause = (category, account, site, endpoint or tool family): a member's consent
 * blocked on one site fails every scope cell of that member on that site, and QA, a CI reviewer and a support engineer
 * each need that one cause first and its cells second. The gate table, the report's verdict line and categories, and
 * the support bundle's summary all group with `groupByCause` so they agree.
 *
 * Where each part comes from (first found wins):
 *  - category: the `outcome` label (fixtures/core/evidence.ts labelOutcome), the category of the test's first failing
 *    evidence record, a `[code]` prefix of the failure message; else `unclassified` (failed) or `test-error` (broken).
 *  - account: the `account` parameter (REST suites) or label (MCP suites), the evidence's account, or the first word of
 *    the title when that word is an account seen elsewhere in the same results.
 *  - site: the `site` parameter, the site of the `cloudId` label/parameter (cloudId → site from the run's own
 *    accessible-resources evidence), the evidence's site.
 *  - family: only for causes that are per endpoint or per tool (a scope missing on Jira is not the same cause as one
 *    missing on Confluence): the product of the scope (`read:jira-work` → jira), of the MCP tool (`getJiraIssue` → jira)
 *    or of the REST path. Account- or site-wide causes (consent, tokens, sites, MCP authentication) have no family, or
 *    the MCP auth mode when it is known.
 * Causes of the whole account (a rejected login, an invalid token, an auth mode switched off) leave the site out, so a
 * revoked token is one row per account, not one per site; a configuration error is one row for the run.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CATEGORIES, type CategoryInfo, isCategory } from '../../fixtures/core/categories.ts';
import { EVIDENCE_CONTENT_TYPE, EVIDENCE_PREFIX, type EvidenceRecord } from '../../fixtures/core/evidence.ts';
import { type AllureStatus, isFailure, type TestSummary } from './results.ts';

/** Per-cell flags (a cell = one test of this run); REGRESSED / NEW FAILURE / DRIFT / STILL FAILING are red. */
export interface CellFlags {
  regressed: boolean;
  newFailure: boolean;
  stillFailing: boolean;
  drift: boolean;
  fixed: boolean;
}

export interface Cell {
  test: TestSummary;
  before?: AllureStatus;
  flags: CellFlags;
}

export interface CauseKey {
  category: string;
  account?: string;
  site?: string;
  family?: string;
}

export interface Cause {
  /** stable across runs for the same key: `cause-<hash>` */
  id: string;
  key: CauseKey;
  /** `admin-must-authorize · member · globex` (parts that are unknown are left out) */
  label: string;
  title: string;
  remediation: string;
  cells: Cell[];
  counts: { regressed: number; newFailure: number; stillFailing: number; drift: number };
  /** distinct `expected → actual` pairs of the drifting cells */
  drifts: string[];
}

/** Codes whose cause is one endpoint or tool (so the product family is part of the cause). */
const PER_ENDPOINT = new Set([
  'scope-missing',
  'permission-denied',
  'product-not-installed',
  'endpoint-gone',
  'not-probeable',
  'unexpected',
  'server-error',
  'rate-limited',
  'mcp-bad-arguments',
  'mcp-tool-error',
  'mcp-schema-mismatch',
  'mcp-rate-limited',
  'scope-filtered',
  'mcp-scope-insufficient',
  'mcp-search-denied',
  'mcp-tool-renamed',
  'mcp-tool-added',
  'mcp-endpoint-divergence',
  'known-failure-fixed',
  'no-test-data',
]);

/** Codes whose cause is the whole account (its login, token or auth mode), whatever site the failing cell probed. */
const ACCOUNT_WIDE = new Set([
  'developer-mode',
  'scopes-not-added',
  'access-denied',
  'domain-blocked',
  'needs-human',
  'login-failed',
  'invalid-client',
  'unexpected-screen',
  'token-exchange-failed',
  'refresh-invalid-grant',
  'no-refresh-token',
  'token-invalid',
  'mcp-client-not-approved',
  'mcp-connection-settings',
  'api-token-disabled',
  'mcp-server-disabled',
  'ip-blocked',
  'mcp-auth-failed',
  'mcp-token-expired',
  'mcp-discovery',
  'mcp-session-lost',
]);
/** Codes whose cause is the run's configuration: one cause whatever the account. */
const RUN_WIDE = new Set(['config-invalid']);

export function readEvidence(t: TestSummary): EvidenceRecord[] {
  const out: EvidenceRecord[] = [];
  for (const a of t.attachments) {
    if (a.type !== EVIDENCE_CONTENT_TYPE && !a.name.startsWith(EVIDENCE_PREFIX)) continue;
    try {
      out.push(JSON.parse(readFileSync(a.file, 'utf8')) as EvidenceRecord);
    } catch {
      // a missing or broken attachment file: the test still counts, without its calls
    }
  }
  return out;
}

export function categoryInfoOf(code: string | undefined): CategoryInfo | undefined {
  return code && isCategory(code) ? CATEGORIES[code] : undefined;
}

function failingRecord(records: readonly EvidenceRecord[]): EvidenceRecord | undefined {
  return records.find((r) => {
    const c = categoryInfoOf(r.category);
    return c ? !c.ok : (r.status ?? 0) >= 400;
  });
}

function normaliseSite(site: string): string {
  return /^https?:\/\//.test(site) ? site : `https://${site}`;
}

const RESOURCE_ID_URL = /"id"\s*:\s*"([^"]+)"\s*,\s*(?:"[^"]+"\s*:\s*"[^"]*"\s*,\s*)*?"url"\s*:\s*"(https?:[^"]+)"/g;
/**
 * cloudId → site URL from the run's own evidence: accessible-resources answers (REST /oauth/token/accessible-resources
 * and MCP getAccessibleAtlassianResources list `{id, url, name, scopes}`, docs/reference/atlassian-oauth.md), records
 * with both a cloudId and a site host, and a test's `cloudId` with its `siteUrl` parameter (else its site key, used for
 * naming only). Read with a pattern because response texts are cut at 2,000 characters.
 */
export function siteMap(tests: readonly TestSummary[], evidence = new Map<TestSummary, EvidenceRecord[]>()): Map<string, string> {
  const map = new Map<string, string>();
  for (const t of tests) {
    const records = evidence.get(t) ?? readEvidence(t);
    for (const r of records) {
      // a site key (`acme`) is not a URL; the accessible-resources answers below give the URL
      if (r.cloudId && r.site && (r.site.includes('.') || /^https?:/.test(r.site))) map.set(r.cloudId, normaliseSite(r.site));
      const text = (r.responseText ?? '').replace(/\\"/g, '"');
      for (const m of text.matchAll(RESOURCE_ID_URL)) if (!map.has(m[1]!)) map.set(m[1]!, m[2]!);
    }
    const cloudId = t.parameters.cloudId;
    const site = t.parameters.siteUrl ?? t.parameters.site;
    if (cloudId && cloudId !== '-' && site && !site.startsWith('(') && !/^https?:/.test(map.get(cloudId) ?? ''))
      map.set(cloudId, /^https?:/.test(site) ? site : (map.get(cloudId) ?? site));
  }
  return map;
}

/** `https://globex.atlassian.net` → `globex`; a site key stays as it is. */
export function siteName(site: string): string {
  const m = /^https?:\/\/([^./]+)\.atlassian\.net/.exec(site) ?? /^https?:\/\/([^/:]+)/.exec(site);
  return m ? m[1]! : site;
}

/** Product family of a scope (`read:jira-work` → jira, `read:page:confluence` → confluence, `read:me` → identity). */
export function familyOfScope(scope: string): string | undefined {
  const parts = scope.split(':');
  if (parts.length < 2) return undefined;
  const known = parts
    .slice(1)
    .join(':')
    .match(/jira-service-management|servicedesk|jira|confluence|compass|bitbucket|opsgenie/);
  if (known) return known[0] === 'servicedesk' ? 'jira-service-management' : known[0];
  if (parts[1] === 'me' || parts[1] === 'account') return 'identity';
  return parts[1]!.split(/[-.]/)[0];
}

/** Product family of an MCP tool name (`getJiraIssue` → jira, `getConfluencePage` → confluence). */
export function familyOfTool(tool: string): string {
  const m = /(Jira|Confluence|Compass|Bitbucket|Atlassian)/.exec(tool);
  return m ? m[1]!.toLowerCase() : tool;
}

/** Product family of a REST call (`GET /wiki/api/v2/pages` → confluence). */
export function familyOfOperation(operation: string): string | undefined {
  const p = operation.replace(/^[A-Z]+\s+/, '');
  if (/\/wiki\//.test(p)) return 'confluence';
  if (/\/rest\/servicedeskapi\//.test(p)) return 'jira-service-management';
  if (/\/rest\/(api|agile)\//.test(p)) return 'jira';
  if (/accessible-resources/.test(p)) return 'sites';
  if (/\/me\b/.test(p)) return 'identity';
  return undefined;
}

function first(...values: Array<string | undefined>): string | undefined {
  return values.find((v) => v !== undefined && v !== '' && v !== '-' && !v.startsWith('('));
}

export interface CauseContext {
  sites: ReadonlyMap<string, string>;
  accounts: ReadonlySet<string>;
  evidence: ReadonlyMap<TestSummary, EvidenceRecord[]>;
}

export function causeContext(tests: readonly TestSummary[]): CauseContext {
  const evidence = new Map<TestSummary, EvidenceRecord[]>();
  for (const t of tests) evidence.set(t, readEvidence(t));
  const accounts = new Set<string>();
  for (const t of tests) {
    const a = first(t.parameters.account, t.labels.account?.[0]);
    if (a) accounts.add(a);
  }
  return { sites: siteMap(tests, evidence), accounts, evidence };
}

export function causeKeyOf(t: TestSummary, ctx: CauseContext): CauseKey {
  const records = ctx.evidence.get(t) ?? [];
  const rec = failingRecord(records);
  const fromMessage = /^\s*\[([a-z][a-z-]+)\]/.exec(t.message ?? '')?.[1];
  const category =
    first(t.outcome, rec?.category, fromMessage && isCategory(fromMessage) ? fromMessage : undefined) ??
    (t.status === 'broken' ? 'test-error' : t.expected !== undefined && !isFailure(t.status) ? 'no-outcome' : 'unclassified');
  const titleWord = /^(\S+)\s/.exec(t.name)?.[1];
  const account = first(
    t.parameters.account,
    t.labels.account?.[0],
    rec?.account,
    records.find((r) => r.account)?.account,
    titleWord && ctx.accounts.has(titleWord) ? titleWord : undefined,
  );
  const cloudId = first(t.labels.cloudId?.[0], t.parameters.cloudId, rec?.cloudId);
  const siteRaw = first(t.parameters.site, cloudId ? ctx.sites.get(cloudId) : undefined, rec?.site);
  const site = siteRaw ? siteName(siteRaw) : undefined;
  let family: string | undefined;
  if (PER_ENDPOINT.has(category)) {
    const tool = t.labels.tool?.[0];
    const scope = t.parameters.scope;
    family = first(
      scope ? familyOfScope(scope) : undefined,
      tool ? familyOfTool(tool) : undefined,
      rec?.surface === 'mcp' && rec.operation ? familyOfTool(rec.operation) : undefined,
      rec?.operation ? familyOfOperation(rec.operation) : undefined,
    );
  } else if (categoryInfoOf(category)?.surface === 'mcp' && t.labels.authMode?.[0]) family = `auth ${t.labels.authMode[0]}`;
  if (RUN_WIDE.has(category)) return { category };
  return { category, account, site: ACCOUNT_WIDE.has(category) ? undefined : site, family };
}

export function causeLabel(k: CauseKey): string {
  return [k.category, k.account, k.site, k.family].filter(Boolean).join(' · ');
}

export function causeId(k: CauseKey): string {
  return `cause-${createHash('sha1')
    .update(JSON.stringify([k.category, k.account ?? '', k.site ?? '', k.family ?? '']))
    .digest('hex')
    .slice(0, 10)}`;
}

const SPECIAL: Record<string, { title: string; remediation: string }> = {
  unclassified: {
    title: 'Failed without an outcome code',
    remediation: 'The test failed without labelling what it observed. Open the test in the report; its message and evidence say why.',
  },
  'test-error': {
    title: 'Test error (broken: the harness itself threw)',
    remediation: 'The harness threw before it could classify the outcome. Open the test in the report for the stack trace.',
  },
  'no-outcome': {
    title: 'Expected an outcome, none was recorded',
    remediation: 'The test carries an `expected` label but never labelled what it observed (it stopped before the probe).',
  },
};

export function describeCategory(code: string): { title: string; remediation: string } {
  const c = categoryInfoOf(code);
  return c ? { title: c.title, remediation: c.remediation } : (SPECIAL[code] ?? { title: code, remediation: 'See the report.' });
}

/** Red cells (and only those) grouped by cause, largest first; `fixed` cells are not part of any cause. */
export function groupByCause(cells: readonly Cell[], ctx: CauseContext): Cause[] {
  const byId = new Map<string, Cause>();
  for (const cell of cells) {
    const f = cell.flags;
    if (!(f.regressed || f.newFailure || f.stillFailing || f.drift)) continue;
    const key = causeKeyOf(cell.test, ctx);
    const id = causeId(key);
    let cause = byId.get(id);
    if (!cause) {
      const d = describeCategory(key.category);
      cause = {
        id,
        key,
        label: causeLabel(key),
        title: d.title,
        remediation: d.remediation,
        cells: [],
        counts: { regressed: 0, newFailure: 0, stillFailing: 0, drift: 0 },
        drifts: [],
      };
      byId.set(id, cause);
    }
    cause.cells.push(cell);
    if (f.regressed) cause.counts.regressed++;
    if (f.newFailure) cause.counts.newFailure++;
    if (f.stillFailing) cause.counts.stillFailing++;
    if (f.drift) {
      cause.counts.drift++;
      const pair = `${cell.test.expected ?? '–'} → ${cell.test.outcome ?? '(none)'}`;
      if (!cause.drifts.includes(pair)) cause.drifts.push(pair);
    }
  }
  return [...byId.values()].sort((a, b) => b.cells.length - a.cells.length || a.label.localeCompare(b.label));
}

/** Shared prefix of `names`, ending at a separator (` › `, space, `/`) so no word is cut. */
export function commonPrefix(names: readonly string[]): string {
  if (names.length < 2) return '';
  let p = names[0]!;
  for (const n of names.slice(1)) {
    let i = 0;
    while (i < p.length && i < n.length && p[i] === n[i]) i++;
    p = p.slice(0, i);
  }
  const cut = Math.max(p.lastIndexOf(' '), p.lastIndexOf('/'));
  return cut < 0 ? '' : p.slice(0, cut + 1);
}

/**
 * Titles shortened without cutting what distinguishes them: the common prefix is dropped (returned once), and a name
 * still longer than `width` loses words from its START (the scope, site and tool are at the end of every title).
 */
export function shortenTitles(names: readonly string[], width: number): { prefix: string; short: string[] } {
  const prefix = commonPrefix(names);
  const short = names.map((n) => {
    const rest = n.slice(prefix.length);
    if (rest.length <= width) return rest;
    const tail = rest.slice(rest.length - (width - 1));
    const space = tail.indexOf(' ');
    return `…${space >= 0 && space < tail.length / 2 ? tail.slice(space) : tail}`;
  });
  return { prefix, short };
}

/** One-line status of a cause row (the reddest flag among its cells). */
export function causeStatus(c: Cause): 'REGRESSED' | 'NEW FAILURE' | 'DRIFT' | 'STILL FAILING' {
  if (c.counts.regressed) return 'REGRESSED';
  if (c.counts.newFailure) return 'NEW FAILURE';
  if (c.counts.stillFailing) return 'STILL FAILING';
  return 'DRIFT';
}

/**
 * Tests that passed only after the harness retried some of their calls (the `retried` label, one per retried call,
 * fixtures/core/evidence.ts): a night that absorbed transient failures is degraded, not clean.
 */
export function retriedPasses(tests: readonly TestSummary[]): { tests: number; calls: number } {
  const degraded = tests.filter((t) => t.status === 'passed' && (t.labels.retried?.length ?? 0) > 0);
  return { tests: degraded.length, calls: degraded.reduce((n, t) => n + (t.labels.retried?.length ?? 0), 0) };
}
