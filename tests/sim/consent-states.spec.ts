/**
 * The simulator's login and consent pages, driven in a real browser: each blocking state is provoked through the admin
 * API and asserted by its exact text and status. Texts: atlassian-oauth.md §1-§2 and atlassian-mcp.md §2a; simulator
 * wording where the reference has none is listed in simulator/README.md "Login and consent".
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from '@playwright/test';
import * as OTPAuth from 'otpauth';
import type { SimHandle } from '../../fixtures/core/simulator.ts';
import { test as base, expect } from '../../fixtures/index.ts';

const ACME = 'a1c3e5f7-0000-4000-8000-000000000001';
const REDIRECT = 'http://127.0.0.1:65000/callback';
const USERS = {
  member: { email: 'member@sim.example', password: 'SIMCANARY-pw-member' },
  admin: { email: 'org.admin@sim.example', password: 'SIMCANARY-pw-orgadmin' },
  nosite: { email: 'nosite@sim.example', password: 'SIMCANARY-pw-nosite' },
  mfa: { email: 'mfa.member@sim.example', password: 'SIMCANARY-pw-mfa' },
};

function authorizeUrl(
  sim: SimHandle,
  o: { clientId?: string; scopes?: string[]; redirectUri?: string; extra?: Record<string, string> } = {},
): string {
  const q = new URLSearchParams({
    audience: 'api.atlassian.com',
    client_id: o.clientId ?? 'sim-client-3lo',
    scope: (o.scopes ?? ['read:me', 'read:jira-work', 'offline_access']).join(' '),
    redirect_uri: o.redirectUri ?? REDIRECT,
    state: 'state-123',
    response_type: 'code',
    prompt: 'consent',
    ...o.extra,
  });
  return `${sim.urls.auth}/authorize?${q}`;
}

interface Catcher {
  redirectUri: string;
  /** resolves with the first callback URL the browser reaches */
  reached: Promise<URL>;
}

/** A tiny loopback listener standing in for the app's callback (the apps accept any 127.0.0.1 port). */
const test = base.extend<{ callback: Catcher }>({
  callback: async ({}, use) => {
    let resolve!: (u: URL) => void;
    const reached = new Promise<URL>((r) => {
      resolve = r;
    });
    const server = createServer((req, res) => {
      resolve(new URL(req.url ?? '/', 'http://127.0.0.1'));
      res.writeHead(200, { 'content-type': 'text/html' }).end('<p>callback reached</p>');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    await use({ redirectUri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`, reached });
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  },
});

/** Choose a site on the default picker, the React-Select combobox (atlassian-oauth.md §2), with the mouse. */
async function chooseSite(page: Page, host: string): Promise<void> {
  await page.getByRole('combobox', { name: 'Use app on' }).click();
  await page.getByRole('listbox').getByRole('option', { name: host }).click();
  await expect(page.getByRole('listbox')).toHaveCount(0);
}

/** The sites the React-Select menu offers (opened with the mouse, closed with Escape). */
async function offeredSites(page: Page): Promise<string[]> {
  const picker = page.getByRole('combobox', { name: 'Use app on' });
  await picker.click();
  const sites = await page.getByRole('listbox').getByRole('option').allInnerTexts();
  await picker.press('Escape');
  return sites;
}

async function login(page: Page, user: { email: string; password: string }): Promise<void> {
  await page.getByPlaceholder('Enter email').fill(user.email);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByPlaceholder('Enter password').fill(user.password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

test.describe('simulator login and consent pages', () => {
  test('member consents on the site picker; Accept stays disabled until a site is chosen, then redirects with code and state', async ({
    sim,
    page,
    callback,
  }) => {
    await page.goto(authorizeUrl(sim, { redirectUri: callback.redirectUri }));
    await expect(page.locator('input#username')).toBeVisible();
    await login(page, USERS.member);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Harness Test App is requesting access to your Atlassian account.');
    expect(await offeredSites(page)).toEqual(['acme-sim.atlassian.net', 'globex-sim.atlassian.net']);
    await expect(page.getByRole('list', { name: 'Permissions requested' }).getByRole('listitem')).toHaveText([
      'View active user profile',
      'View Jira issue data',
    ]);
    const accept = page.getByRole('button', { name: 'Accept' });
    await expect(accept).toBeDisabled();
    await chooseSite(page, 'acme-sim.atlassian.net');
    await expect(accept).toBeEnabled();
    await accept.click();
    const url = await callback.reached;
    expect(url.searchParams.get('state')).toBe('state-123');
    expect(url.searchParams.get('code')).toContain(sim.urls.canary);
    expect((await sim.admin.stats()).consents).toBe(1);
  });

  test('the site picker is a React-Select combobox: options only while open, typing filters, keyboard and mouse choose', async ({
    sim,
    page,
    callback,
  }) => {
    await page.goto(authorizeUrl(sim, { redirectUri: callback.redirectUri }));
    await login(page, USERS.member);
    // atlassian-oauth.md §2: inside div.site-selector, placeholder "Choose a site", labelled "Use app on"
    const picker = page.locator('div.site-selector').getByRole('combobox', { name: 'Use app on' });
    await expect(picker).toHaveAttribute('aria-expanded', 'false');
    await expect(page.locator('div.site-selector').getByText('Choose a site')).toBeVisible();
    await expect(page.getByRole('option')).toHaveCount(0);
    await expect(page.locator('select')).toHaveCount(0);
    const accept = page.getByRole('button', { name: 'Accept' });
    await expect(accept).toBeDisabled();

    // the mouse opens the menu: a listbox whose options carry React-Select's ids
    await picker.click();
    await expect(picker).toHaveAttribute('aria-expanded', 'true');
    const options = page.getByRole('listbox').getByRole('option');
    await expect(options).toHaveText(['acme-sim.atlassian.net', 'globex-sim.atlassian.net']);
    expect(await options.evaluateAll((os) => os.map((o) => o.id))).toEqual(['react-select-2-option-0', 'react-select-2-option-1']);
    await page.keyboard.press('Escape');
    await expect(page.getByRole('listbox')).toHaveCount(0);

    // typing filters; a text that matches nothing says so; Escape clears the text
    await picker.fill('glob');
    await expect(options).toHaveText(['globex-sim.atlassian.net']);
    await picker.fill('nothing-like-it');
    await expect(options).toHaveCount(0);
    await expect(page.getByRole('listbox')).toHaveText('No options');
    await picker.press('Escape');
    await expect(picker).toHaveValue('');

    // the keyboard: ArrowDown opens on the first option, ArrowDown moves, Enter chooses; the choice is the single value
    await picker.press('ArrowDown');
    await expect(picker).toHaveAttribute('aria-activedescendant', 'react-select-2-option-0');
    await picker.press('ArrowDown');
    await picker.press('Enter');
    await expect(page.getByRole('listbox')).toHaveCount(0);
    await expect(page.locator('div.site-selector').getByText('globex-sim.atlassian.net', { exact: true })).toBeVisible();
    await expect(page.getByText('Choose a site')).toBeHidden();
    await expect(accept).toBeEnabled();

    // the mouse changes it; the menu marks the current choice
    await picker.click();
    await expect(page.getByRole('option', { name: 'globex-sim.atlassian.net' })).toHaveAttribute('aria-selected', 'true');
    // hovering moves the focus on the same option nodes, as React re-renders them (a menu rebuilt on every hover would
    // detach the option under the pointer)
    const acmeOption = await page.getByRole('option', { name: 'acme-sim.atlassian.net' }).elementHandle();
    await page.getByRole('option', { name: 'acme-sim.atlassian.net' }).hover();
    await expect(page.getByRole('option', { name: 'acme-sim.atlassian.net' })).toHaveClass(/site-select__option--is-focused/);
    await expect(picker).toHaveAttribute('aria-activedescendant', 'react-select-2-option-0');
    expect(await acmeOption!.evaluate((o) => o.isConnected), 'the hovered option is still the node it was').toBe(true);
    await page.getByRole('option', { name: 'acme-sim.atlassian.net' }).click();
    await expect(page.locator('div.site-selector').getByText('acme-sim.atlassian.net', { exact: true })).toBeVisible();

    // the chosen site is what the form posts: the grant covers acme (its host is in the code's accessible resources)
    await accept.click();
    const url = await callback.reached;
    const token = await fetch(`${sim.urls.auth}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'authorization_code',
        client_id: 'sim-client-3lo',
        client_secret: 'SIMCANARY-cs-3lo-8f2k1q',
        code: url.searchParams.get('code'),
        redirect_uri: callback.redirectUri,
      }),
    });
    expect(token.status).toBe(200);
    const { access_token } = (await token.json()) as { access_token: string };
    const resources = await fetch(`${sim.urls.api}/oauth/token/accessible-resources`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(((await resources.json()) as Array<{ id: string }>).map((r) => r.id)).toEqual([ACME]);
  });

  test('with settings.sitePicker = native the site picker is a <select> whose first option is "Choose a site"', async ({
    sim,
    page,
    callback,
  }) => {
    await sim.admin.patchWorld({ settings: { sitePicker: 'native' } });
    await page.goto(authorizeUrl(sim, { redirectUri: callback.redirectUri }));
    await login(page, USERS.member);
    const picker = page.locator('div.site-selector').getByRole('combobox', { name: 'Use app on' });
    await expect(picker.locator('option')).toHaveText(['Choose a site', 'acme-sim.atlassian.net', 'globex-sim.atlassian.net']);
    await expect(page.locator('[id^="react-select-"]')).toHaveCount(0);
    const accept = page.getByRole('button', { name: 'Accept' });
    await expect(accept).toBeDisabled();
    await picker.selectOption({ label: 'globex-sim.atlassian.net' });
    await expect(accept).toBeEnabled();
    await accept.click();
    expect((await callback.reached).searchParams.get('code')).toBeTruthy();
  });

  test('Cancel redirects with error=access_denied and the real description', async ({ sim, page, callback }) => {
    await page.goto(authorizeUrl(sim, { redirectUri: callback.redirectUri }));
    await login(page, USERS.member);
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect((await callback.reached).search).toBe(
      '?error=access_denied&error_description=User%20did%20not%20authorize%20the%20request&state=state-123',
    );
  });

  test('member gets admin-must-authorize when user-installed apps are blocked', async ({ sim, page }) => {
    await sim.admin.patchWorld({ sites: { [ACME]: { policy: { userInstalledApps: 'blocked' } } } });
    await page.goto(authorizeUrl(sim));
    await login(page, USERS.member);
    await chooseSite(page, 'acme-sim.atlassian.net');
    await expect(page.getByRole('alert')).toHaveText(
      'Your site admin must authorize this app for the site acme-sim.atlassian.net before the app can access your account.',
    );
    await expect(page.getByRole('button', { name: 'Accept' })).toBeDisabled();
    // the other site is unaffected
    await chooseSite(page, 'globex-sim.atlassian.net');
    await expect(page.getByRole('alert')).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Accept' })).toBeEnabled();
  });

  test("an org admin's consent approves the app for a blocked site, after which a member can consent", async ({ sim, page, callback }) => {
    await sim.admin.patchWorld({ sites: { [ACME]: { policy: { userInstalledApps: 'blocked' } } } });
    await page.goto(authorizeUrl(sim, { redirectUri: callback.redirectUri }));
    await login(page, USERS.admin);
    await chooseSite(page, 'acme-sim.atlassian.net');
    await page.getByRole('button', { name: 'Accept' }).click();
    expect((await callback.reached).searchParams.get('code')).toBeTruthy();
    const world = await sim.admin.world<{ sites: Record<string, { policy: { approvedApps: string[] } }> }>();
    expect(world.sites[ACME]!.policy.approvedApps).toEqual(['sim-client-3lo']);

    await page.context().clearCookies();
    await page.goto(authorizeUrl(sim));
    await login(page, USERS.member);
    await chooseSite(page, 'acme-sim.atlassian.net');
    await expect(page.getByRole('alert')).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Accept' })).toBeEnabled();
  });

  test('an app an admin blocked shows "App is blocked by an admin"', async ({ sim, page }) => {
    await sim.admin.patchWorld({ sites: { [ACME]: { policy: { blockedApps: ['sim-client-3lo'] } } } });
    await page.goto(authorizeUrl(sim));
    await login(page, USERS.admin);
    await chooseSite(page, 'acme-sim.atlassian.net');
    await expect(page.getByRole('alert')).toContainText('App is blocked by an admin');
    await expect(page.getByRole('alert')).toContainText(
      'An admin has not allowed Harness Test App to access data from acme-sim.atlassian.net. Select another site to authorize access to or contact your admin for more information.',
    );
    await expect(page.getByRole('button', { name: 'Accept' })).toBeDisabled();
  });

  test('a member cannot continue on an app in developer mode; the owner sees the warning and can', async ({ sim, page }) => {
    const url = authorizeUrl(sim, { clientId: 'sim-client-private', scopes: ['read:me', 'offline_access'] });
    const res = await page.goto(url);
    expect(res?.status()).toBe(200);
    await login(page, USERS.member);
    await expect(page.locator('#developer-mode')).toContainText('This app is in developer mode.');
    await expect(page.getByRole('button', { name: 'Accept' })).toHaveCount(0);

    await page.context().clearCookies();
    await page.goto(url);
    await login(page, USERS.admin);
    await expect(page.locator('#developer-mode')).toContainText('This app is in developer mode.');
    await chooseSite(page, 'acme-sim.atlassian.net');
    await expect(page.getByRole('button', { name: 'Accept' })).toBeEnabled();
  });

  test('scopes not added to the app show the INFORMATION FOR THE OWNER panel listing them', async ({ sim, page }) => {
    await page.goto(authorizeUrl(sim, { scopes: ['read:me', 'manage:jira-data-provider', 'read:issue:jira'] }));
    await login(page, USERS.member);
    await expect(page.getByRole('heading', { name: 'INFORMATION FOR THE OWNER OF HARNESS TEST APP' })).toBeVisible();
    await expect(page.locator('#owner-info-text')).toHaveText(
      'This app has requested scopes that have not been added to the app. Configure the app at https://developer.atlassian.com/apps and add the following scopes to the app: manage:jira-data-provider, read:issue:jira',
    );
    await expect(page.getByRole('button', { name: 'Accept' })).toHaveCount(0);
  });

  test('an MCP client whose redirect URI is outside the admin domain list gets "Your admin has blocked this domain"', async ({
    sim,
    page,
  }) => {
    await sim.admin.patchWorld({
      org: { mcp: { domains: ['https://app.example.com/**'] } },
      apps: {
        'sim-mcp-client': {
          name: 'MCP Client',
          clientSecret: 'SIMCANARY-cs-mcp-unused',
          ownerEmail: '',
          callbackUrls: ['http://127.0.0.1:*/callback'],
          scopes: ['offline_access', 'read:jira-work'],
          kind: 'mcp',
        },
      },
    });
    await page.goto(
      authorizeUrl(sim, {
        clientId: 'sim-mcp-client',
        scopes: ['offline_access', 'read:jira-work'],
        extra: { code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' },
      }),
    );
    await login(page, USERS.member);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your admin has blocked this domain');
  });

  test('an unknown client_id gets the generic "Something went wrong" page without a redirect', async ({ sim, page }) => {
    const res = await page.goto(authorizeUrl(sim, { clientId: 'no-such-client' }));
    expect(res?.status()).toBe(400);
    expect(new URL(page.url()).pathname).toBe('/authorize');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Something went wrong');
    await expect(page.locator('#error-reason')).toHaveText('unknown client_id');
  });

  test('a redirect_uri that is not a callback URL of the app gets "Something went wrong" without a redirect', async ({ sim, page }) => {
    const res = await page.goto(authorizeUrl(sim, { redirectUri: 'https://evil.example.com/callback' }));
    expect(res?.status()).toBe(400);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Something went wrong');
    await expect(page.locator('#error-reason')).toHaveText('redirect_uri does not match a callback URL of the app');
  });

  test('a wrong password shows the real error and keeps the user on the password step', async ({ sim, page }) => {
    await page.goto(authorizeUrl(sim));
    await login(page, { email: USERS.member.email, password: 'SIMCANARY-not-the-password' });
    await expect(page.getByRole('alert')).toHaveText('Incorrect email address and / or password.');
    await expect(page.locator('input#password')).toBeVisible();
  });

  test('a user with a TOTP seed must enter a valid code before consent', async ({ sim, page }) => {
    await page.goto(authorizeUrl(sim));
    await login(page, USERS.mfa);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Two-step verification');
    await page.getByLabel('Verification code').fill('000000');
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect(page.getByRole('alert')).toHaveText('The verification code is incorrect. Try again.');
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32('SIMCANARYJBSWY3DPEHPK3PXP'), digits: 6, period: 30 });
    await page.getByLabel('Verification code').fill(totp.generate());
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Harness Test App is requesting access to your Atlassian account.');
    expect(await offeredSites(page)).toEqual(['acme-sim.atlassian.net']);
  });

  test('with the CAPTCHA switch on, the login stops on an unsolvable CAPTCHA page', async ({ sim, page }) => {
    await sim.admin.patchWorld({ settings: { captcha: true } });
    await page.goto(authorizeUrl(sim));
    await page.getByPlaceholder('Enter email').fill(USERS.member.email);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText("Verify you're human");
    await expect(page.locator('iframe[title="reCAPTCHA"]')).toBeVisible();
    await expect(page.locator('input#password')).toHaveCount(0);
  });

  test('a user with no sites is told there are no sites to choose', async ({ sim, page, callback }) => {
    await page.goto(authorizeUrl(sim, { redirectUri: callback.redirectUri }));
    await login(page, USERS.nosite);
    await expect(page.locator('#no-sites')).toHaveText(
      "You don't have access to any Atlassian sites, so there are no sites to choose. Ask an admin to give you access to a site, then try again.",
    );
    await expect(page.getByRole('button', { name: 'Accept' })).toHaveCount(0);
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect((await callback.reached).searchParams.get('error')).toBe('access_denied');
  });

  test('a logged-in browser skips the login form on the next authorization', async ({ sim, page }) => {
    await page.goto(authorizeUrl(sim));
    await login(page, USERS.member);
    await expect(page.getByRole('heading', { level: 1 })).toContainText('is requesting access');
    await page.goto(authorizeUrl(sim));
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Harness Test App is requesting access to your Atlassian account.');
    await expect(page.locator('input#username')).toHaveCount(0);
  });
});
