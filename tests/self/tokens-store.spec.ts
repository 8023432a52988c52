/**
 * Token store guarantees: 0600 files in a 0700 folder, atomic replace, a corrupt or foreign file moved
 * aside with one clear error, and an inter-process lock that serialises holders.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '../../fixtures/index.ts';
import type { ConsentReason } from '../../fixtures/tokens/provider.ts';
import { makeKey, type TokenRecord, TokenStore, TokenStoreError, targetIdentity, tokenRecord } from '../../fixtures/tokens/store.ts';
import { readTokenTally, reconsentLine, tallyDir, tallyText, tallyWriter } from '../../fixtures/tokens/tally.ts';
import { scratchDir } from '../support/scratch.ts';

const key = makeKey('http://127.0.0.1:1234', 'Member@Sim.Example', 'sim-client-3lo', ['read:me', 'offline_access', 'read:me']);
const rec = (over: Partial<TokenRecord> = {}): TokenRecord => ({
  format: 'harness-token-store/1',
  key,
  role: 'member',
  accessToken: 'SIMCANARY-access-aaaaaaaa',
  refreshToken: 'SIMCANARY-refresh-bbbbbbbb',
  expiresAt: Date.now() + 3600_000,
  scopes: ['offline_access', 'read:me'],
  obtainedAt: Date.now(),
  refreshes: 0,
  sites: [],
  ...over,
});

test.describe('token store', () => {
  test('the key is origin, lower-cased email, client id and the sorted scope set', () => {
    expect(key).toEqual({
      origin: 'http://127.0.0.1:1234',
      email: 'member@sim.example',
      clientId: 'sim-client-3lo',
      scopes: ['offline_access', 'read:me'],
    });
    const store = new TokenStore('/nonexistent');
    expect(store.fileFor(key)).toBe(
      store.fileFor(makeKey('http://127.0.0.1:1234', 'member@sim.example', 'sim-client-3lo', ['read:me', 'offline_access'])),
    );
    expect(store.fileFor(key)).not.toBe(
      store.fileFor(makeKey('http://127.0.0.1:9999', 'member@sim.example', 'sim-client-3lo', ['read:me', 'offline_access'])),
    );
  });

  test('records are written 0600 in a 0700 folder by rename, leaving no temp file', async ({}, testInfo) => {
    const dir = scratchDir(testInfo, 'store');
    const store = new TokenStore(dir);
    store.write(rec());
    store.write(rec({ refreshes: 1 }));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(store.fileFor(key)).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual([store.fileFor(key).split('/').pop()]);
    expect(store.read(key)?.refreshes).toBe(1);
  });

  test('a corrupt file is moved aside (not deleted) with a message naming both paths', async ({}, testInfo) => {
    const store = new TokenStore(scratchDir(testInfo, 'store'));
    store.write(rec());
    const file = store.fileFor(key);
    writeFileSync(file, '{"format":"harness-token-store/1", "key": {');
    let err: unknown;
    try {
      store.read(key);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TokenStoreError);
    const e = err as TokenStoreError;
    expect(e.message).toContain(file);
    expect(e.message).toContain('moved aside');
    expect(existsSync(file)).toBe(false);
    expect(readFileSync(e.movedTo, 'utf8')).toContain('harness-token-store/1');
    expect(store.read(key)).toBeUndefined();
  });

  test('a foreign record (another key or format) is moved aside too', async ({}, testInfo) => {
    const store = new TokenStore(scratchDir(testInfo, 'store'));
    const other = makeKey('http://127.0.0.1:1', 'admin@sim.example', 'x', ['read:me']);
    mkdirSync(store.dir, { recursive: true });
    writeFileSync(store.fileFor(key), JSON.stringify(rec({ key: other })), { flag: 'w' });
    expect(() => store.read(key)).toThrow(/different key/);
    writeFileSync(store.fileFor(key), JSON.stringify({ access_token: 'SIMCANARY-from-another-tool' }));
    expect(() => store.read(key)).toThrow(/not a harness token record/);
    expect(readdirSync(scratchDir(testInfo, 'store')).filter((f) => f.includes('.corrupt-'))).toHaveLength(2);
  });

  test('the lock serialises holders: the second runs only after the first released', async ({}, testInfo) => {
    const store = new TokenStore(scratchDir(testInfo, 'store'));
    const order: string[] = [];
    let releaseFirst!: () => void;
    const firstMayEnd = new Promise<void>((r) => {
      releaseFirst = r;
    });
    let firstEntered!: () => void;
    const entered = new Promise<void>((r) => {
      firstEntered = r;
    });
    const a = store.withLock(key, async () => {
      order.push('a-in');
      firstEntered();
      await firstMayEnd;
      order.push('a-out');
    });
    await entered;
    const b = store.withLock(key, async () => {
      order.push('b-in');
    });
    order.push('b-queued');
    releaseFirst();
    await Promise.all([a, b]);
    expect(order).toEqual(['a-in', 'b-queued', 'a-out', 'b-in']);
  });

  test('the identity of a simulator target carries its world, never its random port', () => {
    const a = targetIdentity({ kind: 'sim', authBase: 'http://127.0.0.1:41234' });
    const b = targetIdentity({ kind: 'sim', authBase: 'http://127.0.0.1:39871' });
    expect(a).toBe('sim:default');
    expect(b).toBe(a);
    expect(targetIdentity({ kind: 'sim', authBase: 'http://127.0.0.1:1', world: 'worlds/blocked.json' })).toBe('sim:worlds/blocked.json');
    expect(targetIdentity({ kind: 'atlassian', authBase: 'https://auth.atlassian.com' })).toBe('https://auth.atlassian.com');
    const store = new TokenStore('/nonexistent');
    const keyOn = (origin: string) => makeKey(origin, 'member@sim.example', 'sim-client-3lo', ['read:me']);
    expect(store.fileFor(keyOn(a))).toBe(store.fileFor(keyOn(b)));
  });

  test('prune removes stale locks, old temp files and port-keyed records, and leaves live ones', async ({}, testInfo) => {
    const dir = scratchDir(testInfo, 'store');
    const store = new TokenStore(dir, { staleMs: 5000 });
    const live = makeKey('sim:default', 'member@sim.example', 'sim-client-3lo', ['read:me']);
    store.write(rec({ key: live }));
    store.write(rec({ key: makeKey('http://127.0.0.1:40404', 'member@sim.example', 'sim-client-3lo', ['read:me']) }));
    const old = (Date.now() - 60_000) / 1000;
    const staleLock = path.join(dir, 'deadbeef.json.lock');
    const heldLock = path.join(dir, 'cafe.json.lock');
    const oldTmp = path.join(dir, '.deadbeef.json.tmp-1-2-abc');
    mkdirSync(staleLock);
    mkdirSync(heldLock);
    writeFileSync(oldTmp, '{');
    utimesSync(staleLock, old, old);
    utimesSync(oldTmp, old, old);
    const removed = store.prune();
    expect(removed).toContain(path.basename(staleLock));
    expect(removed).toContain(path.basename(oldTmp));
    expect(removed.filter((n) => n.endsWith('.json'))).toHaveLength(1);
    expect(readdirSync(dir).sort()).toEqual([path.basename(store.fileFor(live)), path.basename(heldLock)].sort());
    expect(store.read(live)?.accessToken).toBe('SIMCANARY-access-aaaaaaaa');
  });

  test('a lock folder left by a killed process does not block the next holder', async ({}, testInfo) => {
    const store = new TokenStore(scratchDir(testInfo, 'store'), { staleMs: 5000 });
    mkdirSync(store.dir, { recursive: true });
    const lock = `${store.fileFor(key)}.lock`;
    mkdirSync(lock);
    const old = (Date.now() - 60_000) / 1000;
    utimesSync(lock, old, old);
    const started = Date.now();
    expect(await store.withLock(key, async () => 'entered')).toBe('entered');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test('a fresh lock whose holder was killed (its pid is gone) is free at once, not after the staleness', async ({}, testInfo) => {
    const store = new TokenStore(scratchDir(testInfo, 'store'), { staleMs: 30_000 });
    mkdirSync(store.dir, { recursive: true });
    const file = store.fileFor(key);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    mkdirSync(`${file}.lock`);
    writeFileSync(`${file}.owner`, dead.stdout);
    const started = Date.now();
    expect(await store.withLock(key, async () => 'entered')).toBe('entered');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(readdirSync(store.dir)).toEqual([]);
  });

  test('one record builder: a consent starts at zero refreshes, a refresh keeps the consent and counts up', () => {
    const t = {
      accessToken: 'SIMCANARY-a1',
      refreshToken: 'SIMCANARY-r1',
      expiresIn: 60,
      expiresAt: Date.now() + 60_000,
      scopes: ['read:me'],
      tokenType: 'Bearer',
    };
    const first = tokenRecord(key, 'member', t, { sites: ['acme-sim.atlassian.net'] });
    expect(first).toMatchObject({ refreshes: 0, sites: ['acme-sim.atlassian.net'], refreshToken: 'SIMCANARY-r1' });
    expect(first.refreshedAt).toBeUndefined();
    const next = tokenRecord(key, 'member', { ...t, accessToken: 'SIMCANARY-a2', refreshToken: undefined }, { previous: first });
    expect(next).toMatchObject({
      refreshes: 1,
      sites: ['acme-sim.atlassian.net'],
      refreshToken: 'SIMCANARY-r1',
      obtainedAt: first.obtainedAt,
    });
    expect(next.refreshedAt).toBeGreaterThanOrEqual(first.obtainedAt);
  });
});

test.describe('re-consent tally', () => {
  const provider = (consented: Array<{ role: string; reason: ConsentReason }>, fromStoreRoles: string[]) => ({
    stats: () => ({ consents: consented.length, refreshes: 0, fromStore: fromStoreRoles.length, events: [], consented, fromStoreRoles }),
  });

  test("the run's line adds every worker's consents with their reasons; an account a worker consented is not from the store", async ({}, testInfo) => {
    const reports = scratchDir(testInfo, 'reports');
    expect(reconsentLine(reports), 'no token handed out: no line').toBeUndefined();
    // an earlier run's file (another runner pid) is not counted
    tallyWriter(reports, provider([{ role: 'admin', reason: 'no stored token' }], []), 111)();
    const dir = tallyDir(reports);
    utimesSync(path.join(dir, `${process.pid}.json`), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    writeFileSync(
      path.join(dir, '99999991.json'),
      JSON.stringify({
        run: 222,
        pid: 99999991,
        consented: [{ role: 'member', reason: 'refresh token rejected' }],
        fromStore: ['siteadmin'],
      }),
    );
    writeFileSync(
      path.join(dir, '99999992.json'),
      JSON.stringify({ run: 222, pid: 99999992, consented: [], fromStore: ['member', 'admin'] }),
    );
    writeFileSync(path.join(dir, '99999993.json'), '{"run": 222, "pid"'); // cut short: not counted
    expect(readTokenTally(reports)).toEqual({ reconsents: 1, reasons: { 'refresh token rejected': 1 }, fromStore: 2 });
    expect(reconsentLine(reports)).toBe('tokens: 1 re-consent (2 from the store; 1 refresh token rejected)');
    expect(tallyText({ reconsents: 0, reasons: {}, fromStore: 3 })).toBe('0 re-consents (3 from the store)');
  });

  test('a worker writes its file only when its counts changed, atomically (no temp file left)', async ({}, testInfo) => {
    const reports = scratchDir(testInfo, 'reports');
    const consented: Array<{ role: string; reason: ConsentReason }> = [];
    const write = tallyWriter(reports, provider(consented, []), 7);
    write();
    expect(existsSync(tallyDir(reports)), 'nothing to count: no file').toBe(false);
    consented.push({ role: 'member', reason: 'stored by an earlier simulator process' });
    write();
    const file = path.join(tallyDir(reports), `${process.pid}.json`);
    const first = statSync(file).mtimeMs;
    write();
    expect(statSync(file).mtimeMs, 'unchanged counts: not rewritten').toBe(first);
    expect(readdirSync(tallyDir(reports))).toEqual([`${process.pid}.json`]);
    expect(reconsentLine(reports)).toBe('tokens: 1 re-consent (0 from the store; 1 stored by an earlier simulator process)');
  });
});
