/**
 * The current world and its mutations. Reset restores the start world from a frozen JSON string — no schema
 * validation on that path, so POST /__admin/reset stays well under 5 ms. Every mutation is validated and keeps the
 * old world when it fails (WorldError).
 */
import { type App, parseWorld, type User, type World } from '../world.ts';

let startWorldJson = '';
let current: World | undefined;

/** Set the world loaded at start (already validated). */
export function loadStartWorld(w: World): void {
  startWorldJson = JSON.stringify(w);
  current = JSON.parse(startWorldJson) as World;
}

export function restoreStartWorld(): void {
  current = JSON.parse(startWorldJson) as World;
}

/** Current world. Read freely; mutate only via the functions here. */
export function world(): World {
  if (!current) throw new Error('simulator world not loaded');
  return current;
}

/** Validates after mutation; throws WorldError and keeps the old world. */
export function updateWorld(mutator: (w: World) => void): void {
  const draft = structuredClone(world());
  mutator(draft);
  current = parseWorld(draft);
}

/** Replace the whole world (validated; throws WorldError). */
export function replaceWorld(input: unknown): void {
  current = parseWorld(input);
}

/** RFC 7396 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export function patchWorld(patch: unknown): void {
  current = parseWorld(mergePatch(structuredClone(world()), patch));
}

export function findApp(clientId: string): App | undefined {
  return Object.hasOwn(world().apps, clientId) ? world().apps[clientId] : undefined;
}

/** The world's spelling of an email (emails compare case-insensitively). */
export function userEmail(email: string): string | undefined {
  return Object.keys(world().users).find((e) => e.toLowerCase() === email.toLowerCase());
}

export function findUser(email: string): User | undefined {
  const key = userEmail(email);
  return key ? world().users[key] : undefined;
}
