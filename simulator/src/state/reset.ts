/**
 * POST /__admin/reset: the start world comes back (world.ts) and every other store clears itself through the hook it
 * registered here when it was loaded.
 */
import { restoreStartWorld } from './world.ts';

const hooks: Array<() => void> = [];

/** Register a store's clear function (called on every reset, in registration order). */
export function onReset(fn: () => void): void {
  hooks.push(fn);
}

export function resetState(): void {
  restoreStartWorld();
  for (const fn of hooks) fn();
}
