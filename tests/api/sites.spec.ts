/**
 * Site authorisation per account (atlassian-oauth.md §4): accessible-resources vs the expectations file (sites present
 * and absent, each site's URL, the scopes listed per site), `/me` is the configured account, calls to a site outside
 * the grant and to an unknown cloudId are refused, and the site picked on the consent screen (ACCOUNT_<ROLE>_SITE) is
 * in the grant. A user removed from a site or a grant revoked by an admin shows up here as a failed check with the
 * category and the fix.
 */

import { randomUUID } from 'node:crypto';
import { explainBySiteConsent } from '../../fixtures/consent/record.ts';
import type { Category } from '../../fixtures/core/categories.ts';
import { expect, test } from '../../fixtures/index.ts';
import { ProbeSetupError } from '../../fixtures/rest/client.ts';
import { accessibleSitesProblems, siteScopeProblems } from '../../fixtures/rest/expectations.ts';
import { attach, labelExpected, labelOutcome, mismatchMessage, proberFor, suiteInputs } from './support.ts';

const { config, catalog, exp } = suiteInputs();
/** the site-scoped read probe used to test refusals: the first read probe without ids in its path */
const refusalProbe = catalog.scopes.find((e) => e.siteScoped && e.probe === 'read' && e.request?.path.match(/\{/g)?.length === 1);
if (!refusalProbe) throw new Error('fixtures/rest/scopes.json has no site-scoped read probe without ids; the sites suite needs one');

for (const acct of config.accounts) {
  const role = acct.role;
  test.describe(`${role} sites`, () => {
    test(`${role}'s accessible-resources lists exactly the expected sites`, async ({ rest, tokens }, testInfo) => {
      await labelExpected({ role, expected: 'granted' });
      const prober = await proberFor(rest, tokens, role);
      let problems: string[];
      let outcome: Category = 'granted';
      try {
        const { resources, evidence } = await prober.accessibleResources();
        await attach(testInfo, 'GET /oauth/token/accessible-resources', evidence);
        problems = accessibleSitesProblems(exp, role, resources);
        if (problems.length) outcome = 'site-not-authorized';
      } catch (e) {
        if (!(e instanceof ProbeSetupError)) throw e;
        await attach(testInfo, 'GET /oauth/token/accessible-resources', e.evidence);
        outcome = e.category;
        problems = [e.message];
      }
      await labelOutcome(outcome);
      expect(problems, mismatchMessage(`${role} accessible-resources`, 'granted', outcome, problems.join('; '))).toEqual([]);
    });

    for (const siteKey of exp.sitesPresent(role)) {
      test(`${role}'s grant on ${siteKey} lists every scope that must be granted and none that must be absent`, async ({
        rest,
        tokens,
      }, testInfo) => {
        await labelExpected({ role, site: exp.site(siteKey), expected: 'granted' });
        const prober = await proberFor(rest, tokens, role);
        const { resources, evidence } = await prober.accessibleResources();
        await attach(testInfo, 'GET /oauth/token/accessible-resources', evidence);
        const problems = siteScopeProblems(exp, catalog, role, siteKey, resources);
        const category: Category = problems.length
          ? resources.some((r) => r.id === exp.site(siteKey).cloudId)
            ? 'scope-missing'
            : 'site-not-authorized'
          : 'granted';
        const outcome = explainBySiteConsent(config.reportsDir, role, exp.site(siteKey).url, { category, reason: problems.join('; ') });
        await labelOutcome(outcome.category);
        expect(problems, mismatchMessage(`${role} scopes on ${siteKey}`, 'granted', outcome.category, outcome.reason)).toEqual([]);
      });
    }

    test(`/me identifies ${role} as the configured account`, async ({ rest, tokens }, testInfo) => {
      const expected = exp.expected(role, undefined, 'read:me');
      test.skip(expected === 'scope-missing', 'read:me is expected to be absent for this app, so /me cannot identify the account');
      await labelExpected({ role, scope: 'read:me', expected: 'granted' });
      const prober = await proberFor(rest, tokens, role);
      const outcome = await prober.probe('read:me');
      await attach(testInfo, 'GET /me', outcome.evidence);
      let email: unknown;
      try {
        email = (JSON.parse(outcome.evidence?.responseText ?? 'null') as { email?: unknown } | null)?.email;
      } catch {
        email = undefined;
      }
      const matches = outcome.category === 'granted' && email === acct.email;
      await labelOutcome(outcome.category === 'granted' && !matches ? 'unexpected' : outcome.category);
      expect(outcome.category, mismatchMessage(`${role} GET /me`, 'granted', outcome.category, outcome.reason)).toBe('granted');
      expect(
        email,
        `GET /me must return the email of ACCOUNT_${role.toUpperCase()}_EMAIL: the token belongs to a different account. Fix: clear .auth/ for this account and re-run consent with the right login`,
      ).toBe(acct.email);
    });

    for (const siteKey of exp.sitesAbsent(role)) {
      test(`${role} is refused on ${siteKey}, a site outside the grant`, async ({ rest, tokens }, testInfo) => {
        await labelExpected({ role, site: exp.site(siteKey), scope: refusalProbe.scope, expected: 'site-not-authorized' });
        const prober = await proberFor(rest, tokens, role);
        const outcome = await prober.probe(refusalProbe.scope, exp.site(siteKey));
        await labelOutcome(outcome.category);
        await attach(testInfo, `${refusalProbe.scope} on ${siteKey}`, outcome.evidence);
        expect(outcome.category, mismatchMessage(`${role} on ${siteKey}`, 'site-not-authorized', outcome.category, outcome.reason)).toBe(
          'site-not-authorized',
        );
      });
    }

    test(`${role} is refused on an unknown cloudId`, async ({ rest, tokens }, testInfo) => {
      const ghost = { key: 'unknown', cloudId: randomUUID(), url: 'https://unknown.invalid' };
      await labelExpected({ role, site: ghost, scope: refusalProbe.scope, expected: 'site-not-authorized' });
      const prober = await proberFor(rest, tokens, role);
      const outcome = await prober.probe(refusalProbe.scope, ghost);
      await labelOutcome(outcome.category);
      await attach(testInfo, `${refusalProbe.scope} on an unknown cloudId`, outcome.evidence);
      expect(
        outcome.category,
        mismatchMessage(`${role} on an unknown cloudId`, 'site-not-authorized', outcome.category, outcome.reason),
      ).toBe('site-not-authorized');
    });

    if (acct.site) {
      const picked = acct.site;
      test(`the site picked on ${role}'s consent screen (${picked}) is in the grant`, async ({ rest, tokens }, testInfo) => {
        await labelExpected({ role, expected: 'granted' });
        const prober = await proberFor(rest, tokens, role);
        const { resources, evidence } = await prober.accessibleResources();
        await attach(testInfo, 'GET /oauth/token/accessible-resources', evidence);
        const found = resources.some((r) => new URL(r.url).host === picked);
        await labelOutcome(found ? 'granted' : 'site-not-authorized');
        expect(
          found,
          `ACCOUNT_${role.toUpperCase()}_SITE=${picked} was picked on the consent screen but accessible-resources lists ${JSON.stringify(resources.map((r) => r.url))}. Fix: re-run consent (npm run login -- --account ${role}) and pick that site`,
        ).toBe(true);
      });
    }
  });
}
