/**
 * The consent screen's site picker in the forms the driver meets, each driven end to end (pick the site, read the
 * permission lines, wait for Accept, reach the callback):
 *  - the simulator's consent page with either picker of its world switch `settings.sitePicker`: the Atlaskit
 *    React-Select combobox of the real screen (docs/reference/atlassian-oauth.md §2: placeholder "Choose a site",
 *    options `react-select-…-option-N` in a listbox rendered only while it is open, typing filters), its default, and a
 *    native `<select>`;
 *  - a React-Select whose menu opens from the keyboard only (a click on it does nothing), served as the consent page of
 *    a made-up authorization server (a routed page), for the driver's keyboard path the simulator never needs.
 */
import type { Page } from '@playwright/test';
import { buildAuthorizeUrl, consentInBrowser } from '../../fixtures/consent/flow.ts';
import { pickSite } from '../../fixtures/consent/screens.ts';
import type { SimHandle } from '../../fixtures/core/simulator.ts';
import { expect, test } from '../../fixtures/index.ts';
import { ACME_HOST, acct, GLOBEX_HOST, PICKERS, usePicker } from './support.ts';

const SITES = [ACME_HOST, GLOBEX_HOST];

for (const picker of PICKERS) {
  test.describe(`site picker: the simulator's ${picker.name}`, () => {
    test.beforeEach(async ({ sim }) => {
      await usePicker(sim, picker);
    });

    test('the drive picks the configured site, reads the permissions and reaches the callback', async ({ consent, sim, config }) => {
      const o = await consent({ authBase: sim.urls.auth, account: acct(config, 'member'), site: GLOBEX_HOST, scopes: ['read:me'] });
      expect(o.code, o.detail).toBe('granted');
      expect(o.sitePicker).toBe(picker.kind);
      expect(o.site).toBe(GLOBEX_HOST);
      expect(o.sitesOffered).toEqual(SITES);
      expect(o.scopesShown).toEqual(['View active user profile']);
      expect(o.scopesNotShown).toEqual([]);
      expect(o.path).toEqual(['email', 'password', 'consent', 'callback']);
    });

    test('without a configured site the first offered is picked; a site not offered is reported with the list', async ({
      page,
      sim,
      config,
    }) => {
      await openConsentScreen(page, sim, config.app.clientId);
      expect(await pickSite(page, 'no-such-site.atlassian.net')).toEqual({ offered: SITES, kind: picker.kind });
      await expect(page.getByRole('button', { name: 'Accept' })).toBeDisabled();
      expect(await pickSite(page, undefined)).toEqual({ picked: ACME_HOST, offered: SITES, kind: picker.kind });
      await expect(page.getByRole('button', { name: 'Accept' })).toBeEnabled();
    });
  });
}

/** Log the member in on the simulator and stop on its consent screen. */
async function openConsentScreen(page: Page, sim: SimHandle, clientId: string): Promise<void> {
  await page.goto(
    buildAuthorizeUrl(sim.urls.auth, { clientId, scopes: ['read:me'], redirectUri: 'http://127.0.0.1:9/callback', state: 's' }),
  );
  await page.getByPlaceholder('Enter email').fill('member@sim.example');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByPlaceholder('Enter password').fill('SIMCANARY-pw-member');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: /is requesting access/ })).toBeVisible();
}

/** An Atlaskit-like React-Select (a stand-in page): the menu exists only while open; ArrowDown/Enter and typing work. */
const reactSelect = `
<label id="site-label" for="react-select-5-input">Use app on</label>
<div class="site-select-container">
  <div class="site-select__control" id="control">
    <div class="site-select__placeholder" id="react-select-5-placeholder">Choose a site</div>
    <div class="site-select__single-value" id="single" hidden></div>
    <input id="react-select-5-input" role="combobox" aria-expanded="false" aria-haspopup="true" aria-autocomplete="list"
      aria-labelledby="site-label" autocomplete="off" style="width: 12em">
  </div>
  <div id="menu-slot"></div>
</div>
<script>
  const sites = SITES_JSON;
  const input = document.getElementById('react-select-5-input');
  const slot = document.getElementById('menu-slot');
  let open = false, focused = 0;
  function matches() { return sites.filter((s) => s.toLowerCase().includes(input.value.toLowerCase())); }
  function render() {
    slot.innerHTML = '';
    input.setAttribute('aria-expanded', String(open));
    if (!open) return;
    const list = document.createElement('div');
    list.setAttribute('role', 'listbox');
    list.id = 'react-select-5-listbox';
    matches().forEach((s, i) => {
      const o = document.createElement('div');
      o.setAttribute('role', 'option');
      o.id = 'react-select-5-option-' + i;
      o.setAttribute('aria-selected', String(i === focused));
      o.textContent = s;
      o.addEventListener('mousedown', (e) => { e.preventDefault(); choose(s); });
      list.appendChild(o);
    });
    slot.appendChild(list);
  }
  function choose(s) {
    document.getElementById('single').textContent = s;
    document.getElementById('single').hidden = false;
    document.getElementById('react-select-5-placeholder').hidden = true;
    input.value = '';
    open = false;
    render();
    document.getElementById('accept').disabled = false;
  }
  if (MOUSE_OPENS) document.getElementById('control').addEventListener('mousedown', () => { open = !open; focused = 0; render(); });
  input.addEventListener('input', () => { open = true; focused = 0; render(); });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') { if (open) focused = Math.min(focused + 1, matches().length - 1); open = true; render(); }
    if (e.key === 'Enter' && open && matches()[focused]) choose(matches()[focused]);
    if (e.key === 'Escape') { open = false; render(); }
  });
</script>`;

/** The combobox whose menu opens from the keyboard only (the click lands where it does nothing). */
const keyboardOnly = reactSelect.replace('<div class="site-select-container">', '<div class="site-select-container" data-keyboard-only>');

function consentPage(picker: string, redirectUri: string, state: string): string {
  const back = `${redirectUri}?code=SIMCANARY-picker-code&state=${encodeURIComponent(state)}`;
  return `<!doctype html><title>Authorize</title>
<h1>Harness Test App is requesting access to your Atlassian account</h1>
${picker.replace('SITES_JSON', JSON.stringify(SITES)).replace('MOUSE_OPENS', String(!picker.includes('data-keyboard-only')))}
<ul aria-label="Permissions"><li>View active user profile</li></ul>
<button id="accept" disabled onclick="location.href=${JSON.stringify(back).replace(/"/g, '&quot;')}">Accept</button>
<button>Cancel</button>`;
}

test.describe('site picker: React-Select opened from the keyboard', () => {
  test('the drive picks the configured site, reads the permissions and reaches the callback', async ({ page, config }) => {
    const { outcome } = await consentInBrowser({
      page,
      account: acct(config, 'member'),
      callbackUrl: 'http://127.0.0.1:0/callback',
      site: GLOBEX_HOST,
      stepTimeoutMs: 5000,
      authorize: async (redirectUri) => {
        const state = 'picker-state';
        await page.route('http://consent.test/**', (route) =>
          route.fulfill({ contentType: 'text/html', body: consentPage(keyboardOnly, redirectUri, state) }),
        );
        return { url: `http://consent.test/authorize?scope=read%3Ame&state=${state}`, state };
      },
    });
    expect(outcome.code, outcome.detail).toBe('granted');
    expect(outcome.sitePicker).toBe('combobox');
    expect(outcome.site).toBe(GLOBEX_HOST);
    expect(outcome.sitesOffered).toEqual(SITES);
    expect(outcome.scopesShown).toEqual(['View active user profile']);
    expect(outcome.scopesNotShown).toEqual([]);
    expect(outcome.path).toEqual(['consent', 'callback']);
  });

  test('without a configured site the first offered is picked; a site not offered is reported with the list', async ({ page }) => {
    await page.setContent(consentPage(keyboardOnly, 'http://127.0.0.1:9/callback', 's'));
    expect(await pickSite(page, 'no-such-site.atlassian.net')).toEqual({ offered: SITES, kind: 'combobox' });
    await expect(page.getByRole('button', { name: 'Accept' })).toBeDisabled();
    expect(await pickSite(page, undefined)).toEqual({ picked: ACME_HOST, offered: SITES, kind: 'combobox' });
    await expect(page.getByRole('button', { name: 'Accept' })).toBeEnabled();
  });
});
