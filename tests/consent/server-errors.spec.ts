/**
 * An authorization server that fails (the simulator's `authorize-500` fault profile: GET /authorize answers 500
 * "Internal server error"): a failure that passes is absorbed by asking the authorize URL again, one that lasts ends in
 * `auth-server-error` after a bounded number of tries, never in an unknown screen after the step timeout.
 */
import { expect, test } from '../../fixtures/index.ts';
import { acct } from './support.ts';

test('a 500 from /authorize that passes is absorbed: the authorize URL is asked again and the consent is granted', async ({
  consent,
  sim,
  config,
}) => {
  await sim.admin.setFaults({ profiles: [{ name: 'authorize-500', mode: 'transient' }] });
  const o = await consent({ authBase: sim.urls.auth, account: acct(config, 'member'), scopes: ['read:me'] });
  expect(o.code, o.detail).toBe('granted');
  const authorize = (await sim.admin.requests()).filter((e) => e.method === 'GET' && e.path.split('?')[0] === '/authorize');
  // the first answer is the fault's 500; the same URL asked again redirects to the login (and again after it)
  const statuses = authorize.map((e) => e.status);
  expect(statuses[0]).toBe(500);
  expect(statuses.length).toBeGreaterThanOrEqual(2);
  expect(statuses.slice(1).every((s) => s === 302)).toBe(true);
});

test('a 500 from /authorize that lasts is auth-server-error after 3 tries, with the status and the fix', async ({
  consent,
  sim,
  config,
}) => {
  await sim.admin.setFaults({ profiles: [{ name: 'authorize-500', mode: 'persistent' }] });
  const t0 = Date.now();
  const o = await consent({ authBase: sim.urls.auth, account: acct(config, 'member'), scopes: ['read:me'] });
  expect(o.code, o.detail).toBe('auth-server-error');
  expect(o.detail).toMatch(/answered HTTP 500 3 time\(s\) in a row/);
  expect(o.remediation).toMatch(/status\.atlassian\.com/);
  const authorize = (await sim.admin.requests()).filter((e) => e.method === 'GET' && e.path.split('?')[0] === '/authorize');
  expect(authorize).toHaveLength(3);
  // the waits between tries are bounded (0.5 s, then 1 s): no step timeout of 8 s is spent on a page that is no screen
  expect(Date.now() - t0).toBeLessThan(8000);
});
