/**
 * The site-admin-must-authorize user story, end to end on a private simulator:
 * a member hits "Your site admin must authorize this app for the site …" while user-installed apps are blocked;
 * the site admin runs the consent flow once (docs/reference/atlassian-oauth.md §2: "an org admin completing the flow once installs
 * it"); the member's retry is granted. With the policy set to Allowed the member is granted directly.
 */
import { consentInBrowser } from '../../fixtures/consent/flow.ts';
import { exchangeCode } from '../../fixtures/consent/token-client.ts';
import { expect, test } from '../../fixtures/index.ts';
import { ACME, ACME_HOST, acct } from './support.ts';

test.describe('user story: site admin must authorize', () => {
  test('member blocked → site admin consents → member retry is granted', async ({ browser, consent, sim, config }) => {
    await sim.admin.patchWorld({ sites: { [ACME]: { policy: { userInstalledApps: 'blocked' } } } });
    const base = { authBase: sim.urls.auth, clientId: config.app.clientId, scopes: config.app.scopes, site: ACME_HOST };

    const memberCtx = await browser.newContext();
    const memberPage = await memberCtx.newPage();
    const blocked = await consent({ page: memberPage, ...base, account: acct(config, 'member') });
    expect(blocked.code).toBe('admin-must-authorize');
    expect(blocked.detail).toContain(
      `Your site admin must authorize this app for the site ${ACME_HOST} before the app can access your account.`,
    );

    const adminCtx = await browser.newContext();
    const admin = await consent({ page: await adminCtx.newPage(), ...base, account: acct(config, 'siteadmin') });
    expect(admin.code).toBe('granted');
    await adminCtx.close();
    const world = await sim.admin.world<{ sites: Record<string, { policy: { approvedApps: string[] } }> }>();
    expect(world.sites[ACME]?.policy.approvedApps).toContain(config.app.clientId);

    // the member's browser session is still logged in: the retry goes straight to the consent screen
    const retry = await consent({ page: memberPage, ...base, account: acct(config, 'member') });
    expect(retry.code).toBe('granted');
    expect(retry.path).toEqual(['consent', 'callback']);
    await memberCtx.close();
  });

  test('member is granted directly when user-installed apps are allowed', async ({ consent, sim, config }) => {
    await sim.admin.patchWorld({ sites: { [ACME]: { policy: { userInstalledApps: 'allowed' } } } });
    const granted = await consent({
      authBase: sim.urls.auth,
      site: ACME_HOST,
      account: acct(config, 'member'),
    });
    expect(granted.code).toBe('granted');
    // and the code really is good for a token (docs/reference/atlassian-oauth.md §3)
    expect(granted.authCode).toBeTruthy();
  });

  test('an authorization code is single-use: the second exchange is token-exchange-failed', async ({ page, sim, config }, testInfo) => {
    const creds = { tokenUrl: `${sim.urls.auth}/oauth/token`, clientId: config.app.clientId, clientSecret: config.app.clientSecret };
    const { outcome, result } = await consentInBrowser(
      {
        page,
        account: acct(config, 'member'),
        callbackUrl: 'http://127.0.0.1:0/callback',
        authorize: { authBase: sim.urls.auth, clientId: config.app.clientId, scopes: config.app.scopes },
      },
      async ({ outcome: o, redirectUri }) => {
        const t = await exchangeCode(creds, { code: o.authCode!, redirectUri });
        const again = await exchangeCode(creds, { code: o.authCode!, redirectUri }).catch((e: unknown) => e);
        return { t, again, code: o.authCode! };
      },
    );
    expect(outcome.code).toBe('granted');
    if (!result) throw new Error(`no code to exchange: ${outcome.detail}`);
    expect(result.t.refreshToken).toBeTruthy();
    expect(result.t.scopes).toContain('read:jira-work');
    expect(result.again).toMatchObject({ code: 'token-exchange-failed' });
    expect(String((result.again as Error).message)).not.toContain(result.code);
    testInfo.annotations.push({ type: 'exchange', description: `second exchange status ${(result.again as { status: number }).status}` });
  });
});
