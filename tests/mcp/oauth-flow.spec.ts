/**
 * The MCP OAuth 2.1 auth mode end to end (atlassian-mcp.md §2a): discovery → DCR → PKCE S256 authorize URL →
 * consent (the harness's consent driver) → token exchange through the SDK's `auth()`; the token then initialises an
 * MCP session and calls tools. Runs against each OAuth endpoint the configured one implies.
 *
 * The flow itself runs in the consent setup project, on the browser of the 3LO consents (tests/consent/accounts.setup.ts,
 * fixtures/mcp/oauth-handoff.ts), so this suite runs with no browser; here its result is checked and its token used. A
 * flow that failed there fails here with the same category. A run without that consent phase (`--no-deps`) runs the
 * flow here, on a browser launched for it and closed after.
 */
import { expect, test } from '../../fixtures/index.ts';
import { bearerCredentials } from '../../fixtures/mcp/credentials.ts';
import { expectToolOk, labelMcp } from '../../fixtures/mcp/fixture.ts';
import { runMcpOAuth } from '../../fixtures/mcp/oauth.ts';
import { handoffFile, OAUTH_FLOW_TEST, readHandoff } from '../../fixtures/mcp/oauth-handoff.ts';
import { MCP_ENDPOINTS } from '../../fixtures/mcp/vocabulary.ts';

// atlassian-mcp.md §2a: v1 (root AS metadata, no PRM: default scopes), authv2 and v2 (path-scoped AS with PRM)
for (const endpoint of MCP_ENDPOINTS) {
  test(OAUTH_FLOW_TEST.title(endpoint), async ({ mcp, workerTokens, playwright, launchOptions, config }) => {
    const acc = mcp.sweepAccount;
    test.skip(!acc.password, `the MCP OAuth flow logs in on the consent page: set ACCOUNT_${acc.role.toUpperCase()}_PASSWORD`);
    const url = mcp.url(endpoint);
    // the consent phase's flow (this run's); without one (e.g. --no-deps) the flow runs here, on a browser of its own
    const flow =
      readHandoff(handoffFile(workerTokens.authDir, workerTokens.identity, endpoint, acc.email), endpoint) ?? (await flowHere(url));
    async function flowHere(mcpUrl: URL) {
      const browser = await playwright.chromium.launch(launchOptions);
      try {
        const page = await (await browser.newContext()).newPage();
        return await runMcpOAuth({ mcpUrl, account: acc, redirectUri: config.app.callbackUrl, page });
      } finally {
        await browser.close();
      }
    }
    expect(flow.clientId, 'DCR client id').toBeTruthy();
    const authz = new URL(flow.authorizeUrl);
    expect(authz.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authz.searchParams.get('client_id')).toBe(flow.clientId);
    // mcp-sdk.md §1 auth() step 3: `resource` comes from the PRM; v1 has none (atlassian-mcp.md §2a), so none is sent
    expect(authz.searchParams.get('resource'), 'RFC 8707 resource').toBe(endpoint === 'v1' ? null : url.href);

    const s = await mcp.session({ endpoint, credentials: bearerCredentials(flow.accessToken, 'oauth-mcp', acc.role) });
    expectToolOk(s.initialize);
    const res = await s.invoke('getAccessibleAtlassianResources', {});
    expectToolOk(res);
    const cloudId = (res.output as Array<{ id: string }>)[0]?.id;
    await labelMcp({ account: acc.role, cloudId, authMode: 'oauth-mcp' });
    expect(cloudId).toBeTruthy();
    const me = await s.invoke('atlassianUserInfo', {});
    expectToolOk(me);
    expect(JSON.stringify(me.output)).toContain(acc.email);
    const search = await s.invoke('search', { query: 'demo' });
    expectToolOk(search);
  });
}
