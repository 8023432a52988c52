/**
 * Grants: one per app per account (docs/reference/atlassian-oauth.md §4); a later consent adds its scopes and its
 * site to the same grant, so tokens issued before cover the new site too.
 */
import { randomUUID } from 'node:crypto';
import { count } from './counters.ts';
import { onReset } from './reset.ts';

export interface Grant {
  id: string;
  email: string;
  clientId: string;
  /** union of the scopes consented so far */
  scopes: Set<string>;
  /** sites in the grant (accessible-resources) — new consents add to it */
  cloudIds: Set<string>;
  createdAt: number;
  revoked: boolean;
}
const grants = new Map<string, Grant>();
onReset(() => grants.clear());

const grantKey = (email: string, clientId: string) => `${email.toLowerCase()}\n${clientId}`;

export function recordConsent(email: string, clientId: string, scopes: string[], cloudId: string | null): Grant {
  const key = grantKey(email, clientId);
  let g = grants.get(key);
  if (!g || g.revoked) {
    g = { id: randomUUID(), email, clientId, scopes: new Set(), cloudIds: new Set(), createdAt: Date.now(), revoked: false };
    grants.set(key, g);
  }
  for (const s of scopes) g.scopes.add(s);
  if (cloudId) g.cloudIds.add(cloudId);
  count('consents');
  return g;
}

/** The live or revoked grant of this account and app (tokens.ts revokes it with its tokens). */
export function grantOf(email: string, clientId: string): Grant | undefined {
  return grants.get(grantKey(email, clientId));
}

export function grantById(id: string): Grant | undefined {
  for (const g of grants.values()) if (g.id === id) return g;
  return undefined;
}

/**
 * An admin revokes the app's access for this user on one site (docs/reference/atlassian-oauth.md §2: the site's
 * Connected apps → Manage authorization → Revoke): the site leaves the grant, so no token of the grant reaches it and
 * accessible-resources stops listing it. [sim] The grant and its tokens keep the other sites and refresh still works
 * (the reference says nothing about the tokens; a whole-grant revoke is `revokeGrant` in tokens.ts). A later consent
 * on that site adds it again. Returns false when no live grant held the site.
 */
export function revokeGrantSite(email: string, clientId: string, cloudId: string): boolean {
  const g = grants.get(grantKey(email, clientId));
  if (!g || g.revoked || !g.cloudIds.has(cloudId)) return false;
  g.cloudIds.delete(cloudId);
  return true;
}
