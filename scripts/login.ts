/**
 * `npm run login -- --account <role> [--headed] [--site <host>]`
 *
 * For the rare account whose login cannot be automated (SMS/push second factor, SSO hand-off, CAPTCHA): opens the
 * login + consent flow, lets the driver do what it can, and when it stops with `needs-human` waits (up to 10 minutes)
 * for the person to finish in the visible browser window. The identity session (cookies) is saved per account under
 * .auth/sessions/ and the tokens under .auth/tokens/, so later runs stay headless.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { startCallbackCatcher } from '../fixtures/consent/callback.ts';
import { driveConsent } from '../fixtures/consent/driver.ts';
import { buildAuthorizeUrl, sessionFile } from '../fixtures/consent/flow.ts';
import { exchangeCode } from '../fixtures/consent/token-client.ts';
import { chromiumLaunchOptions } from '../fixtures/core/browser.ts';
import { account, loadConfigOrExit } from '../fixtures/core/config.ts';
import { redact } from '../fixtures/core/redact.ts';
import { startSimulator } from '../fixtures/core/simulator.ts';
import { REAL_URLS } from '../fixtures/core/target.ts';
import { DEFAULT_AUTH_DIR } from '../fixtures/tokens/provider.ts';
import { makeKey, TokenStore } from '../fixtures/tokens/store.ts';

const { values } = parseArgs({
  options: { account: { type: 'string' }, headed: { type: 'boolean', default: false }, site: { type: 'string' } },
});
const config = loadConfigOrExit();
if (!values.account) {
  process.stderr.write(
    `usage: npm run login -- --account <role> [--headed] [--site <host>]   (roles: ${config.accounts.map((a) => a.role).join(', ')})\n`,
  );
  process.exit(2);
}
const acct = (() => {
  try {
    return account(config, values.account);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
})();

// TARGET=sim: a simulator of our own (its sessions die with it, so this is a rehearsal of the command only)
const sim = config.target === 'sim' && !process.env.HARNESS_SIM_URLS ? await startSimulator({ world: config.simWorld }) : undefined;
const urls = sim ? sim.urls : config.target === 'sim' ? JSON.parse(process.env.HARNESS_SIM_URLS!) : REAL_URLS;
const catcher = await startCallbackCatcher(config.app.callbackUrl);
const browser = await chromium.launch({ ...chromiumLaunchOptions(), headless: !values.headed });
async function run(): Promise<number> {
  const session = sessionFile(path.join(DEFAULT_AUTH_DIR, 'sessions'), urls.auth, acct.email);
  const context = await browser.newContext();
  const page = await context.newPage();
  const state = randomBytes(16).toString('base64url');
  const authorizeUrl = buildAuthorizeUrl(urls.auth, {
    clientId: config.app.clientId,
    scopes: config.app.scopes,
    redirectUri: catcher.redirectUri,
    state,
  });
  let outcome = await driveConsent(page, { authorizeUrl, account: acct, site: values.site ?? acct.site, callback: catcher, state });
  let code = outcome.authCode;
  if (outcome.code === 'needs-human') {
    if (!values.headed) {
      process.stderr.write(`login: ${outcome.detail}\nRe-run with --headed and complete the step in the browser window.\n`);
      return 1;
    }
    process.stderr.write(
      `login: ${outcome.detail}\nComplete the login and the consent in the browser window (waiting up to 10 minutes)…\n`,
    );
    const cb = await catcher.wait(state, 10 * 60_000);
    code = cb.code;
    if (!code) {
      process.stderr.write(`login: the consent ended with error=${cb.error ?? '?'} ${cb.errorDescription ?? ''}\n`);
      return 1;
    }
    outcome = { ...outcome, code: 'granted', detail: 'completed by hand' };
  }
  if (outcome.code !== 'granted' || !code) {
    process.stderr.write(`login: ${outcome.code}: ${redact(outcome.detail)}\nFix: ${outcome.remediation ?? ''}\n`);
    return 1;
  }
  mkdirSync(path.dirname(session), { recursive: true, mode: 0o700 });
  await context.storageState({ path: session });
  chmodSync(session, 0o600);
  const t = await exchangeCode(
    { tokenUrl: new URL('/oauth/token', urls.auth).href, clientId: config.app.clientId, clientSecret: config.app.clientSecret },
    { code, redirectUri: catcher.redirectUri },
  );
  const key = makeKey(new URL(urls.auth).origin, acct.email, config.app.clientId, config.app.scopes);
  new TokenStore(path.join(DEFAULT_AUTH_DIR, 'tokens')).write({
    format: 'harness-token-store/1',
    key,
    role: acct.role,
    accessToken: t.accessToken,
    refreshToken: t.refreshToken,
    expiresAt: t.expiresAt,
    scopes: t.scopes,
    obtainedAt: Date.now(),
    refreshes: 0,
    sites: outcome.site ? [outcome.site] : [],
  });
  process.stdout.write(
    `login: ${acct.role} (${acct.email}) granted${outcome.site ? ` on ${outcome.site}` : ''}; session saved, token stored. Later runs stay headless.\n`,
  );
  return 0;
}

let exitCode = 1;
try {
  exitCode = await run();
} finally {
  await browser.close();
  await catcher.close();
  await sim?.stop();
}
process.exit(exitCode);
