/**
 * Helpers for the consent tests: one consent on a given simulator, its outcome attached as evidence (and the
 * redacted screenshot when there is one).
 */
import type { Page, TestInfo } from '@playwright/test';
import type { ConsentOutcome } from '../../fixtures/consent/driver.ts';
import { consentInBrowser } from '../../fixtures/consent/flow.ts';
import { attachConsentOutcome } from '../../fixtures/consent/record.ts';
import type { AccountConfig, HarnessConfig } from '../../fixtures/core/config.ts';

export const ACME = 'a1c3e5f7-0000-4000-8000-000000000001';
export const GLOBEX = 'b2d4f6a8-0000-4000-8000-000000000002';
export const ACME_HOST = 'acme-sim.atlassian.net';
export const GLOBEX_HOST = 'globex-sim.atlassian.net';

export function acct(config: HarnessConfig, role: string, override: Partial<AccountConfig> = {}): AccountConfig {
  const a = config.accounts.find((x) => x.role === role);
  if (!a) throw new Error(`.env.sim has no account ${role}`);
  return { ...a, ...override };
}

export interface ConsentRun {
  authBase: string;
  clientId: string;
  scopes: string[];
  account: AccountConfig;
  site?: string;
  decision?: 'accept' | 'cancel';
  stepTimeoutMs?: number;
  /** extra authorize parameters (PKCE for MCP-kind clients) */
  extraParams?: Record<string, string>;
  /** override the redirect URI put into the authorize URL (the catcher still listens on its own) */
  redirectUriOverride?: string;
}

export async function consentOnce(page: Page, testInfo: TestInfo, run: ConsentRun): Promise<ConsentOutcome> {
  const { outcome } = await consentInBrowser({
    page,
    account: run.account,
    callbackUrl: 'http://127.0.0.1:0/callback',
    authorize: {
      authBase: run.authBase,
      clientId: run.clientId,
      scopes: run.scopes,
      extraParams: run.extraParams,
      redirectUriOverride: run.redirectUriOverride,
    },
    site: run.site,
    decision: run.decision,
    stepTimeoutMs: run.stepTimeoutMs ?? 8000,
  });
  await attachOutcome(testInfo, run.account.role, outcome);
  return outcome;
}

/** The consent outcome as evidence on the test (fixtures/consent/record.ts). */
export const attachOutcome = (testInfo: TestInfo, role: string, outcome: ConsentOutcome): Promise<void> =>
  attachConsentOutcome(testInfo, role, outcome);
