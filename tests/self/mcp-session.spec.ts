/**
 * Self-tests: a session the server forgets mid-suite (simulator reset, or a DELETE from elsewhere) is re-created
 * once by the client and reported as mcp-session-lost evidence (mcp-sdk.md §1: 404 "Session not found" → recover
 * with a new transport). The same while the session opens, and 429s on initialize and on tool calls within the
 * retry budget of fixtures/mcp/session.ts; past it the record carries the precise category (mcp-session-lost,
 * mcp-rate-limited), never a generic mcp-tool-error.
 */
import { expect, test } from '../../fixtures/index.ts';
import { expectToolOk } from '../../fixtures/mcp/fixture.ts';
import { deleteSessionFromOutside } from '../../fixtures/mcp/probes.ts';
import { retryWaitMs } from '../../fixtures/mcp/session.ts';

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

// ── the session's opening and the retry budget under the simulator's fault profiles (simulator/README.md "Faults") ──

test('a session dropped while it opens (before the initialized notification) is re-created and the initialize record says so', async ({
  mcp,
  sim,
}) => {
  await sim.admin.setFaults({ profiles: [{ name: 'mcp-session-dropped', mode: 'transient' }] });
  const s = await mcp.session({ mcpBase: sim.urls.mcp, fresh: true });
  expectToolOk(s.initialize);
  expect(s.initialize.retries, 'one re-initialise').toBe(1);
  expect(s.initialize.retryLog).toEqual([{ status: 404, waitMs: 0 }]);
  expect(s.initialize.sessionLost?.previousSessionId, 'the dropped session is named').toBeTruthy();
  expect(s.initialize.sessionLost?.newSessionId).toBe(s.raw.sessionId);
  expect(s.raw.sessionIds).toHaveLength(2);
  expect(s.raw.sessionsLost).toBe(1);
  expectToolOk(await s.call('atlassianUserInfo', {}));
  const ev = test.info().attachments.filter((a) => a.name === 'evidence: mcp session re-created');
  expect(ev.length, 'the recovered session is evidence of its own').toBeGreaterThan(0);
});

test('a session dropped on every request: initialize fails mcp-session-lost after a bounded number of tries, and a call on it too', async ({
  mcp,
  sim,
}) => {
  await sim.admin.setFaults({ profiles: [{ name: 'mcp-session-dropped', mode: 'persistent' }] });
  const t0 = Date.now();
  const s = await mcp.session({ mcpBase: sim.urls.mcp, fresh: true });
  expect(s.initialize.ok).toBe(false);
  expect(s.initialize.category, s.initialize.text).toBe('mcp-session-lost');
  expect(s.initialize.retries, 'the opening is retried within its budget, not forever').toBe(3);
  // a call on a session that never opened fails as the opening did, not as a generic tool error ("Not connected")
  const rec = await s.call('atlassianUserInfo', {});
  expect(rec.ok).toBe(false);
  expect(rec.category, rec.text).toBe('mcp-session-lost');
  expect(rec.text).toContain('the MCP session did not open');
  expect(Date.now() - t0, 'no wait beyond the budget').toBeLessThan(15_000);
});

test('a tool call whose re-created session is dropped again is mcp-session-lost, not mcp-tool-error', async ({ mcp, sim }) => {
  const s = await mcp.session({ mcpBase: sim.urls.mcp, fresh: true });
  expectToolOk(s.initialize);
  const before = s.raw.sessionId;
  await sim.admin.setFaults({ profiles: [{ name: 'mcp-session-dropped', mode: 'persistent' }] });
  const rec = await s.call('atlassianUserInfo', {});
  expect(rec.ok).toBe(false);
  expect(rec.category, rec.text).toBe('mcp-session-lost');
  expect(rec.sessionLost?.previousSessionId).toBe(before);
  expect(rec.text).toContain('re-initialize failed (mcp-session-lost)');
  expect(rec.retries).toBeGreaterThan(0);
});

test('an initialize answered 429 waits for Retry-After and opens the session on the next try', async ({ mcp, sim }) => {
  await sim.admin.setFaults({ profiles: [{ name: 'rate-limit-burst', role: 'mcp', mode: 'transient', count: 1, retryAfterSeconds: 1 }] });
  const t0 = performance.now();
  const s = await mcp.session({ mcpBase: sim.urls.mcp, fresh: true });
  const took = performance.now() - t0;
  expectToolOk(s.initialize);
  expect(s.initialize.retries).toBe(1);
  expect(took, 'Retry-After: 1 was waited for').toBeGreaterThanOrEqual(950);
  expect(took, 'and not much more').toBeLessThan(10_000);
  expect(s.initialize.retryLog).toEqual([{ status: 429, waitMs: 1000 }]);
  // the test reads as retried (fixtures/core/evidence.ts: the `retried` label and annotation, the flaky tag)
  expect(test.info().annotations).toContainEqual({ type: 'retried', description: 'initialize: 1 retry (HTTP 429; waited 1000 ms)' });
});

test('a 429 on initialize past the retry budget is mcp-rate-limited, and so is a call on that session', async ({ mcp, sim }) => {
  await sim.admin.setFaults({ profiles: [{ name: 'rate-limit-burst', role: 'mcp', mode: 'persistent', retryAfterSeconds: 1 }] });
  const s = await mcp.session({ mcpBase: sim.urls.mcp, fresh: true });
  expect(s.initialize.ok).toBe(false);
  expect(s.initialize.category, s.initialize.text).toBe('mcp-rate-limited');
  expect(s.initialize.http?.status).toBe(429);
  expect(s.initialize.http?.retryAfter).toBe('1');
  expect(s.initialize.http?.betaRetryAfter, 'the points-based header is kept too').toBe('1');
  expect(s.initialize.retries).toBe(3);
  const rec = await s.call('atlassianUserInfo', {});
  expect(rec.category, rec.text).toBe('mcp-rate-limited');
  // a dead server costs a bounded number of reopening attempts, then calls fail at once with the same category
  await s.call('atlassianUserInfo', {});
  const t0 = performance.now();
  const fast = await s.call('getAccessibleAtlassianResources', {});
  expect(fast.category, fast.text).toBe('mcp-rate-limited');
  expect(fast.text).toContain('the MCP session did not open');
  expect(performance.now() - t0, 'no new opening attempt, no wait').toBeLessThan(500);
});

test('a tool call answered 429 past the retry budget is mcp-rate-limited, with the retries recorded', async ({ mcp, sim }) => {
  const s = await mcp.session({ mcpBase: sim.urls.mcp, fresh: true });
  expectToolOk(s.initialize);
  await sim.admin.setFaults({
    profiles: [{ name: 'rate-limit-burst', role: 'mcp', tool: 'atlassianUserInfo', mode: 'persistent', retryAfterSeconds: 1 }],
  });
  const rec = await s.call('atlassianUserInfo', {});
  expect(rec.ok).toBe(false);
  expect(rec.category, rec.text).toBe('mcp-rate-limited');
  expect(rec.retries).toBe(3);
  // another tool on the same session is untouched
  expectToolOk(await s.call('getAccessibleAtlassianResources', {}));
});

test('the wait before a 429 retry: Retry-After or Beta-Retry-After (the longer), 1 s without either, capped at 5 s', () => {
  expect(retryWaitMs({ retryAfter: '2' })).toBe(2000);
  expect(retryWaitMs({ betaRetryAfter: '3' })).toBe(3000);
  expect(retryWaitMs({ retryAfter: '1', betaRetryAfter: '4' })).toBe(4000);
  expect(retryWaitMs({})).toBe(1000);
  expect(retryWaitMs(undefined)).toBe(1000);
  expect(retryWaitMs({ retryAfter: 'soon' })).toBe(1000);
  expect(retryWaitMs({ retryAfter: '120' })).toBe(5000);
});

test.describe('a pooled session opened with a retry', () => {
  test.describe.configure({ mode: 'serial' });
  const marked = () =>
    test
      .info()
      .attachments.filter((a) => a.name.startsWith('evidence: mcp '))
      .map((a) => JSON.parse(a.body!.toString()) as { operation: string; retries: number; detail?: { sessionLost?: unknown } })
      .filter((e) => e.retries > 0 || e.detail?.sessionLost);

  test('the test that opened it carries the retry', async ({ mcp, sim }) => {
    await sim.admin.setFaults({ profiles: [{ name: 'mcp-session-dropped', mode: 'transient' }] });
    const s = await mcp.session({ mcpBase: sim.urls.mcp, role: 'admin' });
    expectToolOk(s.initialize);
    expect(s.initialize.retries).toBe(1);
    expect(marked().map((e) => e.operation)).toContain('initialize');
  });

  test('a later test of the worker that reuses it does not read as retried', async ({ mcp, sim }) => {
    void sim;
    const s = await mcp.session({ mcpBase: sim.urls.mcp, role: 'admin' });
    expect(s.raw.sessionIds, 'the same pooled session as the test before').toHaveLength(2);
    expect(test.info().attachments.some((a) => a.name === 'evidence: mcp initialize')).toBe(true);
    expect(marked(), 'its initialize evidence has no retries and no lost session').toEqual([]);
  });
});
