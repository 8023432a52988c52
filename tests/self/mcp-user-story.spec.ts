/**
 * Self-test of user story 2 on a private simulator: a console OAuth 2.0 (3LO) token works for REST and initialises
 * an MCP session, but every tool call is classified mcp-client-not-approved and `search` mcp-connection-settings.
 * Turning the simulator's `rejectConsole3loTokens` switch off makes the same calls pass, which proves the switch
 * (and not the harness) is the cause.
 */

import { runConsent } from '../../fixtures/consent/flow.ts';
import { account } from '../../fixtures/core/config.ts';
import { expect, test } from '../../fixtures/index.ts';
import { bearerCredentials } from '../../fixtures/mcp/credentials.ts';
import { expectToolOk } from '../../fixtures/mcp/fixture.ts';
import { RestClient } from '../../fixtures/rest/client.ts';

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
