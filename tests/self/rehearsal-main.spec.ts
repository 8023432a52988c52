/**
 * The main job's suites under rehearsal (REHEARSAL=1, TARGET=atlassian; fixtures/core/rehearsal.ts): the consent
 * setup, a few api cells, a few MCP calls and the MCP OAuth flow in the `page` browser run as a Playwright sub-run (tests/support/subrun.ts) with the real host
 * names (https://auth.atlassian.com, api., mcp.) resolved to a TLS simulator this test owns. The sub-run gets the
 * simulator's admin API and canary but dead plain-HTTP URLs, so a client that bypassed the real host names (or the
 * pinned dispatcher) would fail instead of reaching the simulator another way. Asserted: the sub-run passes, every
 * REST and MCP evidence record names a real host URL, the shape recording (fixtures/core/shape.ts) holds both
 * surfaces, and the simulator's request log has the calls on each host.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { ROOT } from '../../fixtures/core/config.ts';
import { EVIDENCE_PREFIX, type EvidenceRecord } from '../../fixtures/core/evidence.ts';
import { startRehearsal } from '../../fixtures/core/rehearsal.ts';
import { expect, test } from '../../fixtures/index.ts';
import { digest, readSubrun, runSubrun } from '../support/subrun.ts';

/** nothing listens on port 9 (discard): the plain listeners' URLs are not handed to the sub-run */
const DEAD = 'http://127.0.0.1:9';

/** a restricted selection: consent (dependency, runs whole), REST cells on member's grant, MCP session and calls */
const SELECTION = [
  "member's accessible-resources lists exactly the expected sites",
  '/me identifies member as the configured account',
  'member is refused on an unknown cloudId',
  'initialize returns a session id, a protocol version and the tools capability',
  'personal API token \\(Basic email:token\\) initialises and calls tools as that user',
  'a wrong bearer token is refused with 401',
  // the `page` fixture's browser: MCP OAuth 2.1 discovery on mcp.atlassian.com, consent on auth.atlassian.com
  'v1: MCP OAuth 2.1 client \\(DCR \\+ PKCE \\+ consent\\) gets a token that calls tools',
];

test('the consent, api and mcp suites pass under rehearsal, every REST and MCP call on the real host names', async ({}, testInfo) => {
  test.setTimeout(150_000);
  const rehearsal = await startRehearsal();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'rehearsal-main-'));
  try {
    const reportsDir = path.join(tmp, 'reports');
    const run = await runSubrun({
      sim: { urls: { ...rehearsal.sim.urls, auth: DEAD, id: DEAD, api: DEAD, mcp: DEAD } },
      reportsDir,
      projects: ['consent', 'api', 'mcp'],
      grep: SELECTION.join('|'),
      accounts: ['member'],
      workers: 2,
      timeoutMs: 120_000,
      extraArgs: [
        'tests/consent/accounts.setup.ts',
        'tests/api/sites.spec.ts',
        'tests/mcp/initialize.spec.ts',
        'tests/mcp/auth-modes.spec.ts',
        'tests/mcp/oauth-flow.spec.ts',
      ],
      env: {
        // TARGET=atlassian does not read .env.sim: the simulator's app and accounts, as a team's .env would hold them
        ...parseDotenv(readFileSync(path.join(ROOT, '.env.sim'))),
        TARGET: 'atlassian',
        REHEARSAL: '1',
        // global setup starts no TLS simulator of its own: this one, with a token store of this test
        HARNESS_REHEARSAL: JSON.stringify({ ...rehearsal.wire, authDir: path.join(tmp, 'auth') }),
        // recording (scripts/record.ts) on, as `npm run record` turns it on for a real run
        HARNESS_RECORD_DIR: path.join(tmp, 'record'),
      },
    });
    await testInfo.attach('rehearsal sub-run', { body: run.output, contentType: 'text/plain' });
    testInfo.annotations.push({ type: 'sub-run', description: `${Math.round(run.durationMs / 1000)} s` });
    const rows = readSubrun(reportsDir);
    expect(run.timedOut, 'the sub-run finished within 120 s').toBe(false);
    expect(run.code, `${digest(rows)}\n${run.output.slice(-3000)}`).toBe(0);
    const passed = [...rows.values()].filter((r) => r.status === 'passed');
    expect(passed.length, digest(rows)).toBe(rows.size);
    // every selected title ran (and passed), besides the consent setup
    for (const title of SELECTION)
      expect(
        passed.some((r) => new RegExp(title).test(r.title)),
        `${title}\n${digest(rows)}`,
      ).toBe(true);
    expect(
      passed.some((r) => r.title.startsWith('member gets a stored token')),
      digest(rows),
    ).toBe(true);

    const records: EvidenceRecord[] = [];
    for (const r of rows.values())
      for (const a of r.summary.attachments)
        if (a.name.startsWith(EVIDENCE_PREFIX)) records.push(JSON.parse(readFileSync(a.file, 'utf8')) as EvidenceRecord);
    const rest = records.filter((r) => r.surface === 'rest');
    const mcp = records.filter((r) => r.surface === 'mcp');
    expect(rest.length, 'REST evidence records').toBeGreaterThan(0);
    expect(mcp.length, 'MCP evidence records').toBeGreaterThan(0);
    for (const r of rest) expect(r.url, `${r.operation}`).toMatch(/^https:\/\/api\.atlassian\.com\//);
    for (const r of mcp) expect(r.url, `${r.operation}`).toMatch(/^https:\/\/mcp\.atlassian\.com\//);
    // cloudId routing: a call to a site went through /ex/jira/<cloudId> on api.atlassian.com
    expect(rest.some((r) => r.url?.startsWith('https://api.atlassian.com/ex/'))).toBe(true);

    // the recording of the run holds both surfaces, REST with its cloudId routing templated
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
  } finally {
    await rehearsal.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
});
