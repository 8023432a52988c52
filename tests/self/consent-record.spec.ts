/**
 * A site missing from an account's grant is explained by the consent screen that blocked it: the REST and sites
 * suites turn `site-not-authorized` into the recorded consent outcome (e.g. admin-must-authorize) with its words.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CallbackError } from '../../fixtures/consent/callback.ts';
import { ConsentBlockedError } from '../../fixtures/consent/flow.ts';
import { blockingConsentFor, consentFailureCode, explainBySiteConsent, recordConsentOutcomes } from '../../fixtures/consent/record.ts';
import { HarnessError } from '../../fixtures/core/categories.ts';
import { expect, test } from '../../fixtures/index.ts';

const blockedText = "Your site admin must authorize this app for the site 'acme-sim.atlassian.net' before the app can access your account.";

function recorded(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'consent-record-'));
  recordConsentOutcomes(dir, 'member', [
    { code: 'admin-must-authorize', screen: 'admin-must-authorize', site: 'acme-sim.atlassian.net', scopesShown: [], detail: blockedText },
    { code: 'granted', screen: 'callback', site: 'globex-sim.atlassian.net', scopesShown: [], detail: 'granted' },
  ]);
  return dir;
}

test('site-not-authorized on a site whose consent was blocked becomes admin-must-authorize with the screen text', () => {
  const dir = recorded();
  const out = explainBySiteConsent(dir, 'member', 'https://acme-sim.atlassian.net', {
    category: 'site-not-authorized',
    reason: 'HTTP 401',
  });
  expect(out.category).toBe('admin-must-authorize');
  expect(out.reason).toContain(blockedText);
});

test('a site whose consent was granted, another account, or another category is left as it is', () => {
  const dir = recorded();
  const base = { category: 'site-not-authorized' as const, reason: 'HTTP 401' };
  expect(explainBySiteConsent(dir, 'member', 'https://globex-sim.atlassian.net', base)).toEqual(base);
  expect(explainBySiteConsent(dir, 'admin', 'https://acme-sim.atlassian.net', base)).toEqual(base);
  const scope = { category: 'scope-missing' as const, reason: '401 scope does not match' };
  expect(explainBySiteConsent(dir, 'member', 'https://acme-sim.atlassian.net', scope)).toEqual(scope);
});

test('a corrupt record explains nothing instead of failing the suite', () => {
  const dir = recorded();
  writeFileSync(path.join(dir, 'consent', 'member.json'), '{"half');
  expect(blockingConsentFor(dir, 'member', 'acme-sim.atlassian.net')).toBeUndefined();
});

test('a failed consent is filed under its code: blocked screen, callback setting, anything else', () => {
  const blocked = new ConsentBlockedError({
    code: 'admin-must-authorize',
    screen: 'admin-must-authorize',
    scopesShown: [],
    detail: blockedText,
  });
  expect(consentFailureCode(blocked)).toBe('admin-must-authorize');
  expect(consentFailureCode(new HarnessError('no-refresh-token', 'no refresh token'))).toBe('no-refresh-token');
  expect(consentFailureCode(new CallbackError('port-in-use', 'in use'))).toBe('config-invalid');
  expect(consentFailureCode(new Error('page closed'))).toBe('unexpected-screen');
});

test('the record is replaced through the atomic writer: no temp file is left next to it', () => {
  const dir = recorded();
  recordConsentOutcomes(dir, 'member', [
    { code: 'granted', screen: 'callback', site: 'acme-sim.atlassian.net', scopesShown: [], detail: 'granted' },
  ]);
  expect(readdirSync(path.join(dir, 'consent'))).toEqual(['member.json']);
  expect(blockingConsentFor(dir, 'member', 'acme-sim.atlassian.net')).toBeUndefined();
});
