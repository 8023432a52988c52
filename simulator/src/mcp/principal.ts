/**
 * Who is calling the MCP server: the three auth modes of atlassian-mcp.md §2 resolved to one Principal, and the
 * per-endpoint unauthenticated 401 (§1).
 *
 *  - OAuth bearer (§2a): `Authorization: Bearer <access token>` from the auth host's token endpoint. kind 'mcp' apps are
 *    MCP clients (DCR); kind '3lo' apps are console OAuth 2.0 apps (docs/user-stories.md §2).
 *  - Personal API token (§2b): `Authorization: Basic base64(email:api_token)`.
 *  - Service-account API key (§2b): `Authorization: Bearer <api_key>`.
 */
import { createHash } from 'node:crypto';
import type { Ctx } from '../http.ts';
import { verifyAccessToken, verifyApiToken, verifyServiceKey, world } from '../state.ts';

export type Endpoint = 'v1' | 'authv2' | 'v2';

/** the Streamable HTTP path of each endpoint (§1) */
export const ENDPOINT_PATHS: Record<Endpoint, string> = {
  v1: '/v1/mcp',
  authv2: '/v1/mcp/authv2',
  v2: '/v2/mcp',
};

export type AuthVia = 'oauth' | 'api-token' | 'service-key';

export interface Principal {
  via: AuthVia;
  email: string;
  accountId: string;
  /** OAuth only */
  clientId?: string;
  /** OAuth only: '3lo' = console OAuth 2.0 app, 'mcp' = OAuth 2.1 client registered through DCR */
  appKind?: '3lo' | 'mcp';
  grantId?: string;
  /** granted scopes; null = a legacy unscoped API token (§2b) */
  scopes: string[] | null;
  /** sites in the OAuth grant; null = not bound to a site (API tokens, §2b: "pass cloudId on every call") */
  cloudIds: string[] | null;
  /** sha256 of the credential: rate-limit key, never the credential itself */
  key: string;
}

export type AuthOutcome = { ok: true; principal: Principal } | { ok: false; description: string; expired?: boolean };

function hash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 32);
}

function accountIdOf(email: string): string {
  return world().users[email]?.accountId ?? email;
}

export function authenticate(ctx: Ctx): AuthOutcome {
  const header = ctx.req.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
  if (bearer) {
    const v = verifyAccessToken(bearer);
    if (v.ok) {
      const i = v.info;
      return {
        ok: true,
        principal: {
          via: 'oauth',
          email: i.email,
          accountId: i.accountId,
          clientId: i.clientId,
          appKind: i.appKind,
          grantId: i.grantId,
          scopes: i.scopes,
          cloudIds: i.cloudIds,
          key: hash(`oauth:${bearer}`),
        },
      };
    }
    if (v.reason === 'expired') return { ok: false, description: 'The access token expired', expired: true };
    if (v.reason === 'revoked') return { ok: false, description: 'The access token was revoked' };
    const s = verifyServiceKey(bearer);
    if (s.ok) {
      return {
        ok: true,
        principal: {
          via: 'service-key',
          email: s.email,
          accountId: accountIdOf(s.email),
          scopes: s.scopes,
          cloudIds: null,
          key: hash(`key:${bearer}`),
        },
      };
    }
    return { ok: false, description: 'Missing or invalid access token' };
  }
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header)?.[1];
  if (basic) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      const email = decoded.slice(0, colon);
      const token = decoded.slice(colon + 1);
      const t = verifyApiToken(email, token);
      if (t.ok) {
        return {
          ok: true,
          principal: {
            via: 'api-token',
            email: t.email,
            accountId: accountIdOf(t.email),
            scopes: t.scopes,
            cloudIds: null,
            key: hash(`basic:${decoded}`),
          },
        };
      }
    }
    return { ok: false, description: 'Missing or invalid access token' };
  }
  return { ok: false, description: 'Missing or invalid access token' };
}

/** PRM URL (RFC 9728 §3.1 path insertion) of an endpoint */
export function prmUrl(mcpBase: string, endpoint: Endpoint): string {
  return `${mcpBase}/.well-known/oauth-protected-resource${ENDPOINT_PATHS[endpoint]}`;
}

/**
 * The unauthenticated 401, exactly per endpoint (atlassian-mcp.md §1):
 *   /v1/mcp        → Bearer realm="OAuth", error="invalid_token", error_description="Missing or invalid access token" (no resource_metadata)
 *   /v1/mcp/authv2 → Bearer resource_metadata="<mcp>/.well-known/oauth-protected-resource/v1/mcp/authv2", error="invalid_token"
 *   /v2/mcp        → same form with …/v2/mcp
 * The body is a simulator choice (real body not in the reference).
 */
export function send401(ctx: Ctx, endpoint: Endpoint, description: string): void {
  const header =
    endpoint === 'v1'
      ? 'Bearer realm="OAuth", error="invalid_token", error_description="Missing or invalid access token"'
      : `Bearer resource_metadata="${prmUrl(ctx.bases.mcp, endpoint)}", error="invalid_token"`;
  ctx.json(401, { error: 'invalid_token', error_description: description }, { 'www-authenticate': header });
}
