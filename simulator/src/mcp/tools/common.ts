/**
 * What every tool needs: the caller, the public base URLs, cloudId resolution (UUID or site hostname/URL,
 * atlassian-mcp.md §4), product access checks and the serialisers that render world data the way the REST
 * gateway does (raw Jira REST v3 JSON for issues, §4 [S56]; Confluence REST v2 shapes for pages).
 */
import { z } from 'zod';
import type { Bases } from '../../http.ts';
import { adf, bodyText, stripTags } from '../../render/adf.ts';
import { world } from '../../state.ts';
import type { World } from '../../world.ts';
import { nextId } from '../../write/ids.ts';
import type { Principal } from '../principal.ts';
import type { OperationKind, PermissionGroup } from '../settings.ts';
import { ToolError } from '../texts.ts';

export interface ToolEnv {
  principal: Principal;
  bases: Bases;
  sessionId: string | undefined;
}

export type Group = 'read' | 'write' | 'search';
export type Product = 'platform' | 'jira' | 'confluence' | 'twg';

export interface ToolSpec {
  name: string;
  title: string;
  description: string;
  /** admin Permissions tab group (§3): Read / Write / Search; null = not subject to it (identity tools) */
  group: Group | null;
  /** v2 permission group when not the one derived from group + product (ops.ts groupOf) */
  permissionGroup?: PermissionGroup;
  /** execute tier when not the one derived from group (write → write, else read) */
  kind?: OperationKind;
  /** v2 operations that take no cloudId (1P skills: "Operations declared omitCloudId … take no cloudId") */
  omitCloudId?: boolean;
  product: Product;
  /** any ONE of these scopes makes the tool visible; [] = needs no scope. Simulator table from §4 [S11][S47]. */
  scopes: readonly string[];
  /** visible to legacy unscoped API tokens (§2b [S19]: only getTeamworkGraphContext / getTeamworkGraphObject) */
  unscoped?: boolean;
  input: z.ZodRawShape;
  run(args: Record<string, unknown>, env: ToolEnv): unknown;
}

/** Typed definition helper: the handler sees its own argument types; the catalogue stores the erased form. */
export function defineTool<S extends z.ZodRawShape>(
  spec: Omit<ToolSpec, 'input' | 'run'> & { input: S; run(args: z.infer<z.ZodObject<S>>, env: ToolEnv): unknown },
): ToolSpec {
  return spec as unknown as ToolSpec;
}

export const cloudIdArg = z
  .string()
  .min(1)
  .describe(
    'Cloud ID (UUID or site URL). Try the site hostname first, e.g. "your-site.atlassian.net"; getAccessibleAtlassianResources lists them.',
  );
export const responseFormatArg = z
  .enum(['adf', 'markdown'])
  .optional()
  .describe('Format of rich-text fields in the response: "adf" (default) or "markdown"');
export const contentFormatArg = z
  .enum(['adf', 'markdown'])
  .optional()
  .describe('Format of the body you send: "adf" (default) or "markdown"');

type SiteEntry = World['sites'][string];

export interface Resolved {
  cloudId: string;
  site: SiteEntry;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Sites the caller may use: the user's sites, narrowed to the OAuth grant's sites when there is one. */
export function accessibleCloudIds(p: Principal): string[] {
  const w = world();
  const user = w.users[p.email];
  if (!user) return [];
  return Object.keys(user.sites).filter((id) => w.sites[id] && (p.cloudIds === null || p.cloudIds.includes(id)));
}

/**
 * cloudId accepts a UUID or a site hostname/URL (§4 [S55][S56]). The error text for an unknown or inaccessible
 * site is a simulator choice (real text UNKNOWN); it never reveals whether the site exists.
 */
export function resolveCloud(env: ToolEnv, input: string): Resolved {
  const w = world();
  const raw = input.trim();
  let cloudId: string | undefined;
  if (UUID.test(raw)) cloudId = raw.toLowerCase();
  else {
    let host = raw.toLowerCase();
    try {
      host = new URL(/^[a-z]+:\/\//.test(host) ? host : `https://${host}`).hostname;
    } catch {
      /* not a URL: compared as typed */
    }
    cloudId = Object.entries(w.sites).find(([, s]) => new URL(s.url).hostname.toLowerCase() === host)?.[0];
  }
  const site = cloudId ? w.sites[cloudId] : undefined;
  if (!cloudId || !site || !accessibleCloudIds(env.principal).includes(cloudId)) {
    throw new ToolError(
      `Cloud id ${JSON.stringify(input)} is not one of the sites you can access. Call getAccessibleAtlassianResources to list them.`,
    );
  }
  return { cloudId, site };
}

/** The user's product role on a site; throws the simulator's permission text when there is none. */
export function requireProduct(env: ToolEnv, r: Resolved, product: 'jira' | 'confluence', write = false): void {
  const w = world();
  const member = w.users[env.principal.email]?.sites[r.cloudId];
  const has =
    product === 'jira'
      ? r.site.products.includes('jira') || r.site.products.includes('jira-software')
      : r.site.products.includes('confluence');
  const role = member?.[product] ?? 'none';
  if (!has || role === 'none') {
    throw new ToolError(`You don't have access to ${product === 'jira' ? 'Jira' : 'Confluence'} on ${new URL(r.site.url).hostname}.`);
  }
  if (write && role !== 'admin' && role !== 'user') throw new ToolError('You do not have permission to make this change.');
}

export function siteData(cloudId: string): World['data'][string] {
  return (
    world().data[cloudId] ?? {
      jira: { projects: [], issues: [], issueLinkTypes: [], webhooks: [] },
      confluence: { spaces: [], pages: [], groups: [] },
    }
  );
}

/** next numeric id after the largest numeric one (write/ids.ts, shared with the REST gateway) */
export { nextId };

export function userRef(accountId: string | null): Record<string, unknown> | null {
  if (!accountId) return null;
  const u = Object.entries(world().users).find(([, x]) => x.accountId === accountId);
  if (!u) return { accountId, displayName: accountId, active: false };
  return { accountId, displayName: u[1].name, emailAddress: u[0], active: u[1].status === 'active', accountType: 'atlassian' };
}

/** rich text helpers shared with the REST gateway (render/adf.ts) */
export { adf, bodyText, stripTags };

export function issueRef(env: ToolEnv, cloudId: string, id: string): string {
  return `${env.bases.api}/ex/jira/${cloudId}/rest/api/3/issue/${id}`;
}
