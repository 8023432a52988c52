/**
 * The simulator's own scope-requirement table: for every gateway endpoint, which product must be installed, which
 * scopes the token needs and which product permission the user needs. Pure data; the gateway (`gate.ts`) enforces
 * it and simulator/docs/rest.md documents it. The harness has its own, independent catalog — this table must not be
 * imported by it (the wall between simulator and harness).
 *
 * Scope rule semantics (atlassian-oauth.md §5 row 1, §6): an endpoint lists a classic set and/or a granular bundle.
 * The token passes when it holds EVERY scope of at least one of them (granular bundles are all-or-nothing; a
 * classic scope also satisfies an endpoint that lists one). Jira Software `/rest/agile/1.0/*` lists no classic set
 * ("JSW doesn't support classic scopes", §5 row 2). Confluence v2 lists granular scopes only (§6, [34]).
 *
 * `cite` names the reference row imitated; "[sim]" marks a simulator choice where the reference is silent.
 */

export type Product = 'jira' | 'jira-software' | 'confluence';

/** Product permission the user needs on the site: `user` = any product access (role user or admin), `admin` = Administer. */
export type Permission = 'user' | 'admin';

export interface EndpointRule {
  method: 'GET' | 'POST' | 'PUT';
  /** path after `/ex/<product>/{cloudId}` (or the gateway path for /me and accessible-resources) */
  path: string;
  /** null = gateway endpoint, no site routing */
  product: Product | null;
  classic?: readonly string[];
  granular?: readonly string[];
  permission: Permission;
  /** true for write endpoints: with the scope and an invalid body they answer 400 and change nothing (safe probe) */
  writeProbe?: boolean;
  /** answered 410 after the scope check (removed Confluence v1 endpoints) */
  gone?: boolean;
  cite: string;
}

const ISSUE_READ_BUNDLE = [
  'read:issue:jira',
  'read:issue-meta:jira',
  'read:issue-security-level:jira',
  'read:issue.vote:jira',
  'read:issue.changelog:jira',
  'read:status:jira',
  'read:user:jira',
  'read:avatar:jira',
  'read:field-configuration:jira',
] as const;

export const ENDPOINTS = {
  // ── gateway ───────────────────────────────────────────────────────────────────────────────────────────────────
  accessibleResources: {
    method: 'GET',
    path: '/oauth/token/accessible-resources',
    product: null,
    permission: 'user',
    cite: '§4 accessible-resources: any valid token',
  },
  me: { method: 'GET', path: '/me', product: null, classic: ['read:me'], permission: 'user', cite: '§4 /me needs read:me; §6 read:me row' },

  // ── Jira platform /rest/api/3 ─────────────────────────────────────────────────────────────────────────────────
  jiraMyself: {
    method: 'GET',
    path: '/rest/api/3/myself',
    product: 'jira',
    permission: 'user',
    classic: ['read:jira-user'],
    granular: ['read:user:jira', 'read:application-role:jira', 'read:group:jira', 'read:avatar:jira'],
    cite: '§6 read:jira-user probe; read:user:jira row: /myself needs +application-role, group, avatar',
  },
  jiraConfiguration: {
    method: 'GET',
    path: '/rest/api/3/configuration',
    product: 'jira',
    permission: 'user',
    classic: ['read:jira-user'],
    granular: ['read:instance-configuration:jira'],
    cite: '§6 read:jira-user "also /configuration"',
  },
  jiraUsersSearch: {
    method: 'GET',
    path: '/rest/api/3/users/search',
    product: 'jira',
    permission: 'user',
    classic: ['read:jira-user'],
    granular: ['read:user:jira'],
    cite: '§6 read:jira-user "also /users/search"',
  },
  jiraUserPicker: {
    method: 'GET',
    path: '/rest/api/3/user/picker',
    product: 'jira',
    permission: 'user',
    classic: ['read:jira-user'],
    granular: ['read:user:jira'],
    cite: '§6 read:user:jira probe',
  },
  jiraUserSearch: {
    method: 'GET',
    path: '/rest/api/3/user/search',
    product: 'jira',
    permission: 'user',
    classic: ['read:jira-user'],
    granular: ['read:user:jira', 'read:user.property:jira', 'read:application-role:jira', 'read:avatar:jira', 'read:group:jira'],
    cite: 'https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-user-search/#api-rest-api-3-user-search-get',
  },
  jiraServerInfo: {
    method: 'GET',
    path: '/rest/api/3/serverInfo',
    product: 'jira',
    permission: 'user',
    classic: ['read:jira-user'],
    granular: ['read:instance-configuration:jira'],
    cite: 'https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-server-info/#api-rest-api-3-serverinfo-get',
  },
  jiraProjectSearch: {
    method: 'GET',
    path: '/rest/api/3/project/search',
    product: 'jira',
    permission: 'user',
    classic: ['read:jira-work'],
    granular: [
      'read:project:jira',
      'read:project.property:jira',
      'read:user:jira',
      'read:application-role:jira',
      'read:avatar:jira',
      'read:group:jira',
      'read:issue-type:jira',
      'read:project-category:jira',
      'read:project-version:jira',
      'read:project.component:jira',
    ],
    cite: '§6 read:jira-work probe (granular bundle: [sim] per the Jira spec shape)',
  },
  jiraPriority: {
    method: 'GET',
    path: '/rest/api/3/priority',
    product: 'jira',
    permission: 'user',
    classic: ['read:jira-work'],
    granular: ['read:priority:jira'],
    cite: '§6 read:priority:jira single-scope probe',
  },
  jiraPrioritySearch: {
    method: 'GET',
    path: '/rest/api/3/priority/search',
    product: 'jira',
    permission: 'user',
    classic: ['read:jira-work'],
    granular: ['read:priority:jira'],
    cite: 'https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-priorities/#api-rest-api-3-priority-search-get',
  },
  jiraStatus: {
    method: 'GET',
    path: '/rest/api/3/status',
    product: 'jira',
    permission: 'user',
    classic: ['read:jira-work'],
    granular: ['read:status:jira'],
    cite: '§6 read:status:jira single-scope probe',
  },
  jiraField: {
    method: 'GET',
    path: '/rest/api/3/field',
    product: 'jira',
    permission: 'user',
    classic: ['read:jira-work'],
    granular: ['read:field:jira', 'read:avatar:jira', 'read:project-category:jira', 'read:project:jira', 'read:field-configuration:jira'],
    cite: '§6 read:jira-work "or /field"',
  },
  jiraSearchJql: {
    method: 'GET',
    path: '/rest/api/3/search/jql',
    product: 'jira',
    permission: 'user',
    classic: ['read:jira-work'],
    granular: [
      'read:issue-details:jira',
      'read:audit-log:jira',
      'read:avatar:jira',
      'read:field-configuration:jira',
      'read:issue-meta:jira',
    ],
    cite: '§6 read:jira-work "or /search/jql"; §7 JQL endpoints 401 with granular-only',
  },
  jiraSearchJqlPost: {
    method: 'POST',
    path: '/rest/api/3/search/jql',
    product: 'jira',
    permission: 'user',
    classic: ['read:jira-work'],
    granular: [
      'read:issue-details:jira',
      'read:audit-log:jira',
      'read:avatar:jira',
      'read:field-configuration:jira',
      'read:issue-meta:jira',
    ],
    cite: 'same as GET /search/jql',
  },
  jiraIssue: {
    method: 'GET',
    path: '/rest/api/3/issue/{issueIdOrKey}',
    product: 'jira',
    permission: 'user',
    classic: ['read:jira-work'],
    granular: ISSUE_READ_BUNDLE,
    cite: '§6 read:issue:jira: all-or-nothing bundle [33]',
  },
  jiraIssueTransitions: {
    method: 'GET',
    path: '/rest/api/3/issue/{issueIdOrKey}/transitions',
    product: 'jira',
    permission: 'user',
    classic: ['read:jira-work'],
    granular: ['read:issue.transition:jira', 'read:status:jira', 'read:field-configuration:jira'],
    cite: 'https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-transitions-get',
  },
  jiraIssueComments: {
    method: 'GET',
    path: '/rest/api/3/issue/{issueIdOrKey}/comment',
    product: 'jira',
    permission: 'user',
    classic: ['read:jira-work'],
    granular: [
      'read:comment:jira',
      'read:comment.property:jira',
      'read:group:jira',
      'read:project:jira',
      'read:project-role:jira',
      'read:user:jira',
      'read:avatar:jira',
    ],
    cite: 'https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-comments/#api-rest-api-3-issue-issueidorkey-comment-get',
  },
  jiraIssueLinkTypes: {
    method: 'GET',
    path: '/rest/api/3/issueLinkType',
    product: 'jira',
    permission: 'user',
    classic: ['read:jira-work'],
    granular: ['read:issue-link-type:jira'],
    cite: 'https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-link-types/#api-rest-api-3-issuelinktype-get',
  },
  jiraProjectValidateKey: {
    method: 'GET',
    path: '/rest/api/3/projectvalidate/key',
    product: 'jira',
    permission: 'user',
    classic: ['read:jira-work'],
    granular: ['read:project:jira'],
    cite: '§6 read:project:jira "only GET needing it alone"',
  },
  jiraProjectEmail: {
    method: 'GET',
    path: '/rest/api/3/project/{projectId}/email',
    product: 'jira',
    permission: 'user',
    classic: ['manage:jira-project'],
    granular: ['read:project.email:jira'],
    cite: '§6 manage:jira-project probe; perm Browse projects',
  },
  jiraAdvancedSettings: {
    method: 'GET',
    path: '/rest/api/3/application-properties/advanced-settings',
    product: 'jira',
    permission: 'admin',
    classic: ['manage:jira-configuration'],
    cite: '§6 manage:jira-configuration probe; perm Administer Jira',
  },
  jiraApplicationRole: {
    method: 'GET',
    path: '/rest/api/3/applicationrole',
    product: 'jira',
    permission: 'admin',
    classic: ['manage:jira-configuration'],
    granular: ['read:license:jira', 'read:application-role:jira'],
    cite: '§6 manage:jira-configuration "also /applicationrole"',
  },
  jiraWebhooks: {
    method: 'GET',
    path: '/rest/api/3/webhook',
    product: 'jira',
    permission: 'user',
    classic: ['manage:jira-webhook', 'read:jira-work'],
    granular: ['read:webhook:jira', 'read:jql:jira'],
    cite: '§6 manage:jira-webhook probe "needs read:jira-work too"',
  },
  jiraCreateIssue: {
    method: 'POST',
    path: '/rest/api/3/issue',
    product: 'jira',
    permission: 'user',
    writeProbe: true,
    classic: ['write:jira-work'],
    granular: ['write:issue:jira', 'write:comment:jira', 'write:comment.property:jira', 'write:attachment:jira', 'read:issue:jira'],
    cite: '§6 write:jira-work "no GET uses it" → invalid-body write probe [sim]',
  },
  jiraEditIssue: {
    method: 'PUT',
    path: '/rest/api/3/issue/{issueIdOrKey}',
    product: 'jira',
    permission: 'user',
    writeProbe: true,
    classic: ['write:jira-work'],
    granular: ['write:issue:jira'],
    cite: '§6 write:jira-work [sim probe]',
  },
  jiraAddComment: {
    method: 'POST',
    path: '/rest/api/3/issue/{issueIdOrKey}/comment',
    product: 'jira',
    permission: 'user',
    writeProbe: true,
    classic: ['write:jira-work'],
    granular: [
      'write:comment:jira',
      'write:comment.property:jira',
      'read:comment:jira',
      'read:comment.property:jira',
      'read:group:jira',
      'read:project:jira',
      'read:project-role:jira',
      'read:user:jira',
      'read:avatar:jira',
    ],
    cite: '§6 write:jira-work [sim probe]',
  },

  // ── Jira Software /rest/agile/1.0 ─────────────────────────────────────────────────────────────────────────────
  agileBoards: {
    method: 'GET',
    path: '/rest/agile/1.0/board',
    product: 'jira-software',
    permission: 'user',
    granular: ['read:board-scope:jira-software', 'read:project:jira'],
    cite: '§6 read:board-scope:jira-software; users report also needing read:project:jira [38]; §5 row 2 classic → 401',
  },

  // ── Confluence v2 /wiki/api/v2 (granular only, §6 [34]) ──────────────────────────────────────────────────────
  confPages: {
    method: 'GET',
    path: '/wiki/api/v2/pages',
    product: 'confluence',
    permission: 'user',
    granular: ['read:page:confluence'],
    cite: '§6 read:page:confluence probe',
  },
  confPage: {
    method: 'GET',
    path: '/wiki/api/v2/pages/{id}',
    product: 'confluence',
    permission: 'user',
    granular: ['read:page:confluence'],
    cite: '§6 read:page:confluence',
  },
  confPageFooterComments: {
    method: 'GET',
    path: '/wiki/api/v2/pages/{id}/footer-comments',
    product: 'confluence',
    permission: 'user',
    granular: ['read:comment:confluence'],
    cite: 'https://developer.atlassian.com/cloud/confluence/rest/v2/api-group-comment/#api-pages-id-footer-comments-get',
  },
  confSpaces: {
    method: 'GET',
    path: '/wiki/api/v2/spaces',
    product: 'confluence',
    permission: 'user',
    granular: ['read:space:confluence'],
    cite: '§6 read:space:confluence probe',
  },
  confAttachments: {
    method: 'GET',
    path: '/wiki/api/v2/attachments',
    product: 'confluence',
    permission: 'user',
    granular: ['read:attachment:confluence'],
    cite: '§6 read:attachment:confluence probe',
  },
  confFooterComments: {
    method: 'GET',
    path: '/wiki/api/v2/footer-comments',
    product: 'confluence',
    permission: 'user',
    granular: ['read:comment:confluence'],
    cite: '§6 read:comment:confluence probe',
  },
  confCreatePage: {
    method: 'POST',
    path: '/wiki/api/v2/pages',
    product: 'confluence',
    permission: 'user',
    writeProbe: true,
    granular: ['write:page:confluence'],
    cite: '§6 v2 granular; [sim probe]',
  },

  // ── Confluence v1 /wiki/rest/api ──────────────────────────────────────────────────────────────────────────────
  confV1ContentList: {
    method: 'GET',
    path: '/wiki/rest/api/content',
    product: 'confluence',
    permission: 'user',
    gone: true,
    classic: ['read:confluence-content.summary'],
    granular: ['read:content-details:confluence'],
    cite: '§5 row 4 / §6 read:confluence-content.summary: 410 via gateway [36]',
  },
  confV1SpaceList: {
    method: 'GET',
    path: '/wiki/rest/api/space',
    product: 'confluence',
    permission: 'user',
    gone: true,
    classic: ['read:confluence-space.summary'],
    granular: ['read:space-details:confluence'],
    cite: '§5 row 4 / §6 read:confluence-space.summary: 410 via gateway [36]',
  },
  confV1Content: {
    method: 'GET',
    path: '/wiki/rest/api/content/{id}',
    product: 'confluence',
    permission: 'user',
    classic: ['read:confluence-content.all'],
    granular: ['read:content-details:confluence'],
    cite: '§6 read:confluence-content.all (2022 spec) [sim: not removed]',
  },
  confV1Restriction: {
    method: 'GET',
    path: '/wiki/rest/api/content/{id}/restriction',
    product: 'confluence',
    permission: 'user',
    classic: ['read:confluence-content.all'],
    granular: ['read:content-details:confluence'],
    cite: '§6 read:confluence-content.all probe',
  },
  confV1Property: {
    method: 'GET',
    path: '/wiki/rest/api/content/{id}/property',
    product: 'confluence',
    permission: 'user',
    classic: ['read:confluence-props'],
    granular: ['read:content.property:confluence'],
    cite: '§6 read:confluence-props probe',
  },
  confV1Search: {
    method: 'GET',
    path: '/wiki/rest/api/search',
    product: 'confluence',
    permission: 'user',
    classic: ['search:confluence'],
    cite: '§6 search:confluence probe; "v1 search reported still working" [36]',
  },
  confV1UserCurrent: {
    method: 'GET',
    path: '/wiki/rest/api/user/current',
    product: 'confluence',
    permission: 'user',
    classic: ['read:confluence-user'],
    granular: ['read:user:confluence'],
    cite: '§6 read:confluence-user probe; 401 scope-mismatch without it [59]',
  },
  confV1Groups: {
    method: 'GET',
    path: '/wiki/rest/api/group',
    product: 'confluence',
    permission: 'user',
    classic: ['read:confluence-groups'],
    granular: ['read:group:confluence'],
    cite: '§6 read:confluence-groups probe',
  },
  confV1SystemInfo: {
    method: 'GET',
    path: '/wiki/rest/api/settings/systemInfo',
    product: 'confluence',
    permission: 'admin',
    classic: ['manage:confluence-configuration'],
    granular: ['read:configuration:confluence'],
    cite: '§6 manage:confluence-configuration probe; admin',
  },
  confV1CreateContent: {
    method: 'POST',
    path: '/wiki/rest/api/content',
    product: 'confluence',
    permission: 'user',
    writeProbe: true,
    classic: ['write:confluence-content'],
    granular: ['write:page:confluence'],
    cite: '§6 write:confluence-content "write-only" → [sim probe]',
  },
} as const satisfies Record<string, EndpointRule>;

export type EndpointId = keyof typeof ENDPOINTS;

/** The scope sets that satisfy a rule (any one of them, each all-of). Empty = no scope needed. */
export function scopeAlternatives(rule: EndpointRule): string[][] {
  const alts: string[][] = [];
  if (rule.classic) alts.push([...rule.classic]);
  if (rule.granular) alts.push([...rule.granular]);
  return alts;
}

/** atlassian-oauth.md §5 row 1: a missing member of a granular bundle fails the whole bundle. */
export function scopesSatisfy(rule: EndpointRule, granted: ReadonlySet<string>): boolean {
  const alts = scopeAlternatives(rule);
  return alts.length === 0 || alts.some((set) => set.every((s) => granted.has(s)));
}

/** The product a scope belongs to (for the per-site scope list in accessible-resources); null = product-neutral. */
export function scopeProduct(scope: string): Product | null {
  if (scope.endsWith('jira-software')) return 'jira-software';
  if (/(^|[:.-])jira($|[-:])/.test(scope) || scope.endsWith(':jira')) return 'jira';
  if (scope.includes('confluence')) return 'confluence';
  return null;
}
