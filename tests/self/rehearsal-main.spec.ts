/**
 * A team's adoption of the harness on its real site, rehearsed offline (REHEARSAL=1, TARGET=atlassian;
 * fixtures/core/rehearsal.ts): the real host names (https://auth.atlassian.com, api., mcp.) resolved to a TLS
 * simulator this test owns, the simulator's app and accounts configured as a team's `.env` would hold them, and
 * EXPECTATIONS_FILE pointing at a file that does not exist yet (in a temp folder, where the tools file goes too).
 *
 *  1. run 1 (consent, api, mcp as Playwright sub-runs, tests/support/subrun.ts): every comparison skips with
 *     "no expectations yet: run `npm run expectations -- --write`", everything observed is recorded;
 *  2. `npm run expectations -- --write` (scripts/baseline.ts) writes EXPECTATIONS_FILE and tools-atlassian.json and
 *     prints the diff; a hand-written note and a pinned entry are added to the file, as a team would;
 *  3. run 2 compares and is green, and the gate (scripts/gate.ts) on its results is GATE GREEN; a second `--write`
 *     changes nothing and keeps the note and the pin.
 *
 * The sub-runs get the simulator's admin API and canary but dead plain-HTTP URLs, so a client that bypassed the real
 * host names (or the pinned dispatcher) would fail instead of reaching the simulator another way. Also asserted:
 * every REST and MCP evidence record names a real host URL, site calls go through /ex/jira/<the site's cloudId>
 * (found at run time from accessible-resources, then read from the written file), both /v1/mcp and /v2/mcp were
 * called, the shape recording (fixtures/core/shape.ts) holds both surfaces, and the simulator's request log has
 * successful calls on each of the four hosts. A fault rule makes the simulator's Confluence spaces answer differ from
 * the published schema in both runs: the warn-only schema check names endpoint and field on the test's evidence, the
 * run's summary line counts it, and the tests still pass.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { ROOT } from '../../fixtures/core/config.ts';
import { EVIDENCE_PREFIX, type EvidenceRecord } from '../../fixtures/core/evidence.ts';
import { startRehearsal } from '../../fixtures/core/rehearsal.ts';
import { expect, test } from '../../fixtures/index.ts';
import { NO_EXPECTATIONS_YET } from '../../fixtures/rest/expectations.ts';
import { describeWarning, schemaWarningLine, schemaWarningsOf } from '../../fixtures/rest/schema-check.ts';
import { runGate } from '../../scripts/gate.ts';
import { digest, readSubrun, runSubrun, type SubrunTest } from '../support/subrun.ts';

/** nothing listens on port 9 (discard): the plain listeners' URLs are not handed to the sub-run */
const DEAD = 'http://127.0.0.1:9';

const CANARY = 'SIMCANARY-schema-value-4k7m';
const SITES = ['acme-sim.atlassian.net', 'globex-sim.atlassian.net'];

/** the comparing suites (both runs) */
const COMPARING = [
  'tests/consent/accounts.setup.ts',
  'tests/api/scopes.spec.ts',
  'tests/api/sites.spec.ts',
  'tests/mcp/tools-call.spec.ts',
  'tests/mcp/tools-list.spec.ts',
  'tests/mcp/discovery.spec.ts',
];
/** run 1 only: the MCP session and the MCP OAuth 2.1 flow in the `page` browser (mcp.atlassian.com → auth.atlassian.com) */
const FIRST_ONLY = ['tests/mcp/initialize.spec.ts', 'tests/mcp/oauth-flow.spec.ts'];

/**
 * Left out of both runs to keep them short: the browser OAuth flow on authv2 and v2 (v1's runs; the API-token sweeps
 * cover /v2/mcp) and the sweeps with the simulator-only credentials (a team's real site has API tokens).
 */
const LEFT_OUT = ' (authv2|v2): MCP OAuth| · (service-key|api-token-unscoped)( |$)';

function evidenceOf(rows: Map<string, SubrunTest>): EvidenceRecord[] {
  const out: EvidenceRecord[] = [];
  for (const r of rows.values())
    for (const a of r.summary.attachments)
      if (a.name.startsWith(EVIDENCE_PREFIX)) out.push(JSON.parse(readFileSync(a.file, 'utf8')) as EvidenceRecord);
  return out;
}

test('a first real-target run records, `expectations --write` writes both files, and the second run compares and is green, all on the real host names', async ({}, testInfo) => {
  // about 3 minutes on an idle 2-core machine; the sub-runs' own limits (240 s each) end a hung one first
  test.setTimeout(600_000);
  const rehearsal = await startRehearsal();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'rehearsal-main-'));
  try {
    const restFile = path.join(tmp, 'expectations', 'my-app.json');
    const toolsFile = path.join(tmp, 'expectations', 'tools-atlassian.json');
    const emptyEnvFile = path.join(tmp, '.env');
    writeFileSync(emptyEnvFile, '');
    const env: Record<string, string> = {
      // TARGET=atlassian does not read .env.sim: the simulator's app and accounts, as a team's .env would hold them
      ...parseDotenv(readFileSync(path.join(ROOT, '.env.sim'))),
      HARNESS_ENV_FILE: emptyEnvFile,
      TARGET: 'atlassian',
      REHEARSAL: '1',
      ATLASSIAN_SITES: SITES.join(','),
      MCP_ENDPOINT: 'v1,v2',
      EXPECTATIONS_FILE: restFile,
      // global setup starts no TLS simulator of its own: this one, with a token store of this test (kept across runs)
      HARNESS_REHEARSAL: JSON.stringify({ ...rehearsal.wire, authDir: path.join(tmp, 'auth') }),
      // recording (scripts/record.ts) on, as `npm run record` turns it on for a real run
      HARNESS_RECORD_DIR: path.join(tmp, 'record'),
    };
    const sub = async (name: string, files: string[]) => {
      const reportsDir = path.join(tmp, name);
      const run = await runSubrun({
        sim: { urls: { ...rehearsal.sim.urls, auth: DEAD, id: DEAD, api: DEAD, mcp: DEAD } },
        reportsDir,
        projects: ['consent', 'api', 'mcp'],
        accounts: ['member'],
        workers: 2,
        timeoutMs: 240_000,
        extraArgs: [...files, '--grep-invert', LEFT_OUT],
        env,
      });
      await testInfo.attach(`${name} sub-run`, { body: run.output, contentType: 'text/plain' });
      testInfo.annotations.push({ type: name, description: `${Math.round(run.durationMs / 1000)} s` });
      const rows = readSubrun(reportsDir);
      expect(run.timedOut, `${name} finished within 240 s`).toBe(false);
      expect(run.code, `${name}\n${digest(rows)}\n${run.output.slice(-3000)}`).toBe(0);
      expect(
        [...rows.values()].filter((r) => r.status !== 'passed' && r.status !== 'skipped').map((r) => r.title),
        digest(rows),
      ).toEqual([]);
      return { rows, resultsDir: path.join(reportsDir, 'allure-results'), reportsDir };
    };

    // a real answer that differs from the published schema (Confluence v2 spaces: `id` a number, not a string): the
    // warn-only schema check (fixtures/rest/schema-check.ts) names endpoint and field, and the probe still passes
    await rehearsal.sim.admin.setFaults({
      rules: [
        {
          role: 'api',
          method: 'GET',
          pathRegex: '/wiki/api/v2/spaces$',
          status: 200,
          body: { results: [{ id: 65537, key: 'DEMO', name: CANARY, type: 'global', status: 'current' }], _links: {} },
        },
      ],
    });

    // ── run 1: nothing to compare with; every comparison skips with the reason, what was observed is labelled
    const first = await sub('run 1', [...COMPARING, ...FIRST_ONLY]);
    const all1 = [...first.rows.values()];
    const cells1 = all1.filter((r) => r.title.startsWith('member probes '));
    expect(cells1.length, digest(first.rows)).toBeGreaterThan(20);
    for (const r of cells1) {
      expect(r.status, r.title).toBe('skipped');
      expect(r.message, r.title).toContain(NO_EXPECTATIONS_YET);
      expect(r.outcome, `${r.title}: the observation is labelled`).toBeTruthy();
      expect(r.expected, `${r.title}: a first run expects nothing`).toBeUndefined();
    }
    const skippedFor = (pattern: RegExp) => all1.filter((r) => pattern.test(r.title) && r.status === 'skipped');
    expect(skippedFor(/accessible-resources lists exactly the expected sites/).length).toBe(1);
    expect(skippedFor(/tools\/list matches the expected tool set/).length).toBe(1);
    for (const title of [
      /\/me identifies member as the configured account/,
      /member is refused on an unknown cloudId/,
      /initialize returns a session id/,
      /v1: MCP OAuth 2\.1 client/,
      /member gets a stored token/,
    ])
      expect(
        all1.some((r) => title.test(r.title) && r.status === 'passed'),
        `${title} passed\n${digest(first.rows)}`,
      ).toBe(true);

    // ── `npm run expectations -- --write`: both files from run 1, the diff printed
    const write = (label: string) => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/baseline.ts', '--write', '--results', label], {
        cwd: ROOT,
        env: { ...process.env, ...env },
        encoding: 'utf8',
        timeout: 60_000,
      });
      return { code: r.status, out: `${r.stdout}${r.stderr}` };
    };
    const w1 = write(first.resultsDir);
    await testInfo.attach('expectations --write after run 1', { body: w1.out, contentType: 'text/plain' });
    expect(w1.code, w1.out).toBe(0);
    expect(w1.out).toMatch(/my-app\.json: \d+ change\(s\)/);
    expect(w1.out).toMatch(/tools-atlassian\.json: \d+ change\(s\)/);
    expect(w1.out).toMatch(/\+ sites\.acme-sim\.cloudId = "[0-9a-f-]{36}"/);
    expect(w1.out).toContain('expectations: written.');
    const rest = JSON.parse(readFileSync(restFile, 'utf8')) as {
      $comment?: string;
      $pinned?: string[];
      sites: Record<string, { cloudId: string; url: string }>;
      accounts: Record<string, unknown>;
    };
    // the cloudIds are the ones accessible-resources gave at run time, with the configured host names
    expect(Object.fromEntries(Object.entries(rest.sites).map(([k, s]) => [k, s.url]))).toEqual({
      'acme-sim': 'https://acme-sim.atlassian.net',
      'globex-sim': 'https://globex-sim.atlassian.net',
    });
    const tools = JSON.parse(readFileSync(toolsFile, 'utf8')) as {
      target: string;
      discovery: Record<string, string[]>;
      profiles: Record<string, { endpoint: string; auth: string; listed: string[]; discovered?: string[] }>;
    };
    expect(tools.target).toBe('atlassian');
    const profiles = Object.values(tools.profiles);
    expect(profiles.find((p) => p.endpoint === 'v1' && p.auth === 'api-token')?.listed.length ?? 0).toBeGreaterThan(10);
    expect(profiles.find((p) => p.endpoint === 'v2' && p.auth === 'api-token')?.discovered?.length ?? 0).toBeGreaterThan(10);
    expect(tools.discovery.v1?.length ?? 0, 'v1 discovery findings recorded').toBeGreaterThan(0);
    // what a team adds by hand: a note and a pinned entry (kept by every later --write)
    rest.$comment = 'Hand-written: our member role is a plain Jira user.';
    rest.$pinned = ['member * read:jira-work'];
    writeFileSync(restFile, `${JSON.stringify(rest, null, 2)}\n`);

    // ── run 2: the files exist, every comparison runs and passes
    const second = await sub('run 2', COMPARING);
    const all2 = [...second.rows.values()];
    const cells2 = all2.filter((r) => /^member gets \S+ for /.test(r.title));
    expect(cells2.length, digest(second.rows)).toBe(cells1.length);
    expect(all2.filter((r) => r.title.startsWith('member probes ')).map((r) => r.title)).toEqual([]);
    for (const r of cells2) {
      expect(r.expected, r.title).toBeTruthy();
      if (r.expected === 'not-probeable') expect(r.status, r.title).toBe('skipped');
      else expect(r.status, `${r.title}: ${r.message ?? ''}`).toBe('passed');
    }
    expect(all2.filter((r) => r.message?.includes(NO_EXPECTATIONS_YET)).map((r) => r.title)).toEqual([]);
    for (const title of [
      /accessible-resources lists exactly the expected sites/,
      /tools\/list matches the expected tool set/,
      /v1 discovery chain reports only the known findings/,
      /v2 discovery chain reports only the known findings/,
    ])
      expect(
        all2.some((r) => title.test(r.title) && r.status === 'passed'),
        `${title} passed\n${digest(second.rows)}`,
      ).toBe(true);
    const perTool = all2.filter((r) => / answers with real arguments and its output passes the checks$/.test(r.title));
    expect(perTool.filter((r) => r.status === 'passed').length, digest(second.rows)).toBeGreaterThan(10);
    // the schema warning: on the spaces cells' evidence, endpoint and field path, never the value; the run is green
    for (const site of ['acme-sim', 'globex-sim']) {
      const cell = second.rows.get(`member gets granted for read:space:confluence on ${site}`);
      expect(cell?.status, digest(second.rows)).toBe('passed');
      const warnings = schemaWarningsOf([cell!.summary]);
      expect(warnings.map(describeWarning)).toContain('GET /wiki/api/v2/spaces: results.0.id expected string, received number');
      expect(JSON.stringify(warnings)).not.toContain(CANARY);
    }
    const line = schemaWarningLine(all2.map((r) => r.summary));
    await testInfo.attach('schema warnings of run 2', { body: line ?? '(none)', contentType: 'text/plain' });
    expect(line).toMatch(/^schema warnings: \d+ fields? on \d+ endpoints? /);
    const gate = await runGate({ resultsDir: second.resultsDir, reportsDir: path.join(tmp, 'gate') });
    await testInfo.attach('gate after run 2', { body: gate.table, contentType: 'text/plain' });
    expect(gate.table).toContain('GATE GREEN');
    expect(gate.ok).toBe(true);

    // a second --write: nothing changed, the note and the pin stay
    const w2 = write(second.resultsDir);
    expect(w2.code, w2.out).toBe(0);
    expect(w2.out).toMatch(/my-app\.json: no change/);
    expect(w2.out).toMatch(/tools-atlassian\.json: no change/);
    const after = JSON.parse(readFileSync(restFile, 'utf8')) as typeof rest;
    expect(after.$comment).toBe(rest.$comment);
    expect(after.$pinned).toEqual(rest.$pinned);

    // ── every call on the real host names: REST on api.atlassian.com with cloudId routing, MCP on both endpoints
    const records = [...evidenceOf(first.rows), ...evidenceOf(second.rows)];
    const restRecords = records.filter((r) => r.surface === 'rest');
    const mcpRecords = records.filter((r) => r.surface === 'mcp');
    expect(restRecords.length, 'REST evidence records').toBeGreaterThan(20);
    for (const r of restRecords) expect(r.url, `${r.operation}`).toMatch(/^https:\/\/api\.atlassian\.com\//);
    for (const r of mcpRecords) expect(r.url, `${r.operation}`).toMatch(/^https:\/\/mcp\.atlassian\.com\//);
    const acme = rest.sites['acme-sim']!.cloudId;
    expect(restRecords.some((r) => r.url?.startsWith(`https://api.atlassian.com/ex/jira/${acme}/`))).toBe(true);
    expect(restRecords.some((r) => r.url?.startsWith(`https://api.atlassian.com/ex/confluence/${acme}/`))).toBe(true);
    expect(mcpRecords.some((r) => r.url?.startsWith('https://mcp.atlassian.com/v1/mcp'))).toBe(true);
    expect(mcpRecords.some((r) => r.url?.startsWith('https://mcp.atlassian.com/v2/mcp'))).toBe(true);

    // the recording of the runs holds both surfaces, REST with its cloudId routing templated, MCP on both endpoints
    const shapes = readdirSync(path.join(tmp, 'record'))
      .flatMap((f) =>
        readFileSync(path.join(tmp, 'record', f), 'utf8')
          .split('\n')
          .filter(Boolean),
      )
      .map((l) => JSON.parse(l) as { surface: string; call: string; headers: string[] });
    expect(shapes.some((r) => r.surface === 'rest' && r.call.includes('/ex/jira/{cloudId}/'))).toBe(true);
    expect(shapes.some((r) => r.surface === 'mcp' && r.headers.includes('atl-traceid'))).toBe(true);

    // every host answered recognised requests over the TLS listener (the plain ones were never handed over)
    const log = await rehearsal.sim.admin.requests();
    for (const host of ['auth.atlassian.com', 'id.atlassian.com', 'api.atlassian.com', 'mcp.atlassian.com']) {
      const ok = log.filter((e) => e.host === host && e.recognised && e.status < 400);
      expect(ok.length, `successful requests on ${host}`).toBeGreaterThan(0);
    }
    expect(log.some((e) => e.host === 'mcp.atlassian.com' && e.path.startsWith('/v2/mcp') && e.status < 400)).toBe(true);
  } finally {
    await rehearsal.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
});
