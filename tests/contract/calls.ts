/**
 * The contract test's own list of the REST endpoints the simulator serves (harness side of the wall: written here,
 * not read from simulator/), each called through an independent client whose responses are validated at run time
 * by zod schemas generated from Atlassian's OpenAPI documents: `jira.js` (Jira platform v3 and Agile 1.0) and
 * `confluence.js` (Confluence v2 and v1). Endpoints the clients no longer wrap (removed or deprecated ones the
 * simulator still serves) go through the same client's `sendRequest` with that client's own model schema.
 *
 * Gateway endpoints outside the products' OpenAPI documents (`/oauth/token/accessible-resources`, `/me`) are not
 * here: neither client has a schema for them (simulator/docs/rest.md, "Contract tests").
 */

import { randomUUID } from 'node:crypto';
import { createV1Client, createV2Client, type V1Client, type V2Client } from 'confluence.js';
import { type Client as ConfluenceCoreClient, createClient as createConfluenceClient } from 'confluence.js/core';
import { ContentPropertyArraySchema, ContentSchema } from 'confluence.js/v1';
import { type CloudClient, createCloudClient } from 'jira.js';
import { type AgileClient, createAgileClient } from 'jira.js/agile';
import { PrioritySchema } from 'jira.js/cloud';
import { createClient as createJiraClient, type Client as JiraCoreClient } from 'jira.js/core';

export type Role = 'admin' | 'member';

export interface Clients {
  jira: CloudClient;
  agile: AgileClient;
  jiraCore: JiraCoreClient;
  v2: V2Client;
  v1: V1Client;
  confCore: ConfluenceCoreClient;
}

/** Client config as the brief of every real integration writes it: the gateway's site-routed base, a bearer token. */
export function clientsFor(apiBase: string, cloudId: string, token: string): Clients {
  const cfg = (product: 'jira' | 'confluence') => ({
    host: `${apiBase}/ex/${product}/${cloudId}`,
    auth: { type: 'bearer' as const, token },
    onSchemaMismatch: 'throw' as const,
  });
  const jiraCore = createJiraClient(cfg('jira'));
  const confCore = createConfluenceClient(cfg('confluence'));
  return {
    jira: createCloudClient(jiraCore),
    agile: createAgileClient(jiraCore),
    jiraCore,
    v2: createV2Client(confCore),
    v1: createV1Client(confCore),
    confCore,
  };
}

export interface Call {
  /** `METHOD /path/{template}` after the site prefix, as the simulator's endpoint table names it */
  endpoint: string;
  run: (c: Clients) => Promise<unknown>;
  /** the HTTP status a role is refused with instead (product permission, removed endpoint); absent = 2xx */
  refused?: Partial<Record<Role, number>>;
  /** scopes beyond the default app's (APP_SCOPES) the call needs: added to the app on the private simulator */
  extraScopes?: readonly string[];
}

/** World data the calls address (simulator/worlds/default.json). */
export const WORLD = {
  issueKey: 'DEMO-1',
  projectId: '10000',
  projectKey: 'DEMO',
  pageId: '98305',
  spaceId: '65537',
  spaceKey: 'DEMO',
} as const;

/** Page titles are unique per space: every create gets its own. */
const unique = () => randomUUID().slice(0, 8);
const ADMIN_ONLY = { member: 403 } as const;
const GONE = { admin: 410, member: 410 } as const;
const adf = (text: string) => ({
  type: 'doc',
  version: 1,
  content: [{ type: 'paragraph', content: [{ type: 'text', text }] }],
});

export const CALLS: readonly Call[] = [
  // ── Jira platform /rest/api/3 ─────────────────────────────────────────────────────────────────────────────────
  { endpoint: 'GET /rest/api/3/myself', run: (c) => c.jira.myself.getCurrentUser() },
  { endpoint: 'GET /rest/api/3/configuration', run: (c) => c.jira.jiraSettings.getConfiguration() },
  { endpoint: 'GET /rest/api/3/serverInfo', run: (c) => c.jira.serverInfo.getServerInfo() },
  { endpoint: 'GET /rest/api/3/users/search', run: (c) => c.jira.users.getAllUsers({ maxResults: 10 }) },
  { endpoint: 'GET /rest/api/3/user/search', run: (c) => c.jira.userSearch.findUsers({ query: 'member' }) },
  { endpoint: 'GET /rest/api/3/user/picker', run: (c) => c.jira.userSearch.findUsersForPicker({ query: 'member' }) },
  { endpoint: 'GET /rest/api/3/project/search', run: (c) => c.jira.projects.searchProjects({ maxResults: 10 }) },
  {
    // deprecated list endpoint: jira.js wraps only /priority/search now; its Priority schema still describes each item
    endpoint: 'GET /rest/api/3/priority',
    run: (c) => c.jiraCore.sendRequest({ url: '/rest/api/3/priority', method: 'GET', schema: PrioritySchema.array() }),
  },
  { endpoint: 'GET /rest/api/3/priority/search', run: (c) => c.jira.issuePriorities.searchPriorities({ maxResults: '10' }) },
  { endpoint: 'GET /rest/api/3/status', run: (c) => c.jira.workflowStatuses.getStatuses() },
  { endpoint: 'GET /rest/api/3/field', run: (c) => c.jira.issueFields.getFields() },
  {
    endpoint: 'GET /rest/api/3/search/jql',
    run: (c) =>
      c.jira.issueSearch.searchAndReconsileIssuesUsingJql({ jql: `project = ${WORLD.projectKey}`, fields: ['*all'], maxResults: 2 }),
  },
  {
    endpoint: 'POST /rest/api/3/search/jql',
    run: (c) =>
      c.jira.issueSearch.searchAndReconsileIssuesUsingJqlPost({ jql: `project = ${WORLD.projectKey}`, fields: ['summary', 'status'] }),
  },
  { endpoint: 'GET /rest/api/3/issue/{issueIdOrKey}', run: (c) => c.jira.issues.getIssue({ issueIdOrKey: WORLD.issueKey }) },
  {
    endpoint: 'GET /rest/api/3/issue/{issueIdOrKey}/transitions',
    run: (c) => c.jira.issues.getTransitions({ issueIdOrKey: WORLD.issueKey }),
  },
  {
    endpoint: 'GET /rest/api/3/issue/{issueIdOrKey}/comment',
    run: (c) => c.jira.issueComments.getComments({ issueIdOrKey: WORLD.issueKey }),
  },
  { endpoint: 'GET /rest/api/3/issueLinkType', run: (c) => c.jira.issueLinkTypes.getIssueLinkTypes() },
  {
    endpoint: 'GET /rest/api/3/projectvalidate/key',
    run: (c) => c.jira.projectKeyAndNameValidation.validateProjectKey({ key: 'NEWKEY' }),
  },
  {
    endpoint: 'GET /rest/api/3/project/{projectId}/email',
    run: (c) => c.jira.projectEmail.getProjectEmail({ projectId: Number(WORLD.projectId) }),
  },
  {
    endpoint: 'GET /rest/api/3/application-properties/advanced-settings',
    run: (c) => c.jira.jiraSettings.getAdvancedSettings(),
    refused: ADMIN_ONLY,
  },
  { endpoint: 'GET /rest/api/3/applicationrole', run: (c) => c.jira.applicationRoles.getAllApplicationRoles(), refused: ADMIN_ONLY },
  { endpoint: 'GET /rest/api/3/webhook', run: (c) => c.jira.webhooks.getDynamicWebhooksForApp({}) },
  {
    endpoint: 'POST /rest/api/3/issue',
    run: (c) =>
      c.jira.issues.createIssue({
        fields: { project: { key: WORLD.projectKey }, summary: 'Contract test issue', issuetype: { name: 'Task' } },
      }),
  },
  {
    endpoint: 'PUT /rest/api/3/issue/{issueIdOrKey}',
    run: (c) => c.jira.issues.editIssue({ issueIdOrKey: WORLD.issueKey, fields: { summary: 'Edited by the contract test' } }),
  },
  {
    endpoint: 'POST /rest/api/3/issue/{issueIdOrKey}/comment',
    run: (c) => c.jira.issueComments.addComment({ issueIdOrKey: WORLD.issueKey, body: adf('A contract test comment') }),
  },

  // ── Jira Software /rest/agile/1.0 ─────────────────────────────────────────────────────────────────────────────
  { endpoint: 'GET /rest/agile/1.0/board', run: (c) => c.agile.board.getAllBoards({ maxResults: 10 }) },

  // ── Confluence v2 /wiki/api/v2 ────────────────────────────────────────────────────────────────────────────────
  { endpoint: 'GET /wiki/api/v2/pages', run: (c) => c.v2.page.getPages({ limit: 5, bodyFormat: 'storage' }) },
  { endpoint: 'GET /wiki/api/v2/pages/{id}', run: (c) => c.v2.page.getPageById({ id: Number(WORLD.pageId), bodyFormat: 'storage' }) },
  {
    endpoint: 'GET /wiki/api/v2/pages/{id}/footer-comments',
    run: (c) => c.v2.comment.getPageFooterComments({ id: Number(WORLD.pageId), bodyFormat: 'storage' }),
  },
  { endpoint: 'GET /wiki/api/v2/spaces', run: (c) => c.v2.space.getSpaces({ limit: 5 }) },
  { endpoint: 'GET /wiki/api/v2/attachments', run: (c) => c.v2.attachment.getAttachments({ limit: 5 }) },
  { endpoint: 'GET /wiki/api/v2/footer-comments', run: (c) => c.v2.comment.getFooterComments({ limit: 5, bodyFormat: 'storage' }) },
  {
    endpoint: 'POST /wiki/api/v2/pages',
    extraScopes: ['write:page:confluence'],
    run: (c) =>
      c.v2.page.createPage({
        body: {
          spaceId: WORLD.spaceId,
          title: `Contract test page ${unique()}`,
          body: { representation: 'storage', value: '<p>contract</p>' },
        },
      }),
  },

  // ── Confluence v1 /wiki/rest/api ──────────────────────────────────────────────────────────────────────────────
  {
    endpoint: 'GET /wiki/rest/api/content',
    run: (c) => c.confCore.sendRequest({ url: '/wiki/rest/api/content', method: 'GET' }),
    refused: GONE,
  },
  {
    endpoint: 'GET /wiki/rest/api/space',
    run: (c) => c.confCore.sendRequest({ url: '/wiki/rest/api/space', method: 'GET' }),
    refused: GONE,
  },
  {
    endpoint: 'GET /wiki/rest/api/content/{id}',
    run: (c) => c.confCore.sendRequest({ url: `/wiki/rest/api/content/${WORLD.pageId}`, method: 'GET', schema: ContentSchema }),
  },
  {
    endpoint: 'GET /wiki/rest/api/content/{id}/restriction',
    run: (c) => c.v1.contentRestrictions.getRestrictions({ id: WORLD.pageId }),
  },
  {
    endpoint: 'GET /wiki/rest/api/content/{id}/property',
    run: (c) =>
      c.confCore.sendRequest({
        url: `/wiki/rest/api/content/${WORLD.pageId}/property`,
        method: 'GET',
        schema: ContentPropertyArraySchema,
      }),
  },
  { endpoint: 'GET /wiki/rest/api/search', run: (c) => c.v1.search.searchByCQL({ cql: 'type=page', limit: 5 }) },
  { endpoint: 'GET /wiki/rest/api/user/current', run: (c) => c.v1.users.getCurrentUser({}) },
  { endpoint: 'GET /wiki/rest/api/group', run: (c) => c.v1.group.getGroups({}) },
  { endpoint: 'GET /wiki/rest/api/settings/systemInfo', run: (c) => c.v1.settings.getSystemInfo(), refused: ADMIN_ONLY },
  {
    endpoint: 'POST /wiki/rest/api/content',
    run: (c) =>
      c.confCore.sendRequest({
        url: '/wiki/rest/api/content',
        method: 'POST',
        body: {
          type: 'page',
          title: `Contract test v1 page ${unique()}`,
          space: { key: WORLD.spaceKey },
          body: { storage: { value: '<p>contract</p>', representation: 'storage' } },
        },
        schema: ContentSchema,
      }),
  },
];
