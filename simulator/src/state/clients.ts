/** Dynamic client registration (MCP): a registered client becomes an `apps` entry of kind 'mcp'. */
import { randomBytes } from 'node:crypto';
import { secret } from './secrets.ts';
import { updateWorld } from './world.ts';

const DEFAULT_SCOPES = [
  'offline_access',
  'read:jira-work',
  'write:jira-work',
  'read:page:confluence',
  'write:page:confluence',
  'search:confluence',
  'read:space:confluence',
];

/**
 * The scopes an MCP client (registered or named by a metadata document) is given: the default set plus the granular
 * scopes it asks for; classic Confluence scopes are not added (§2a: "requested scopes that have not been added").
 */
export function mcpClientScopes(scope: string | undefined): string[] {
  const requested = scope ? scope.split(' ').filter(Boolean) : [];
  return [...new Set([...DEFAULT_SCOPES, ...requested.filter((s) => /^[a-z]+:[a-z0-9-]+:[a-z0-9.-]+$/.test(s))])];
}

/** docs/reference/atlassian-mcp.md §2a: DCR returns a client_secret even for token_endpoint_auth_method none. */
export function registerDynamicClient(meta: {
  client_name?: string;
  redirect_uris: string[];
  token_endpoint_auth_method?: string;
  scope?: string;
}): {
  clientId: string;
  clientSecret: string;
} {
  const clientId = `sim-dcr-${randomBytes(9).toString('base64url')}`;
  const clientSecret = secret('dcr-cs', 24);
  const scopes = mcpClientScopes(meta.scope);
  updateWorld((w) => {
    w.apps[clientId] = {
      name: meta.client_name ?? 'MCP client',
      clientSecret: meta.token_endpoint_auth_method === 'none' ? null : clientSecret,
      ownerEmail: '',
      callbackUrls: meta.redirect_uris,
      scopes,
      sharing: true,
      kind: 'mcp',
    };
  });
  return { clientId, clientSecret };
}
