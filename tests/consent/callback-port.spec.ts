/**
 * A fixed callback port (what a real app's Callback URL needs, e.g. http://localhost:8976/callback) serves one consent
 * at a time: consents that share it take turns through a cross-process lock instead of failing "port is already in
 * use", and only a port taken by something that is not a consent of this harness blames another program.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { CallbackError, startCallbackCatcher } from '../../fixtures/consent/callback.ts';
import { consentInBrowser } from '../../fixtures/consent/flow.ts';
import { expect, test } from '../../fixtures/index.ts';
import { acct } from './support.ts';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

test.describe('fixed callback port', () => {
  test('two concurrent consents on one fixed port are both granted, one after the other', async ({ browser, sim, config }) => {
    const port = await freePort();
    const contexts = await Promise.all([browser.newContext(), browser.newContext()]);
    try {
      const runs = await Promise.all(
        (['member', 'admin'] as const).map(async (role, i) =>
          consentInBrowser({
            page: await contexts[i]!.newPage(),
            account: acct(config, role),
            callbackUrl: `http://127.0.0.1:${port}/callback`,
            authorize: { authBase: sim.urls.auth, clientId: config.app.clientId, scopes: config.app.scopes },
            stepTimeoutMs: 8000,
          }),
        ),
      );
      expect(runs.map((r) => r.outcome.code)).toEqual(['granted', 'granted']);
      expect(runs.map((r) => new URL(r.redirectUri).port)).toEqual([String(port), String(port)]);
      expect((await sim.admin.stats()).consents).toBe(2);
    } finally {
      await Promise.all(contexts.map((c) => c.close()));
    }
  });

  test('a fixed port held by another program is port-in-use, naming the setting', async () => {
    const port = await freePort();
    const other: Server = createServer();
    await new Promise<void>((resolve) => other.listen(port, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      const e = await rejection(startCallbackCatcher(`http://127.0.0.1:${port}/callback`));
      expect(e).toBeInstanceOf(CallbackError);
      expect((e as CallbackError).reason).toBe('port-in-use');
      expect((e as Error).message).toContain('in use by another program');
      expect((e as Error).message).toContain('ATLASSIAN_CALLBACK_URL');
      expect(Date.now() - started).toBeLessThan(3000); // no waiting for a turn nobody of ours holds
    } finally {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
    // the failed attempt gave its turn back: the port is usable as soon as the other program is gone
    const catcher = await startCallbackCatcher(`http://127.0.0.1:${port}/callback`, { portWaitMs: 1000 });
    await catcher.close();
  });

  test('a turn held longer than the wait ends in port-busy naming the holder, not another program', async () => {
    const port = await freePort();
    const holder = await startCallbackCatcher(`http://127.0.0.1:${port}/callback`);
    try {
      const e = await rejection(startCallbackCatcher(`http://127.0.0.1:${port}/callback`, { portWaitMs: 400 }));
      expect((e as CallbackError).reason).toBe('port-busy');
      expect((e as Error).message).toContain(`another consent of this harness (pid ${process.pid})`);
      expect((e as Error).message).toContain('Waited 400 ms');
      expect((e as Error).message).not.toContain('another program');
    } finally {
      await holder.close();
    }
  });
});

test('the turn of a consent that was killed is free at once for the next run', async ({}, testInfo) => {
  const port = await freePort();
  const lockDir = testInfo.outputPath('ports');
  // a holder that died: its lock folder is fresh (not yet stale) and names a pid that no longer exists
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const file = path.join(lockDir, `127.0.0.1-${port}`);
  mkdirSync(`${file}.lock`, { recursive: true });
  writeFileSync(`${file}.owner`, dead.stdout);
  const started = Date.now();
  const catcher = await startCallbackCatcher(`http://127.0.0.1:${port}/callback`, { lockDir, portWaitMs: 5000 });
  expect(Date.now() - started).toBeLessThan(2000);
  await catcher.close();
  expect(existsSync(`${file}.lock`)).toBe(false);
});
