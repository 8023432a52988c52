/**
 * Every auth mode of docs/reference/atlassian-mcp.md §2 against the configured endpoint:
 *  - personal API token as Basic base64(email:token) (§2b)
 *  - service-account API key as Bearer (§2b)             — simulator only unless a key is configured
 *  - legacy unscoped API token: authenticates, but tools/list shows only the Teamwork Graph tools (§2b [S19])
 *  - no credentials / a wrong token / a raw API token sent as Bearer: 401 → mcp-auth-failed (§1, §2b [S19])
 * The MCP OAuth 2.1 flow (DCR + PKCE + consent) is in oauth-flow.spec.ts; the console 3LO token in user-story.spec.ts.
 */
import { expect, test } from '../../fixtures/index.ts';
import { ANONYMOUS, bearerCredentials } from '../../fixtures/mcp/credentials.ts';
import { profileFor, toolExpectationsName } from '../../fixtures/mcp/expectations.ts';
import { configuredEndpoints, expectToolOk, labelMcp } from '../../fixtures/mcp/fixture.ts';
import { noToolExpectationsYet } from '../../fixtures/mcp/verdicts.ts';
import type { McpProfileAuth } from '../../fixtures/mcp/vocabulary.ts';

for (const endpoint of configuredEndpoints()) {
  test.describe(endpoint, () => {
    test('personal API token (Basic email:token) initialises and calls tools as that user', async ({ mcp }) => {
      const s = await mcp.session({ endpoint, auth: 'api-token' });
      await labelMcp({ account: s.account, authMode: s.authMode });
      expectToolOk(s.initialize);
      const me = await s.invoke('atlassianUserInfo', {});
      expectToolOk(me);
      expect(JSON.stringify(me.output)).toContain(mcp.sweepAccount.email);
    });

    for (const auth of ['service-key', 'api-token-unscoped'] satisfies McpProfileAuth[]) {
      test(`${auth} authenticates and tools/list is what the expectations file says`, async ({ mcp, target, config }) => {
        test.skip(!target.admin, `${auth}: no credential for this mode is configured for a real target (simulator only)`);
        const s = await mcp.session({ endpoint, auth });
        await labelMcp({ account: s.account, authMode: s.authMode });
        expectToolOk(s.initialize);
        const { tools, record } = await s.listTools();
        expectToolOk(record);
        const profile = profileFor(mcp.expectations, { endpoint, auth, account: s.account })?.profile;
        test.skip(!profile, noToolExpectationsYet(`no ${auth} profile for ${endpoint} in ${toolExpectationsName(config.target)}`));
        expect(tools.map((t) => t.name).sort()).toEqual([...profile!.listed].sort());
        if (auth === 'api-token-unscoped') {
          // §2b [S19]: legacy tokens see only 2–3 Teamwork Graph tools; a Jira tool is filtered, not denied
          expect(tools.filter((t) => !/^(discover|execute\w*|getToolDescription)$/.test(t.name)).length).toBeLessThanOrEqual(3);
          const rec = await s.call('getJiraIssue', { cloudId: 'any', issueIdOrKey: 'DEMO-1' });
          expect(rec.category, rec.text).toBe('scope-filtered');
        } else {
          const me = await s.invoke('atlassianUserInfo', {});
          expectToolOk(me);
        }
      });
    }

    test('no credentials: initialize is refused with 401 and classified mcp-auth-failed', async ({ mcp }) => {
      const s = await mcp.session({ endpoint, credentials: ANONYMOUS });
      expect(s.initialize.ok).toBe(false);
      expect(s.initialize.http?.status).toBe(401);
      expect(s.initialize.category).toBe('mcp-auth-failed');
    });

    test('a wrong bearer token is refused with 401 and classified mcp-auth-failed', async ({ mcp }) => {
      const s = await mcp.session({
        endpoint,
        credentials: bearerCredentials('harness-not-a-real-token-000000', 'oauth-mcp', 'anonymous'),
      });
      expect(s.initialize.ok).toBe(false);
      expect(s.initialize.http?.status).toBe(401);
      expect(s.initialize.category).toBe('mcp-auth-failed');
    });

    test('a raw API token sent as Bearer instead of Basic is refused (mcp-auth-failed)', async ({ mcp }) => {
      const token = mcp.sweepAccount.apiToken!;
      // §2b [S19]: "raw token sent as Bearer instead of Basic is another cause"
      const s = await mcp.session({ endpoint, credentials: bearerCredentials(token, 'service-key', mcp.sweepAccount.role) });
      expect(s.initialize.ok, 'a personal API token must not work as a Bearer token').toBe(false);
      expect(s.initialize.category).toBe('mcp-auth-failed');
    });
  });
}
