/**
 * `npm run expectations [-- --write] [--results <allure-results dir>]`: the expectations recorded from a run. Reads
 * the run's Allure results (scripts/lib/results.ts) and works out what each file should say so that the observed
 * outcomes are the expected ones:
 *
 *  - EXPECTATIONS_FILE (fixtures/rest/expectations.ts): one REST scope test per (role, site, scope) carries the
 *    parameters account, site, cloudId, scope and the `outcome` label. An outcome the file does not predict becomes an
 *    explicit `outcomes` entry (site level, or account level for account-level scopes); `site-not-authorized` moves
 *    the site to the role's `accessibleSites.absent` (and back). A missing file is created (sites from the results).
 *  - tests/expectations/tools-<target>.json (fixtures/mcp/expectations.ts): each tools-call test (`<endpoint> · <auth>`
 *    describe, labels tool, account, authMode): a passing tool is listed and loses its known failure, a failing one
 *    gets `knownFailures[tool] = category`, one the server no longer lists (scope-filtered "does not list it") leaves
 *    `listed`. Profiles the run did not exercise are kept as they are.
 *
 * Kept: hand-written `$comment`s, and REST entries named in `$pinned` (`"member * manage:jira-configuration"`: role,
 * site key or `*`, scope). `--init` writes a first file from the configuration before any run (starterExpectations).
 * Without `--write` only the diff against the current file is printed (exit 0); with it the
 * files are written atomically (fixtures/core/atomic.ts). Exit 2: no results, or a file that does not parse.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { atomicWrite } from '../fixtures/core/atomic.ts';
import { type Category, isCategory } from '../fixtures/core/categories.ts';
import { ConfigError, loadConfig, ROOT } from '../fixtures/core/config.ts';
import { type ToolExpectations, toolExpectationsFile } from '../fixtures/mcp/expectations.ts';
import { type ExpectationsFile, parseExpectations, siteKeyOfHost, siteKeysOf, starterFile } from '../fixtures/rest/expectations.ts';
import { type Catalog, catalogEntry, loadCatalog } from '../fixtures/rest/scopes.ts';
import { reportsDirFromEnv } from './lib/paths.ts';
import { ResultsDirError, readResults, type TestSummary } from './lib/results.ts';

export interface RestBaselineInput {
  file: string;
  /** the current file's text, undefined when it does not exist yet */
  previous?: string;
  tests: readonly TestSummary[];
  catalog: Catalog;
  roles: readonly string[];
  requested: readonly string[];
  app: string;
  /** site key → host name of the configured sites (ATLASSIAN_SITES, `siteKeysOf`): the URL of a site the file gains */
  siteHosts?: Record<string, string>;
}

interface Observation {
  role: string;
  /** cloudId undefined: the run could not resolve it (a first run's site that no grant lists) */
  site?: { key: string; cloudId?: string };
  scope: string;
  outcome: Category;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The REST scope cells a run observed: every test with account and scope parameters and an `outcome` label. A skipped
 * test counts when it carries an outcome (a first run's comparisons skip after the probe, NO_EXPECTATIONS_YET); one
 * skipped before it probed has none and is left out, as is a cell on a stand-in cloudId (the sites suite's random one).
 */
export function restObservations(tests: readonly TestSummary[]): Observation[] {
  const out: Observation[] = [];
  for (const t of tests) {
    const { account, scope, site, cloudId } = t.parameters;
    if (!account || !scope || !t.outcome || !isCategory(t.outcome)) continue;
    const siteScoped = site !== undefined && site !== '(account-level)';
    out.push({
      role: account,
      scope,
      outcome: t.outcome,
      site: siteScoped ? { key: site, cloudId: cloudId && UUID.test(cloudId) ? cloudId : undefined } : undefined,
    });
  }
  return out;
}

function pinnedMatch(pins: readonly string[], role: string, site: string | undefined, scope: string): boolean {
  return pins.some((p) => {
    const [r, s, sc] = p.trim().split(/\s+/);
    return r === role && (s === '*' || s === (site ?? '-')) && sc === scope;
  });
}

/** The new expectations JSON for the REST file. Throws ExpectationsError when the result would not load. */
export function restBaseline(input: RestBaselineInput): ExpectationsFile {
  const obs = restObservations(input.tests);
  const raw: ExpectationsFile = input.previous
    ? (JSON.parse(input.previous) as ExpectationsFile)
    : {
        $comment: 'Recorded from a run by `npm run expectations -- --write` (scripts/baseline.ts). Schema: fixtures/rest/expectations.ts.',
        version: 1,
        app: input.app,
        sites: {},
        defaults: { granted: 'requested', absent: 'unrequested' },
        outcomes: {},
        accounts: {},
      };
  raw.sites ??= {};
  raw.outcomes ??= {};
  raw.accounts ??= {};
  const pins = raw.$pinned ?? [];
  for (const o of obs) {
    if (o.site?.cloudId && !raw.sites[o.site.key]) {
      const host = input.siteHosts?.[o.site.key] ?? `${o.site.key}.atlassian.net`;
      raw.sites[o.site.key] = { cloudId: o.site.cloudId, url: `https://${host}` };
    }
  }
  const siteKeys = Object.keys(raw.sites);
  // a cell on a site the file does not know (no grant listed it, so no cloudId) cannot be written
  obs.splice(0, obs.length, ...obs.filter((o) => !o.site || raw.sites[o.site.key]));
  for (const role of new Set([...input.roles, ...obs.map((o) => o.role)])) {
    raw.accounts[role] ??= { accessibleSites: { present: [], absent: [...siteKeys] }, sites: {} };
    const a = raw.accounts[role];
    a.sites ??= {};
    a.accessibleSites.absent ??= [];
    for (const k of siteKeys)
      if (!a.accessibleSites.present.includes(k) && !a.accessibleSites.absent.includes(k)) a.accessibleSites.absent.push(k);
  }
  // site access first: a site a role reached is present, one it was refused on everywhere is absent
  for (const role of Object.keys(raw.accounts)) {
    const a = raw.accounts[role]!;
    for (const k of siteKeys) {
      const mine = obs.filter((o) => o.role === role && o.site?.key === k && catalogEntry(input.catalog, o.scope)?.siteScoped);
      if (!mine.length || pins.some((p) => p.startsWith(`${role} ${k} `))) continue;
      const refused = mine.every((o) => o.outcome === 'site-not-authorized');
      const set = (list: 'present' | 'absent', on: boolean) => {
        const l = a.accessibleSites[list];
        const i = l.indexOf(k);
        if (on && i < 0) l.push(k);
        if (!on && i >= 0) l.splice(i, 1);
      };
      set('present', !refused);
      set('absent', refused);
    }
  }
  // then each cell: an explicit outcome where the file's rules predict something else, none where they agree
  const load = () =>
    parseExpectations(JSON.stringify(raw), { file: input.file, catalog: input.catalog, roles: input.roles, requested: input.requested });
  let exp = load();
  for (const o of obs) {
    if (o.outcome === 'site-not-authorized' || o.outcome === 'not-probeable') continue;
    if (!raw.accounts[o.role] || pinnedMatch(pins, o.role, o.site?.key, o.scope)) continue;
    if (exp.expected(o.role, o.site?.key, o.scope) === o.outcome) continue;
    const a = raw.accounts[o.role]!;
    if (o.site && !a.sites[o.site.key]) a.sites[o.site.key] = {};
    const level = o.site ? a.sites[o.site.key]! : a;
    level.outcomes = { ...level.outcomes, [o.scope]: o.outcome };
    exp = load();
  }
  // explicit outcomes that now say what the rules would say anyway are dropped (unless pinned)
  for (const [role, a] of Object.entries(raw.accounts)) {
    for (const [k, s] of Object.entries(a.sites)) {
      for (const [scope, cat] of Object.entries(s.outcomes ?? {})) {
        if (pinnedMatch(pins, role, k, scope)) continue;
        const without = { ...s.outcomes };
        delete without[scope];
        const saved = s.outcomes;
        s.outcomes = without;
        if (load().expected(role, k, scope) !== cat) s.outcomes = saved;
      }
      if (s.outcomes && !Object.keys(s.outcomes).length) delete s.outcomes;
      if (!Object.keys(s).length) delete a.sites[k];
    }
  }
  load();
  return raw;
}

/** The sweep summary the MCP fixture attaches (`mcp sweep <endpoint> <auth>`, fixtures/mcp/fixture.ts). */
interface SweepSummary {
  endpoint: 'v1' | 'authv2' | 'v2';
  auth: string;
  account: string;
  listed: string[];
  discovered: string[];
  problems?: string[];
  items: Array<{ operation: string; status: 'passed' | 'failed' | 'known-failure' | 'not-exercised'; category?: string }>;
}

function readJsonAttachment(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function profileIdFor(out: ToolExpectations, endpoint: string, auth: string, account: string | undefined): string {
  const found = Object.keys(out.profiles).find((k) => {
    const p = out.profiles[k]!;
    return p.endpoint === endpoint && p.auth === auth && (auth === 'service-key' || !account || p.account === account);
  });
  if (found) return found;
  const id = `${account ?? 'any'}-${auth}-${endpoint}`;
  out.profiles[id] = { account: account ?? 'any', auth: auth as never, endpoint: endpoint as never, listed: [], knownFailures: {} };
  return id;
}

/**
 * What the run's sweeps and discovery chains saw, applied to `out`: per sweep (endpoint, auth mode, account) the
 * operations tools/list and discover returned, and each called operation's result (a failure becomes a known
 * failure with its category, a pass clears one); per endpoint the discovery findings. These summaries are attached
 * whether or not the test then compared anything, so a first run without a tools file is recorded too.
 */
function applySweeps(out: ToolExpectations, tests: readonly TestSummary[]): void {
  for (const t of [...tests].sort((a, b) => (a.start ?? 0) - (b.start ?? 0))) {
    for (const a of t.attachments) {
      if (a.name.startsWith('mcp discovery ')) {
        const endpoint = a.name.slice('mcp discovery '.length).trim() as keyof ToolExpectations['discovery'];
        const r = readJsonAttachment(a.file) as { findings?: Array<{ id?: unknown }> } | undefined;
        if (!['v1', 'authv2', 'v2'].includes(endpoint) || !Array.isArray(r?.findings)) continue;
        out.discovery[endpoint] = [...new Set(r.findings.map((f) => String(f.id)))].sort();
      }
      if (!a.name.startsWith('mcp sweep ')) continue;
      const r = readJsonAttachment(a.file) as SweepSummary | undefined;
      if (!r || !Array.isArray(r.listed) || !Array.isArray(r.items) || r.problems?.length) continue;
      const p = out.profiles[profileIdFor(out, r.endpoint, r.auth, r.account)]!;
      p.listed = [...new Set(r.listed)].sort();
      if (r.discovered?.length || p.discovered) p.discovered = [...new Set(r.discovered ?? [])].sort();
      const kf: Record<string, string> = { ...(p.knownFailures ?? {}) };
      const live = new Set([...p.listed, ...(p.discovered ?? [])]);
      for (const k of Object.keys(kf)) if (k !== '*' && !live.has(k)) delete kf[k];
      for (const i of r.items) {
        if (i.status === 'passed') delete kf[i.operation];
        else if ((i.status === 'failed' || i.status === 'known-failure') && i.category && isCategory(i.category))
          kf[i.operation] = i.category;
      }
      p.knownFailures = kf as typeof p.knownFailures;
    }
  }
}

/** The new tools expectations: the previous file with what the run's sweeps and each exercised tool observed applied. */
export function toolsBaseline(
  previous: ToolExpectations | undefined,
  tests: readonly TestSummary[],
  target: 'sim' | 'atlassian',
): ToolExpectations {
  const out: ToolExpectations = previous
    ? structuredClone(previous)
    : {
        $comment: `Tool expectations for TARGET=${target}, recorded from a run by \`npm run expectations -- --write\` (scripts/baseline.ts). Schema: fixtures/mcp/expectations.ts.`,
        target,
        discovery: { v1: [], authv2: [], v2: [] },
        profiles: {},
      };
  applySweeps(out, tests);
  for (const t of tests) {
    const tool = t.labels.tool?.[0];
    const auth = t.labels.authMode?.[0];
    const account = t.labels.account?.[0];
    const endpoint = /(?:^|› )(v1|authv2|v2) · /.exec(t.fullName)?.[1];
    if (!tool || !auth || !endpoint || t.status === 'skipped') continue;
    const p = out.profiles[profileIdFor(out, endpoint, auth, account)]!;
    p.knownFailures ??= {};
    const category = t.outcome ?? /^\[([a-z0-9-]+)\]/.exec(t.message ?? '')?.[1];
    const unlisted = category === 'scope-filtered' && /does not list it/.test(t.message ?? '');
    const listed = new Set(p.listed);
    // on v2 an operation `discover` returns is tested like a listed tool but stays in `discovered`
    const discovered = new Set(p.discovered ?? []);
    if (unlisted) {
      listed.delete(tool);
      discovered.delete(tool);
      delete p.knownFailures[tool];
    } else {
      if (!discovered.has(tool)) listed.add(tool);
      if (t.status === 'passed' && !t.outcome) delete p.knownFailures[tool];
      else if (category && isCategory(category) && category !== 'granted') p.knownFailures[tool] = category;
      else if (t.status === 'passed') delete p.knownFailures[tool];
    }
    p.listed = [...listed].sort();
    if (p.discovered) p.discovered = [...discovered].sort();
  }
  for (const p of Object.values(out.profiles))
    if (p.knownFailures && !Object.keys(p.knownFailures).length) delete (p as Partial<typeof p>).knownFailures;
  return out;
}

/** Leaf paths of a JSON value (`accounts.member.outcomes.read:me`), arrays as one leaf. */
function flatten(v: unknown, at = '', out = new Map<string, string>()): Map<string, string> {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(x, at ? `${at}.${k}` : k, out);
  } else out.set(at, JSON.stringify(v));
  return out;
}

/** `+ path = value`, `- path = value`, `~ path: old → new`, one line each, sorted by path. */
export function jsonDiff(before: unknown, after: unknown): string[] {
  const a = flatten(before ?? {});
  const b = flatten(after ?? {});
  const lines: string[] = [];
  for (const k of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    if (!b.has(k)) lines.push(`- ${k} = ${a.get(k)}`);
    else if (!a.has(k)) lines.push(`+ ${k} = ${b.get(k)}`);
    else if (a.get(k) !== b.get(k)) lines.push(`~ ${k}: ${a.get(k)} → ${b.get(k)}`);
  }
  return lines;
}

/** A site key from a host name: `acme.atlassian.net` → `acme` (the schema's short-name form). */
export const siteKeyOf = siteKeyOfHost;

/**
 * A first expectations file from the configuration alone (`--init`): the ATLASSIAN_SITES sites with the cloudId each
 * site publishes without authentication at `https://<site>/_edge/tenant_info` (docs/reference/atlassian-oauth.md,
 * cloudId), every configured role on every site, and the defaults (requested scopes granted, the rest absent). The
 * first run compares against it; `--write` after that run records what was really observed.
 */
export async function starterExpectations(
  opts: { app: string; roles: readonly string[]; sites: readonly string[] },
  resolveCloudId: (host: string) => Promise<string> = tenantInfoCloudId,
): Promise<ExpectationsFile> {
  const sites: ExpectationsFile['sites'] = {};
  for (const host of opts.sites) sites[siteKeyOf(host)] = { cloudId: await resolveCloudId(host), url: `https://${host}` };
  return {
    $comment:
      'Starter written by `npm run expectations -- --init` (scripts/baseline.ts): every role on every site, requested scopes granted. Run the main job, then `npm run expectations -- --write` to record what was observed. Schema: fixtures/rest/expectations.ts.',
    ...starterFile(opts.app, sites, opts.roles),
  };
}

async function tenantInfoCloudId(host: string): Promise<string> {
  const res = await fetch(`https://${host}/_edge/tenant_info`, { signal: AbortSignal.timeout(15_000) });
  const body = (await res.json().catch(() => ({}))) as { cloudId?: unknown };
  if (!res.ok || typeof body.cloudId !== 'string')
    throw new Error(`https://${host}/_edge/tenant_info answered ${res.status} without a cloudId. Fix: check the host in ATLASSIAN_SITES.`);
  return body.cloudId;
}

export interface BaselineRun {
  restFile: string;
  toolsFile: string;
  restDiff: string[];
  toolsDiff: string[];
  written: boolean;
}

/** Work out both files from a results folder; write them when `write`. */
export function runBaseline(opts: { resultsDir: string; write: boolean; env?: NodeJS.ProcessEnv }): BaselineRun {
  const config = loadConfig(opts.env);
  const { tests } = readResults(opts.resultsDir);
  if (!tests.length) throw new ResultsDirError(opts.resultsDir, 'holds no test results');
  if (!config.expectationsFile)
    throw new Error('EXPECTATIONS_FILE is not set. Fix: set it in .env to the file to create (see .env.example).');
  const restFile = path.resolve(ROOT, config.expectationsFile);
  const previous = existsSync(restFile) ? readFileSync(restFile, 'utf8') : undefined;
  const rest = restBaseline({
    file: restFile,
    previous,
    tests,
    catalog: loadCatalog(),
    roles: config.accounts.map((a) => a.role),
    requested: config.app.scopes,
    app: config.app.clientId,
    siteHosts: siteKeysOf([...(config.sites ?? []), ...config.accounts.flatMap((a) => (a.site ? [a.site] : []))]),
  });
  const toolsFile = toolExpectationsFile(config.target, opts.env);
  const prevTools = existsSync(toolsFile) ? (JSON.parse(readFileSync(toolsFile, 'utf8')) as ToolExpectations) : undefined;
  const tools = toolsBaseline(prevTools, tests, config.target);
  const restDiff = jsonDiff(previous ? JSON.parse(previous) : undefined, rest);
  const toolsDiff = jsonDiff(prevTools, tools);
  if (opts.write) {
    if (restDiff.length || !previous) atomicWrite(restFile, `${JSON.stringify(rest, null, 2)}\n`);
    const sawTools = tests.some((t) => t.labels.tool?.length || t.attachments.some((a) => a.name.startsWith('mcp sweep ')));
    if (toolsDiff.length && sawTools) atomicWrite(toolsFile, `${JSON.stringify(tools, null, 2)}\n`);
  }
  return { restFile, toolsFile, restDiff, toolsDiff, written: opts.write };
}

async function init(): Promise<number> {
  const config = loadConfig();
  if (!config.expectationsFile)
    throw new Error('EXPECTATIONS_FILE is not set. Fix: set it in .env to the file to create (see .env.example).');
  if (!config.sites?.length)
    throw new Error('ATLASSIAN_SITES is not set. Fix: list your site host names (e.g. acme.atlassian.net) in .env.');
  const file = path.resolve(ROOT, config.expectationsFile);
  if (existsSync(file)) throw new Error(`${path.relative(ROOT, file)} exists already. Fix: use --write to update it from a run.`);
  const starter = await starterExpectations({ app: config.app.clientId, roles: config.accounts.map((a) => a.role), sites: config.sites });
  parseExpectations(JSON.stringify(starter), {
    file,
    catalog: loadCatalog(),
    roles: config.accounts.map((a) => a.role),
    requested: config.app.scopes,
  });
  atomicWrite(file, `${JSON.stringify(starter, null, 2)}\n`);
  console.log(
    `expectations: wrote the starter ${path.relative(ROOT, file)} (${Object.keys(starter.sites).length} site(s), ${config.accounts.length} role(s)).`,
  );
  return 0;
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--init')) {
    try {
      return await init();
    } catch (e) {
      console.error(`expectations: ${(e as Error).message}`);
      return 2;
    }
  }
  const i = argv.indexOf('--results');
  const resultsDir = path.resolve(i >= 0 && argv[i + 1] ? argv[i + 1]! : path.join(reportsDirFromEnv(), 'allure-results'));
  try {
    const r = runBaseline({ resultsDir, write: argv.includes('--write') });
    for (const [file, diff] of [
      [r.restFile, r.restDiff],
      [r.toolsFile, r.toolsDiff],
    ] as const) {
      const shown = path.relative(ROOT, file);
      console.log(diff.length ? `${shown}: ${diff.length} change(s)\n${diff.map((l) => `  ${l}`).join('\n')}` : `${shown}: no change`);
    }
    console.log(r.written ? 'expectations: written.' : 'expectations: dry run (add --write to write the files).');
    return 0;
  } catch (e) {
    if (e instanceof ConfigError || e instanceof ResultsDirError || e instanceof Error) {
      console.error(`expectations: ${(e as Error).message}`);
      return 2;
    }
    throw e;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main(process.argv.slice(2)).then((c) => process.exit(c));
