/**
 * The endpoints added for the MCP tools and the harness's probes take their granular bundles: the whole bundle
 * answers 200, the bundle without one member answers the gateway's 401 "scope does not match". The single-scope ones
 * follow docs/reference/atlassian-oauth.md §6 (`read:priority:jira`, `read:comment:confluence`); the multi-scope
 * bundles are documented [sim] choices, each with its basis, in simulator/docs/rest.md ("granular bundles" table
 * under the Confluence v1 table), since no public copy of their `x-atlassian-oauth2-scopes` could be checked. Harness
 * side of the wall: the bundles are written here, not read from the simulator.
 *
 * These tests reset their simulator, so they run on one of their own, not on the worker's private simulator whose
 * tokens the schema spec keeps for the whole worker.
 */
import { type SimHandle, startSimulator } from '../../fixtures/core/simulator.ts';
import { test as base, expect } from '../../fixtures/index.ts';
import { ACCOUNTS, ACME, APP, APP_SCOPES, api, oauthToken, SCOPE_MISMATCH } from '../sim/helpers.ts';

const test = base.extend<{ ownSim: SimHandle }, { ownSimWorker: SimHandle }>({
  ownSimWorker: [
    async ({}, use) => {
      const sim = await startSimulator();
      try {
        await use(sim);
      } finally {
        await sim.stop();
      }
    },
    { scope: 'worker' },
  ],
  ownSim: async ({ ownSimWorker }, use) => {
    await ownSimWorker.admin.reset();
    await use(ownSimWorker);
  },
});

const J = `/ex/jira/${ACME}/rest/api/3`;
const C = `/ex/confluence/${ACME}/wiki/api/v2`;

const BUNDLES = [
  {
    path: `${J}/user/search?query=member`,
    scopes: ['read:user:jira', 'read:user.property:jira', 'read:application-role:jira', 'read:avatar:jira', 'read:group:jira'],
  },
  { path: `${J}/serverInfo`, scopes: ['read:instance-configuration:jira'] },
  { path: `${J}/priority/search`, scopes: ['read:priority:jira'] },
  {
    path: `${J}/issue/DEMO-1/transitions`,
    scopes: ['read:issue.transition:jira', 'read:status:jira', 'read:field-configuration:jira'],
  },
  {
    path: `${J}/issue/DEMO-1/comment`,
    scopes: [
      'read:comment:jira',
      'read:comment.property:jira',
      'read:group:jira',
      'read:project:jira',
      'read:project-role:jira',
      'read:user:jira',
      'read:avatar:jira',
    ],
  },
  { path: `${J}/issueLinkType`, scopes: ['read:issue-link-type:jira'] },
  { path: `${C}/pages/98305/footer-comments`, scopes: ['read:comment:confluence'] },
] as const;

for (const b of BUNDLES) {
  const name = b.path.replace(/^\/ex\/\w+\/[^/]+/, '').replace(/\?.*$/, '');
  test(`${name}: its granular bundle answers 200, one scope short answers 401 scope mismatch`, async ({ ownSim: sim }) => {
    // the app must offer the granular scopes before a user can consent to them
    await sim.admin.patchWorld({ apps: { [APP.clientId]: { scopes: [...new Set([...APP_SCOPES, ...b.scopes])] } } });
    const full = await oauthToken(sim, { account: ACCOUNTS.member, scopes: ['read:me', ...b.scopes], sites: [ACME] });
    const ok = await api(sim, full, 'GET', b.path);
    expect(ok.status, `${name} with its whole bundle`).toBe(200);
    const short = await oauthToken(sim, { account: ACCOUNTS.member, scopes: ['read:me', ...b.scopes.slice(1)], sites: [ACME] });
    const refused = await api(sim, short, 'GET', b.path);
    expect([refused.status, refused.body], `${name} without ${b.scopes[0]}`).toEqual([401, SCOPE_MISMATCH]);
  });
}
