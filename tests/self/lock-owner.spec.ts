/**
 * The inter-process lock with its owner note (fixtures/core/atomic.ts `lockWithOwner`): a lock a killed process left
 * is free at once, whether its note names a dead pid or it has no note at all (killed between taking the lock and
 * writing the note, or between removing the note and letting go), and a live holder's lock is never taken.
 */
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { lockOwnerNote, lockWithOwner } from '../../fixtures/core/atomic.ts';
import { expect, test } from '../../fixtures/index.ts';
import { scratchDir } from '../support/scratch.ts';

const opts = { staleMs: 20_000, waitMs: 1500, pollMs: 50 };

function lockLeftBehind(dir: string, ageMs: number, owner?: string): string {
  const file = path.join(dir, 'store.json');
  mkdirSync(`${file}.lock`);
  const t = new Date(Date.now() - ageMs);
  utimesSync(`${file}.lock`, t, t);
  if (owner !== undefined) writeFileSync(`${file}.owner`, owner);
  return file;
}

test('a lock with no owner note, older than the grace, is taken over at once and said so', async ({}, testInfo) => {
  const dir = scratchDir(testInfo, 'lock');
  const file = lockLeftBehind(dir, 5000);
  const said: string[] = [];
  const t0 = Date.now();
  const release = await lockWithOwner(file, { ...opts, onTakeover: (o) => said.push(o) });
  expect(Date.now() - t0, 'taken without waiting for the 20 s stale time').toBeLessThan(1000);
  expect(said.join(' ')).toMatch(/no owner note for \d+ ms/);
  expect(lockOwnerNote(file)).toBe(String(process.pid));
  await release();
});

test('a lock that was just taken and has no note yet is left alone: the caller waits, then gives up', async ({}, testInfo) => {
  const dir = scratchDir(testInfo, 'lock');
  const file = lockLeftBehind(dir, 0);
  await expect(lockWithOwner(file, opts)).rejects.toMatchObject({ code: 'ELOCKED' });
});

test('a lock left with no note a moment ago is taken once the grace has passed, while the caller waits', async ({}, testInfo) => {
  const dir = scratchDir(testInfo, 'lock');
  const file = lockLeftBehind(dir, 1000);
  const said: string[] = [];
  const t0 = Date.now();
  const release = await lockWithOwner(file, { ...opts, waitMs: 4000, onTakeover: (o) => said.push(o) });
  const waited = Date.now() - t0;
  // about 1 s more (the 2 s grace from the folder's time), never proper-lockfile's 20 s stale time
  expect(waited).toBeGreaterThanOrEqual(800);
  expect(waited).toBeLessThan(3000);
  expect(said).toHaveLength(1);
  await release();
});

test("a live holder's lock is never taken, however old its folder", async ({}, testInfo) => {
  const dir = scratchDir(testInfo, 'lock');
  // this process is alive: its note makes the lock a live holder's, not an abandoned one
  const file = lockLeftBehind(dir, 5000, `main job, pid ${process.ppid}, started ${new Date().toISOString()}`);
  await expect(lockWithOwner(file, opts)).rejects.toMatchObject({ code: 'ELOCKED' });
});
