/**
 * OAuth discovery for MCP clients, as observed in atlassian-mcp.md §2a (table "Discovery chains actually observed"):
 *
 *  mcp host
 *   GET  /.well-known/oauth-protected-resource[/v1/mcp]      → 404 (v1 has no PRM, Feb–Sep 2026 [S25][S26])
 *   GET  /.well-known/oauth-protected-resource/v1/mcp/authv2 → PRM {resource, authorization_servers:[<auth>/<tenant>]} [S32]
 *   GET  /.well-known/oauth-protected-resource/v2/mcp        → PRM + scopes_supported [S28]
 *   GET  /.well-known/oauth-authorization-server             → v1 root AS metadata (/v1/authorize, /v1/token, /v1/register);
 *                                                              issuer cf.mcp (org.mcp.issuerQuirk, default: what the real
 *                                                              server answers, "The v2 generation" [S21][S31]) or mcp [S26][S30]
 *   POST /v1/register                                        → DCR (201) [S30]; 404 when org.mcp.dcrEnabled is false
 *   GET  /v1/authorize → 302 to <auth>/authorize (the auth host does login, consent, PKCE, domain allowlist);
 *                        500 "Internal server error" when org.mcp.authorizeError (#193, #108)
 *   POST /v1/token     → the auth host's token endpoint in-process (the SDK does not follow redirects on token requests)
 *   /authorize, /token, /register (unversioned)              → 404 [S33]
 *  auth host
 *   GET  /.well-known/oauth-authorization-server/<tenant>    → path-scoped AS metadata (RFC 8414 §3.1 path insertion);
 *   GET  /<tenant>/.well-known/oauth-authorization-server       issuer = the bare auth origin (the real §3.3 mismatch
 *                                                              [S21][S27]) unless org.mcp.asIssuerConsistent
 *   GET  /.well-known/oauth-authorization-server             → origin-only metadata WITHOUT registration_endpoint [S34]
 *   POST /<tenant>/dcr/register                              → DCR [S35]; a client_secret even for auth method none [S36]
 */
import { z } from 'zod';
import { RedirectUri } from '../auth/redirect.ts';
import { handleToken } from '../auth/token.ts';
import type { Ctx, Router } from '../http.ts';
import { registerDynamicClient, world } from '../state.ts';
import { ENDPOINT_PATHS } from './principal.ts';

/** The path-scoped tenant of the simulated auth server (real example: VCeDsk8ZHncYF1g234fKtc4lNipbBhu3 [S32]; ours is 32 chars too). */
export const MCP_TENANT = 'SimMcpTenant8ZHncYF1g234fKtc4lNi';

/**
 * scopes_supported of the v2 PRM and the AS documents. The reference lists only one client's default set [S45];
 * the simulator adds the comment, Rovo-search and MCP read scopes its tools use (simulator/docs/mcp.md).
 */
export const MCP_SCOPES_GRANULAR = [
  'offline_access',
  'read:jira-work',
  'write:jira-work',
  'read:page:confluence',
  'write:page:confluence',
  'search:confluence',
  'read:space:confluence',
  'read:comment:confluence',
  'write:comment:confluence',
  'read:confluence:mcp',
  'search:rovo:mcp',
] as const;

/** "The v2 generation" (3P): the agent-interface family v2 OAuth clients are reported to get (org.mcp.scopeFamily) */
export const MCP_SCOPES_AGENT_INTERFACE = [
  'offline_access',
  'read:account',
  'email',
  'read:jira:agent-interface',
  'write:jira:agent-interface',
  'search:jira:agent-interface',
  'read:confluence:agent-interface',
  'write:confluence:agent-interface',
  'search:confluence:agent-interface',
  'search:rovo:agent-interface',
] as const;

/** scopes_supported of the PRM and AS documents for the world's scope family */
export function scopesSupported(): string[] {
  return world().org.mcp.scopeFamily === 'agent-interface' ? [...MCP_SCOPES_AGENT_INTERFACE] : [...MCP_SCOPES_GRANULAR];
}

const edge = (h: (ctx: Ctx) => void | Promise<void>) => (ctx: Ctx) => {
  // §1: responses of mcp.atlassian.com carry `Server: AtlassianEdge` [S25]
  ctx.res.setHeader('server', 'AtlassianEdge');
  return h(ctx);
};

const notFound = (ctx: Ctx) => ctx.text(404, 'Not Found');

function asCommon(): Record<string, unknown> {
  return {
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    // the auth host's /authorize accepts S256 only (one real probe also lists plain [S28][S38])
    code_challenge_methods_supported: ['S256'],
    scopes_supported: scopesSupported(),
    // "The v2 generation" (3P): CIMD advertised; /authorize accepts a URL client_id (auth/cimd.ts)
    client_id_metadata_document_supported: true,
  };
}

function pathScopedAs(ctx: Ctx, withRegistration: boolean): Record<string, unknown> {
  const auth = ctx.bases.auth;
  const issuer = world().org.mcp.asIssuerConsistent ? `${auth}/${MCP_TENANT}` : auth;
  return {
    issuer,
    authorization_endpoint: `${auth}/authorize`,
    token_endpoint: `${auth}/oauth/token`,
    ...(withRegistration ? { registration_endpoint: `${auth}/${MCP_TENANT}/dcr/register` } : {}),
    token_endpoint_auth_methods_supported: ['none', 'client_secret_post', 'client_secret_basic'],
    ...asCommon(),
  };
}

/** https://mcp.atlassian.com → https://cf.mcp.atlassian.com; a loopback IP base → http://cf.localhost:<port> (an IP takes no prefix) */
export function cfHost(base: string): string {
  const u = new URL(base);
  const isIp = /^[\d.]+$/.test(u.hostname) || u.hostname.startsWith('[');
  return `${u.protocol}//cf.${isIp ? 'localhost' : u.hostname}${u.port ? `:${u.port}` : ''}`;
}

function v1RootAs(ctx: Ctx): Record<string, unknown> {
  const mcp = ctx.bases.mcp;
  return {
    issuer: world().org.mcp.issuerQuirk ? cfHost(mcp) : mcp,
    authorization_endpoint: `${mcp}/v1/authorize`,
    token_endpoint: `${mcp}/v1/token`,
    registration_endpoint: `${mcp}/v1/register`,
    token_endpoint_auth_methods_supported: ['none', 'client_secret_post', 'client_secret_basic'],
    ...asCommon(),
  };
}

/** RFC 7591 §2 client metadata (the fields the simulator uses; others are echoed back) */
const DcrRequest = z.looseObject({
  redirect_uris: z.array(RedirectUri).min(1),
  client_name: z.string().optional(),
  token_endpoint_auth_method: z.enum(['none', 'client_secret_post', 'client_secret_basic']).optional(),
  grant_types: z.array(z.string()).optional(),
  response_types: z.array(z.string()).optional(),
  scope: z.string().optional(),
});

async function dcr(ctx: Ctx): Promise<void> {
  if (!world().org.mcp.dcrEnabled) {
    notFound(ctx);
    return;
  }
  // RFC 7591 §3.2.2 error codes
  const meta = await ctx.parse(DcrRequest, 'json', (issue) => ({
    status: 400,
    body: { error: issue.startsWith('redirect_uris') ? 'invalid_redirect_uri' : 'invalid_client_metadata', error_description: issue },
  }));
  const method = meta.token_endpoint_auth_method ?? 'client_secret_post';
  const { clientId, clientSecret } = registerDynamicClient({
    redirect_uris: meta.redirect_uris,
    token_endpoint_auth_method: method,
    ...(meta.client_name !== undefined ? { client_name: meta.client_name } : {}),
    ...(meta.scope !== undefined ? { scope: meta.scope } : {}),
  });
  ctx.note({ clientId });
  const app = world().apps[clientId];
  // RFC 7591 §3.2.1; §2a [S36]: a client_secret comes back even for token_endpoint_auth_method=none
  ctx.json(
    201,
    {
      ...meta,
      client_id: clientId,
      client_secret: clientSecret,
      client_id_issued_at: Math.floor(Date.now() / 1000),
      client_secret_expires_at: 0,
      client_name: meta.client_name ?? app?.name ?? 'MCP client',
      redirect_uris: meta.redirect_uris,
      token_endpoint_auth_method: method,
      grant_types: meta.grant_types ?? ['authorization_code', 'refresh_token'],
      response_types: meta.response_types ?? ['code'],
      scope: (app?.scopes ?? []).join(' '),
    },
    { 'cache-control': 'no-store' },
  );
}

export function registerDiscovery(mcp: Router, auth: Router): void {
  // ---- mcp host: protected-resource metadata (RFC 9728)
  mcp.route('GET', '/.well-known/oauth-protected-resource', edge(notFound));
  mcp.route('GET', '/.well-known/oauth-protected-resource/v1/mcp', edge(notFound));
  mcp.route(
    'GET',
    '/.well-known/oauth-protected-resource/v1/mcp/authv2',
    edge((ctx) =>
      ctx.json(200, { resource: `${ctx.bases.mcp}${ENDPOINT_PATHS.authv2}`, authorization_servers: [`${ctx.bases.auth}/${MCP_TENANT}`] }),
    ),
  );
  mcp.route(
    'GET',
    '/.well-known/oauth-protected-resource/v2/mcp',
    edge((ctx) =>
      ctx.json(200, {
        resource: `${ctx.bases.mcp}${ENDPOINT_PATHS.v2}`,
        authorization_servers: [`${ctx.bases.auth}/${MCP_TENANT}`],
        scopes_supported: scopesSupported(),
        bearer_methods_supported: ['header'],
      }),
    ),
  );
  // ---- mcp host: v1 root AS, versioned OAuth endpoints, unversioned 404s
  mcp.route(
    'GET',
    '/.well-known/oauth-authorization-server',
    edge((ctx) => ctx.json(200, v1RootAs(ctx))),
  );
  mcp.route('POST', '/v1/register', edge(dcr));
  mcp.route(
    'GET',
    '/v1/authorize',
    edge((ctx) =>
      world().org.mcp.authorizeError
        ? ctx.text(500, 'Internal server error')
        : ctx.redirect(`${ctx.bases.auth}/authorize${ctx.url.search}`, 302),
    ),
  );
  // forwarded in-process: the SDK's token request does not follow redirects ("HTTP 307: Redirect … not followed")
  mcp.route('POST', '/v1/token', edge(handleToken));
  for (const p of ['/authorize', '/token', '/register']) mcp.route('*', p, edge(notFound));

  // ---- auth host: path-scoped AS metadata, origin-only metadata, DCR
  auth.route('GET', `/.well-known/oauth-authorization-server/${MCP_TENANT}`, (ctx) => ctx.json(200, pathScopedAs(ctx, true)));
  auth.route('GET', `/${MCP_TENANT}/.well-known/oauth-authorization-server`, (ctx) => ctx.json(200, pathScopedAs(ctx, true)));
  auth.route('GET', '/.well-known/oauth-authorization-server', (ctx) => ctx.json(200, pathScopedAs(ctx, false)));
  auth.route('POST', `/${MCP_TENANT}/dcr/register`, dcr);
}

export { edge };
