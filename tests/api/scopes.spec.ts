/**
 * Generated: one test per (account, site, scope) from the scope catalog × the configured accounts × the sites of the
 * expectations file (account-level scopes such as read:me once per account). Each test probes the scope, attaches
 * the redacted request/response summary as evidence, labels the Allure result with `outcome` (what happened) and
 * `expected` (what the expectations file says) for the gate, and fails with expected vs received and the fix.
 *
 * Scopes with no safe probe (catalog `probe: "none"`) are never silently passed: the test checks what can be checked
 * (is the scope in the site's grant as the expectations say?), labels the outcome `not-probeable`, adds a
 * `not-probeable` annotation with the catalog's reason, and ends as SKIPPED with that reason.
 */

import { explainBySiteConsent } from '../../fixtures/consent/record.ts';
import { categoryInfo } from '../../fixtures/core/categories.ts';
import { expect, test } from '../../fixtures/index.ts';
import { attach, labelExpected, labelOutcome, mismatchMessage, proberFor, suiteInputs } from './support.ts';

const { config, catalog, exp } = suiteInputs();

for (const acct of config.accounts) {
  test.describe(`${acct.role} scopes`, () => {
    for (const entry of catalog.scopes) {
      for (const site of entry.siteScoped ? exp.sites : [undefined]) {
        const expected = exp.expected(acct.role, site?.key, entry.scope);
        const where = site ? ` on ${site.key}` : '';
        test(`${acct.role} gets ${expected} for ${entry.scope}${where}`, async ({ rest, tokens }, testInfo) => {
          await labelExpected({ role: acct.role, site, scope: entry.scope, expected });
          const prober = await proberFor(rest, tokens, acct.role);
          const outcome = explainBySiteConsent(config.reportsDir, acct.role, site?.url, await prober.probe(entry.scope, site));
          await labelOutcome(outcome.category);
          await attach(
            testInfo,
            `${entry.scope}${where}: ${entry.request ? `${entry.request.method} ${entry.request.path.split('?')[0]}` : entry.probe}`,
            outcome.evidence,
          );
          testInfo.annotations.push({ type: 'outcome', description: `${outcome.category}: ${outcome.reason}` });

          if (outcome.category === 'not-probeable' && expected === 'not-probeable') {
            testInfo.annotations.push({ type: 'not-probeable', description: entry.why ?? outcome.reason });
            if (site) {
              const want = exp.grantState(acct.role, site.key, entry.scope);
              expect(
                outcome.scopeInGrant,
                `${entry.scope} on ${site.key}: accessible-resources must ${want === 'granted' ? '' : 'not '}list it (the only check possible without a safe probe)`,
              ).toBe(want === 'granted');
            }
            test.skip(true, `not-probeable: ${entry.why ?? outcome.reason}`);
            return;
          }
          expect(
            outcome.category,
            mismatchMessage(`${acct.role} / ${entry.scope}${where}`, expected, outcome.category, outcome.reason),
          ).toBe(expected);
          // a pass on a category that is not a success still says what it means
          if (!categoryInfo(outcome.category).ok)
            testInfo.annotations.push({ type: 'meaning', description: categoryInfo(outcome.category).title });
        });
      }
    }
  });
}
