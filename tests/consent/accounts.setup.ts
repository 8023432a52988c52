/**
 * The `consent` setup project (every suite depends on it): for each configured account, a usable token in the store.
 * A warm store means zero browser consents; a cold one consents on the account's configured site or on each offered
 * site in turn, attaching every outcome as evidence and labelling the test with its outcome code. An account that no
 * site granted fails here, with the screen's text, the remediation and its code, not later in a REST or MCP test.
 *
 * Order: the accounts run one after another in one worker, every non-admin account before every admin account
 * (`consentOrder`). An admin's consent on a site that blocks user-installed apps installs the app for the site, so a
 * member consenting after it would no longer see "Your site admin must authorize this app": the harness would change
 * the state it is meant to observe, and the verdict would depend on worker scheduling. `mode: 'default'` keeps the
 * file's tests in declaration order on one worker; a failed account does not skip the ones after it.
 *
 * The project ends with one line saying how many browser consents the run needed:
 * `tokens: 3 accounts, 0 browser consents, 3 from store`.
 */

import { ConsentBlockedError, consentOrder } from '../../fixtures/consent/flow.ts';
import { attachConsentOutcome, consentFailureCode, recordConsentOutcomes } from '../../fixtures/consent/record.ts';
import { loadConfig } from '../../fixtures/core/config.ts';
import { labelOutcome } from '../../fixtures/core/evidence.ts';
import { expect, test } from '../../fixtures/index.ts';

const config = loadConfig();
const accounts = consentOrder(config.accounts);

test.describe.configure({ mode: 'default' });

/** This worker's accounts: how each got its token (a failed account counts as neither). */
const tally = { accounts: 0, consents: 0, fromStore: 0, failed: 0 };

test.afterAll(() => {
  if (tally.accounts === 0) return;
  process.stdout.write(
    `tokens: ${tally.accounts} accounts, ${tally.consents} browser consents, ${tally.fromStore} from store${tally.failed ? `, ${tally.failed} failed` : ''}\n`,
  );
});

for (const { role } of accounts) {
  test(`${role} gets a stored token for the app (each site in turn)`, async ({ tokens }, testInfo) => {
    test.setTimeout(180_000);
    tally.accounts++;
    const before = tokens.stats().consents;
    let result: Awaited<ReturnType<typeof tokens.prepare>>;
    try {
      result = await tokens.prepare(role);
    } catch (e) {
      tally.failed++;
      tally.consents += tokens.stats().consents - before;
      if (e instanceof ConsentBlockedError) {
        recordConsentOutcomes(config.reportsDir, role, [e.outcome]);
        await attachConsentOutcome(testInfo, role, e.outcome);
      }
      await labelOutcome(consentFailureCode(e));
      throw e;
    }
    tally.consents += tokens.stats().consents - before;
    if (result.fromStore) tally.fromStore++;
    // later suites explain a site missing from the grant by the consent screen that blocked it
    if (!result.fromStore) recordConsentOutcomes(config.reportsDir, role, result.outcomes);
    for (const o of result.outcomes) await attachConsentOutcome(testInfo, role, o);
    await labelOutcome('granted');
    testInfo.annotations.push({
      type: 'consent',
      description: result.fromStore
        ? 'store already had a usable grant: zero browser consents'
        : result.outcomes.map((o) => `${o.site ?? '(no site)'}: ${o.code}`).join(', '),
    });
    const grant = await tokens.grant(role);
    expect(grant.expiresAt).toBeGreaterThan(Date.now());
    expect(grant.scopes.length).toBeGreaterThan(0);
  });
}
