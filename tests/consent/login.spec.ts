/**
 * `npm run login` runs the one consent flow and stores the token where, and under the key, the suites look for it
 * (the target's identity, not a port), with the identity session beside it; a role that is not configured is one
 * message and exit 2. On TARGET=sim the command starts a simulator of its own (a rehearsal of the command).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../fixtures/core/config.ts';
import { expect, test } from '../../fixtures/index.ts';
import { DEFAULT_AUTH_DIR } from '../../fixtures/tokens/provider.ts';
import { makeKey, TokenStore, targetIdentity } from '../../fixtures/tokens/store.ts';
import { ACME_HOST, acct } from './support.ts';

// a world file of its own, so the record it stores has a key no other run uses
const WORLD = path.join(ROOT, '.tmp', 'login-spec', 'world.json');

const login = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/login.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 90_000,
    env: { ...process.env, TARGET: 'sim', HARNESS_SIM_URLS: '', SIM_WORLD: path.relative(ROOT, WORLD) },
  });

test('login stores the token under the key the suites use', async ({ sim, config }) => {
  test.setTimeout(120_000);
  mkdirSync(path.dirname(WORLD), { recursive: true });
  writeFileSync(WORLD, JSON.stringify(await sim.admin.world()));
  const r = login(['--account', 'member', '--site', ACME_HOST]);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toContain(`login: member (${acct(config, 'member').email}) granted on ${ACME_HOST}; session saved, token stored.`);
  const key = makeKey(
    targetIdentity({ kind: 'sim', authBase: 'http://127.0.0.1', world: path.relative(ROOT, WORLD) }),
    acct(config, 'member').email,
    config.app.clientId,
    config.app.scopes,
  );
  const rec = new TokenStore(path.join(DEFAULT_AUTH_DIR, 'tokens')).read(key);
  expect(rec).toMatchObject({ role: 'member', refreshes: 0, sites: [ACME_HOST] });
  expect(rec?.expiresAt).toBeGreaterThan(Date.now());
  expect(`${r.stdout}${r.stderr}`).not.toContain(rec!.accessToken);
});

test('a role that is not configured is one message naming ATLASSIAN_ACCOUNTS and exit 2', async ({ sim }) => {
  mkdirSync(path.dirname(WORLD), { recursive: true });
  writeFileSync(WORLD, JSON.stringify(await sim.admin.world()));
  const r = login(['--account', 'nobody']);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('ATLASSIAN_ACCOUNTS: has no role "nobody"');
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
});
