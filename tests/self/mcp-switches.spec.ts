/**
 * Self-tests: every MCP switch of the simulator world provoked on a PRIVATE simulator and classified by the harness
 * (fixtures/mcp/classify.ts). Each test flips one switch through the admin API, talks MCP only through the fixture,
 * and asserts the category a user would see in the report.
 */

import { categoryInfo } from '../../fixtures/core/categories.ts';
import type { SimHandle } from '../../fixtures/core/simulator.ts';
import { simTarget } from '../../fixtures/core/target.ts';
import { expect, test } from '../../fixtures/index.ts';
import { bearerCredentials } from '../../fixtures/mcp/credentials.ts';
import type { BoundSession, McpFixture } from '../../fixtures/mcp/fixture.ts';
import { expectToolOk } from '../../fixtures/mcp/fixture.ts';
import { DEFAULT_MCP_SCOPES, runMcpOAuth } from '../../fixtures/mcp/oauth.ts';
import { listingError } from '../../fixtures/mcp/verdicts.ts';
import { WORLD } from '../support/world.ts';

async function memberSession(mcp: McpFixture, sim: SimHandle): Promise<BoundSession> {
  const s = await mcp.session({ mcpBase: sim.urls.mcp, fresh: true });
  expectToolOk(s.initialize);
  return s;
}

async function cloudIdOf(s: BoundSession): Promise<string> {
  const r = await s.call('getAccessibleAtlassianResources', {});
  expectToolOk(r);
  const id = (r.output as Array<{ id: string }>)[0]?.id;
  expect(id, 'accessible resources must list a site').toBeTruthy();
  return id!;
}

test('API-token auth turned off → every tool call is classified api-token-disabled', async ({ mcp, sim }) => {
  await sim.admin.patchWorld({ org: { mcp: { apiTokenAuth: false } } });
  const s = await memberSession(mcp, sim);
  const rec = await s.call('atlassianUserInfo', {});
  expect(rec.ok).toBe(false);
  expect(rec.category, rec.text).toBe('api-token-disabled');
  expect(rec.text).toContain("You don't have permission to connect via API token");
});

test('IP allowlist without the caller → tool calls are classified ip-blocked', async ({ mcp, sim }) => {
  await sim.admin.patchWorld({ org: { mcp: { ipAllowlist: ['10.0.0.1'] } } });
  const s = await memberSession(mcp, sim);
  const rec = await s.call('atlassianUserInfo', {});
  expect(rec.category, rec.text).toBe('ip-blocked');
});

test('IP allowlist that contains the caller lets calls through', async ({ mcp, sim }) => {
  await sim.admin.patchWorld({ org: { mcp: { ipAllowlist: ['127.0.0.1'] } } });
  const s = await memberSession(mcp, sim);
  expectToolOk(await s.call('atlassianUserInfo', {}));
});

for (const [perm, tool, args] of [
  ['read', 'getVisibleJiraProjects', (cloudId: string) => ({ cloudId })],
  ['write', 'createJiraIssue', (cloudId: string) => ({ cloudId, projectKey: 'SBX', issueTypeName: 'Task', summary: 'blocked' })],
  ['search', 'searchJiraIssuesUsingJql', (cloudId: string) => ({ cloudId, jql: 'project = SBX' })],
] as const) {
  test(`admin ${perm} permission off → ${tool} disappears from tools/list and its call is scope-filtered`, async ({ mcp, sim }) => {
    const before = await memberSession(mcp, sim);
    const cloudId = await cloudIdOf(before);
    expect((await before.listTools()).tools.map((t) => t.name)).toContain(tool);
    await sim.admin.patchWorld({
      org: { mcp: { permissions: { read: perm !== 'read', write: perm !== 'write', search: perm !== 'search' } } },
    });
    const s = await memberSession(mcp, sim);
    expect((await s.listTools()).tools.map((t) => t.name)).not.toContain(tool);
    const rec = await s.call(tool, args(cloudId));
    expect(rec.category, rec.text).toBe('scope-filtered');
  });
}

test('legacy unscoped API token → only Teamwork Graph tools; a Jira tool is scope-filtered', async ({ mcp, sim }) => {
  const creds = await mcp.credentials(mcp.sweepAccount.role, 'api-token-unscoped', simTarget(sim));
  const s = await mcp.session({ mcpBase: sim.urls.mcp, credentials: creds });
  expectToolOk(s.initialize);
  const names = (await s.listTools()).tools.map((t) => t.name);
  expect(
    names.every((n) => /TeamworkGraph/.test(n)),
    JSON.stringify(names),
  ).toBe(true);
  const rec = await s.call('getJiraIssue', { cloudId: 'x', issueIdOrKey: 'DEMO-1' });
  expect(rec.category, rec.text).toBe('scope-filtered');
});

test('burst limit → parallel calls get 429 classified mcp-rate-limited, and Retry-After is honoured on retry', async ({ mcp, sim }) => {
  await sim.admin.patchWorld({ org: { mcp: { burstLimitPerSecond: 2 } } });
  const s = await memberSession(mcp, sim);
  const burst = await Promise.all(Array.from({ length: 6 }, () => s.call('atlassianUserInfo', {}, { retryOn429: false })));
  const limited = burst.filter((r) => r.category === 'mcp-rate-limited');
  expect(limited.length, burst.map((r) => `${r.http?.status} ${r.category ?? 'ok'}`).join(', ')).toBeGreaterThan(0);
  expect(limited[0]!.http?.status).toBe(429);
  expect(limited[0]!.http?.retryAfter, 'Retry-After header recorded').toBeTruthy();
  // the same burst with retries: everything passes, and the retries are recorded
  const retried = await Promise.all(Array.from({ length: 6 }, () => s.call('atlassianUserInfo', {})));
  for (const r of retried) expectToolOk(r);
  expect(retried.some((r) => r.retries > 0)).toBe(true);
});

for (const [fault, category, text] of [
  ['trouble', 'transient', 'We are having trouble completing this action'],
  ['connection-settings', 'mcp-connection-settings', "We couldn't verify your connection settings"],
  ['verify-access', 'mcp-auth-failed', "We couldn't verify your access"],
  // the switch forces the §5 expired-token text [S63]
  ['auth-failed', 'mcp-token-expired', 'Authentication failed: {"code":401,"message":"Unauthorized"}'],
] as const) {
  test(`tool fault "${fault}" is classified ${category}`, async ({ mcp, sim }) => {
    await sim.admin.patchWorld({ org: { mcp: { toolFault: fault } } });
    const s = await memberSession(mcp, sim);
    const rec = await s.call('atlassianUserInfo', {});
    expect(rec.ok).toBe(false);
    expect(rec.category, rec.text).toBe(category);
    expect(rec.text).toContain(text);
  });
}

test('tool fault "app-not-installed" hits write tools only and is classified mcp-auth-failed', async ({ mcp, sim }) => {
  await sim.admin.patchWorld({ org: { mcp: { toolFault: 'app-not-installed' } } });
  const s = await memberSession(mcp, sim);
  const cloudId = await cloudIdOf(s);
  const w = await s.call('createJiraIssue', { cloudId, projectKey: 'SBX', issueTypeName: 'Task', summary: 'x' });
  expect(w.category, w.text).toBe('mcp-auth-failed');
  expect(w.text).toContain('The app is not installed on this instance');
});

test('issuer quirk → v1 discovery reports issuer-mismatch', async ({ mcp, sim }) => {
  await sim.admin.patchWorld({ org: { mcp: { issuerQuirk: false } } });
  const clean = await mcp.discover('v1', sim.urls.mcp);
  expect(clean.findings.map((f) => f.id)).not.toContain('issuer-mismatch');
  await sim.admin.patchWorld({ org: { mcp: { issuerQuirk: true } } });
  const r = await mcp.discover('v1', sim.urls.mcp);
  const f = r.findings.find((x) => x.id === 'issuer-mismatch');
  expect(f, JSON.stringify(r.findings)).toBeDefined();
  expect(f!.detail).toMatch(/expected issuer .* received/);
});

test('DCR switched off → discovery names the registration failure', async ({ mcp, sim }) => {
  await sim.admin.patchWorld({ org: { mcp: { dcrEnabled: false } } });
  for (const endpoint of ['v1', 'authv2'] as const) {
    const r = await mcp.discover(endpoint, sim.urls.mcp);
    const ids = r.findings.map((f) => f.id);
    expect(
      ids.some((id) => id === 'dcr-404' || id === 'dcr-missing'),
      `${endpoint}: ${JSON.stringify(ids)}`,
    ).toBe(true);
    expect(r.registration?.clientId).toBeUndefined();
  }
});

// ── the v2 generation's texts, each provoked on the simulator and classified ─────────────────────────────────────

test('an account without Jira or Confluence access is refused search: mcp-search-denied', async ({ mcp, sim }) => {
  const none = { jira: 'none', confluence: 'none' };
  await sim.admin.patchWorld({
    users: { [WORLD.emails.member]: { sites: { [WORLD.sites.acme.cloudId]: none, [WORLD.sites.globex.cloudId]: none } } },
  });
  const s = await memberSession(mcp, sim);
  const rec = await s.invoke('search', { query: 'demo' });
  expect(rec).toAnswerTool({ category: 'mcp-search-denied' });
  expect(rec.rule).toBe('search-access-denied');
});

test('an account with no site at all is refused with mcp-no-supported-site', async ({ mcp, sim }) => {
  await sim.admin.patchWorld({
    users: { [WORLD.emails.member]: { sites: { [WORLD.sites.acme.cloudId]: null, [WORLD.sites.globex.cloudId]: null } } },
  });
  const s = await memberSession(mcp, sim);
  const rec = await s.invoke('getAccessibleAtlassianResources', {});
  expect(rec).toAnswerTool({ category: 'mcp-no-supported-site' });
  expect(rec.text).toContain("isn't associated with a supported site");
});

test('the v2 IP-allowlist text ("…Please ask your admin for access.") is ip-blocked on every endpoint', async ({ mcp, sim }) => {
  await sim.admin.patchWorld({ org: { mcp: { ipAllowlist: ['10.0.0.1'] } } });
  for (const endpoint of ['v1', 'v2'] as const) {
    const s = await mcp.session({ endpoint, fresh: true });
    const rec = await s.invoke('atlassianUserInfo', {});
    expect(rec, endpoint).toAnswerTool({ category: 'ip-blocked' });
    expect(rec.text).toContain('Please ask your admin for access.');
  }
});

test('a fault on /v2/mcp only: v2 calls fail while the same call on authv2 answers', async ({ mcp, sim }) => {
  await sim.admin.patchWorld({ org: { mcp: { toolFault: 'trouble', toolFaultEndpoints: ['v2'] } } });
  const v2 = await mcp.session({ endpoint: 'v2', fresh: true });
  const authv2 = await mcp.session({ endpoint: 'authv2', fresh: true });
  expect(await v2.invoke('getAccessibleAtlassianResources', {})).toAnswerTool({ category: 'transient' });
  expect(await authv2.invoke('getAccessibleAtlassianResources', {})).toAnswerTool();
});

test('agent-interface scope family: an MCP OAuth token without it is mcp-scope-insufficient (scope does not match)', async ({
  mcp,
  sim,
  config,
  page,
}) => {
  await sim.admin.patchWorld({ org: { mcp: { scopeFamily: 'agent-interface' } } });
  const flow = await runMcpOAuth({
    mcpUrl: mcp.url('v2'),
    account: mcp.sweepAccount,
    redirectUri: config.app.callbackUrl,
    page,
    scope: DEFAULT_MCP_SCOPES,
  });
  const s = await mcp.session({ endpoint: 'v2', credentials: bearerCredentials(flow.accessToken, 'oauth-mcp', mcp.sweepAccount.role) });
  const cloudId = WORLD.sites.acme.cloudId;
  const rec = await s.invoke('searchJiraIssuesUsingJql', { cloudId, jql: 'project = SBX' });
  expect(rec).toAnswerTool({ category: 'mcp-scope-insufficient' });
  expect(rec.rule).toBe('scope-does-not-match');
});

test('agent-interface scope family: a token with part of it is refused "Insufficient scopes for createJiraIssue"', async ({
  mcp,
  sim,
  config,
  page,
}) => {
  await sim.admin.patchWorld({ org: { mcp: { scopeFamily: 'agent-interface' } } });
  const flow = await runMcpOAuth({
    mcpUrl: mcp.url('v2'),
    account: mcp.sweepAccount,
    redirectUri: config.app.callbackUrl,
    page,
    scope: 'offline_access read:jira:agent-interface',
  });
  const s = await mcp.session({ endpoint: 'v2', credentials: bearerCredentials(flow.accessToken, 'oauth-mcp', mcp.sweepAccount.role) });
  const rec = await s.invoke('createJiraIssue', { cloudId: WORLD.sites.acme.cloudId, projectKey: 'SBX', issueType: 'Task', summary: 'x' });
  expect(rec).toAnswerTool({ category: 'mcp-scope-insufficient' });
  expect(rec.rule).toBe('insufficient-scopes');
  expect(rec.text).toContain('Insufficient scopes for createJiraIssue. Required: [');
});

test('expiredTokenInSession "tool-error": a token that expires inside the session is mcp-token-expired, in plain words with the fix', async ({
  mcp,
  sim,
  config,
  page,
}) => {
  await sim.admin.patchWorld({ org: { mcp: { expiredTokenInSession: 'tool-error' } } });
  const flow = await runMcpOAuth({
    mcpUrl: mcp.url('v1'),
    account: mcp.sweepAccount,
    redirectUri: config.app.callbackUrl,
    page,
    scope: DEFAULT_MCP_SCOPES,
  });
  const s = await mcp.session({ endpoint: 'v1', credentials: bearerCredentials(flow.accessToken, 'oauth-mcp', mcp.sweepAccount.role) });
  expectToolOk(s.initialize);
  expectToolOk(await s.invoke('atlassianUserInfo', {}));
  // the token dies now, inside the open session (fault profile token-expiry-early: access tokens expire 0 s after issue)
  await sim.admin.setFaults({ profiles: [{ name: 'token-expiry-early', mode: 'persistent' }] });
  const rec = await s.invoke('atlassianUserInfo', {});
  expect(rec).toAnswerTool({ category: 'mcp-token-expired' });
  expect(rec.rule).toBe('expired-token-text');
  expect(rec.http?.status, 'answered 200: the refusal is inside the tool result, not an HTTP 401').toBe(200);
  expect(rec.text).toContain('Authentication failed: {"code":401,"message":"Unauthorized"}');
  // what the report shows for the failing test: the code, the plain-words title and the fix
  let failure: Error | undefined;
  try {
    expectToolOk(rec);
  } catch (e) {
    failure = e as Error;
  }
  const info = categoryInfo('mcp-token-expired');
  expect(failure?.message).toContain(`[mcp-token-expired] ${info.title}: atlassianUserInfo failed (rule expired-token-text)`);
  expect(failure?.message).toContain(`Fix: ${info.remediation}`);
  expect(info.remediation).toMatch(/instead of answering HTTP 401/);
  // the spec behaviour (the default, http-401): the same expiry is a plain 401 on the request, mcp-auth-failed
  await sim.admin.patchWorld({ org: { mcp: { expiredTokenInSession: 'http-401' } } });
  const plain = await s.call('atlassianUserInfo', {}, { recoverSession: false, retryOn429: false });
  expect(plain.http?.status).toBe(401);
  expect(plain).toAnswerTool({ category: 'mcp-auth-failed' });
});

test('a v2 listing the server refuses (discover failing) is reported with the refusal category, not as tools that disappeared', async ({
  mcp,
  sim,
}) => {
  await sim.admin.patchWorld({ org: { mcp: { toolFault: 'trouble', toolFaultEndpoints: ['v2'] } } });
  const v2 = await mcp.session({ endpoint: 'v2', fresh: true });
  expectToolOk(v2.initialize);
  const listing = await v2.operations();
  const err = listingError('v2 tools/list', listing.records, listing.problems);
  expect(err?.code, err?.message).toBe('transient');
  expect(err?.message).toContain('discover failed');
  // the same session's listing on a healthy endpoint builds, so nothing is refused there
  const authv2 = await mcp.session({ endpoint: 'authv2', fresh: true });
  const ok = await authv2.operations();
  expect(listingError('authv2 tools/list', ok.records, ok.problems)).toBeUndefined();
});

test('the Rovo MCP server turned off for the organisation → mcp-server-disabled, in plain words with the admin fix', async ({
  mcp,
  sim,
}) => {
  await sim.admin.patchWorld({ org: { mcp: { enabled: false } } });
  const s = await mcp.session({ mcpBase: sim.urls.mcp, fresh: true });
  const rec = s.initialize.ok ? await s.call('atlassianUserInfo', {}) : s.initialize;
  expect(rec.ok).toBe(false);
  expect(rec.category, rec.text).toBe('mcp-server-disabled');
  expect(categoryInfo('mcp-server-disabled').remediation).toContain('turns the Rovo MCP server on');
});
