/**
 * Gateway endpoints that are not routed to a site: `GET /oauth/token/accessible-resources` and `GET /me`
 * (atlassian-oauth.md §4).
 */
import type { Router } from '../http.ts';
import { userAvatar } from '../render/user.ts';
import { world } from '../state/world.ts';
import { gatewayEndpoint, reachableSites } from './gate.ts';
import { scopeProduct } from './scopes.ts';

/** atlassian-oauth.md §4 example value (a CDN the harness never fetches). */
const DEFAULT_SITE_AVATAR = 'https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/flag.png';

export function registerIdentity(router: Router): void {
  // §4: one entry per site in the grant: {id, name, url, scopes, avatarUrl}; order not meaningful.
  // [sim] sites the user no longer belongs to, or that no longer exist, are dropped; `scopes` lists the granted
  // scopes of the products installed on that site plus product-neutral ones (read:me …), never offline_access.
  gatewayEndpoint(router, 'accessibleResources', ({ ctx, principal }) => {
    const w = world();
    const out = reachableSites(principal).map((id) => {
      const site = w.sites[id]!;
      const scopes = [...principal.scopes].filter((s) => {
        if (s === 'offline_access') return false;
        const product = scopeProduct(s);
        return product === null || site.products.includes(product);
      });
      return { id, name: site.name, url: site.url, scopes, avatarUrl: site.avatarUrl ?? DEFAULT_SITE_AVATAR };
    });
    ctx.json(200, out);
  });

  // §4 /me: needs read:me (User Identity API); shape copied from the reference example.
  gatewayEndpoint(router, 'me', ({ ctx, principal }) => {
    const u = principal.user;
    ctx.json(200, {
      account_type: 'atlassian',
      account_id: u.accountId,
      email: principal.email,
      name: u.name,
      picture: userAvatar(u.accountId),
      account_status: u.status,
      nickname: u.nickname ?? u.name.split(' ')[0] ?? u.name,
      zoneinfo: u.zoneinfo,
      locale: u.locale,
      extended_profile: {},
    });
  });
}
