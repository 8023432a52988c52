/**
 * The world constants the self-tests act on (tests/support/world.ts) hold in the simulator's default world, read over
 * its admin API; a world that moved is named fact by fact.
 */
import { expect, test } from '../../fixtures/index.ts';
import { checkWorld, WORLD } from '../support/world.ts';

test("the self-tests' sites, accounts and app scopes are the simulator's default world", async ({ sim }) => {
  expect(await checkWorld(sim.admin)).toEqual([]);
});

test('a world that moved is named fact by fact: a site url and an app scope', async ({ sim }) => {
  const scopes = WORLD.app.scopes.filter((s) => s !== 'read:me');
  await sim.admin.patchWorld({
    sites: { [WORLD.sites.globex.cloudId]: { url: 'https://globex-moved.atlassian.net' } },
    apps: { [WORLD.app.clientId]: { scopes } },
  });
  expect(await checkWorld(sim.admin)).toEqual([
    `site globex: the world says url "https://globex-moved.atlassian.net", expected ${WORLD.sites.globex.url}`,
    `app ${WORLD.app.clientId} lacks the requested scope read:me`,
  ]);
});

test('in the self project `target` is the private simulator the test breaks: a fault set through `sim` reaches `rest`', async ({
  sim,
  target,
  rest,
}) => {
  expect(target.kind).toBe('sim');
  expect(target.urls).toMatchObject({ auth: sim.urls.auth, api: sim.urls.api, mcp: sim.urls.mcp });
  await sim.admin.setFaults({ rules: [{ role: 'api', pathRegex: '^/oauth/token/accessible-resources$', status: 418, count: 1 }] });
  const res = await rest.request({ method: 'GET', path: '/oauth/token/accessible-resources', token: 'SIMCANARY-world-selftest-token' });
  expect(res.status).toBe(418);
});
