/**
 * The REST `probe` fixture and the `toHaveOutcome` matcher against the worker's private simulator: every check labels
 * `expected` before it calls anything and `outcome` after, attaches its evidence, and names the right category when
 * the world is broken in ways the gateway alone does not spell out (a product missing from a site, a project
 * discovery refused or empty).
 */
import type { TestInfo } from '@playwright/test';
import { CATEGORIES, HarnessError } from '../../fixtures/core/categories.ts';
import { EVIDENCE_PREFIX } from '../../fixtures/core/evidence.ts';
import { LABEL } from '../../fixtures/core/labels.ts';
import { test as base, expect } from '../../fixtures/index.ts';
import { restSuite } from '../../fixtures/rest/fixture.ts';
import { consentTokens } from '../support/rest.ts';
import { WORLD } from '../support/world.ts';

const suite = restSuite();
const { acme: ACME, globex: GLOBEX } = WORLD.sites;

/** tokens from a browser consent on this worker's private simulator, after the world was reset for the test */
const test = base.extend<{ consentScopes: string[] | undefined }>({
  /** the scopes the consent requests (default: the app's ATLASSIAN_SCOPES) */
  consentScopes: [undefined, { option: true }],
  restTokens: async ({ sim: _reset, target, browser, consentScopes }, use) => {
    await use(consentTokens(suite, target, browser, { scopes: consentScopes }));
  },
});
test.describe.configure({ timeout: 60_000 });

/** Allure labels the running test carries (allure-js-commons sends them as runtime-message attachments). */
function labels(testInfo: TestInfo): Array<{ name: string; value: string }> {
  const out: Array<{ name: string; value: string }> = [];
  for (const a of testInfo.attachments) {
    if (a.contentType !== 'application/vnd.allure.message+json' || !a.body) continue;
    const msg = JSON.parse(a.body.toString()) as { type?: string; data?: { labels?: Array<{ name: string; value: string }> } };
    out.push(...(msg.data?.labels ?? []));
  }
  return out;
}
const label = (testInfo: TestInfo, name: string) =>
  labels(testInfo)
    .filter((l) => l.name === name)
    .map((l) => l.value);

test.describe('toHaveOutcome', () => {
  test('a mismatch prints expected vs received, the reason and the fix of the received category', () => {
    const outcome = {
      category: 'scope-missing' as const,
      reason: 'HTTP 401 "Unauthorized; scope does not match"',
      subject: 'member / read:jira-work on acme',
      expectationsFile: 'tests/expectations/sim-app.json',
    };
    let message = '';
    try {
      expect(outcome).toHaveOutcome('granted');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('member / read:jira-work on acme: expected granted, received scope-missing (HTTP 401');
    expect(message).toContain(`Fix: ${CATEGORIES['scope-missing'].remediation}`);
    expect(message).toContain('update tests/expectations/sim-app.json');
    expect(outcome).toHaveOutcome('scope-missing');
    expect(outcome).not.toHaveOutcome('granted');
  });

  test('a success where a failure was expected says access is broader than expected', () => {
    expect(() => expect({ category: 'granted' }).toHaveOutcome('permission-denied')).toThrow(
      /expected permission-denied, received granted[\s\S]*access is broader than expected \(product permission denied \(403\) was expected\)/,
    );
  });

  test('anything that is not an outcome fails with what was received', () => {
    expect(() => expect({ status: 200 }).toHaveOutcome('granted')).toThrow(/Received no outcome/);
    expect(() => expect('grantd').toHaveOutcome('granted')).toThrow(/Received no outcome/);
  });
});

test.describe('probe fixture', () => {
  test('a cell labels expected and outcome, attaches its evidence and annotates the outcome', async ({ probe }, testInfo) => {
    const outcome = await probe.scope({ role: 'member', scope: 'read:jira-work', site: ACME, expected: 'granted' });
    expect(outcome).toHaveOutcome('granted');
    expect(label(testInfo, LABEL.expected)).toEqual(['granted']);
    expect(label(testInfo, LABEL.outcome)).toEqual(['granted']);
    const evidence = testInfo.attachments.filter((a) => a.name.startsWith(EVIDENCE_PREFIX)).map((a) => a.name);
    expect(evidence).toEqual([`${EVIDENCE_PREFIX}read:jira-work on acme: GET /ex/jira/{cloudId}/rest/api/3/project/search`]);
    expect(testInfo.annotations).toContainEqual({ type: 'outcome', description: expect.stringMatching(/^granted: HTTP 200/) });
  });

  test('the expected label is set even when the probe cannot run', async ({ probe }, testInfo) => {
    const err = await probe.scope({ role: 'nobody', scope: 'read:jira-work', site: ACME, expected: 'granted' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(label(testInfo, LABEL.expected)).toEqual(['granted']);
    expect(label(testInfo, LABEL.outcome)).toEqual([]);
  });
});

/** an account whose consent was blocked: the token provider throws the consent's typed error */
const blocked = base.extend({
  restTokens: async ({}, use) => {
    await use({
      grant: async () => {
        throw new HarnessError(
          'admin-must-authorize',
          'Your site admin must authorize this app for the site before it can access your account.',
        );
      },
    });
  },
});

blocked(
  'an account without a token: the cell fails labelled with the consent outcome, not without an outcome',
  async ({ probe }, testInfo) => {
    const err = await probe.scope({ role: 'member', scope: 'read:jira-work', site: ACME, expected: 'granted' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(HarnessError);
    expect(label(testInfo, LABEL.expected)).toEqual(['granted']);
    expect(label(testInfo, LABEL.outcome)).toEqual(['admin-must-authorize']);
  },
);

test('grant revoked after consent: the site-grant and accessible-sites checks are token-invalid with the evidence attached, not a crash', async ({
  sim,
  probe,
}, testInfo) => {
  await probe.prober('member');
  await sim.admin.revokeGrant(WORLD.emails.member, WORLD.app.clientId);
  expect(await probe.siteGrant('member', 'acme')).toHaveOutcome('token-invalid');
  expect(await probe.accessibleSites('member')).toHaveOutcome('token-invalid');
  expect(label(testInfo, LABEL.outcome)).toEqual(['token-invalid', 'token-invalid']);
  expect(testInfo.attachments.map((a) => a.name)).toContain(`${EVIDENCE_PREFIX}GET /oauth/token/accessible-resources`);
});

test.describe('categories the gateway does not spell out', () => {
  test("Confluence uninstalled from globex: the admin's grant check on globex is product-not-installed, not scope-missing", async ({
    sim,
    probe,
  }, testInfo) => {
    await probe.prober('admin'); // consent while Confluence is still there
    await sim.admin.patchWorld({ sites: { [GLOBEX.cloudId]: { products: ['jira', 'jira-software'] } } });
    const outcome = await probe.siteGrant('admin', 'globex');
    expect(outcome).toHaveOutcome('product-not-installed');
    expect(outcome.reason).toContain('confluence is not installed on globex');
    expect(label(testInfo, LABEL.outcome)).toEqual(['product-not-installed']);
    expect(testInfo.attachments.map((a) => a.name)).toContainEqual(expect.stringMatching(/is the product installed\?/));
    // acme still has Confluence: its grant check still passes
    expect(await probe.siteGrant('admin', 'acme')).toHaveOutcome('granted');
  });

  test.describe('with an app that requests manage:jira-data-provider', () => {
    const scopes = [...WORLD.app.scopes, 'manage:jira-data-provider'];
    test.use({ consentScopes: scopes });

    test('Jira uninstalled from globex: a scope with no safe probe there is product-not-installed, not not-probeable', async ({
      sim,
      probe,
    }) => {
      await sim.admin.patchWorld({ apps: { [WORLD.app.clientId]: { scopes } } });
      await probe.prober('admin'); // consent while Jira is still there
      await sim.admin.patchWorld({ sites: { [GLOBEX.cloudId]: { products: ['confluence'] } } });
      const outcome = await probe.scope({ role: 'admin', scope: 'manage:jira-data-provider', site: GLOBEX, expected: 'not-probeable' });
      expect(outcome).toHaveOutcome('product-not-installed');
      // on acme Jira is installed: the scope stays not-probeable, and it is in the grant
      const acme = await probe.scope({ role: 'admin', scope: 'manage:jira-data-provider', site: ACME, expected: 'not-probeable' });
      expect(acme).toHaveOutcome('not-probeable');
      expect(acme.scopeInGrant).toBe(true);
    });
  });

  test('project discovery answered 403 (no Jira access on acme): manage:jira-project is permission-denied, not not-probeable', async ({
    sim,
    probe,
  }) => {
    await sim.admin.patchWorld({ users: { [WORLD.emails.admin]: { sites: { [ACME.cloudId]: { jira: 'none' } } } } });
    const outcome = await probe.scope({ role: 'admin', scope: 'manage:jira-project', site: ACME, expected: 'granted' });
    expect(outcome).toHaveOutcome('permission-denied');
    expect(outcome.reason).toContain('HTTP 403');
  });

  test('project discovery found no project on acme: manage:jira-project is no-test-data with a fix to create one', async ({
    sim,
    probe,
  }) => {
    await sim.admin.patchWorld({ data: { [ACME.cloudId]: { jira: { projects: [], issues: [] } } } });
    const outcome = await probe.scope({ role: 'admin', scope: 'manage:jira-project', site: ACME, expected: 'granted' });
    expect(outcome).toHaveOutcome('no-test-data');
    expect(outcome.reason).toContain('{projectId}');
    expect(() => expect(outcome).toHaveOutcome('granted')).toThrow(/Fix: .*Create a Jira project/);
    // a scope that needs no id on the same site is unaffected
    expect(await probe.scope({ role: 'admin', scope: 'read:jira-user', site: ACME, expected: 'granted' })).toHaveOutcome('granted');
  });
});
