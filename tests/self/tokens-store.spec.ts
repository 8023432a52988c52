/**
 * Token store guarantees (issue 4): 0600 files in a 0700 folder, atomic replace, a corrupt or foreign file moved
 * aside with one clear error, and an inter-process lock that serialises holders.
 */

import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { expect, test } from '../../fixtures/index.ts';
import { makeKey, type TokenRecord, TokenStore, TokenStoreError } from '../../fixtures/tokens/store.ts';
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
});
