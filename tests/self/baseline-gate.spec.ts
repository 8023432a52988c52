/**
 * Self-tests of the expectations recorded from a run (scripts/baseline.ts) with the gate (scripts/gate.ts): a run on
 * a world where REST cells turned permission-denied is recorded as the baseline; a run on that world is then green
 * and a run on the default world red (DRIFT on those cells). Once end to end with real runs of the scope suite
 * (sub-runs, tests/support/subrun.ts) on the worker's private simulator with a product role removed; the rest on
 * synthetic Allure results (scripts/lib/synthetic.ts) shaped like the REST scope suite's (parameters account, site,
 * cloudId, scope; labels expected and outcome), which take milliseconds instead of a full suite.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { atomicWrite } from '../../fixtures/core/atomic.ts';
import type { Category } from '../../fixtures/core/categories.ts';
import { loadConfig, ROOT } from '../../fixtures/core/config.ts';
import { expect, test } from '../../fixtures/index.ts';
import type { ToolExpectations } from '../../fixtures/mcp/expectations.ts';
import { type Expectations, parseExpectations } from '../../fixtures/rest/expectations.ts';
import { loadCatalog } from '../../fixtures/rest/scopes.ts';
import { jsonDiff, restBaseline, runBaseline, siteKeyOf, starterExpectations, toolsBaseline } from '../../scripts/baseline.ts';
import { runGate } from '../../scripts/gate.ts';
import { readResults } from '../../scripts/lib/results.ts';
import { type SyntheticTest, writeSyntheticResults } from '../../scripts/lib/synthetic.ts';
import { digest, readSubrun, runSubrun } from '../support/subrun.ts';
import { WORLD } from '../support/world.ts';

const SEED = path.join(ROOT, 'tests', 'expectations', 'sim-app.json');
const config = loadConfig({ ...process.env, TARGET: 'sim' });
const catalog = loadCatalog();
const roles = config.accounts.map((a) => a.role);
const requested = config.app.scopes;
const load = (text: string, file = SEED) => parseExpectations(text, { file, catalog, roles, requested });

type World = (role: string, site: string | undefined, scope: string) => Category;

let tmp: string;
test.beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'baseline-selftest-'));
});
test.afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** One REST scope test per cell, as the scope suite generates them from `exp`; `world` says what the probe observed. */
function run(name: string, exp: Expectations, world: World): string {
  const tests: SyntheticTest[] = [];
  for (const role of exp.roles)
    for (const e of catalog.scopes)
      for (const site of e.siteScoped ? exp.sites : [undefined]) {
        const expected = exp.expected(role, site?.key, e.scope);
        const outcome = world(role, site?.key, e.scope);
        tests.push({
          name: `${role} gets ${expected} for ${e.scope}${site ? ` on ${site.key}` : ''}`,
          suite: 'api/scopes.spec.ts',
          status: outcome === expected ? 'passed' : 'failed',
          message: outcome === expected ? undefined : `[${outcome}] expected ${expected}`,
          expected,
          outcome,
          parameters: { account: role, site: site?.key ?? '(account-level)', cloudId: site?.cloudId ?? '-', scope: e.scope },
        });
      }
  const dir = path.join(tmp, name);
  writeSyntheticResults(dir, tests);
  return dir;
}

const seedText = readFileSync(SEED, 'utf8');
const seed = load(seedText);
const defaultWorld: World = (r, s, sc) => seed.expected(r, s, sc);
// a member cell the default world grants, turned permission-denied (a project permission removed on acme)
const cell = { role: 'member', site: 'acme', scope: 'read:jira-work' };
const mutatedWorld: World = (r, s, sc) =>
  r === cell.role && s === cell.site && sc === cell.scope ? 'permission-denied' : defaultWorld(r, s, sc);

test('a baseline recorded on a mutated world makes the gate green on that world and red on the default one', async () => {
  expect(seed.expected(cell.role, cell.site, cell.scope)).toBe('granted');
  const observed = readResults(run('mutated-old', seed, mutatedWorld)).tests;
  const file = path.join(tmp, 'my-app.json');
  const next = restBaseline({ file, previous: seedText, tests: observed, catalog, roles, requested, app: 'sim-client-3lo' });
  expect(next.accounts.member!.sites.acme!.outcomes).toEqual({ [cell.scope]: 'permission-denied' });
  expect(next.$comment).toBe(JSON.parse(seedText).$comment); // hand-written notes stay
  expect(jsonDiff(JSON.parse(seedText), next)).toEqual([`+ accounts.member.sites.acme.outcomes.${cell.scope} = "permission-denied"`]);
  atomicWrite(file, `${JSON.stringify(next, null, 2)}\n`);
  const baseline = load(readFileSync(file, 'utf8'), file);

  const green = await runGate({ resultsDir: run('mutated-new', baseline, mutatedWorld), reportsDir: path.join(tmp, 'r1') });
  expect(green.table).toContain('GATE GREEN');
  expect(green.ok).toBe(true);

  const red = await runGate({ resultsDir: run('default-new', baseline, defaultWorld), reportsDir: path.join(tmp, 'r2') });
  expect(red.ok).toBe(false);
  expect(red.rows.filter((r) => r.kind === 'DRIFT').map((r) => `${r.expected} → ${r.outcome}`)).toEqual(['permission-denied → granted']);
  expect(red.rows.find((r) => r.kind === 'DRIFT')!.test).toContain(`member gets permission-denied for ${cell.scope} on acme`);

  // and the baseline of the default world takes the entry out again
  const back = restBaseline({
    file,
    previous: readFileSync(file, 'utf8'),
    tests: readResults(run('default-again', baseline, defaultWorld)).tests,
    catalog,
    roles,
    requested,
    app: 'x',
  });
  expect(jsonDiff(JSON.parse(seedText), back)).toEqual([]);
});

test('real runs: a baseline recorded on a world without member Jira access on acme keeps the gate green there and red on the default world', async ({
  sim,
}, testInfo) => {
  test.setTimeout(300_000);
  const dir = path.join(tmp, 'real');
  const file = path.join(dir, 'my-app.json');
  mkdirSync(dir, { recursive: true });
  copyFileSync(SEED, file);
  // one token store of this test's (tokens of this simulator), and the expectations file of this test
  const env = { EXPECTATIONS_FILE: file, HARNESS_AUTH_DIR: path.join(dir, 'auth') };
  const run = async (name: string, noDeps: boolean) => {
    const reportsDir = path.join(dir, name);
    const r = await runSubrun({
      sim,
      reportsDir,
      projects: noDeps ? ['api'] : ['consent', 'api'],
      // member's scope cells on acme (and the consent setup that stores member's token the first time)
      grep: 'member gets \\S+ for \\S+ on acme$|member gets a stored token',
      accounts: ['member'],
      noDeps,
      workers: 2,
      timeoutMs: 120_000,
      extraArgs: [...(noDeps ? [] : ['tests/consent/accounts.setup.ts']), 'tests/api/scopes.spec.ts'],
      env,
    });
    await testInfo.attach(`${name} sub-run`, { body: r.output, contentType: 'text/plain' });
    expect(r.timedOut, `${name} finished in time`).toBe(false);
    return { ...r, rows: readSubrun(reportsDir), resultsDir: path.join(reportsDir, 'allure-results'), reportsDir };
  };
  const member = WORLD.emails.member;
  const acme = WORLD.sites.acme.cloudId;
  await sim.admin.patchWorld({ users: { [member]: { sites: { [acme]: { jira: 'none' } } } } });

  // the run on the mutated world fails against the shipped expectations; its baseline records the new outcomes
  const mutated = await run('mutated', false);
  const denied = [...mutated.rows.values()].filter((r) => r.outcome === 'permission-denied' && r.status === 'failed');
  expect(denied.length, digest(mutated.rows)).toBeGreaterThan(0);
  const b = runBaseline({ resultsDir: mutated.resultsDir, write: true, env: { ...process.env, TARGET: 'sim', ...env } });
  expect(b.restDiff.length, b.restDiff.join('\n')).toBe(denied.length);
  for (const line of b.restDiff) expect(line).toMatch(/^\+ accounts\.member\.sites\.acme\.outcomes\.\S+ = "permission-denied"$/);

  // the same world again: every cell as recorded, the gate green
  const again = await run('mutated-again', true);
  expect(again.code, digest(again.rows)).toBe(0);
  const green = await runGate({ resultsDir: again.resultsDir, reportsDir: path.join(dir, 'gate-green') });
  expect(green.ok, green.table).toBe(true);
  expect(green.table).toContain('GATE GREEN');

  // the default world: exactly the recorded cells drift back to granted, the gate red
  await sim.admin.patchWorld({ users: { [member]: { sites: { [acme]: { jira: 'user' } } } } });
  const back = await run('default', true);
  const red = await runGate({ resultsDir: back.resultsDir, reportsDir: path.join(dir, 'gate-red') });
  expect(red.ok, red.table).toBe(false);
  const drift = red.rows.filter((r) => r.kind === 'DRIFT');
  expect(drift.map((r) => `${r.expected} → ${r.outcome}`)).toEqual(denied.map(() => 'permission-denied → granted'));
  expect(drift.map((r) => r.test.split(' › ').pop()).sort()).toEqual(
    denied.map((r) => r.title.replace(/^member gets granted for /, 'member gets permission-denied for ')).sort(),
  );
});

test('a pinned entry is kept although the run observed something else; a site refused everywhere moves to absent', () => {
  const pinned = { ...JSON.parse(seedText), $pinned: [`member * ${cell.scope}`] };
  const observed = readResults(run('pinned', seed, mutatedWorld)).tests;
  const next = restBaseline({ file: SEED, previous: JSON.stringify(pinned), tests: observed, catalog, roles, requested, app: 'x' });
  expect(jsonDiff(pinned, next)).toEqual([]);

  const refused: World = (r, s, sc) =>
    r === 'admin' && s === 'globex' && catalog.scopes.find((e) => e.scope === sc)?.siteScoped
      ? 'site-not-authorized'
      : defaultWorld(r, s, sc);
  const moved = restBaseline({
    file: SEED,
    previous: seedText,
    tests: readResults(run('refused', seed, refused)).tests,
    catalog,
    roles,
    requested,
    app: 'x',
  });
  expect(moved.accounts.admin!.accessibleSites).toEqual({ present: ['acme'], absent: ['globex'] });
});

test('a missing expectations file is created from the run (sites, roles, outcomes)', () => {
  const observed = readResults(run('first', seed, defaultWorld)).tests;
  const created = restBaseline({ file: path.join(tmp, 'new.json'), tests: observed, catalog, roles, requested, app: 'sim-client-3lo' });
  const exp = load(JSON.stringify(created));
  expect(Object.fromEntries(exp.sites.map((s) => [s.key, s.cloudId]))).toEqual(
    Object.fromEntries(seed.sites.map((s) => [s.key, s.cloudId])),
  );
  for (const t of observed)
    expect(
      exp.expected(t.parameters.account!, t.parameters.site === '(account-level)' ? undefined : t.parameters.site, t.parameters.scope!),
    ).toBe(t.outcome);
});

test("a first run's skipped observations make the file: cloudIds as resolved, hosts from ATLASSIAN_SITES, a site no grant lists left out", () => {
  const acme = seed.site('acme');
  const cells: SyntheticTest[] = [];
  for (const e of catalog.scopes) {
    const params = (site: string, cloudId: string) => ({ account: 'member', site, cloudId, scope: e.scope });
    if (!e.siteScoped) {
      cells.push({
        name: `member probes ${e.scope}`,
        suite: 'api/scopes.spec.ts',
        status: 'skipped',
        outcome: 'granted',
        parameters: params('(account-level)', '-'),
      });
      continue;
    }
    // resolved from accessible-resources: the real cloudId; unresolved: no grant lists the site, no cloudId to write
    cells.push({
      name: `member probes ${e.scope} on acme`,
      suite: 'api/scopes.spec.ts',
      status: 'skipped',
      outcome: 'granted',
      parameters: params('acme', acme.cloudId),
    });
    cells.push({
      name: `member probes ${e.scope} on ghost`,
      suite: 'api/scopes.spec.ts',
      status: 'skipped',
      outcome: 'site-not-authorized',
      parameters: params('ghost', 'unresolved'),
    });
  }
  // a test skipped before it probed carries no outcome: not an observation
  cells.push({
    name: 'member probes read:me',
    suite: 'api/scopes.spec.ts',
    status: 'skipped',
    parameters: { account: 'member', site: '(account-level)', cloudId: '-', scope: 'read:me' },
  });
  const dir = path.join(tmp, 'first-run');
  writeSyntheticResults(dir, cells);
  const created = restBaseline({
    file: path.join(tmp, 'first.json'),
    tests: readResults(dir).tests,
    catalog,
    roles: ['member'],
    requested,
    app: 'my-app',
    siteHosts: { acme: 'acme.example-sites.net', ghost: 'ghost.atlassian.net' },
  });
  expect(created.sites).toEqual({ acme: { cloudId: acme.cloudId, url: 'https://acme.example-sites.net' } });
  expect(created.accounts.member!.accessibleSites).toEqual({ present: ['acme'], absent: [] });
  const exp = parseExpectations(JSON.stringify(created), { file: 'first.json', catalog, roles: ['member'], requested });
  for (const e of catalog.scopes)
    expect(exp.expected('member', e.siteScoped ? 'acme' : undefined, e.scope)).not.toBe('site-not-authorized');
});

test('tools: a passing tool is listed, a failing one becomes a known failure, one no longer listed leaves the list', () => {
  const prev = JSON.parse(readFileSync(path.join(ROOT, 'tests', 'expectations', 'tools-sim.json'), 'utf8')) as ToolExpectations;
  const id = 'member-api-token-v1';
  const dir = path.join(tmp, 'tools');
  const t = (tool: string, status: 'passed' | 'failed', message?: string): SyntheticTest => ({
    name: `${tool} answers with real arguments and its output passes the checks`,
    suite: 'mcp/tools-call.spec.ts › v1 · api-token',
    status,
    message,
    labels: { tool, account: 'member', authMode: 'api-token' },
  });
  writeSyntheticResults(dir, [
    t('getJiraIssue', 'failed', '[mcp-tool-error] Tool returned an error'),
    t('fetch', 'failed', '[scope-filtered] fetch is expected (profile member-api-token-v1) but v1 does not list it for member'),
    t('search', 'passed'),
  ]);
  const next = toolsBaseline(prev, readResults(dir).tests, 'sim');
  expect(next.profiles[id]!.knownFailures.getJiraIssue).toBe('mcp-tool-error');
  expect(next.profiles[id]!.listed).not.toContain('fetch');
  expect(jsonDiff(prev, next).sort()).toEqual(
    [
      `+ profiles.${id}.knownFailures.getJiraIssue = "mcp-tool-error"`,
      expect.stringMatching(new RegExp(`^~ profiles\\.${id}\\.listed: `)),
    ].sort(),
  );
  expect(next.$comment).toBe(prev.$comment);
});

test('--init: a starter file from the configured sites and roles loads and predicts the defaults', async () => {
  const starter = await starterExpectations(
    { app: 'sim-client-3lo', roles, sites: ['acme-sim.atlassian.net', 'globex-sim.atlassian.net'] },
    async (host) => (host.startsWith('acme') ? seed.site('acme').cloudId : seed.site('globex').cloudId),
  );
  const exp = load(JSON.stringify(starter));
  expect(exp.sites.map((s) => `${s.key} ${s.url}`)).toEqual([
    'acme-sim https://acme-sim.atlassian.net',
    'globex-sim https://globex-sim.atlassian.net',
  ]);
  expect(exp.expected('member', 'acme-sim', cell.scope)).toBe('granted');
  expect(siteKeyOf('My_Site.atlassian.net')).toBe('my-site');
});
