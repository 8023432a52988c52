/**
 * The REST scope × site matrix against a private simulator: the default world matches tests/expectations/sim-app.json
 * cell for cell, and each breakage made through the admin API changes exactly the cells it should, to exactly the
 * category it should, while every other cell still matches.
 */
import { randomUUID } from 'node:crypto';
import { expect, test } from '../../fixtures/index.ts';
import { restSuite } from '../../fixtures/rest/fixture.ts';
import { attachMatrix, cells, consentRole, diff, matrix, proberFor } from '../support/rest.ts';
import { WORLD } from '../support/world.ts';

const suite = restSuite();
const { acme: ACME, globex: GLOBEX } = WORLD.sites;
const CLIENT_ID = WORLD.app.clientId;
const siteScoped = suite.catalog.scopes.filter((e) => e.siteScoped).map((e) => e.scope);
const probed = (pred: (e: (typeof suite.catalog.scopes)[number]) => boolean) =>
  suite.catalog.scopes.filter((e) => pred(e)).map((e) => e.scope);

test.describe.configure({ timeout: 180_000 });

test('default world: every account, site and scope matches the expectations file', async ({
  sim,
  target,
  browser,
  restClient,
}, testInfo) => {
  const client = restClient();
  for (const role of suite.exp.roles) {
    const tokens = await consentRole(suite, target, browser, role);
    const list = await matrix(suite, proberFor(suite, client, role, tokens));
    await attachMatrix(testInfo, `matrix ${role}`, list);
    expect(list.length, `${role}: one cell per site-scoped scope and site plus one per account-level scope`).toBe(
      siteScoped.length * suite.exp.sites.length + (suite.catalog.scopes.length - siteScoped.length),
    );
    expect(diff(suite, list), `${role}: cells that differ from ${suite.exp.file}`).toEqual([]);
  }
  // every API call was answered by a handler the simulator knows (the probes are real paths)
  expect((await sim.admin.unrecognised()).filter((r) => r.host === 'api.atlassian.com')).toEqual([]);
});

test.describe('breakages through the admin API', () => {
  test('scope removed from the app and re-consented: manage:jira-webhook becomes scope-missing on every site, nothing else changes', async ({
    sim,
    target,
    browser,
    restClient,
  }, testInfo) => {
    const scopes = suite.config.app.scopes.filter((s) => s !== 'manage:jira-webhook');
    await sim.admin.patchWorld({ apps: { [CLIENT_ID]: { scopes } } });
    const client = restClient();
    const list = await matrix(suite, proberFor(suite, client, 'member', await consentRole(suite, target, browser, 'member', { scopes })));
    await attachMatrix(testInfo, 'matrix member', list);
    expect(diff(suite, list, cells('member', ['acme', 'globex'], ['manage:jira-webhook'], 'scope-missing'))).toEqual([]);
  });

  test('granular scope removed while its classic alternative stays: read:status:jira is scope-missing, not granted', async ({
    sim,
    target,
    browser,
    restClient,
  }, testInfo) => {
    const scopes = suite.config.app.scopes.filter((s) => s !== 'read:status:jira');
    await sim.admin.patchWorld({ apps: { [CLIENT_ID]: { scopes } } });
    const client = restClient();
    const list = await matrix(
      suite,
      proberFor(suite, client, 'admin', await consentRole(suite, target, browser, 'admin', { scopes, sites: ['acme'] })),
    );
    await attachMatrix(testInfo, 'matrix admin', list);
    expect(
      diff(
        suite,
        list.filter((c) => c.site !== 'globex'),
        cells('admin', ['acme'], ['read:status:jira'], 'scope-missing'),
      ),
    ).toEqual([]);
  });

  test('grant revoked by an admin: every probe of the account is token-invalid, the token response facts stay', async ({
    sim,
    target,
    browser,
    restClient,
  }, testInfo) => {
    const tokens = await consentRole(suite, target, browser, 'member');
    await sim.admin.revokeGrant(WORLD.emails.member, CLIENT_ID);
    const client = restClient();
    const list = await matrix(suite, proberFor(suite, client, 'member', tokens));
    await attachMatrix(testInfo, 'matrix member', list);
    expect(
      diff(suite, list, {
        ...cells('member', ['acme', 'globex'], siteScoped, 'token-invalid'),
        ...cells('member', [undefined], ['read:me'], 'token-invalid'),
      }),
    ).toEqual([]);
  });

  test('user removed from globex: every globex probe is site-not-authorized, acme is untouched', async ({
    sim,
    target,
    browser,
    restClient,
  }, testInfo) => {
    const tokens = await consentRole(suite, target, browser, 'member');
    await sim.admin.patchWorld({ users: { [WORLD.emails.member]: { sites: { [GLOBEX.cloudId]: null } } } });
    const client = restClient();
    const list = await matrix(suite, proberFor(suite, client, 'member', tokens));
    await attachMatrix(testInfo, 'matrix member', list);
    expect(diff(suite, list, cells('member', ['globex'], siteScoped, 'site-not-authorized'))).toEqual([]);
  });

  test('Confluence uninstalled from globex: every probed Confluence scope on globex is product-not-installed', async ({
    sim,
    target,
    browser,
    restClient,
  }, testInfo) => {
    const tokens = await consentRole(suite, target, browser, 'admin');
    await sim.admin.patchWorld({ sites: { [GLOBEX.cloudId]: { products: ['jira', 'jira-software'] } } });
    const client = restClient();
    const list = await matrix(suite, proberFor(suite, client, 'admin', tokens));
    await attachMatrix(testInfo, 'matrix admin', list);
    const confluence = probed((e) => e.product === 'confluence' && e.probe !== 'none');
    expect(diff(suite, list, cells('admin', ['globex'], confluence, 'product-not-installed'))).toEqual([]);
  });

  test('Jira permission downgraded from admin to user on acme: manage:jira-configuration there is permission-denied', async ({
    sim,
    target,
    browser,
    restClient,
  }, testInfo) => {
    const tokens = await consentRole(suite, target, browser, 'admin');
    await sim.admin.patchWorld({ users: { [WORLD.emails.admin]: { sites: { [ACME.cloudId]: { jira: 'user' } } } } });
    const client = restClient();
    const list = await matrix(suite, proberFor(suite, client, 'admin', tokens));
    await attachMatrix(testInfo, 'matrix admin', list);
    expect(diff(suite, list, cells('admin', ['acme'], ['manage:jira-configuration'], 'permission-denied'))).toEqual([]);
  });

  test('rate limit beyond the retry budget: the throttled probe is rate-limited with its retries recorded, the rest pass', async ({
    sim,
    target,
    browser,
    restClient,
  }, testInfo) => {
    const tokens = await consentRole(suite, target, browser, 'admin');
    await sim.admin.setFaults({
      rules: [
        {
          role: 'api',
          pathRegex: '/rest/api/3/status$',
          status: 429,
          count: 100,
          retryAfterSeconds: 1,
          rateLimitReason: 'jira-burst-based',
        },
      ],
    });
    const client = restClient({ retry: { maxRetries: 2, budgetMs: 5_000, maxWaitMs: 2_000 } });
    const list = await matrix(suite, proberFor(suite, client, 'admin', tokens));
    await attachMatrix(testInfo, 'matrix admin', list);
    expect(diff(suite, list, cells('admin', ['acme', 'globex'], ['read:status:jira'], 'rate-limited'))).toEqual([]);
    const throttled = list.filter((c) => c.scope === 'read:status:jira');
    for (const c of throttled) {
      expect(c.evidence?.retries, 'each throttled probe was retried up to the budget').toBe(2);
      expect(c.evidence?.detail?.rateLimitReason).toBe('jira-burst-based');
    }
    expect(client.stats.retries).toBe(4);
  });

  test('a 429 within the retry budget is retried after Retry-After and the probe passes with the retry visible', async ({
    sim,
    target,
    browser,
    restClient,
  }) => {
    const tokens = await consentRole(suite, target, browser, 'admin', { sites: ['acme'] });
    await sim.admin.setFaults({ rules: [{ role: 'api', pathRegex: '/rest/api/3/status$', status: 429, count: 1, retryAfterSeconds: 1 }] });
    const client = restClient();
    const outcome = await proberFor(suite, client, 'admin', tokens).probe('read:status:jira', ACME);
    expect(outcome.category).toBe('granted');
    expect(outcome.evidence?.retries).toBe(1);
    expect(outcome.evidence?.detail?.retryLog).toEqual([{ status: 429, waitMs: 1000, rateLimitReason: 'jira-burst-based' }]);
    expect(outcome.evidence?.durationMs ?? 0).toBeGreaterThanOrEqual(1000);
  });

  test('5xx from the gateway: the probe is server-error with its atl-traceid kept, the rest pass', async ({
    sim,
    target,
    browser,
    restClient,
  }, testInfo) => {
    const tokens = await consentRole(suite, target, browser, 'admin');
    await sim.admin.setFaults({ rules: [{ role: 'api', pathRegex: '/rest/api/3/priority$', status: 500 }] });
    const client = restClient();
    const list = await matrix(suite, proberFor(suite, client, 'admin', tokens));
    await attachMatrix(testInfo, 'matrix admin', list);
    expect(diff(suite, list, cells('admin', ['acme', 'globex'], ['read:priority:jira'], 'server-error'))).toEqual([]);
    for (const c of list.filter((x) => x.scope === 'read:priority:jira')) expect(c.evidence?.traceId).toMatch(/^[0-9a-f]{8,}$/);
  });

  test('410 Gone on a v2 endpoint: the probe is endpoint-gone, the rest pass', async ({ sim, target, browser, restClient }, testInfo) => {
    const tokens = await consentRole(suite, target, browser, 'admin');
    await sim.admin.setFaults({
      rules: [
        {
          role: 'api',
          pathRegex: '/wiki/api/v2/footer-comments$',
          status: 410,
          body: { message: 'GoneException: This deprecated endpoint has been removed.' },
        },
      ],
    });
    const client = restClient();
    const list = await matrix(suite, proberFor(suite, client, 'admin', tokens));
    await attachMatrix(testInfo, 'matrix admin', list);
    expect(diff(suite, list, cells('admin', ['acme', 'globex'], ['read:comment:confluence'], 'endpoint-gone'))).toEqual([]);
  });

  test('unknown cloudId: every site-scoped probe there is site-not-authorized, the known sites pass', async ({
    sim: _reset,
    target,
    browser,
    restClient,
  }, testInfo) => {
    const tokens = await consentRole(suite, target, browser, 'admin');
    const ghost = { key: 'ghost', cloudId: randomUUID(), url: 'https://ghost-sim.atlassian.net' };
    const client = restClient();
    const list = await matrix(suite, proberFor(suite, client, 'admin', tokens), [ghost]);
    await attachMatrix(testInfo, 'matrix admin', list);
    expect(diff(suite, list, cells('admin', ['ghost'], siteScoped, 'site-not-authorized'))).toEqual([]);
  });

  test('access token expired: every probe is token-invalid', async ({ sim, target, browser, restClient }, testInfo) => {
    await sim.admin.patchWorld({ settings: { accessTokenTtlSeconds: 2 } });
    const tokens = await consentRole(suite, target, browser, 'siteadmin');
    const client = restClient();
    // wait for the expiry the simulator decides, by asking it (no sleep)
    await expect
      .poll(
        async () => (await client.request({ method: 'GET', path: '/oauth/token/accessible-resources', token: tokens.accessToken })).status,
        { timeout: 15_000 },
      )
      .toBe(401);
    const list = await matrix(suite, proberFor(suite, client, 'siteadmin', tokens));
    await attachMatrix(testInfo, 'matrix siteadmin', list);
    expect(
      diff(suite, list, {
        ...cells('siteadmin', ['acme', 'globex'], siteScoped, 'token-invalid'),
        ...cells('siteadmin', [undefined], ['read:me'], 'token-invalid'),
      }),
    ).toEqual([]);
  });
});
