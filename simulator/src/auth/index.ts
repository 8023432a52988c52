/** auth.atlassian.com: authorize, consent and the token endpoint (the MCP server adds its AS metadata and DCR routes to the same router). */
import type { Router } from '../http.ts';
import { registerAuthorize } from './authorize.ts';
import { registerToken } from './token.ts';

export function registerAuth(r: Router): void {
  registerAuthorize(r);
  registerToken(r);
}
