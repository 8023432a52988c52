/**
 * User story 1 (../shared/user-stories/site-admin-must-authorize.txt), end to end on a private simulator:
 * a member hits "Your site admin must authorize this app for the site …" while user-installed apps are blocked;
 * the site admin runs the consent flow once (atlassian-oauth.md §2: "an org admin completing the flow once installs
 * it"); the member's retry is granted. With the policy set to Allowed the member is granted directly.
 */
import { startCallbackCatcher } from '../../fixtures/consent/callback.ts';
import { driveConsent } from '../../fixtures/consent/driver.ts';
import { buildAuthorizeUrl } from '../../fixtures/consent/flow.ts';
import { exchangeCode } from '../../fixtures/consent/token-client.ts';
import { expect, test } from '../../fixtures/index.ts';
import { ACME, ACME_HOST, acct, consentOnce } from './support.ts';

test.describe('user story: site admin must authorize', () => {
  test('member blocked → site admin consents → member retry is granted', async ({ browser, sim, config }, testInfo) => {
    await sim.admin.patchWorld({ sites: { [ACME]: { policy: { userInstalledApps: 'blocked' } } } });
    const base = { authBase: sim.urls.auth, clientId: config.app.clientId, scopes: config.app.scopes, site: ACME_HOST };

    const memberCtx = await browser.newContext();
    const memberPage = await memberCtx.newPage();
    const blocked = await consentOnce(memberPage, testInfo, { ...base, account: acct(config, 'member') });
    expect(blocked.code).toBe('admin-must-authorize');
    expect(blocked.detail).toContain(
      `Your site admin must authorize this app for the site ${ACME_HOST} before the app can access your account.`,
    );

    const adminCtx = await browser.newContext();
    const admin = await consentOnce(await adminCtx.newPage(), testInfo, { ...base, account: acct(config, 'siteadmin') });
    expect(admin.code).toBe('granted');
    await adminCtx.close();
    const world = await sim.admin.world<{ sites: Record<string, { policy: { approvedApps: string[] } }> }>();
    expect(world.sites[ACME]?.policy.approvedApps).toContain(config.app.clientId);

    // the member's browser session is still logged in: the retry goes straight to the consent screen
    const retry = await consentOnce(memberPage, testInfo, { ...base, account: acct(config, 'member') });
    expect(retry.code).toBe('granted');
    expect(retry.path).toEqual(['consent', 'callback']);
    await memberCtx.close();
  });

  test('member is granted directly when user-installed apps are allowed', async ({ page, sim, config }, testInfo) => {
    await sim.admin.patchWorld({ sites: { [ACME]: { policy: { userInstalledApps: 'allowed' } } } });
    const granted = await consentOnce(page, testInfo, {
      authBase: sim.urls.auth,
      clientId: config.app.clientId,
      scopes: config.app.scopes,
      site: ACME_HOST,
      account: acct(config, 'member'),
    });
    expect(granted.code).toBe('granted');
    // and the code really is good for a token (atlassian-oauth.md §3)
    expect(granted.authCode).toBeTruthy();
  });

  test('an authorization code is single-use: the second exchange is token-exchange-failed', async ({ page, sim, config }, testInfo) => {
    const catcher = await startCallbackCatcher('http://127.0.0.1:0/callback');
    try {
      const state = 'story-state-1';
      const o = await driveConsent(page, {
        authorizeUrl: buildAuthorizeUrl(sim.urls.auth, {
          clientId: config.app.clientId,
          scopes: config.app.scopes,
          redirectUri: catcher.redirectUri,
          state,
        }),
        account: acct(config, 'member'),
        callback: catcher,
        state,
      });
      expect(o.code).toBe('granted');
      const creds = { tokenUrl: `${sim.urls.auth}/oauth/token`, clientId: config.app.clientId, clientSecret: config.app.clientSecret };
      const t = await exchangeCode(creds, { code: o.authCode!, redirectUri: catcher.redirectUri });
      expect(t.refreshToken).toBeTruthy();
      expect(t.scopes).toContain('read:jira-work');
      const again = await exchangeCode(creds, { code: o.authCode!, redirectUri: catcher.redirectUri }).catch((e: unknown) => e);
      expect(again).toMatchObject({ code: 'token-exchange-failed' });
      expect(String((again as Error).message)).not.toContain(o.authCode!);
      testInfo.annotations.push({ type: 'exchange', description: `second exchange status ${(again as { status: number }).status}` });
    } finally {
      await catcher.close();
    }
  });
});
