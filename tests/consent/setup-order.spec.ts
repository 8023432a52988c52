/**
 * The consent setup project as a run sees it, in a Playwright sub-run on a simulator of this test's own:
 *  - the harness never changes the state it observes: with user-installed apps blocked on acme and the admins listed
 *    first, the member still gets admin-must-authorize on acme (non-admin accounts consent before admin accounts, in
 *    one worker, whatever the worker count), and the admin's later consent installs the app;
 *  - a failed consent carries its `outcome` label (here login-failed), so the report files it under its code;
 *    the accounts after it still run (a new worker), and the run's tokens line still counts every account;
 *  - each run ends with one line counting browser consents, and a second run on the same simulator reuses the
 *    stored tokens (0 consents for the accounts that got one).
 * The sub-run's token records are keyed on this test's world file (one record per account, replaced on each run).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../fixtures/core/config.ts';
import { startSimulator } from '../../fixtures/core/simulator.ts';
import { expect, test } from '../../fixtures/index.ts';
import { DEFAULT_AUTH_DIR } from '../../fixtures/tokens/provider.ts';
import { makeKey, TokenStore, targetIdentity } from '../../fixtures/tokens/store.ts';
import { ACME, ACME_HOST } from './support.ts';

const DIR = path.join(ROOT, '.tmp', 'consent-setup-order');
const WORLD = path.join(DIR, 'world.json');

interface World {
  sites: Record<string, { policy: { userInstalledApps: string; approvedApps: string[] } }>;
  users: Record<string, { password: string }>;
}

function setupRun(simUrls: string, reports: string): { out: string; status: number | null } {
  const r = spawnSync(process.execPath, ['node_modules/@playwright/test/cli.js', 'test', '--project=consent', '--workers=2'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 150_000,
    env: {
      ...process.env,
      TARGET: 'sim',
      HARNESS_SIM_URLS: simUrls,
      SIM_WORLD: path.relative(ROOT, WORLD),
      HARNESS_REPORTS_DIR: path.relative(ROOT, reports),
      // the admins first: a scheduler that followed this order would let them approve the app before the member looks
      ATLASSIAN_ACCOUNTS: 'admin,siteadmin,member',
      HARNESS_WORKERS: '2',
    },
  });
  return { out: `${r.stdout}\n${r.stderr}`, status: r.status };
}

function labels(reports: string): Map<string, string | undefined> {
  const dir = path.join(reports, 'allure-results');
  const out = new Map<string, string | undefined>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('-result.json'))) {
    const r = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { name: string; labels: Array<{ name: string; value: string }> };
    out.set(r.name.split(' ')[0]!, r.labels.find((l) => l.name === 'outcome')?.value);
  }
  return out;
}

test('admins consent after members, failed consents carry their outcome label, and the next run reuses the store', async ({
  sim,
  config,
}) => {
  test.setTimeout(300_000);
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  // the sub-runs use the real store (.auth/tokens): start from no record of this world
  const store = new TokenStore(path.join(DEFAULT_AUTH_DIR, 'tokens'));
  const identity = targetIdentity({ kind: 'sim', authBase: 'http://127.0.0.1', world: path.relative(ROOT, WORLD) });
  for (const a of config.accounts)
    rmSync(store.fileFor(makeKey(identity, a.email, config.app.clientId, config.app.scopes)), { force: true });
  const world = await sim.admin.world<World>();
  world.sites[ACME]!.policy.userInstalledApps = 'blocked';
  world.users['org.admin@sim.example']!.password = 'SIMCANARY-pw-changed-since';
  writeFileSync(WORLD, JSON.stringify(world));
  const own = await startSimulator({ world: WORLD });
  try {
    const urls = JSON.stringify(own.urls);
    const first = setupRun(urls, path.join(DIR, 'run-1'));
    expect(first.status, first.out).toBe(1); // the org admin's login fails (and its worker is replaced)
    const memberRecord = JSON.parse(readFileSync(path.join(DIR, 'run-1', 'consent', 'member.json'), 'utf8')) as Array<{
      site?: string;
      code: string;
    }>;
    expect(memberRecord.find((r) => r.site === ACME_HOST)?.code).toBe('admin-must-authorize');
    const after = await own.admin.world<World>();
    expect(after.sites[ACME]?.policy.approvedApps).toContain(config.app.clientId); // the site admin's consent came later
    const l1 = labels(path.join(DIR, 'run-1'));
    expect(Object.fromEntries(l1)).toEqual({ member: 'granted', admin: 'login-failed', siteadmin: 'granted' });
    // one line for the run, although the failed account's worker was replaced before the last account ran
    expect(first.out.match(/^tokens: .*$/gm)).toEqual([
      expect.stringMatching(/^tokens: 3 accounts, [1-9]\d* browser consents, 0 from store, 1 failed$/),
    ]);

    const second = setupRun(urls, path.join(DIR, 'run-2'));
    expect(second.status, second.out).toBe(1);
    // member and site admin from the store; the org admin tries (and fails) once more
    expect(second.out.match(/^tokens: .*$/gm)).toEqual(['tokens: 3 accounts, 1 browser consents, 2 from store, 1 failed']);
  } finally {
    await own.stop();
  }
});
