/**
 * End to end, the way CI runs it: the `api` project (generated scope tests + sites suite) runs as a child Playwright
 * process against this worker's private simulator, then `runGate` (scripts/gate.ts) reads its allure-results.
 * Default world → every test passes and the gate is green. Then the world is broken in seven ways at once (each hits
 * different cells) and the suites run again on the stored tokens: the gate turns red and its DRIFT rows name each
 * breakage's tests with the exact category observed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../../fixtures/core/config.ts';
import { redact } from '../../fixtures/core/redact.ts';
import type { SimHandle } from '../../fixtures/core/simulator.ts';
import { expect, test } from '../../fixtures/index.ts';
import { runGate } from '../../scripts/gate.ts';
import { WORLD } from '../support/world.ts';

const ACME = WORLD.sites.acme.cloudId;
const GLOBEX = WORLD.sites.globex.cloudId;

/** Both runs share one token store of their own: tokens issued by this simulator, never another run's on the machine. */
function runApiSuite(
  sim: SimHandle,
  reportsDir: string,
  authDir: string,
  extra: string[],
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'node_modules', '@playwright', 'test', 'cli.js'), 'test', '--project=api', '--workers=2', ...extra],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          HARNESS_SIM_URLS: JSON.stringify(sim.urls),
          HARNESS_REPORTS_DIR: reportsDir,
          HARNESS_AUTH_DIR: authDir,
          TARGET: 'sim',
          CI: '',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output = (output + d.toString()).slice(-20_000);
    });
    child.stderr.on('data', (d: Buffer) => {
      output = (output + d.toString()).slice(-20_000);
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output: redact(output) }));
  });
}

test('the gate is green on the default world and red, naming every breakage with its category, once the world is broken', async ({
  sim,
}, testInfo) => {
  test.setTimeout(15 * 60_000);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'rest-gate-'));
  try {
    const baseline = await runApiSuite(sim, path.join(tmp, 'baseline'), path.join(tmp, 'auth'), []);
    await testInfo.attach('baseline run', { body: baseline.output, contentType: 'text/plain' });
    expect(baseline.code, 'the api project passes on the default world').toBe(0);
    const green = await runGate({ reportsDir: path.join(tmp, 'baseline') });
    expect(
      green.rows.filter((r) => r.kind === 'DRIFT'),
      green.table,
    ).toEqual([]);
    expect(green.ok, green.table).toBe(true);
    expect(green.total).toBeGreaterThan(150);

    // seven breakages, each on different cells; tokens were issued before, so no re-consent happens (--no-deps)
    await sim.admin.patchWorld({
      users: {
        [WORLD.emails.member]: { sites: { [GLOBEX]: null } }, // user removed from a site
        [WORLD.emails.admin]: { sites: { [ACME]: { jira: 'user' } } }, // product permission downgraded
      },
      sites: { [GLOBEX]: { products: ['jira', 'jira-software'] } }, // Confluence uninstalled
    });
    await sim.admin.revokeGrant(WORLD.emails.siteadmin, WORLD.app.clientId); // app revoked for one user
    await sim.admin.setFaults({
      rules: [
        { role: 'api', pathRegex: '/rest/api/3/priority$', status: 500 }, // 5xx
        { role: 'api', pathRegex: '/wiki/api/v2/footer-comments$', status: 410 }, // endpoint removed
        { role: 'api', pathRegex: '/rest/api/3/status$', status: 429, retryAfterSeconds: 1, rateLimitReason: 'jira-burst-based' }, // rate limit beyond the budget
      ],
    });
    const broken = await runApiSuite(sim, path.join(tmp, 'broken'), path.join(tmp, 'auth'), ['--no-deps']);
    await testInfo.attach('broken run', { body: broken.output, contentType: 'text/plain' });
    expect(broken.code, 'the api project fails on the broken world').not.toBe(0);
    const red = await runGate({ reportsDir: path.join(tmp, 'broken') });
    await testInfo.attach('gate table', { body: red.table, contentType: 'text/plain' });
    expect(red.ok).toBe(false);
    const drift = red.rows.filter((r) => r.kind === 'DRIFT');
    // titles start after ' › ' (so 'admin gets' never matches 'siteadmin gets')
    const named = (fragment: string) => (r: { test: string }) => r.test.includes(`› ${fragment}`);
    const outcomeOf = (fragment: string) => drift.find(named(fragment))?.outcome;
    expect.soft(outcomeOf('member gets granted for read:jira-work on globex'), 'user removed from globex').toBe('site-not-authorized');
    expect
      .soft(outcomeOf("member's accessible-resources lists exactly the expected sites"), 'user removed from globex (sites suite)')
      .toBe('site-not-authorized');
    expect.soft(outcomeOf('admin gets granted for read:page:confluence on globex'), 'Confluence uninstalled').toBe('product-not-installed');
    expect
      .soft(outcomeOf("admin's grant on globex lists every scope"), 'Confluence uninstalled (sites suite)')
      .toBe('product-not-installed');
    expect
      .soft(outcomeOf('admin gets granted for manage:jira-configuration on acme'), 'Jira permission downgraded')
      .toBe('permission-denied');
    expect
      .soft(
        outcomeOf('siteadmin gets granted for read:jira-work on acme'),
        'grant revoked by an admin: the run must report token-invalid, not consent again (that would re-grant what the admin revoked)',
      )
      .toBe('token-invalid');
    expect.soft(outcomeOf('admin gets granted for read:priority:jira on acme'), '5xx').toBe('server-error');
    expect.soft(outcomeOf('admin gets granted for read:comment:confluence on acme'), '410').toBe('endpoint-gone');
    expect.soft(outcomeOf('admin gets granted for read:status:jira on acme'), 'rate limit').toBe('rate-limited');
    // untouched cells still match: admin on acme for an unaffected scope is not in the table
    expect(drift.filter(named('admin gets granted for read:jira-work on acme'))).toEqual([]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
