/**
 * Helpers for the consent tests: the sites and accounts of the world they act on, and the outcome as evidence for
 * the tests that run a token provider themselves (the `consent` fixture attaches its own).
 */
import type { Page, TestInfo } from '@playwright/test';
import type { ConsentOutcome } from '../../fixtures/consent/driver.ts';
import { attachConsentOutcome } from '../../fixtures/consent/record.ts';
import type { AccountConfig, HarnessConfig } from '../../fixtures/core/config.ts';

import { WORLD } from '../support/world.ts';

/** The two sites of the world (tests/support/world.ts): cloudIds and the host names the site picker offers. */
export const ACME = WORLD.sites.acme.cloudId;
export const GLOBEX = WORLD.sites.globex.cloudId;
export const ACME_HOST = new URL(WORLD.sites.acme.url).host;
export const GLOBEX_HOST = new URL(WORLD.sites.globex.url).host;

export function acct(config: HarnessConfig, role: string, override: Partial<AccountConfig> = {}): AccountConfig {
  const a = config.accounts.find((x) => x.role === role);
  if (!a) throw new Error(`.env.sim has no account ${role}`);
  return { ...a, ...override };
}

/** The consent outcome as evidence on the test (fixtures/consent/record.ts). */
export const attachOutcome = (testInfo: TestInfo, role: string, outcome: ConsentOutcome): Promise<void> =>
  attachConsentOutcome(testInfo, role, outcome);

/** The two site pickers the consent outcome tests run on. */
export const PICKERS = ['native select', 'React-Select'] as const;
export type Picker = (typeof PICKERS)[number];

/**
 * Show the simulator's consent page with an Atlaskit-like React-Select site picker instead of its native `<select>`
 * (docs/reference/atlassian-oauth.md §2: placeholder "Choose a site", `react-select-…-option-N` options in a listbox
 * that exists only while open, typing filters), until the simulator offers that picker itself. An init script swaps
 * the picker on every page that has one (the consent page is reached through redirects, which routes do not see);
 * the native select stays in the form, hidden, and follows the combobox, so the simulator's own page logic (blocking
 * messages, Accept enabled only for a site that allows the app) runs unchanged. `served()` counts the swaps.
 */
export async function serveReactSelectPicker(page: Page): Promise<{ served(): number }> {
  let served = 0;
  await page.exposeBinding('__harnessReactSelectServed', () => {
    served++;
  });
  await page.addInitScript(() => {
    document.addEventListener('DOMContentLoaded', () => {
      const sel = document.getElementById('site-select') as HTMLSelectElement | null;
      const label = document.querySelector('label[for="site-select"]');
      if (!sel || !label) return;
      label.setAttribute('for', 'react-select-7-input');
      label.id = 'rs-label';
      const control = document.createElement('div');
      control.id = 'rs-control';
      control.innerHTML =
        '<div id="react-select-7-placeholder">Choose a site</div><div id="rs-single" hidden></div>' +
        '<input id="react-select-7-input" role="combobox" aria-expanded="false" aria-haspopup="true" aria-autocomplete="list" aria-labelledby="rs-label" autocomplete="off">';
      const menu = document.createElement('div');
      sel.before(control, menu);
      sel.style.display = 'none';
      const input = control.querySelector('input') as HTMLInputElement;
      let open = false;
      const sites = () =>
        Array.from(sel.options)
          .filter((o) => o.value)
          .map((o) => (o.textContent ?? '').trim());
      const matches = () => sites().filter((s) => s.toLowerCase().includes(input.value.toLowerCase()));
      const choose = (site: string) => {
        const opt = Array.from(sel.options).find((o) => (o.textContent ?? '').trim() === site);
        if (!opt) return;
        sel.value = opt.value;
        sel.dispatchEvent(new Event('change'));
        const single = document.getElementById('rs-single') as HTMLElement;
        single.textContent = site;
        single.hidden = false;
        (document.getElementById('react-select-7-placeholder') as HTMLElement).hidden = true;
        input.value = '';
        open = false;
        render();
      };
      const render = () => {
        menu.innerHTML = '';
        input.setAttribute('aria-expanded', String(open));
        if (!open) return;
        const list = document.createElement('div');
        list.setAttribute('role', 'listbox');
        list.id = 'react-select-7-listbox';
        matches().forEach((site, i) => {
          const o = document.createElement('div');
          o.setAttribute('role', 'option');
          o.id = `react-select-7-option-${i}`;
          o.textContent = site;
          o.addEventListener('mousedown', (e) => {
            e.preventDefault();
            choose(site);
          });
          list.appendChild(o);
        });
        menu.appendChild(list);
      };
      control.addEventListener('mousedown', () => {
        open = !open;
        render();
      });
      input.addEventListener('input', () => {
        open = true;
        render();
      });
      input.addEventListener('keydown', (e) => {
        if (e.key === 'ArrowDown') open = true;
        if (e.key === 'Escape') open = false;
        render();
      });
      (window as unknown as { __harnessReactSelectServed?: () => void }).__harnessReactSelectServed?.();
    });
  });
  return { served: () => served };
}
