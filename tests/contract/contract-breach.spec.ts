/**
 * The contract check itself can fail: a private simulator answering 200 with a body of the wrong shape (a fault
 * rule, `POST /__admin/faults`) makes the same call fail, naming the endpoint and the field path, never the value.
 * Runs on the worker's private simulator without resetting it (the schema spec keeps its tokens); faults are
 * cleared whatever happens.
 */
import { expect, test } from '../../fixtures/index.ts';
import { ACCOUNTS, ACME, APP_SCOPES, oauthToken } from '../sim/helpers.ts';
import { CALLS, clientsFor } from './calls.ts';
import { ContractBreach, describeFailure } from './report.ts';

const CANARY = 'SIMCANARY-contract-value-9q2w';

const cases = [
  {
    endpoint: 'GET /rest/api/3/serverInfo',
    pathRegex: '/rest/api/3/serverInfo$',
    body: { baseUrl: CANARY, versionNumbers: CANARY, deploymentType: 'Cloud' },
    field: /versionNumbers: expected array, received string/,
  },
  {
    endpoint: 'GET /wiki/api/v2/spaces',
    pathRegex: '/wiki/api/v2/spaces$',
    body: { results: [{ id: 65537, key: 'DEMO', name: CANARY, authorId: null }], _links: {} },
    field: /results\.0\.id: expected string, received number/,
  },
] as const;

for (const c of cases) {
  test(`a wrong shape from ${c.endpoint} fails naming the endpoint and the field path, not the value`, async ({ privateSim }) => {
    const call = CALLS.find((x) => x.endpoint === c.endpoint);
    expect(call, `${c.endpoint} is in the contract list`).toBeDefined();
    const token = await oauthToken(privateSim, { account: ACCOUNTS.member, scopes: APP_SCOPES, sites: [ACME] });
    await privateSim.admin.setFaults({ rules: [{ role: 'api', method: 'GET', pathRegex: c.pathRegex, status: 200, body: c.body }] });
    let failure: unknown;
    try {
      await call!.run(clientsFor(privateSim.urls.api, ACME, token));
    } catch (e) {
      failure = e;
    } finally {
      await privateSim.admin.clearFaults();
    }
    expect(failure, 'the client refused the body').toBeDefined();
    const breach = describeFailure(c.endpoint, failure);
    expect(breach).toBeInstanceOf(ContractBreach);
    expect(breach.message).toContain(`${c.endpoint}: the response does not match the published schema`);
    expect(breach.message).toMatch(c.field);
    expect(breach.message).not.toContain(CANARY);
  });
}
