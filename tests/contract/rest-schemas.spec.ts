/**
 * Contract test: every REST endpoint the simulator serves, called through `jira.js` and `confluence.js` with
 * `onSchemaMismatch: 'throw'`, for each account role, on the worker's private simulator. A response that does not
 * match the schema Atlassian publishes fails with the endpoint and every field path (tests/contract/report.ts).
 * Where the simulator deliberately differs, the exception is written in simulator/docs/rest.md ("Contract tests").
 *
 * One token per role per worker (the walk is the slow part); the writes create uniquely named objects, so the
 * tests do not depend on each other's order.
 */
import { test as base, expect } from '../../fixtures/index.ts';
import { ACCOUNTS, ACME, APP, APP_SCOPES, oauthToken } from '../sim/helpers.ts';
import { CALLS, clientsFor, type Role } from './calls.ts';
import { describeFailure, httpStatus } from './report.ts';

const ROLES: readonly Role[] = ['admin', 'member'];

const test = base.extend<object, { roleTokens: Record<Role, string> }>({
  roleTokens: [
    async ({ privateSim }, use) => {
      await privateSim.admin.reset();
      // the default app plus the few scopes only a write probe needs
      const scopes = [...new Set([...APP_SCOPES, ...CALLS.flatMap((c) => c.extraScopes ?? [])])];
      await privateSim.admin.patchWorld({ apps: { [APP.clientId]: { scopes } } });
      const tokens = {} as Record<Role, string>;
      for (const role of ROLES) tokens[role] = await oauthToken(privateSim, { account: ACCOUNTS[role], scopes, sites: [ACME] });
      await use(tokens);
    },
    { scope: 'worker' },
  ],
});

for (const role of ROLES) {
  test.describe(`as ${role}`, () => {
    for (const call of CALLS) {
      const refused = call.refused?.[role];
      const title = refused ? `${call.endpoint} is refused with ${refused}` : `${call.endpoint} matches the published schema`;
      test(title, async ({ privateSim, roleTokens }) => {
        const clients = clientsFor(privateSim.urls.api, ACME, roleTokens[role]);
        let failure: unknown;
        try {
          await call.run(clients);
        } catch (e) {
          failure = e;
        }
        if (refused) {
          expect(httpStatus(failure), `${call.endpoint} as ${role}`).toBe(refused);
          return;
        }
        if (failure !== undefined) throw describeFailure(call.endpoint, failure);
      });
    }
  });
}
