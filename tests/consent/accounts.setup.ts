/**
 * The `consent` setup project (every suite depends on it): for each configured account, a usable token in the store.
 * A warm store means zero browser consents; a cold one consents on the account's configured site or on each offered
 * site in turn, attaching every outcome as evidence. An account that no site granted fails here, with the screen's
 * text and the remediation, not later in a REST or MCP test.
 */

import { ConsentBlockedError } from '../../fixtures/consent/flow.ts';
import { recordConsentOutcomes } from '../../fixtures/consent/record.ts';
import { loadConfig } from '../../fixtures/core/config.ts';
import { expect, test } from '../../fixtures/index.ts';
import { attachOutcome } from './support.ts';

const config = loadConfig();
const roles = config.accounts.map((a) => a.role);

for (const role of roles) {
  test(`${role} gets a stored token for the app (each site in turn)`, async ({ tokens }, testInfo) => {
    test.setTimeout(180_000);
    let result: Awaited<ReturnType<typeof tokens.prepare>>;
    try {
      result = await tokens.prepare(role);
    } catch (e) {
      if (e instanceof ConsentBlockedError) {
        recordConsentOutcomes(config.reportsDir, role, [e.outcome]);
        await attachOutcome(testInfo, role, e.outcome);
      }
      throw e;
    }
    // later suites explain a site missing from the grant by the consent screen that blocked it
    if (!result.fromStore) recordConsentOutcomes(config.reportsDir, role, result.outcomes);
    for (const o of result.outcomes) await attachOutcome(testInfo, role, o);
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
