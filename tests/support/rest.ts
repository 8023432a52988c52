/**
 * Support for the REST self-tests (tests/self/rest-*.spec.ts): tokens on the worker's private simulator through the
 * real consent flow (fixtures/consent/flow.ts, the same driver the `consent` project uses), the whole probe matrix for
 * an account, and the comparison "every cell matches the expectations file except exactly these".
 */
import type { Browser, TestInfo } from '@playwright/test';
import { runConsent } from '../../fixtures/consent/flow.ts';
import type { TokenResponse } from '../../fixtures/consent/token-client.ts';
import type { Category } from '../../fixtures/core/categories.ts';
import { account } from '../../fixtures/core/config.ts';
import { redact, registerSecret } from '../../fixtures/core/redact.ts';
import type { Target } from '../../fixtures/core/target.ts';
import type { RestClient } from '../../fixtures/rest/client.ts';
import type { SiteRef } from '../../fixtures/rest/expectations.ts';
import type { RestSuite, RestTokens } from '../../fixtures/rest/fixture.ts';
import { cellKey, type MatrixCell, probeAccount } from '../../fixtures/rest/matrix.ts';
import { ScopeProber } from '../../fixtures/rest/prober.ts';

/** The .env.sim configuration with tests/expectations/sim-app.json (what the self-tests hold the suite to). */
type Suite = RestSuite;

/**
 * Consent for `role` on each site it should have (in turn: one grant per app per account, new sites join the same
 * grant, docs/reference/atlassian-oauth.md §4) and return the last token response.
 */
export async function consentRole(
  suite: Suite,
  target: Target,
  browser: Browser,
  role: string,
  opts: { scopes?: string[]; sites?: string[] } = {},
): Promise<TokenResponse> {
  const acct = account(suite.config, role);
  const app = { ...suite.config.app, scopes: opts.scopes ?? suite.config.app.scopes };
  let tokens: TokenResponse | undefined;
  for (const siteKey of opts.sites ?? suite.exp.sitesPresent(role)) {
    const host = new URL(suite.exp.site(siteKey).url).host;
    const r = await runConsent({ browser: async () => browser, authBase: target.urls.auth, app }, acct, { site: host });
    if (r.outcome.code !== 'granted' || !r.tokens) {
      throw new Error(`consent for ${role} on ${siteKey} ended with ${r.outcome.code} on screen ${r.outcome.screen}: ${r.outcome.detail}`);
    }
    tokens = r.tokens;
  }
  if (!tokens) throw new Error(`${role} has no site to consent on`);
  registerSecret(tokens.accessToken);
  registerSecret(tokens.refreshToken);
  return tokens;
}

/** Tokens for the `probe` fixture: one browser consent per role on first use, on the worker's private simulator. */
export function consentTokens(suite: Suite, target: Target, browser: Browser, opts: { scopes?: string[] } = {}): RestTokens {
  const granted = new Map<string, Promise<TokenResponse>>();
  return {
    grant(role) {
      let p = granted.get(role);
      if (!p) {
        p = consentRole(suite, target, browser, role, opts);
        granted.set(role, p);
      }
      return p;
    },
  };
}

export function proberFor(suite: Suite, client: RestClient, role: string, tokens: TokenResponse): ScopeProber {
  return new ScopeProber(client, suite.catalog, { role, token: tokens.accessToken, tokenScopes: tokens.scopes });
}

/** Every cell of one account over the expectations' sites (plus `extraSites`). */
export async function matrix(suite: Suite, prober: ScopeProber, extraSites: SiteRef[] = []): Promise<MatrixCell[]> {
  return probeAccount(prober, [...suite.exp.sites, ...extraSites]);
}

export interface Mismatch {
  cell: string;
  expected: Category;
  received: Category;
  reason: string;
}

/**
 * Compare cells with the expectations file, overridden by `changed` (cellKey → category). Returns every cell whose
 * category differs: an empty list means "exactly the changed cells changed, everything else still matches".
 */
export function diff(suite: Suite, cells: MatrixCell[], changed: Record<string, Category> = {}): Mismatch[] {
  const out: Mismatch[] = [];
  const seen = new Set<string>();
  for (const c of cells) {
    const key = cellKey(c);
    seen.add(key);
    const siteKnown = c.site === undefined || suite.exp.sites.some((s) => s.key === c.site);
    const expected = changed[key] ?? (siteKnown ? suite.exp.expected(c.role, c.site, c.scope) : undefined);
    if (expected === undefined) {
      out.push({ cell: key, expected: 'unexpected', received: c.category, reason: 'no expectation for this cell' });
    } else if (expected !== c.category) {
      out.push({ cell: key, expected, received: c.category, reason: c.reason });
    }
  }
  for (const key of Object.keys(changed))
    if (!seen.has(key)) out.push({ cell: key, expected: changed[key] as Category, received: 'unexpected', reason: 'cell was not probed' });
  return out;
}

/** Cells for the given role, sites and scopes (helper to build `changed`). */
export function cells(role: string, sites: Array<string | undefined>, scopes: string[], category: Category): Record<string, Category> {
  const out: Record<string, Category> = {};
  for (const site of sites) for (const scope of scopes) out[cellKey({ role, site, scope })] = category;
  return out;
}

/** Attach the matrix to the test (redacted by attachEvidence's rules: no token ever reaches a cell). */
export async function attachMatrix(testInfo: TestInfo, name: string, list: MatrixCell[]): Promise<void> {
  const rows = list.map((c) => ({
    cell: cellKey(c),
    category: c.category,
    reason: c.reason,
    status: c.evidence?.status,
    traceId: c.evidence?.traceId,
    retries: c.evidence?.retries,
  }));
  await testInfo.attach(name, { body: Buffer.from(redact(JSON.stringify(rows, null, 2))), contentType: 'application/json' });
}
