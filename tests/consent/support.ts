/**
 * Helpers for the consent tests: one consent on a given simulator, its outcome attached as evidence (and the
 * redacted screenshot when there is one).
 */
import { randomBytes } from 'node:crypto';
import type { Page, TestInfo } from '@playwright/test';
import { startCallbackCatcher } from '../../fixtures/consent/callback.ts';
import { type ConsentOutcome, driveConsent } from '../../fixtures/consent/driver.ts';
import { buildAuthorizeUrl } from '../../fixtures/consent/flow.ts';
import type { AccountConfig, HarnessConfig } from '../../fixtures/core/config.ts';
import { attachEvidence } from '../../fixtures/core/evidence.ts';

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
  const catcher = await startCallbackCatcher('http://127.0.0.1:0/callback');
  try {
    const state = randomBytes(12).toString('base64url');
    const url = new URL(
      buildAuthorizeUrl(run.authBase, {
        clientId: run.clientId,
        scopes: run.scopes,
        redirectUri: run.redirectUriOverride ?? catcher.redirectUri,
        state,
      }),
    );
    for (const [k, v] of Object.entries(run.extraParams ?? {})) url.searchParams.set(k, v);
    const outcome = await driveConsent(page, {
      authorizeUrl: url.href,
      account: run.account,
      site: run.site,
      callback: catcher,
      state,
      decision: run.decision,
      stepTimeoutMs: run.stepTimeoutMs ?? 8000,
    });
    await attachOutcome(testInfo, run.account.role, outcome);
    return outcome;
  } finally {
    await catcher.close();
  }
}

export async function attachOutcome(testInfo: TestInfo, role: string, outcome: ConsentOutcome): Promise<void> {
  await attachEvidence(testInfo, `consent ${role}${outcome.site ? ` on ${outcome.site}` : ''} → ${outcome.code}`, {
    surface: 'consent',
    timestamp: new Date().toISOString(),
    account: role,
    site: outcome.site,
    operation: 'consent',
    category: outcome.code,
    detail: {
      screen: outcome.screen,
      detail: outcome.detail,
      path: outcome.path,
      sitesOffered: outcome.sitesOffered,
      scopesShown: outcome.scopesShown,
      scopesNotShown: outcome.scopesNotShown,
      scopeCountMismatch: outcome.scopeCountMismatch,
    },
  });
  if (outcome.screenshot) {
    await testInfo.attach(`consent screen (inputs blanked): ${outcome.screen}`, { body: outcome.screenshot, contentType: 'image/png' });
  }
}
