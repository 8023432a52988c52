/**
 * The gateway checks every api.atlassian.com request goes through before its handler runs, in this order
 * (documented in simulator/docs/rest.md "Check order"):
 *
 *   1. credentials   missing / unknown / expired / revoked token            → 401 {"code":401,"message":"Unauthorized"}
 *   2. site          cloudId is no site at all                               → 404 {"code":404,"message":"Not Found: …"}
 *   3. grant         cloudId not in the token's grant, or the user left it   → 401 {"code":401,"message":"Unauthorized"}
 *   4. product       product not installed on the site                       → 404 {"code":404,"message":"Not Found: <product> is not installed on <url>"}
 *   5. scope         token lacks every scope set the endpoint accepts        → 401 {"code":401,"message":"Unauthorized; scope does not match"}
 *   6. gone          removed Confluence v1 endpoint                          → 410 GoneException
 *   7. permission    user's product role is `none`, or not `admin` on admin endpoints → 403 in the product's error style
 *
 * Steps 1-5 are the gateway's (gateway body); 6-7 are the product's (product body), so a scope error (401) and a
 * permission error (403) are always distinguishable (atlassian-oauth.md §5 rows 1 and 3).
 */
import type { Ctx, Router } from '../http.ts';
import { verifyAccessToken, verifyApiToken, verifyServiceKey, world } from '../state.ts';
import type { Site, SiteData, User } from '../world.ts';
import {
  ApiError,
  adminRequired,
  type ErrorStyle,
  gone,
  permissionDenied,
  productNotInstalled,
  scopeMismatch,
  sendApiError,
  siteNotInGrant,
  siteUnknown,
  tokenInvalid,
  tokenMissing,
} from './errors.ts';
import { ENDPOINTS, type EndpointId, type EndpointRule, type Product, scopesSatisfy } from './scopes.ts';

export type Membership = User['sites'][string];

/** Who is calling: an OAuth 3LO/MCP access token, a scoped API token (Basic) or a service-account key (Bearer). */
export interface Principal {
  kind: 'oauth' | 'api-token' | 'service-key';
  email: string;
  user: User;
  scopes: ReadonlySet<string>;
  /** sites in the grant (OAuth) or the user's sites (API token / service key) */
  cloudIds: readonly string[];
  clientId?: string;
  grantId?: string;
}

export interface SiteCall {
  cloudId: string;
  site: Site;
  data: SiteData;
  membership: Membership;
}

export interface GatewayCall {
  ctx: Ctx;
  rule: EndpointRule;
  principal: Principal;
}

export interface ProductCall extends GatewayCall {
  site: SiteCall;
}

const EMPTY_DATA: SiteData = {
  jira: { projects: [], issues: [], issueLinkTypes: [], webhooks: [] },
  confluence: { spaces: [], pages: [], groups: [] },
};

/** Step 1. atlassian-oauth.md §4: calls carry `Authorization: Bearer <access token>`. */
export function authenticate(ctx: Ctx): Principal {
  const header = ctx.req.headers.authorization;
  if (!header) throw tokenMissing();
  const m = /^(Bearer|Basic)\s+(\S+)\s*$/i.exec(header);
  if (!m) throw tokenInvalid();
  const scheme = m[1]!.toLowerCase();
  const credential = m[2]!;
  const w = world();
  if (scheme === 'bearer') {
    const v = verifyAccessToken(credential);
    if (v.ok) {
      const user = w.users[v.info.email];
      if (user?.status !== 'active') throw tokenInvalid();
      ctx.note({ clientId: v.info.clientId, account: v.info.email, grant: v.info.grantId });
      return {
        kind: 'oauth',
        email: v.info.email,
        user,
        scopes: new Set(v.info.scopes),
        cloudIds: v.info.cloudIds,
        clientId: v.info.clientId,
        grantId: v.info.grantId,
      };
    }
    // atlassian-mcp.md §2b: service-account API keys are sent as Bearer
    const s = verifyServiceKey(credential);
    if (s.ok && s.scopes !== null) return apiKeyPrincipal(ctx, 'service-key', s.email, s.scopes);
    throw tokenInvalid();
  }
  let decoded: string;
  try {
    decoded = Buffer.from(credential, 'base64').toString('utf8');
  } catch {
    throw tokenInvalid();
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) throw tokenInvalid();
  const v = verifyApiToken(decoded.slice(0, colon), decoded.slice(colon + 1));
  // [sim] unscoped (legacy) API tokens work only on the site's own domain, not through api.atlassian.com → 401
  if (!v.ok || v.scopes === null) throw tokenInvalid();
  return apiKeyPrincipal(ctx, 'api-token', v.email, v.scopes);
}

function apiKeyPrincipal(ctx: Ctx, kind: 'api-token' | 'service-key', email: string, scopes: string[]): Principal {
  const user = world().users[email];
  if (user?.status !== 'active') throw tokenInvalid();
  ctx.note({ account: email });
  return { kind, email, user, scopes: new Set(scopes), cloudIds: Object.keys(user.sites) };
}

/** The sites a principal can reach now: in its grant, still existing, and the user still a member (§4, [sim]). */
export function reachableSites(p: Principal): string[] {
  const w = world();
  return p.cloudIds.filter((id) => w.sites[id] !== undefined && p.user.sites[id] !== undefined);
}

/** Steps 2-4. */
export function routeSite(p: Principal, cloudId: string, product: Product): SiteCall {
  const w = world();
  const site = w.sites[cloudId];
  if (!site) throw siteUnknown(cloudId);
  if (!p.cloudIds.includes(cloudId)) throw siteNotInGrant();
  const membership = p.user.sites[cloudId];
  // [sim] a user removed from the site keeps their grant, but the token no longer reaches that site
  if (!membership) throw siteNotInGrant();
  if (!site.products.includes(product)) throw productNotInstalled(PRODUCT_NAMES[product], site.url);
  return { cloudId, site, data: w.data[cloudId] ?? EMPTY_DATA, membership };
}

const PRODUCT_NAMES: Record<Product, string> = { jira: 'Jira', 'jira-software': 'Jira Software', confluence: 'Confluence' };

/** Step 5. */
export function checkScopes(p: Principal, rule: EndpointRule): void {
  if (!scopesSatisfy(rule, p.scopes)) throw scopeMismatch();
}

/** Step 7 messages, per product. */
const PERMISSION_TEXT = {
  jira: {
    none: 'You do not have permission to use Jira on this site. Ask a site admin for product access.',
    admin: 'You are not authorized to perform this operation. Administrator privileges are required.',
  },
  confluence: {
    none: 'com.atlassian.confluence.api.service.exceptions.PermissionException: User is not permitted to use Confluence',
    admin: 'com.atlassian.confluence.api.service.exceptions.PermissionException: Only Confluence administrators may perform this operation',
  },
} as const;

export function checkPermission(site: SiteCall, rule: EndpointRule): void {
  const product = rule.product === 'confluence' ? 'confluence' : 'jira';
  const role = site.membership[product];
  if (role === 'none') throw permissionDenied(PERMISSION_TEXT[product].none);
  if (rule.permission === 'admin' && role !== 'admin') throw adminRequired(PERMISSION_TEXT[product].admin);
}

function toPattern(rule: EndpointRule): string {
  const path = rule.path.replace(/\{(\w+)\}/g, ':$1');
  if (rule.product === null) return path;
  const prefix = rule.product === 'confluence' ? 'confluence' : 'jira';
  return `/ex/${prefix}/:cloudId${path}`;
}

function styleOf(rule: EndpointRule): ErrorStyle {
  if (rule.product === null) return 'gateway';
  if (rule.product !== 'confluence') return 'jira';
  return rule.path.startsWith('/wiki/api/v2') ? 'confluence-v2' : 'confluence-v1';
}

async function guarded(ctx: Ctx, style: ErrorStyle, run: () => void | Promise<void>): Promise<void> {
  try {
    await run();
  } catch (e) {
    if (e instanceof ApiError) sendApiError(ctx, e, style);
    else throw e;
  }
}

/** Register a product endpoint (`/ex/jira|confluence/{cloudId}/…`): steps 1-7, then the handler. */
export function productEndpoint(router: Router, id: EndpointId, handler: (call: ProductCall) => void | Promise<void>): void {
  const rule: EndpointRule = ENDPOINTS[id];
  const product = rule.product;
  if (product === null) throw new Error(`${id} is a gateway endpoint`);
  const style = styleOf(rule);
  router.route(rule.method, toPattern(rule), (ctx) =>
    guarded(ctx, style, async () => {
      const principal = authenticate(ctx);
      const site = routeSite(principal, ctx.params['cloudId'] ?? '', product);
      checkScopes(principal, rule);
      if (rule.gone) throw gone();
      checkPermission(site, rule);
      await handler({ ctx, rule, principal, site });
    }),
  );
}

/** Register a gateway endpoint (no site routing): steps 1 and 5, then the handler. */
export function gatewayEndpoint(router: Router, id: EndpointId, handler: (call: GatewayCall) => void | Promise<void>): void {
  const rule: EndpointRule = ENDPOINTS[id];
  router.route(rule.method, toPattern(rule), (ctx) =>
    guarded(ctx, 'gateway', async () => {
      const principal = authenticate(ctx);
      checkScopes(principal, rule);
      await handler({ ctx, rule, principal });
    }),
  );
}
