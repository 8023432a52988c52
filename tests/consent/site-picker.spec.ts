/**
 * The consent screen's site picker in both forms the driver meets: the Atlaskit React-Select combobox of the real
 * screen (docs/reference/atlassian-oauth.md §2: placeholder "Choose a site", options `react-select-…-option-N` in a
 * listbox rendered only while it is open, typing filters) and a native `<select>`. Each form is served as the whole
 * consent page of a made-up authorization server (a routed page), so the full drive runs: pick the site, read the
 * permission lines, wait for Accept, reach the callback.
 */
import { consentInBrowser } from '../../fixtures/consent/flow.ts';
import { pickSite } from '../../fixtures/consent/screens.ts';
import { expect, test } from '../../fixtures/index.ts';
import { ACME_HOST, acct, GLOBEX_HOST } from './support.ts';

const SITES = [ACME_HOST, GLOBEX_HOST];

/** An Atlaskit-like React-Select: the menu exists only while open; mouse, ArrowDown/Enter and typing work. */
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

/** The same combobox whose menu opens from the keyboard only (the click lands where it does nothing). */
const keyboardOnly = reactSelect.replace('<div class="site-select-container">', '<div class="site-select-container" data-keyboard-only>');

const nativeSelect = `
<label for="site">Use app on</label>
<select id="site" onchange="document.getElementById('accept').disabled = !this.value">
  <option value="">Choose a site</option>
  ${SITES.map((s) => `<option value="${s}">${s}</option>`).join('')}
</select>`;

function consentPage(picker: string, redirectUri: string, state: string): string {
  const back = `${redirectUri}?code=SIMCANARY-picker-code&state=${encodeURIComponent(state)}`;
  return `<!doctype html><title>Authorize</title>
<h1>Harness Test App is requesting access to your Atlassian account</h1>
${picker.replace('SITES_JSON', JSON.stringify(SITES)).replace('MOUSE_OPENS', String(!picker.includes('data-keyboard-only')))}
<ul aria-label="Permissions"><li>View active user profile</li></ul>
<button id="accept" disabled onclick="location.href=${JSON.stringify(back).replace(/"/g, '&quot;')}">Accept</button>
<button>Cancel</button>`;
}

for (const [name, picker] of [
  ['Atlaskit React-Select combobox', reactSelect],
  ['React-Select opened from the keyboard', keyboardOnly],
  ['native select', nativeSelect],
] as const) {
  test.describe(`site picker: ${name}`, () => {
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
            route.fulfill({ contentType: 'text/html', body: consentPage(picker, redirectUri, state) }),
          );
          return { url: `http://consent.test/authorize?scope=read%3Ame&state=${state}`, state };
        },
      });
      expect(outcome.code, outcome.detail).toBe('granted');
      expect(outcome.site).toBe(GLOBEX_HOST);
      expect(outcome.sitesOffered).toEqual(SITES);
      expect(outcome.scopesShown).toEqual(['View active user profile']);
      expect(outcome.scopesNotShown).toEqual([]);
      expect(outcome.path).toEqual(['consent', 'callback']);
    });

    test('without a configured site the first offered is picked; a site not offered is reported with the list', async ({ page }) => {
      await page.setContent(consentPage(picker, 'http://127.0.0.1:9/callback', 's'));
      expect(await pickSite(page, 'no-such-site.atlassian.net')).toEqual({ offered: SITES });
      await expect(page.getByRole('button', { name: 'Accept' })).toBeDisabled();
      expect(await pickSite(page, undefined)).toEqual({ picked: ACME_HOST, offered: SITES });
      await expect(page.getByRole('button', { name: 'Accept' })).toBeEnabled();
    });
  });
}
