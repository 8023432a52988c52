/**
 * Self-test of user story 2 on a private simulator: a console OAuth 2.0 (3LO) token works for REST and initialises
 * an MCP session, but every tool call is classified mcp-client-not-approved and `search` mcp-connection-settings.
 * Turning the simulator's `rejectConsole3loTokens` switch off makes the same calls pass, which proves the switch
 * (and not the harness) is the cause, and the suite's verdict over the same calls (fixtures/mcp/verdicts.ts) then reads
 * known-failure-fixed, not a generic tool error.
 */

import { runConsent } from '../../fixtures/consent/flow.ts';
import { account } from '../../fixtures/core/config.ts';
import { expect, test } from '../../fixtures/index.ts';
import { bearerCredentials } from '../../fixtures/mcp/credentials.ts';
import { profileFor } from '../../fixtures/mcp/expectations.ts';
import { expectToolOk } from '../../fixtures/mcp/fixture.ts';
import { knownFailuresVerdict } from '../../fixtures/mcp/verdicts.ts';
import { RestClient } from '../../fixtures/rest/client.ts';
import { WORLD } from '../support/world.ts';

test('console 3LO token: REST ok, MCP initialises, tools → mcp-client-not-approved, search → mcp-connection-settings', async ({
  mcp,
  sim,
  config,
  browser,
}) => {
  const member = account(config, mcp.sweepAccount.role);
  const flow = await runConsent({ browser: async () => browser, authBase: sim.urls.auth, app: config.app }, member);
  expect(flow.outcome.code, flow.outcome.detail).toBe('granted');
  const token = flow.tokens!.accessToken;

  const rest = new RestClient({ baseUrl: sim.urls.api });
  try {
    expect((await rest.request({ method: 'GET', path: '/me', token })).status).toBe(200);
  } finally {
    await rest.close();
  }

  const s = await mcp.session({ mcpBase: sim.urls.mcp, credentials: bearerCredentials(token, 'console-3lo', member.role) });
  expectToolOk(s.initialize);
  expect(s.raw.sessionId).toBeTruthy();
  const info = await s.call('atlassianUserInfo', {});
  expect(info.category, info.text).toBe('mcp-client-not-approved');
  expect(info.rule).toBe('trouble-console-3lo');
  expect(info.sessionId).toBe(s.raw.sessionId);
  const search = await s.call('search', { query: 'demo' });
  expect(search.category, search.text).toBe('mcp-connection-settings');
  // the evidence of each call is attached with session id, timestamp and the tool
  const ev = test.info().attachments.filter((a) => a.name === 'evidence: mcp atlassianUserInfo');
  expect(ev.length).toBeGreaterThan(0);
  expect(JSON.parse(ev[0]!.body!.toString())).toMatchObject({
    mcpSessionId: s.raw.sessionId,
    operation: 'atlassianUserInfo',
    category: 'mcp-client-not-approved',
  });

  await sim.admin.patchWorld({ org: { mcp: { rejectConsole3loTokens: false } } });
  expectToolOk(await s.call('atlassianUserInfo', {}));
});

test('the console-token story fixed: calls that now answer are known-failure-fixed, a different failure keeps its own category', async ({
  mcp,
  sim,
  config,
  browser,
}) => {
  const member = account(config, mcp.sweepAccount.role);
  const flow = await runConsent({ browser: async () => browser, authBase: sim.urls.auth, app: config.app }, member);
  expect(flow.outcome.code, flow.outcome.detail).toBe('granted');
  const s = await mcp.session({
    mcpBase: sim.urls.mcp,
    endpoint: 'v1',
    credentials: bearerCredentials(flow.tokens!.accessToken, 'console-3lo', member.role),
  });
  expectToolOk(s.initialize);
  const cloudId = WORLD.sites.acme.cloudId;
  const story = async () => [
    await s.call('atlassianUserInfo', {}),
    await s.call('getVisibleJiraProjects', { cloudId }),
    await s.call('searchJiraIssuesUsingJql', { cloudId, jql: 'reporter = currentUser() ORDER BY created DESC', maxResults: 1 }),
  ];
  // the expectations the suite judges by: tools-sim.json's console-3lo profile (every tool mcp-client-not-approved)
  const profile = profileFor(mcp.expectations, { endpoint: 'v1', auth: 'console-3lo', account: member.role })?.profile;
  expect(profile?.knownFailures['*']).toBe('mcp-client-not-approved');

  const broken = knownFailuresVerdict(await story(), profile, 'story');
  expect(broken.error, broken.error?.message).toBeUndefined();
  expect(broken.known?.category).toBe('mcp-client-not-approved');

  await sim.admin.patchWorld({ org: { mcp: { rejectConsole3loTokens: false } } });
  const fixed = knownFailuresVerdict(await story(), profile, 'story');
  expect(fixed.error?.code, fixed.error?.message).toBe('known-failure-fixed');
  expect(fixed.error?.message).toContain('atlassianUserInfo: ok (expected mcp-client-not-approved)');
  expect(fixed.error?.message).toContain('Now answering: atlassianUserInfo, getVisibleJiraProjects, searchJiraIssuesUsingJql.');
  expect(fixed.error?.remediation).toContain('Remove it from knownFailures');

  // fixed, but now refused for another reason: that reason is the verdict, not "fixed" and not a generic tool error
  await sim.admin.patchWorld({ org: { mcp: { toolFault: 'verify-access' } } });
  const other = knownFailuresVerdict(await story(), profile, 'story');
  expect(other.error?.code, other.error?.message).toBe('mcp-auth-failed');
});
