/** Authorization codes (single use; a replayed code revokes what it produced, RFC 6749 §4.1.2 — tokens.ts). */
import { count } from './counters.ts';
import { onReset } from './reset.ts';
import { secret } from './secrets.ts';
import { world } from './world.ts';

export interface AuthCode {
  clientId: string;
  email: string;
  redirectUri: string;
  scopes: string[];
  grantId: string;
  /** PKCE (RFC 7636): the challenge and its method as the authorize request gave them */
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
  resource?: string;
  expiresAt: number;
  used: boolean;
  /** families issued from this code (revoked if the code is replayed) */
  familyIds: string[];
  accessTokens: string[];
}
const codes = new Map<string, AuthCode>();
onReset(() => codes.clear());

export function issueCode(c: Omit<AuthCode, 'used' | 'familyIds' | 'accessTokens' | 'expiresAt'>): string {
  const code = secret('code', 18);
  codes.set(code, { ...c, used: false, familyIds: [], accessTokens: [], expiresAt: Date.now() + world().settings.codeTtlSeconds * 1000 });
  count('codesIssued');
  return code;
}

export function findCode(code: string): AuthCode | undefined {
  return codes.get(code);
}
