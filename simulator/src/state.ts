/**
 * The simulator's mutable state, one module per concern under `state/`:
 *   world.ts       the current world, validated mutations, the start world for reset
 *   reset.ts       POST /__admin/reset: restore the world, then every store's registered clear function
 *   counters.ts    typed /__admin/stats counters
 *   secrets.ts     canary-marked secrets, password fingerprints
 *   sessions.ts    id.atlassian.com sessions (the login cookie)
 *   grants.ts      one grant per app per account
 *   codes.ts       authorization codes
 *   tokens.ts      access and refresh tokens, families, revocation
 *   credentials.ts API tokens and service-account keys
 *   clients.ts     dynamic client registration (MCP)
 * This module is their one import point, so a caller names what it uses without knowing the layout.
 */
export { mcpClientScopes, registerDynamicClient } from './state/clients.ts';
export { type AuthCode, findCode, issueCode } from './state/codes.ts';
export { type Counter, count, getStats, type Stats } from './state/counters.ts';
export { verifyApiToken, verifyServiceKey } from './state/credentials.ts';
export { type Grant, grantById, recordConsent } from './state/grants.ts';
export { onReset, resetState } from './state/reset.ts';
export { pwHash, secret } from './state/secrets.ts';
export { createSession, dropSession, sessionUser } from './state/sessions.ts';
export {
  type AccessTokenInfo,
  type RefreshResult,
  refresh,
  revokeCodeProducts,
  revokeGrant,
  type TokenResponse,
  tokensForCode,
  verifyAccessToken,
} from './state/tokens.ts';
export { findApp, findUser, loadStartWorld, mergePatch, patchWorld, replaceWorld, updateWorld, userEmail, world } from './state/world.ts';
export { WorldError } from './world.ts';
