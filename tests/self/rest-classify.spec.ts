/**
 * The REST classifier (fixtures/rest/classify.ts) rule by rule, on the wire shapes of docs/reference/atlassian-oauth.md §5. Pure.
 */

import { expect, test } from '../../fixtures/index.ts';
import { classifyProbe, classifyTokenResponse, classifyTransportError, classifyUndiscovered } from '../../fixtures/rest/classify.ts';
import { catalogEntry, loadCatalog, type ScopeEntry } from '../../fixtures/rest/scopes.ts';

const catalog = loadCatalog();
const entry = (scope: string): ScopeEntry => {
  const e = catalogEntry(catalog, scope);
  if (!e) throw new Error(`no catalog entry ${scope}`);
  return e;
};
const ctx = (scope: string, more: { siteInGrant?: boolean; siteScopes?: string[] } = {}) => ({
  entry: entry(scope),
  signatures: catalog.signatures,
  ...more,
});
const SCOPE_401 = JSON.stringify({ code: 401, message: 'Unauthorized; scope does not match' });

test('401 "scope does not match" is scope-missing; any other 401 is token-invalid, or site-not-authorized off-grant', () => {
  expect(classifyProbe({ status: 401, text: SCOPE_401 }, ctx('read:jira-work', { siteInGrant: true })).category).toBe('scope-missing');
  expect(
    classifyProbe({ status: 401, text: '{"code":401,"message":"Unauthorized"}' }, ctx('read:jira-work', { siteInGrant: true })).category,
  ).toBe('token-invalid');
  expect(
    classifyProbe({ status: 401, text: '{"code":401,"message":"Unauthorized"}' }, ctx('read:jira-work', { siteInGrant: false })).category,
  ).toBe('site-not-authorized');
});

test('product 403 is permission-denied; 403/404 for a site outside the grant is site-not-authorized', () => {
  const body = '{"errorMessages":["You are not authorized to perform this operation."],"errors":{}}';
  expect(classifyProbe({ status: 403, text: body }, ctx('manage:jira-configuration', { siteInGrant: true })).category).toBe(
    'permission-denied',
  );
  expect(classifyProbe({ status: 403, text: body }, ctx('manage:jira-configuration', { siteInGrant: false })).category).toBe(
    'site-not-authorized',
  );
  expect(classifyProbe({ status: 404, text: '' }, ctx('read:jira-work', { siteInGrant: false })).category).toBe('site-not-authorized');
});

test('404 naming a missing product is product-not-installed; a bare 404 is unexpected', () => {
  expect(
    classifyProbe(
      { status: 404, text: '{"message":"Confluence is not installed on this site"}' },
      ctx('read:page:confluence', { siteInGrant: true }),
    ).category,
  ).toBe('product-not-installed');
  expect(classifyProbe({ status: 404, text: '{"message":"Not Found"}' }, ctx('read:page:confluence', { siteInGrant: true })).category).toBe(
    'unexpected',
  );
});

test('410, 429, 5xx map to endpoint-gone, rate-limited and server-error', () => {
  expect(
    classifyProbe({ status: 410, text: 'GoneException: This deprecated endpoint has been removed.' }, ctx('read:confluence-space.summary'))
      .category,
  ).toBe('endpoint-gone');
  expect(classifyProbe({ status: 429, text: '' }, ctx('read:status:jira')).category).toBe('rate-limited');
  expect(classifyProbe({ status: 503, text: '' }, ctx('read:status:jira')).category).toBe('server-error');
});

test('write probes: 400 validation means accepted; a 2xx means the invalid body went through and is unexpected', () => {
  expect(
    classifyProbe(
      { status: 400, text: '{"errors":{"project":"Specify a valid project ID or key"}}' },
      ctx('write:jira-work', { siteInGrant: true, siteScopes: ['write:jira-work'] }),
    ).category,
  ).toBe('granted');
  expect(classifyProbe({ status: 201, text: '{"id":"10001"}' }, ctx('write:jira-work', { siteInGrant: true })).category).toBe('unexpected');
  expect(classifyProbe({ status: 401, text: SCOPE_401 }, ctx('write:jira-work', { siteInGrant: true })).category).toBe('scope-missing');
});

test('a granular probe answered only thanks to its classic alternative is scope-missing, not granted', () => {
  const c = classifyProbe({ status: 200, text: '[]' }, ctx('read:status:jira', { siteInGrant: true, siteScopes: ['read:jira-work'] }));
  expect(c.category).toBe('scope-missing');
  expect(c.reason).toContain('read:jira-work');
  expect(
    classifyProbe(
      { status: 200, text: '[]' },
      ctx('read:status:jira', { siteInGrant: true, siteScopes: ['read:status:jira', 'read:jira-work'] }),
    ).category,
  ).toBe('granted');
});

test('a 2xx from a site outside accessible-resources is unexpected, never a pass', () => {
  expect(classifyProbe({ status: 200, text: '{}' }, ctx('read:jira-user', { siteInGrant: false })).category).toBe('unexpected');
});

test('offline_access is judged from the token response scope list', () => {
  expect(classifyTokenResponse('offline_access', ['read:me', 'offline_access']).category).toBe('granted');
  expect(classifyTokenResponse('offline_access', ['read:me']).category).toBe('scope-missing');
});

test('a probe sent with a placeholder id: the gateway verdict stands, else a 403 discovery is permission-denied and an empty one no-test-data', () => {
  const found = (status: number, empty = false) => ({
    variable: 'projectId',
    reason: `discovery → ${status}`,
    answers: [{ status, empty }],
  });
  const np = { category: 'unexpected' as const, reason: 'HTTP 404 No project could be found' };
  expect(classifyUndiscovered({ category: 'scope-missing', reason: 'HTTP 401' }, [found(403)]).category).toBe('scope-missing');
  expect(classifyUndiscovered(np, [found(403)]).category).toBe('permission-denied');
  expect(classifyUndiscovered(np, [found(200, true)]).category).toBe('no-test-data');
  expect(classifyUndiscovered(np, [found(500)]).category).toBe('not-probeable');
  // a discovery call that got no answer at all (after the client's retries) is a network failure, not a scope verdict
  expect(classifyUndiscovered(np, [{ variable: 'pageId', reason: 'connection refused', answers: [{ empty: false }] }]).category).toBe(
    'network-error',
  );
  expect(classifyUndiscovered({ category: 'network-error', reason: 'ECONNRESET' }, [found(403)]).category).toBe('network-error');
});

test('a call that got no answer is network-error naming the error; a 429/5xx the client stopped retrying says why', () => {
  const c = classifyTransportError(new Error('GET https://api/x failed in 12 ms: ECONNRESET: the connection was reset before the answer'));
  expect(c.category).toBe('network-error');
  expect(c.reason).toContain('ECONNRESET');
  const stop = 'HTTP 503 after 3 retries; not retried again: retry budget spent: 3 of RetryPolicy.maxRetries 3 retries';
  expect(classifyProbe({ status: 503, text: '', retries: 3, retryStop: stop }, ctx('read:status:jira'))).toEqual({
    category: 'server-error',
    reason: stop,
  });
  expect(classifyProbe({ status: 429, text: '', retryStop: 'HTTP 429; not retried again: …' }, ctx('read:status:jira')).reason).toContain(
    'not retried again',
  );
});
