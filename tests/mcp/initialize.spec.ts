/**
 * initialize / capabilities / session lifecycle on the configured endpoint (atlassian-mcp.md §1: Streamable HTTP,
 * `Mcp-Session-Id` on the initialize response, sent back on later calls; mcp-sdk.md §1: DELETE terminates).
 */
import { expect, test } from '../../fixtures/index.ts';
import { configuredEndpoints, expectToolOk, labelMcp } from '../../fixtures/mcp/fixture.ts';

for (const endpoint of configuredEndpoints()) {
  test.describe(endpoint, () => {
    test('initialize returns a session id, a protocol version and the tools capability', async ({ mcp }) => {
      const s = await mcp.session({ endpoint });
      await labelMcp({ account: s.account, authMode: s.authMode });
      expectToolOk(s.initialize);
      // §1: initialize → 200 with an Mcp-Session-Id response header
      expect(s.initialize.http?.status, 'initialize HTTP status').toBe(200);
      expect(s.raw.sessionId, 'Mcp-Session-Id from the initialize response').toMatch(/^[\x21-\x7E]{8,}$/);
      expect(s.initialize.http?.sessionId).toBe(s.raw.sessionId);
      expect(s.raw.protocolVersion, 'negotiated protocol version').toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(s.raw.serverCapabilities?.tools, 'server capabilities must include tools').toBeDefined();
      expect(s.raw.serverVersion?.name, 'serverInfo.name').toBeTruthy();
    });

    test('a terminated session is forgotten by the server and a new one works', async ({ mcp }) => {
      const s = await mcp.session({ endpoint, fresh: true });
      expectToolOk(s.initialize);
      const id = s.raw.sessionId;
      const del = await s.raw.terminate();
      await mcp.attach(del);
      // mcp-sdk.md §1: terminateSession sends DELETE; 405 (not supported) also counts as OK
      expect(del.ok, `DELETE session: ${del.text}`).toBe(true);
      expect([200, 202, 204, 405]).toContain(del.http?.status);
      const again = await mcp.session({ endpoint, fresh: true });
      expectToolOk(again.initialize);
      expect(again.raw.sessionId).not.toBe(id);
      const rec = await again.invoke('atlassianUserInfo', {});
      expectToolOk(rec);
      expect(rec.sessionId).toBe(again.raw.sessionId);
    });

    test('every call records session id, UTC timestamp, duration and trace header for support', async ({ mcp }) => {
      const s = await mcp.session({ endpoint });
      const before = Date.now();
      const t0 = performance.now();
      const rec = await s.invoke('getAccessibleAtlassianResources', {});
      const wall = performance.now() - t0;
      const after = Date.now();
      expectToolOk(rec);
      expect(rec.sessionId).toBe(s.raw.sessionId);
      expect(rec.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      // the record's start time and duration are those of this call: inside the window measured around it
      const started = Date.parse(rec.timestamp);
      expect(started, 'record timestamp is the start of this call').toBeGreaterThanOrEqual(before);
      expect(started).toBeLessThanOrEqual(after);
      expect(rec.durationMs, 'recorded duration fits in the measured wall time').toBeLessThanOrEqual(Math.ceil(wall) + 1);
      expect(started + rec.durationMs, 'the call ends before the caller got its answer').toBeLessThanOrEqual(after + 1);
      // atlassian-mcp.md §7: Atl-Traceid is on edge responses; the simulator sends it too
      test.skip(mcp.expectations?.target === 'atlassian' && !rec.http?.traceId, 'this edge response carried no atl-traceid');
      expect(rec.http?.traceId, 'atl-traceid response header').toBeTruthy();
    });
  });
}
