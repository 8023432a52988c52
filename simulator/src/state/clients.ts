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
  const requested = meta.scope ? meta.scope.split(' ').filter(Boolean) : [];
  // classic Confluence scopes are not added to MCP clients (§2a: "requested scopes that have not been added")
  const scopes = [...new Set([...DEFAULT_SCOPES, ...requested.filter((s) => /^[a-z]+:[a-z0-9-]+:[a-z0-9.-]+$/.test(s))])];
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
