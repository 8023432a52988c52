/**
 * Every consent outcome, provoked on a private simulator through its admin API and classified by the driver with
 * the remediation from categories.ts. Texts the simulator shows follow docs/reference/atlassian-oauth.md §1–§2.
 *
 * Each runs on both site pickers the simulator's consent page can show (the world switch `settings.sitePicker`): the
 * React-Select combobox of the real screen (§2), the default, and a native `<select>`; the grant asserts which
 * picker the driver met.
 */

import { redactedScreenshot } from '../../fixtures/consent/driver.ts';
import { CATEGORIES } from '../../fixtures/core/categories.ts';
import { expect, test } from '../../fixtures/index.ts';
import { ACME, ACME_HOST, acct, GLOBEX_HOST, PICKERS, usePicker } from './support.ts';

for (const picker of PICKERS) {
  test.describe(`consent outcomes (${picker.name} site picker)`, () => {
    test.beforeEach(async ({ sim }) => {
      await usePicker(sim, picker);
    });

    test('member is granted on the chosen site and the screen lists every requested scope', async ({ consent, sim, config }) => {
      const o = await consent({
        authBase: sim.urls.auth,
        account: acct(config, 'member'),
        site: GLOBEX_HOST,
      });
      expect(o.code).toBe('granted');
      expect(o.authCode).toBeTruthy();
      expect(o.site).toBe(GLOBEX_HOST);
      expect(o.sitesOffered).toEqual([ACME_HOST, GLOBEX_HOST]);
      expect(o.path).toEqual(['email', 'password', 'consent', 'callback']);
      // §6: consent lines carry the scope titles; offline_access has none
      expect(o.scopesShown).toContain('View Jira issue data');
      expect(o.scopesShown).toHaveLength(config.app.scopes.filter((s) => s !== 'offline_access').length);
      expect(o.scopesNotShown).toEqual([]);
      expect(o.scopeCountMismatch).toBeUndefined();
      expect((await sim.admin.stats()).consents).toBe(1);
      expect(o.sitePicker, 'the driver met the picker the world switch asked for').toBe(picker.kind);
    });

    test('member gets admin-must-authorize when user-installed apps are blocked', async ({ consent, sim, config }) => {
      await sim.admin.patchWorld({ sites: { [ACME]: { policy: { userInstalledApps: 'blocked' } } } });
      const o = await consent({
        authBase: sim.urls.auth,
        account: acct(config, 'member'),
        site: ACME_HOST,
      });
      expect(o.code).toBe('admin-must-authorize');
      expect(o.detail).toContain(`Your site admin must authorize this app for the site ${ACME_HOST}`);
      expect(o.remediation).toContain('User installed apps');
      expect(o.authCode).toBeUndefined();
    });

    test('member gets app-blocked-by-admin when the site blocks the app', async ({ consent, sim, config }) => {
      await sim.admin.patchWorld({ sites: { [ACME]: { policy: { blockedApps: [config.app.clientId] } } } });
      const o = await consent({
        authBase: sim.urls.auth,
        account: acct(config, 'member'),
        site: ACME_HOST,
      });
      expect(o.code).toBe('app-blocked-by-admin');
      expect(o.detail).toContain('App is blocked by an admin');
      expect(o.remediation).toBe(CATEGORIES['app-blocked-by-admin'].remediation);
    });

    test('member gets developer-mode when the app is not shared', async ({ consent, sim, config }) => {
      await sim.admin.patchWorld({ apps: { [config.app.clientId]: { sharing: false } } });
      const o = await consent({
        authBase: sim.urls.auth,
        account: acct(config, 'member'),
      });
      expect(o.code).toBe('developer-mode');
      expect(o.remediation).toContain('Distribution');
    });

    test('the owner of an unshared app still consents past the developer-mode warning', async ({ consent, sim, config }) => {
      await sim.admin.patchWorld({ apps: { [config.app.clientId]: { sharing: false } } });
      const o = await consent({
        authBase: sim.urls.auth,
        account: acct(config, 'admin'),
      });
      expect(o.code).toBe('granted');
    });

    test('scopes-not-added names the scopes the app lacks', async ({ consent, sim, config }) => {
      await sim.admin.patchWorld({ apps: { [config.app.clientId]: { scopes: config.app.scopes.filter((s) => s !== 'read:me') } } });
      const o = await consent({
        authBase: sim.urls.auth,
        account: acct(config, 'member'),
      });
      expect(o.code).toBe('scopes-not-added');
      expect(o.detail).toMatch(/INFORMATION FOR THE OWNER OF/i);
      expect(o.detail).toContain('read:me');
    });

    test('Cancel on the consent screen is classified access-denied', async ({ consent, sim, config }) => {
      const o = await consent({
        authBase: sim.urls.auth,
        account: acct(config, 'member'),
        decision: 'cancel',
      });
      expect(o.code).toBe('access-denied');
      expect(o.callback?.error).toBe('access_denied');
      expect(o.callback?.errorDescription).toBe('User did not authorize the request');
    });

    test('an MCP client whose redirect domain is not allowed gets domain-blocked', async ({ consent, sim, config }) => {
      await sim.admin.patchWorld({
        org: { mcp: { domains: ['https://app.example.com/**'] } },
        apps: {
          'test-mcp-client': {
            name: 'Test MCP Client',
            clientSecret: 'SIMCANARY-test-mcp-secret',
            ownerEmail: 'org.admin@sim.example',
            callbackUrls: ['http://127.0.0.1:*/callback'],
            scopes: ['read:jira-work'],
            kind: 'mcp',
          },
        },
      });
      const o = await consent({
        authBase: sim.urls.auth,
        clientId: 'test-mcp-client',
        scopes: ['read:jira-work'],
        account: acct(config, 'member'),
        // RFC 7636 appendix B example challenge
        extraParams: { code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' },
      });
      expect(o.code).toBe('domain-blocked');
      expect(o.remediation).toContain('Domains');
    });

    test('a CAPTCHA on the login page stops with needs-human instead of hanging', async ({ consent, sim, config }) => {
      await sim.admin.patchWorld({ settings: { captcha: true } });
      const started = Date.now();
      const o = await consent({
        authBase: sim.urls.auth,
        account: acct(config, 'member'),
      });
      expect(o.code).toBe('needs-human');
      expect(o.screen).toBe('captcha');
      expect(o.remediation).toContain('npm run login');
      expect(Date.now() - started).toBeLessThan(8000);
    });

    test('an MFA account without a TOTP secret is needs-human; with its secret it is granted', async ({ consent, page, sim }) => {
      const mfa = { role: 'mfa', email: 'mfa.member@sim.example', password: 'SIMCANARY-pw-mfa' };
      const without = await consent({
        authBase: sim.urls.auth,
        account: mfa,
      });
      expect(without.code).toBe('needs-human');
      expect(without.screen).toBe('mfa-totp');
      expect(without.detail).toContain('ACCOUNT_MFA_TOTP_SECRET');
      await page.context().clearCookies();
      const withSeed = await consent({
        authBase: sim.urls.auth,
        account: { ...mfa, totpSecret: 'SIMCANARYJBSWY3DPEHPK3PXP' },
      });
      expect(withSeed.code).toBe('granted');
      expect(withSeed.path).toEqual(['email', 'password', 'mfa-totp', 'consent', 'callback']);
    });

    test('a wrong TOTP secret is login-failed with the rejected-code text', async ({ consent, sim }) => {
      const o = await consent({
        authBase: sim.urls.auth,
        account: {
          role: 'mfa',
          email: 'mfa.member@sim.example',
          password: 'SIMCANARY-pw-mfa',
          totpSecret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
        },
      });
      expect(o.code).toBe('login-failed');
      expect(o.detail).toContain('verification code is incorrect');
    });

    test('a wrong password is login-failed', async ({ consent, sim, config }) => {
      const o = await consent({
        authBase: sim.urls.auth,
        account: acct(config, 'member', { password: 'SIMCANARY-not-the-password' }),
      });
      expect(o.code).toBe('login-failed');
      expect(o.detail).toContain('Incorrect email address');
      expect(o.detail).not.toContain('SIMCANARY-not-the-password');
    });

    test('an unknown client id is invalid-client on the generic error page', async ({ consent, sim, config }) => {
      const o = await consent({
        authBase: sim.urls.auth,
        clientId: 'no-such-client',
        account: acct(config, 'member'),
      });
      expect(o.code).toBe('invalid-client');
      expect(o.screen).toBe('generic-error');
    });

    test('a redirect URI the app does not list is invalid-client', async ({ consent, sim, config }) => {
      const o = await consent({
        authBase: sim.urls.auth,
        account: acct(config, 'member'),
        redirectUriOverride: 'http://127.0.0.1:9/not-the-callback',
      });
      expect(o.code).toBe('invalid-client');
    });

    test('a configured site the account does not belong to is site-not-authorized', async ({ consent, sim, config }) => {
      const o = await consent({
        authBase: sim.urls.auth,
        account: acct(config, 'siteadmin'),
        site: GLOBEX_HOST,
      });
      expect(o.code).toBe('site-not-authorized');
      expect(o.sitesOffered).toEqual([ACME_HOST]);
    });

    test('an unknown page is unexpected-screen with a screenshot whose inputs are blank', async ({ consent, sim, config }, testInfo) => {
      // the api host's 404 for an unrecognised path is not a page the consent flow knows
      const o = await consent({
        authBase: sim.urls.api,
        account: acct(config, 'member'),
        stepTimeoutMs: 2000,
      });
      expect(o.code).toBe('unexpected-screen');
      expect(o.detail).toContain('no known screen appeared');
      expect(o.screenshot?.subarray(1, 4).toString()).toBe('PNG');
      expect(testInfo.attachments.some((a) => a.contentType === 'image/png')).toBe(true);
    });

    test('the unexpected-screen screenshot blanks every input first', async ({ page }) => {
      await page.setContent(
        '<label>Password <input id="p" type="text" value="SIMCANARY-typed-secret"></label><textarea>SIMCANARY-note</textarea>',
      );
      const shot = await redactedScreenshot(page);
      expect(shot?.subarray(1, 4).toString()).toBe('PNG');
      expect(await page.locator('input, textarea').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value))).toEqual(['', '']);
    });
  });
}
