/**
 * The API gateway (api.atlassian.com): accessible-resources, /me, Jira REST v3 + Agile 1.0 and Confluence v2 + v1
 * under `/ex/{product}/{cloudId}/…` (atlassian-oauth.md §4-§6). Every endpoint, the scopes it needs, its error
 * bodies and the check order are documented in simulator/docs/rest.md; the scope table is `scopes.ts`.
 *
 * Rate limits (429 with Retry-After, X-RateLimit-*, RateLimit-Reason) come from the fault middleware
 * (`POST /__admin/faults`), which runs before these handlers; `atl-traceid` is set by the http layer.
 */
import type { Router } from '../http.ts';
import { registerConfluence } from './confluence.ts';
import { registerIdentity } from './identity.ts';
import { registerJira } from './jira.ts';

export function registerApi(router: Router): void {
  registerIdentity(router);
  registerJira(router);
  registerConfluence(router);
}
