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
 *
 * Then, for a run with the MCP suite, the MCP OAuth 2.1 flow of each endpoint (DCR + PKCE + consent, as an MCP client
 * does it) on the same browser, handed to the MCP suite's test (fixtures/mcp/oauth-handoff.ts), and the browser closed:
 * the suites run with none. A flow that fails fails here with its category, and its MCP test says the same.
 */

import { ConsentBlockedError, consentOrder } from '../../fixtures/consent/flow.ts';
import {
  attachConsentOutcome,
  consentFailureCode,
  recordConsentOutcomes,
  recordTokenSource,
  tokensLine,
} from '../../fixtures/consent/record.ts';
import { loadConfig, selectedAccounts } from '../../fixtures/core/config.ts';
import { labelOutcome } from '../../fixtures/core/evidence.ts';
import { expect, test } from '../../fixtures/index.ts';
import { pickSweepAccount } from '../../fixtures/mcp/credentials.ts';
import { runMcpOAuth } from '../../fixtures/mcp/oauth.ts';
import { handoffFile, oauthFlowStepTitle, readHandoffRecord, writeHandoff } from '../../fixtures/mcp/oauth-handoff.ts';
import { MCP_ENDPOINTS, mcpEndpointUrl } from '../../fixtures/mcp/vocabulary.ts';

const config = loadConfig();
const accounts = consentOrder(config.accounts);
/** the accounts this run consents (playwright.config.ts leaves out the tests of roles `--accounts` did not select) */
const selected = consentOrder(selectedAccounts(config)).map((a) => a.role);

test.describe.configure({ mode: 'default' });

// the line is printed once, by the worker that finished the last account (a failed account replaces its worker)
test.afterAll(() => {
  const line = tokensLine(config.reportsDir, selected);
  if (line) process.stdout.write(`${line}\n`);
});

for (const { role } of accounts) {
  test(`${role} gets a stored token for the app (each site in turn)`, async ({ tokens }, testInfo) => {
    test.setTimeout(180_000);
    const before = tokens.stats().consents;
    let result: Awaited<ReturnType<typeof tokens.prepare>>;
    try {
      result = await tokens.prepare(role);
    } catch (e) {
      recordTokenSource(config.reportsDir, role, { consents: tokens.stats().consents - before, fromStore: false, failed: true });
      if (e instanceof ConsentBlockedError) {
        recordConsentOutcomes(config.reportsDir, role, [e.outcome]);
        await attachConsentOutcome(testInfo, role, e.outcome);
      }
      await labelOutcome(consentFailureCode(e));
      throw e;
    }
    recordTokenSource(config.reportsDir, role, { consents: tokens.stats().consents - before, fromStore: result.fromStore, failed: false });
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

// one account (the MCP sweep account) per endpoint; its role is in the title, so --accounts leaves it out with the account
const mcpAccount = (() => {
  try {
    return pickSweepAccount(config);
  } catch {
    return undefined; // no account with an API token: the MCP suite says so itself
  }
})();
for (const endpoint of mcpAccount ? MCP_ENDPOINTS : []) {
  const acc = mcpAccount!;
  // a flow that fails does not fail this step: a failed setup test would skip every suite after it, and the flow's
  // failure is the MCP suite's finding (its test fails with this category); this step fails only when it cannot hand over
  test(oauthFlowStepTitle(acc.role, endpoint), async ({ workerTokens, consentBrowser, target }, testInfo) => {
    test.skip(!acc.password, `the MCP OAuth flow logs in on the consent page: set ACCOUNT_${acc.role.toUpperCase()}_PASSWORD`);
    const file = handoffFile(workerTokens.authDir, workerTokens.identity, endpoint, acc.email);
    const context = await (await consentBrowser.get()).newContext();
    try {
      const flow = await runMcpOAuth({
        mcpUrl: mcpEndpointUrl(target.urls.mcp, endpoint),
        account: acc,
        redirectUri: config.app.callbackUrl,
        page: await context.newPage(),
      });
      await attachConsentOutcome(testInfo, acc.role, flow.consent);
      writeHandoff(file, { endpoint, role: acc.role, flow });
      await labelOutcome('granted');
    } catch (e) {
      writeHandoff(file, { endpoint, role: acc.role, failure: e });
      // no outcome label here: this step passes, and the failing MCP test carries the category
      const code = consentFailureCode(e);
      testInfo.annotations.push({
        type: 'mcp-oauth',
        description: `the flow failed (${code}); the MCP suite's "${endpoint}: MCP OAuth 2.1 client" test reports it: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
      });
    } finally {
      await context.close().catch(() => {});
    }
    expect(readHandoffRecord(file)?.endpoint, 'the hand-off file for the MCP suite').toBe(endpoint);
  });
}

// the consent phase is over for this worker: the suites that follow run with no browser
test.afterAll(async ({ consentBrowser }) => {
  await consentBrowser.close();
});
