/**
 * Generated: one test per (account, site, scope) from the scope catalog × the configured accounts × the sites of the
 * expectations file (account-level scopes such as read:me once per account). The `probe` fixture probes the scope,
 * attaches the redacted request/response summary as evidence and labels `expected` and `outcome` for the gate; the
 * test fails with expected vs received and the fix.
 *
 * Scopes with no safe probe (catalog `probe: "none"`) are never silently passed: the test checks what can be checked
 * (is the scope in the site's grant as the expectations say?) and ends as SKIPPED with the catalog's reason.
 */

import { expect, test } from '../../fixtures/index.ts';
import { restSuite } from '../../fixtures/rest/fixture.ts';

const { config, catalog, exp } = restSuite();

for (const acct of config.accounts) {
  test.describe(`${acct.role} scopes`, () => {
    for (const entry of catalog.scopes) {
      for (const site of entry.siteScoped ? exp.sites : [undefined]) {
        const expected = exp.expected(acct.role, site?.key, entry.scope);
        const where = site ? ` on ${site.key}` : '';
        // a real target's first run (no expectations file yet) probes and records, and expects nothing
        const title = exp.pending
          ? `${acct.role} probes ${entry.scope}${where} (no expectations yet)`
          : `${acct.role} gets ${expected} for ${entry.scope}${where}`;
        test(title, async ({ probe }) => {
          const outcome = await probe.scope({ role: acct.role, scope: entry.scope, site, expected });
          if (outcome.category === 'not-probeable' && expected === 'not-probeable') {
            if (site) {
              const want = exp.grantState(acct.role, site.key, entry.scope) === 'granted';
              expect(
                outcome.scopeInGrant,
                `${entry.scope} on ${site.key}: accessible-resources must ${want ? '' : 'not '}list it (the only check possible without a safe probe)`,
              ).toBe(want);
            }
            test.skip(true, `not-probeable: ${entry.why ?? outcome.reason}`);
          }
          expect(outcome).toHaveOutcome(expected);
        });
      }
    }
  });
}
