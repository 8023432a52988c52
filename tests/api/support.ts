/**
 * What the generated REST suites share: the configuration, the scope catalog and the expectations file, loaded once
 * at collection time (a bad file stops collection with one message naming the entry), and one ScopeProber per
 * account and token in each worker, so accessible-resources and id discovery run once per account, not per test.
 */
import type { TestInfo } from '@playwright/test';
import * as allure from 'allure-js-commons';
import { type Category, categoryInfo } from '../../fixtures/core/categories.ts';
import { type HarnessConfig, loadConfig } from '../../fixtures/core/config.ts';
import { attachEvidence, type EvidenceRecord } from '../../fixtures/core/evidence.ts';

export { labelOutcome } from '../../fixtures/core/evidence.ts';

import { type RestClient, ScopeProber } from '../../fixtures/rest/client.ts';
import { type Expectations, loadExpectations, type SiteRef } from '../../fixtures/rest/expectations.ts';
import { type Catalog, loadCatalog } from '../../fixtures/rest/scopes.ts';
import type { TokenProvider } from '../../fixtures/tokens/provider.ts';

export interface SuiteInputs {
  config: HarnessConfig;
  catalog: Catalog;
  exp: Expectations;
}

let inputs: SuiteInputs | undefined;
export function suiteInputs(): SuiteInputs {
  if (inputs) return inputs;
  const config = loadConfig();
  if (!config.expectationsFile) {
    throw new Error(
      'EXPECTATIONS_FILE is not set. Fix: point it at your expectations JSON (example: tests/expectations/sim-app.json); see .env.example.',
    );
  }
  const catalog = loadCatalog();
  const exp = loadExpectations({
    file: config.expectationsFile,
    catalog,
    roles: config.accounts.map((a) => a.role),
    requested: config.app.scopes,
  });
  inputs = { config, catalog, exp };
  return inputs;
}

const probers = new Map<string, ScopeProber>();
/** The worker's prober for `role` (a new one when the token was refreshed). */
export async function proberFor(rest: RestClient, tokens: TokenProvider, role: string): Promise<ScopeProber> {
  const { catalog } = suiteInputs();
  const grant = await tokens.grant(role);
  const key = `${role}\n${grant.accessToken}`;
  let p = probers.get(key);
  if (!p) {
    for (const k of probers.keys()) if (k.startsWith(`${role}\n`)) probers.delete(k);
    p = new ScopeProber(rest, catalog, { role, token: grant.accessToken, tokenScopes: grant.scopes });
    probers.set(key, p);
  }
  return p;
}

/**
 * Allure parameters and the `expected` label, set BEFORE the probe so that a test that crashes (no token, transport
 * error) still carries `expected` without `outcome`, which the gate reports as drift (scripts/gate.ts).
 */
export async function labelExpected(p: { role: string; site?: SiteRef; scope?: string; expected: Category }): Promise<void> {
  await allure.parameter('account', p.role);
  await allure.parameter('site', p.site?.key ?? '(account-level)');
  await allure.parameter('cloudId', p.site?.cloudId ?? '-');
  if (p.scope) await allure.parameter('scope', p.scope);
  await allure.label('expected', p.expected);
}

export async function attach(testInfo: TestInfo, label: string, record: EvidenceRecord | undefined): Promise<void> {
  if (record) await attachEvidence(testInfo, label, record);
}

/** The failure text: expected vs received, why, and what to do about the received category. */
export function mismatchMessage(what: string, expected: Category, received: Category, reason: string): string {
  const file = suiteInputs().config.expectationsFile ?? 'the expectations file';
  const fix = categoryInfo(received).ok
    ? `access is broader than expected (${categoryInfo(expected).title.toLowerCase()} was expected). If that is intended, update ${file}; otherwise remove the scope or permission.`
    : `${categoryInfo(received).remediation} If the change is intended, update ${file}.`;
  return `${what}: expected ${expected}, received ${received} (${reason}).\nFix: ${fix}`;
}
