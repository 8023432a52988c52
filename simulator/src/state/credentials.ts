/** API tokens (Basic email:token) and service-account keys (Bearer), read from the world's users. */
import { userEmail, world } from './world.ts';

/** Basic email:token (null scopes = unscoped legacy token). */
export function verifyApiToken(email: string, token: string): { ok: true; email: string; scopes: string[] | null } | { ok: false } {
  const key = userEmail(email);
  const u = key ? world().users[key] : undefined;
  if (!key || !u || u.status !== 'active' || u.serviceAccount) return { ok: false };
  const t = u.apiTokens.find((x) => x.token === token);
  return t ? { ok: true, email: key, scopes: t.scopes ? [...t.scopes] : null } : { ok: false };
}

/** Bearer service-account key (docs/reference/atlassian-mcp.md §2b). */
export function verifyServiceKey(key: string): { ok: true; email: string; scopes: string[] | null } | { ok: false } {
  for (const [email, u] of Object.entries(world().users)) {
    if (!u.serviceAccount || u.status !== 'active') continue;
    const t = u.apiTokens.find((x) => x.token === key);
    if (t) return { ok: true, email, scopes: t.scopes ? [...t.scopes] : null };
  }
  return { ok: false };
}
