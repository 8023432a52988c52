/**
 * The MCP OAuth flow's hand-off from the consent phase to the MCP suite (fixtures/mcp/oauth-handoff.ts): the suite
 * takes only what this run wrote (else it runs the flow itself), a failed flow comes back with its own category, and the command line decides which
 * flows the consent phase runs (only those whose MCP test is selected).
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HarnessError } from '../../fixtures/core/categories.ts';
import { ROOT } from '../../fixtures/core/config.ts';
import { redact } from '../../fixtures/core/redact.ts';
import { expect, test } from '../../fixtures/index.ts';
import { cliSelectsOAuthFlowTest, handoffFile, OAUTH_FLOW_TEST, readHandoff, writeHandoff } from '../../fixtures/mcp/oauth-handoff.ts';
import { scratchDir } from '../support/scratch.ts';
import { readSubrun, runSubrun } from '../support/subrun.ts';

const FLOW = {
  accessToken: 'SIMCANARY-mcp-oauth-at-0001',
  clientId: 'dcr-client-1',
  authorizeUrl: 'https://mcp.example/authorize?code_challenge_method=S256&client_id=dcr-client-1',
  consent: { code: 'granted' as const, screen: 'callback', scopesShown: [], detail: 'ok' },
};

test('a flow handed over is read back, its token registered for redaction; the file is 0600 and holds no other run', ({}, testInfo) => {
  const d = scratchDir(testInfo, 'handoff');
  const file = handoffFile(d, 'sim:default', 'v2', 'member@sim.example');
  writeHandoff(file, { endpoint: 'v2', role: 'member', flow: FLOW });
  expect(statSync(file).mode & 0o777).toBe(0o600);
  const got = readHandoff(file, 'v2')!;
  expect(got.clientId).toBe('dcr-client-1');
  expect(redact(`token ${got.accessToken}`)).not.toContain(FLOW.accessToken);
  // another target, endpoint or account is another file
  expect(handoffFile(d, 'sim:default', 'v1', 'member@sim.example')).not.toBe(file);
  expect(handoffFile(d, 'https://auth.atlassian.com', 'v2', 'member@sim.example')).not.toBe(file);
});

test('a file an earlier run left is not taken: the test runs the flow itself', ({}, testInfo) => {
  const d = scratchDir(testInfo, 'handoff');
  const file = handoffFile(d, 'sim:default', 'v2', 'member@sim.example');
  writeHandoff(file, { endpoint: 'v2', role: 'member', flow: FLOW });
  const old = JSON.parse(readFileSync(file, 'utf8'));
  writeFileSync(file, JSON.stringify({ ...old, runId: 'an-earlier-run' }));
  expect(readHandoff(file, 'v2')).toBeUndefined();
  // no file at all, or one that is not a hand-off: the same
  expect(readHandoff(handoffFile(d, 'sim:default', 'v1', 'member@sim.example'), 'v1')).toBeUndefined();
  writeFileSync(file, '{"not":"a hand-off"}');
  expect(readHandoff(file, 'v2')).toBeUndefined();
});

test("a flow that failed in the consent phase fails the MCP test with the flow's own category and words", ({}, testInfo) => {
  const d = scratchDir(testInfo, 'handoff');
  const file = handoffFile(d, 'sim:default', 'authv2', 'member@sim.example');
  const failure = new HarnessError('domain-blocked', 'MCP OAuth consent for member: the screen said "Your admin has blocked this domain"');
  writeHandoff(file, { endpoint: 'authv2', role: 'member', failure });
  let caught: unknown;
  try {
    readHandoff(file, 'authv2');
  } catch (x) {
    caught = x;
  }
  expect((caught as HarnessError).code).toBe('domain-blocked');
  expect((caught as Error).message).toContain('Your admin has blocked this domain');
  // the category's title and fix appear once, not twice
  expect((caught as Error).message.match(/Fix:/g)).toHaveLength(1);
});

test('the command line decides which flows the consent phase runs: only those whose MCP test is selected', () => {
  const pw = (...a: string[]) => ['node', 'playwright', 'test', ...a];
  for (const e of ['v1', 'authv2', 'v2']) expect(cliSelectsOAuthFlowTest(pw(), e), `no selection: ${e}`).toBe(true);
  expect(cliSelectsOAuthFlowTest(pw('--project=consent', '--project=api'), 'v2')).toBe(false);
  expect(cliSelectsOAuthFlowTest(pw('--project=consent', '--project=mcp'), 'v2')).toBe(true);
  expect(cliSelectsOAuthFlowTest(pw('--project', 'consent', 'mcp'), 'v2')).toBe(true);
  expect(cliSelectsOAuthFlowTest(pw('--project', 'api', 'tests/mcp/oauth-flow.spec.ts'), 'v2')).toBe(false);
  expect(cliSelectsOAuthFlowTest(pw('tests/api/sites.spec.ts'), 'v2')).toBe(false);
  expect(cliSelectsOAuthFlowTest(pw('tests/mcp/oauth-flow.spec.ts:18'), 'v2')).toBe(true);
  expect(cliSelectsOAuthFlowTest(pw(path.join(ROOT, 'tests/mcp/oauth-flow.spec.ts')), 'v2')).toBe(true);
  expect(cliSelectsOAuthFlowTest(pw('--grep', 'v2: MCP OAuth 2\\.1 client'), 'v2')).toBe(true);
  expect(cliSelectsOAuthFlowTest(pw('--grep', 'v2: MCP OAuth 2\\.1 client'), 'v1')).toBe(false);
  expect(cliSelectsOAuthFlowTest(pw('-g', 'initialize returns'), 'v1')).toBe(false);
  expect(cliSelectsOAuthFlowTest(pw('--grep-invert=MCP OAuth'), 'v1')).toBe(false);
  expect(cliSelectsOAuthFlowTest(pw('--reporter', 'dot', '--workers', '1'), 'v1')).toBe(true);
  // options it does not know leave the flow in (a wasted consent, never a wanted flow skipped)
  expect(cliSelectsOAuthFlowTest(pw('--last-failed'), 'v2')).toBe(true);
});

test('end to end: a flow the consent phase cannot finish passes its setup step and fails the MCP test with its category', async ({
  sim,
}, testInfo) => {
  test.setTimeout(240_000);
  // the Rovo MCP server's domain list no longer allows the harness's loopback redirect (atlassian-mcp.md §2a)
  await sim.admin.patchWorld({ org: { mcp: { domains: ['https://app.example.com/**'], allowSupportedDomains: false } } });
  const d = scratchDir(testInfo, 'handoff');
  const reportsDir = path.join(d, 'reports');
  const run = await runSubrun({
    sim,
    reportsDir,
    projects: ['consent', 'mcp'],
    accounts: ['member'],
    // the v2 test only (a bare 'v2: …' would match the authv2 title too): the title after a space
    grep: `\\s${OAUTH_FLOW_TEST.title('v2').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`,
    workers: 1,
    timeoutMs: 200_000,
    env: { HARNESS_AUTH_DIR: path.join(d, 'auth') },
  });
  await testInfo.attach('sub-run output', { body: run.output, contentType: 'text/plain' });
  const rows = readSubrun(reportsDir);
  // only the selected endpoint's flow ran in the consent phase, and it did not stop the suite
  const steps = [...rows.keys()].filter((t) => /runs the MCP OAuth 2\.1 client flow/.test(t));
  expect(steps, run.output.slice(-3000)).toEqual([expect.stringMatching(/ on v2 for the MCP suite$/)]);
  expect(rows.get(steps[0]!)?.status, 'the setup step passes: a failed setup test would skip every suite').toBe('passed');
  const mcpTest = rows.get(OAUTH_FLOW_TEST.title('v2'));
  expect(mcpTest?.status, run.output.slice(-3000)).toBe('failed');
  expect(mcpTest?.outcome, "the MCP test carries the flow's category").toBe('domain-blocked');
  expect(mcpTest?.message ?? '').toMatch(/failed in the consent phase/);
});
