/**
 * Self-tests of the MCP OAuth 2.1 flow on a private simulator: the admin domain list blocks a client origin that is
 * not on it ("Your admin has blocked this domain", atlassian-mcp.md §3/§5 → domain-blocked), and DCR switched off
 * stops the flow before consent as mcp-discovery.
 */

import { HarnessError } from '../../fixtures/core/categories.ts';
import { expect, test } from '../../fixtures/index.ts';
import { bearerCredentials } from '../../fixtures/mcp/credentials.ts';
import { runMcpOAuth } from '../../fixtures/mcp/oauth.ts';
import { mcpEndpointUrl } from '../../fixtures/mcp/vocabulary.ts';

test('client origin not in the Rovo MCP domain list → consent is classified domain-blocked', async ({ mcp, sim, config, page }) => {
  await sim.admin.patchWorld({ org: { mcp: { domains: ['https://app.example.com/**'], allowSupportedDomains: false } } });
  const err = await runMcpOAuth({
    mcpUrl: mcpEndpointUrl(sim.urls.mcp, 'authv2'),
    account: mcp.sweepAccount,
    redirectUri: config.app.callbackUrl,
    page,
  }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(HarnessError);
  expect((err as HarnessError).code, (err as Error).message).toBe('domain-blocked');
});

test('DCR switched off → the MCP OAuth flow stops with mcp-discovery before any consent', async ({ mcp, sim, config, page }) => {
  await sim.admin.patchWorld({ org: { mcp: { dcrEnabled: false } } });
  const err = await runMcpOAuth({
    mcpUrl: mcpEndpointUrl(sim.urls.mcp, 'authv2'),
    account: mcp.sweepAccount,
    redirectUri: config.app.callbackUrl,
    page,
  }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(HarnessError);
  expect((err as HarnessError).code, (err as Error).message).toBe('mcp-discovery');
  expect(page.url(), 'no browser navigation happened').toBe('about:blank');
});

test('with the loopback origin on the domain list the flow is granted and the token works', async ({ mcp, sim, config, page }) => {
  const flow = await runMcpOAuth({
    mcpUrl: mcpEndpointUrl(sim.urls.mcp, 'authv2'),
    account: mcp.sweepAccount,
    redirectUri: config.app.callbackUrl,
    page,
  });
  expect(flow.consent.code).toBe('granted');
  const s = await mcp.session({
    mcpBase: sim.urls.mcp,
    endpoint: 'authv2',
    credentials: bearerCredentials(flow.accessToken, 'oauth-mcp', mcp.sweepAccount.role),
  });
  const rec = await s.call('atlassianUserInfo', {});
  expect(rec.ok, rec.text).toBe(true);
});
