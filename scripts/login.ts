/**
 * `npm run login -- --account <role> [--headed] [--site <host>]`
 *
 * For the rare account whose login cannot be automated (SMS/push second factor, SSO hand-off, CAPTCHA): runs the
 * harness's one consent flow (fixtures/consent/flow.ts), lets the driver do what it can, and when it stops with
 * `needs-human` waits (up to 10 minutes, --headed only) for the person to finish in the visible browser window. The
 * identity session (cookies) is saved per account under .auth/sessions/ and the tokens under .auth/tokens/, keyed as
 * the suites key them, so later runs stay headless.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { runConsent } from '../fixtures/consent/flow.ts';
import { chromiumLaunchOptions } from '../fixtures/core/browser.ts';
import { account, loadConfigOrExit } from '../fixtures/core/config.ts';
import { redact } from '../fixtures/core/redact.ts';
import { startSimulator } from '../fixtures/core/simulator.ts';
import { REAL_URLS } from '../fixtures/core/target.ts';
import { makeKey, TokenStore, targetIdentity, tokenRecord } from '../fixtures/tokens/store.ts';

const HUMAN_WAIT_MS = 10 * 60_000;

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
const browser = await chromium.launch(chromiumLaunchOptions([], { headed: values.headed }));

async function run(): Promise<number> {
  // keyed as the suites key them (fixtures/tokens/fixture.ts), so the next run finds this token and this session
  const identity = targetIdentity({ kind: config.target === 'sim' ? 'sim' : 'atlassian', authBase: urls.auth, world: config.simWorld });
  const { outcome, tokens } = await runConsent(
    {
      browser: async () => browser,
      authBase: urls.auth,
      app: config.app,
      sessionDir: path.join(config.authDir, 'sessions'),
      sessionKey: identity,
      humanTimeoutMs: values.headed ? HUMAN_WAIT_MS : undefined,
      onNeedsHuman: (o) =>
        process.stderr.write(`login: ${o.detail}\nComplete the login and the consent in the browser window (waiting up to 10 minutes)…\n`),
    },
    acct,
    { site: values.site ?? acct.site },
  );
  if (outcome.code === 'needs-human') {
    process.stderr.write(`login: ${outcome.detail}\nRe-run with --headed and complete the step in the browser window.\n`);
    return 1;
  }
  if (outcome.code !== 'granted' || !tokens) {
    process.stderr.write(`login: ${outcome.code}: ${redact(outcome.detail)}\nFix: ${outcome.remediation ?? ''}\n`);
    return 1;
  }
  const key = makeKey(identity, acct.email, config.app.clientId, config.app.scopes);
  new TokenStore(path.join(config.authDir, 'tokens')).write(
    tokenRecord(key, acct.role, tokens, { sites: outcome.site ? [outcome.site] : [] }),
  );
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
  await sim?.stop();
}
process.exit(exitCode);
