/**
 * Negative calls must give the RIGHT error: bad arguments → mcp-bad-arguments (mcp-sdk.md §1: -32602 Input
 * validation error), a cloudId the account cannot use → a tool error naming it, an unknown tool → scope-filtered
 * ("tools are filtered, not denied", atlassian-mcp.md §5). Also the positive side of §4: cloudId accepts a hostname.
 */
import { randomUUID } from 'node:crypto';
import { expect, test } from '../../fixtures/index.ts';
import { type BoundSession, configuredEndpoints, expectToolOk, labelMcp } from '../../fixtures/mcp/fixture.ts';

/** The project-listing operation under the name this endpoint lists (v2 renamed it). */
async function projectsOp(s: BoundSession): Promise<string> {
  const ops = (await s.operations()).operations.map((o) => o.name);
  return ops.includes('getVisibleJiraProjects') ? 'getVisibleJiraProjects' : 'listJiraProjects';
}

for (const endpoint of configuredEndpoints()) {
  test.describe(endpoint, () => {
    test('a call without the required cloudId is rejected as mcp-bad-arguments', async ({ mcp }) => {
      const s = await mcp.session({ endpoint });
      const op = await projectsOp(s);
      const rec = await s.invoke(op, {});
      await labelMcp({ tool: op, account: s.account });
      expect(rec.ok).toBe(false);
      expect(rec.category, rec.text).toBe('mcp-bad-arguments');
    });

    test('an argument of the wrong type is rejected as mcp-bad-arguments', async ({ mcp }) => {
      const s = await mcp.session({ endpoint });
      const cloudId = await s.resolver.resolve('cloudId', s.callFn, []);
      const rec = await s.invoke('searchJiraIssuesUsingJql', { cloudId, jql: 42 });
      expect(rec.ok).toBe(false);
      expect(rec.category, rec.text).toBe('mcp-bad-arguments');
    });

    test('a cloudId the account has no access to gives a tool error, not data', async ({ mcp }) => {
      const s = await mcp.session({ endpoint });
      const wrong = randomUUID();
      const op = await projectsOp(s);
      const rec = await s.invoke(op, { cloudId: wrong });
      await labelMcp({ tool: op, account: s.account, cloudId: wrong });
      expect(rec.ok, `expected an error for cloudId ${wrong}, got: ${rec.text.slice(0, 200)}`).toBe(false);
      expect(rec.category).toBe('mcp-tool-error');
      expect(rec.text.length).toBeGreaterThan(0);
    });

    test('cloudId accepts the site host name as well as the UUID', async ({ mcp }) => {
      const s = await mcp.session({ endpoint });
      const op = await projectsOp(s);
      const byId = await s.invoke(op, { cloudId: await s.resolver.resolve('cloudId', s.callFn, []) });
      const host = await s.resolver.resolve('siteHost', s.callFn, []);
      const byHost = await s.invoke(op, { cloudId: host });
      // atlassian-mcp.md §4: "Cloud ID (UUID or site URL)"
      expectToolOk(byId);
      expectToolOk(byHost);
      expect(byHost.output).toEqual(byId.output);
    });

    test('an unknown tool is classified scope-filtered (tools are filtered, not denied)', async ({ mcp }) => {
      const s = await mcp.session({ endpoint });
      const rec = await s.call('harnessNoSuchTool', {});
      expect(rec.ok).toBe(false);
      expect(rec.category, rec.text).toBe('scope-filtered');
    });
  });
}
