/**
 * The MCP OAuth 2.1 auth mode end to end (atlassian-mcp.md §2a): discovery → DCR → PKCE S256 authorize URL →
 * consent (the harness's consent driver) → token exchange through the SDK's `auth()`; the token then initialises an
 * MCP session and calls tools. Runs against each OAuth endpoint the configured one implies.
 */
import { expect, test } from '../../fixtures/index.ts';
import { expectToolOk, labelMcp } from '../../fixtures/mcp.ts';
import { type McpEndpoint, bearerCredentials } from '../../fixtures/mcp-client.ts';
import { runMcpOAuth } from '../../fixtures/mcp-oauth.ts';

// atlassian-mcp.md §2a: OAuth is recommended on /v1/mcp/authv2 and /v2/mcp (path-scoped AS with PRM)
for (const endpoint of ['authv2', 'v2'] satisfies McpEndpoint[]) {
  test(`${endpoint}: MCP OAuth 2.1 client (DCR + PKCE + consent) gets a token that calls tools`, async ({ mcp, config, page }) => {
    const acc = mcp.sweepAccount;
    test.skip(!acc.password, `the MCP OAuth flow logs in on the consent page: set ACCOUNT_${acc.role.toUpperCase()}_PASSWORD`);
    const url = mcp.url(endpoint);
    const flow = await runMcpOAuth({ mcpUrl: url, account: acc, redirectUri: config.app.callbackUrl, page });
    expect(flow.clientId, 'DCR client id').toBeTruthy();
    const authz = new URL(flow.authorizeUrl);
    expect(authz.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authz.searchParams.get('client_id')).toBe(flow.clientId);
    expect(authz.searchParams.get('resource'), 'RFC 8707 resource = the MCP endpoint').toBe(url.href);

    const s = await mcp.session({ endpoint, credentials: bearerCredentials(flow.accessToken, 'oauth-mcp', acc.role) });
    expectToolOk(s.initialize);
    const res = await s.call('getAccessibleAtlassianResources', {});
    expectToolOk(res);
    const cloudId = (res.output as Array<{ id: string }>)[0]?.id;
    await labelMcp({ account: acc.role, cloudId, authMode: 'oauth-mcp' });
    expect(cloudId).toBeTruthy();
    const me = await s.call('atlassianUserInfo', {});
    expectToolOk(me);
    expect(JSON.stringify(me.output)).toContain(acc.email);
    const search = await s.call('search', { query: 'demo' });
    expectToolOk(search);
  });
}
