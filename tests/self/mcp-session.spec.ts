/**
 * Self-tests: a session the server forgets mid-suite (simulator reset, or a DELETE from elsewhere) is re-created
 * once by the client and reported as mcp-session-lost evidence (mcp-sdk.md §1: 404 "Session not found" → recover
 * with a new transport).
 */
import { expect, test } from '../../fixtures/index.ts';
import { expectToolOk } from '../../fixtures/mcp/fixture.ts';
import { deleteSessionFromOutside } from '../../fixtures/mcp/probes.ts';

test('a session dropped by a server reset is re-created once and the call succeeds', async ({ mcp, sim }) => {
  const s = await mcp.session({ mcpBase: sim.urls.mcp, fresh: true });
  expectToolOk(await s.call('atlassianUserInfo', {}));
  const before = s.raw.sessionId;
  await sim.admin.reset(); // drops every MCP session (simulator README: reset)
  const rec = await s.call('atlassianUserInfo', {});
  expectToolOk(rec);
  expect(rec.sessionLost, 'the record must say the session was lost').toBeDefined();
  expect(rec.sessionLost!.previousSessionId).toBe(before);
  expect(rec.sessionLost!.newSessionId).toBe(s.raw.sessionId);
  expect(s.raw.sessionId).not.toBe(before);
  expect(s.raw.sessionsLost).toBe(1);
  const evidence = test.info().attachments.filter((a) => a.name === 'evidence: mcp session re-created');
  expect(evidence).toHaveLength(1);
  expect(JSON.parse(evidence[0]!.body!.toString())).toMatchObject({ category: 'mcp-session-lost', mcpSessionId: s.raw.sessionId });
});

test('a session deleted elsewhere (HTTP DELETE) is re-created on the next call', async ({ mcp, sim }) => {
  const s = await mcp.session({ mcpBase: sim.urls.mcp, fresh: true });
  const before = s.raw.sessionId!;
  const url = mcp.url(mcp.endpoint, sim.urls.mcp);
  const del = await deleteSessionFromOutside(url, before, (await mcp.credentials(mcp.sweepAccount.role, 'api-token')).authorization);
  expect([200, 204]).toContain(del.status);
  const rec = await s.call('getAccessibleAtlassianResources', {});
  expectToolOk(rec);
  expect(rec.sessionLost?.previousSessionId).toBe(before);
});

test('without recovery the lost session is classified mcp-session-lost', async ({ mcp, sim }) => {
  const s = await mcp.session({ mcpBase: sim.urls.mcp, fresh: true });
  await sim.admin.reset();
  const rec = await s.call('atlassianUserInfo', {}, { recoverSession: false });
  expect(rec.ok).toBe(false);
  expect(rec.http?.status).toBe(404);
  expect(rec.category, rec.text).toBe('mcp-session-lost');
});
