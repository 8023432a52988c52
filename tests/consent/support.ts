/**
 * Helpers for the consent tests: the sites and accounts of the world they act on, and the outcome as evidence for
 * the tests that run a token provider themselves (the `consent` fixture attaches its own).
 */
import type { TestInfo } from '@playwright/test';
import type { ConsentOutcome } from '../../fixtures/consent/driver.ts';
import { attachConsentOutcome } from '../../fixtures/consent/record.ts';
import type { AccountConfig, HarnessConfig } from '../../fixtures/core/config.ts';
import type { SimHandle } from '../../fixtures/core/simulator.ts';

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

/**
 * The two site pickers the simulator's consent page can show (its world switch `settings.sitePicker`, simulator/README.md
 * "Authorize and consent"): the Atlaskit React-Select combobox of the real screen (docs/reference/atlassian-oauth.md
 * §2), its default, and a native `<select>`. `kind` is what the driver reports it met (ConsentOutcome.sitePicker).
 */
export const PICKERS = [
  { name: 'React-Select', setting: 'react-select', kind: 'combobox' },
  { name: 'native select', setting: 'native', kind: 'native select' },
] as const;
export type Picker = (typeof PICKERS)[number];

/** Switch the simulator's consent page to this picker (set either way, so a world file's choice does not decide). */
export async function usePicker(sim: SimHandle, picker: Picker): Promise<void> {
  await sim.admin.patchWorld({ settings: { sitePicker: picker.setting } });
}
