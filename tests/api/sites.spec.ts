/**
 * Site authorisation per account (docs/reference/atlassian-oauth.md §4): accessible-resources vs the expectations
 * file (sites present and absent, each site's URL, the scopes listed per site), `/me` is the configured account, calls
 * to a site outside the grant and to an unknown cloudId are refused, and the site picked on the consent screen
 * (ACCOUNT_<ROLE>_SITE) is in the grant. A user removed from a site or a grant revoked by an admin shows up here as a
 * failed check with the category and the fix.
 */

import { randomUUID } from 'node:crypto';
import { expect, test } from '../../fixtures/index.ts';
import { restSuite } from '../../fixtures/rest/fixture.ts';

const { config, catalog, exp } = restSuite();
/** the site-scoped read probe used to test refusals: the first read probe without ids in its path */
const refusalProbe = catalog.scopes.find((e) => e.siteScoped && e.probe === 'read' && e.request?.path.match(/\{/g)?.length === 1);
if (!refusalProbe) throw new Error('fixtures/rest/scopes.json has no site-scoped read probe without ids; the sites suite needs one');
const refusal = refusalProbe.scope;

for (const acct of config.accounts) {
  const role = acct.role;
  test.describe(`${role} sites`, () => {
    test(`${role}'s accessible-resources lists exactly the expected sites`, async ({ probe }) => {
      expect(await probe.accessibleSites(role)).toHaveOutcome('granted');
    });

    for (const siteKey of exp.sitesPresent(role)) {
      test(`${role}'s grant on ${siteKey} lists every scope that must be granted and none that must be absent`, async ({ probe }) => {
        expect(await probe.siteGrant(role, siteKey)).toHaveOutcome('granted');
      });
    }

    test(`/me identifies ${role} as the configured account`, async ({ probe }) => {
      test.skip(
        exp.expected(role, undefined, 'read:me') === 'scope-missing',
        'read:me is expected to be absent for this app, so /me cannot identify the account',
      );
      expect(await probe.identity(role)).toHaveOutcome('granted');
    });

    for (const siteKey of exp.sitesAbsent(role)) {
      test(`${role} is refused on ${siteKey}, a site outside the grant`, async ({ probe }) => {
        const site = exp.site(siteKey);
        const outcome = await probe.scope({
          role,
          scope: refusal,
          site,
          expected: 'site-not-authorized',
          subject: `${role} on ${siteKey}`,
          evidenceName: `${refusal} on ${siteKey}`,
        });
        expect(outcome).toHaveOutcome('site-not-authorized');
      });
    }

    test(`${role} is refused on an unknown cloudId`, async ({ probe }) => {
      const ghost = { key: 'unknown', cloudId: randomUUID(), url: 'https://unknown.invalid' };
      const outcome = await probe.scope({
        role,
        scope: refusal,
        site: ghost,
        expected: 'site-not-authorized',
        subject: `${role} on an unknown cloudId`,
        evidenceName: `${refusal} on an unknown cloudId`,
        cloudIdParameter: 'unknown (random)',
      });
      expect(outcome).toHaveOutcome('site-not-authorized');
    });

    if (acct.site) {
      test(`the site picked on ${role}'s consent screen (${acct.site}) is in the grant`, async ({ probe }) => {
        expect(await probe.pickedSite(role)).toHaveOutcome('granted');
      });
    }
  });
}
