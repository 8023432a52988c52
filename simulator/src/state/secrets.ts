/** Every secret the simulator mints carries the canary, so a scanner can prove that none leaks. */
import { createHash, randomBytes } from 'node:crypto';
import { CANARY } from '../canary.ts';

export function secret(kind: string, bytes = 24): string {
  return `${CANARY}-${kind}-${randomBytes(bytes).toString('base64url')}`;
}

/** Fingerprint of a password: sessions and refresh-token families remember it, so a password change ends them. */
export function pwHash(password: string): string {
  return createHash('sha256').update(password).digest('base64url');
}
