/**
 * The console-token story end to end (docs/reference/atlassian-mcp.md §5, KB [S18]): with the app's own console
 * OAuth 2.0 (3LO) token REST works (GET /me), the MCP session initialises (session id assigned), and yet tool calls
 * fail with "We are having trouble completing this action" (search: "We couldn't verify your connection settings").
 *
 * The harness classifies that as `mcp-client-not-approved` / `mcp-connection-settings` and attaches what support asks
 * for. Outcome: red with that category, unless the tool expectations file lists it as the known behaviour of the target
 * (the simulator's default world reproduces the story, so tools-sim.json does); a known failure that disappeared is
 * reported as `known-failure-fixed`.
 */
import { labelOutcome } from '../../fixtures/core/labels.ts';
import { expect, test } from '../../fixtures/index.ts';
import { bearerCredentials } from '../../fixtures/mcp/credentials.ts';
import { profileFor } from '../../fixtures/mcp/expectations.ts';
import { configuredEndpoints, expectToolOk, labelMcp } from '../../fixtures/mcp/fixture.ts';
import { attachSupportTicket, restSideOfStory } from '../../fixtures/mcp/story.ts';
import { knownFailuresVerdict } from '../../fixtures/mcp/verdicts.ts';

for (const endpoint of configuredEndpoints()) {
  test.describe(endpoint, () => {
    test('console 3LO token: REST works and the MCP session initialises, tool calls are classified mcp-client-not-approved', async ({
      mcp,
      tokens,
      rest,
    }) => {
      const role = mcp.sweepAccount.role;
      const token = await tokens.for(role);
      const restSide = await restSideOfStory(rest, token, role, test.info());
      expect(restSide.meStatus, 'REST GET /me with the console token').toBe(200);
      expect(restSide.cloudId, 'the token must grant at least one site').toBeTruthy();
      const cloudId = restSide.cloudId!;

      const s = await mcp.session({ endpoint, credentials: bearerCredentials(token, 'console-3lo', role) });
      await labelMcp({ account: role, cloudId, authMode: 'console-3lo' });
      expectToolOk(s.initialize);
      expect(s.raw.sessionId, 'MCP session id assigned').toBeTruthy();

      // the tool calls the app would make, under the names this endpoint lists
      const listing = await s.operations();
      const has = (n: string) => listing.operations.some((o) => o.name === n);
      // the v2 generation renamed getVisibleJiraProjects (docs/reference/atlassian-mcp.md "The v2 generation")
      const projects = has('listJiraProjects') || listing.meta.includes('discover') ? 'listJiraProjects' : 'getVisibleJiraProjects';
      const calls: Array<[string, Record<string, unknown>]> = [
        ['atlassianUserInfo', {}],
        [projects, { cloudId }],
        // bounded: like Jira's /search/jql, the simulator refuses a query without a restriction
        ['searchJiraIssuesUsingJql', { cloudId, jql: 'reporter = currentUser() ORDER BY created DESC', maxResults: 1 }],
        ['search', { query: 'harness' }],
      ];
      const recs = [];
      for (const [tool, args] of calls) recs.push(await s.invoke(tool, args));
      await attachSupportTicket(recs, test.info());

      const profile = profileFor(mcp.expectations, { endpoint, auth: 'console-3lo', account: role })?.profile;
      const verdict = knownFailuresVerdict(
        recs,
        profile,
        `REST works with the console 3LO token (GET /me → ${restSide.meStatus}) and the MCP session initialised (${s.raw.sessionId}), but`,
        { sessionId: s.raw.sessionId, cloudId },
      );
      if (verdict.error) throw verdict.error;
      if (verdict.known?.category) {
        await labelOutcome(verdict.known.category);
        test.info().annotations.push({
          type: 'known failure (tool expectations)',
          description: `REST ok, MCP broken: ${verdict.known.category} — ${verdict.known.text}`,
        });
      }
    });
  });
}
