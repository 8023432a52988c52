/**
 * The simulated Atlassian Rovo MCP server (atlassian-mcp.md; docs: simulator/docs/mcp.md).
 * src/main.ts calls registerMcp with the mcp-host router and the auth-host router.
 */
import type { Router } from '../http.ts';
import { onReset } from '../state.ts';
import { edge, registerDiscovery } from './discovery.ts';
import { refuseRebinding } from './origin.ts';
import { ENDPOINT_PATHS, type Endpoint } from './principal.ts';
import { clearRateLimits } from './ratelimit.ts';
import { dropAllSessions, handleMcp } from './sessions.ts';
import { clearConfluenceSideTables } from './tools/confluence.ts';
import { clearV2SideTables } from './tools/v2.ts';

export function registerMcp(routers: { mcp: Router; auth: Router }): void {
  const { mcp, auth } = routers;
  for (const endpoint of Object.keys(ENDPOINT_PATHS) as Endpoint[]) {
    for (const method of ['POST', 'GET', 'DELETE'])
      mcp.route(
        method,
        ENDPOINT_PATHS[endpoint],
        edge((ctx) => handleMcp(ctx, endpoint)),
      );
  }
  // §1: the retired SSE endpoint — POST answers "HTTP 404: Missing sessionId parameter" [S24]; GET is gone too (simulator choice)
  mcp.route(
    'POST',
    '/v1/sse',
    edge((ctx) => {
      if (!refuseRebinding(ctx)) ctx.text(404, 'Missing sessionId parameter');
    }),
  );
  mcp.route(
    'GET',
    '/v1/sse',
    edge((ctx) => {
      if (!refuseRebinding(ctx)) ctx.text(404, 'Not Found');
    }),
  );
  registerDiscovery(mcp, auth);
  onReset(() => {
    dropAllSessions();
    clearRateLimits();
    clearConfluenceSideTables();
    clearV2SideTables();
  });
}
