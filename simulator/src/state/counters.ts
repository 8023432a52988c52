/** The counters GET /__admin/stats reports, typed: a counter name that does not exist fails the typecheck. */
import { onReset } from './reset.ts';

export interface Stats {
  consents: number;
  codesIssued: number;
  tokens: { authorization_code: number; refresh_token: number };
  refreshReuseWithinWindow: number;
  familyRevocations: number;
  mcpSessions: number;
  toolCalls: number;
}

type Flat = Exclude<keyof Stats, 'tokens'>;
/** a top-level counter, or `tokens.<grant_type>` for the token counters */
export type Counter = Flat | `tokens.${keyof Stats['tokens']}`;

function fresh(): Stats {
  return {
    consents: 0,
    codesIssued: 0,
    tokens: { authorization_code: 0, refresh_token: 0 },
    refreshReuseWithinWindow: 0,
    familyRevocations: 0,
    mcpSessions: 0,
    toolCalls: 0,
  };
}

let stats = fresh();
onReset(() => {
  stats = fresh();
});

export function count(counter: Counter): void {
  if (counter === 'tokens.authorization_code' || counter === 'tokens.refresh_token') {
    const grant = counter === 'tokens.authorization_code' ? 'authorization_code' : 'refresh_token';
    stats.tokens[grant] += 1;
    return;
  }
  stats[counter] += 1;
}

export function getStats(): Stats {
  return structuredClone(stats);
}
