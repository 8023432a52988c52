/**
 * The world: everything the simulator knows, declared in one JSON file and validated here.
 * Maps are keyed by id (cloudId, email, clientId) so that admin merge patches (RFC 7396) stay short:
 *   {"sites": {"<cloudId>": {"policy": {"userInstalledApps": "blocked"}}}}
 *
 * Facts imitated: docs/reference/atlassian-oauth.md §1-§6 and docs/reference/atlassian-mcp.md §2-§4.
 */
import { z } from 'zod';
import { McpOrgSettingsSchema } from './mcp/settings.ts';

const Email = z.string().email();
const Uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a UUID');
const Scope = z.string().regex(/^[a-z]+(:[a-z0-9.-]+)+$|^offline_access$/, 'must look like read:jira-work');

export const SettingsSchema = z
  .object({
    /** access-token lifetime; real: 3600 s (atlassian-oauth.md §3) */
    accessTokenTtlSeconds: z.number().int().positive().default(3600),
    /** reuse leeway for a rotated refresh token; real: 10 minutes */
    refreshReuseWindowSeconds: z.number().int().nonnegative().default(600),
    /** inactivity expiry of a refresh token; real: 90 days */
    refreshInactivitySeconds: z
      .number()
      .int()
      .positive()
      .default(90 * 24 * 3600),
    /** absolute expiry of a refresh-token family; real: 365 days */
    refreshAbsoluteSeconds: z
      .number()
      .int()
      .positive()
      .default(365 * 24 * 3600),
    /** authorization code lifetime (real: unknown; chosen 600 s) */
    codeTtlSeconds: z.number().int().positive().default(600),
    /** 'jwt' (real: access token decodes as a JWT with `scope`) or 'opaque' */
    tokenFormat: z.enum(['jwt', 'opaque']).default('jwt'),
    /** show a CAPTCHA on the login page */
    captcha: z.boolean().default(false),
    /** the consent page's site picker: 'react-select' (the real screen's combobox, atlassian-oauth.md §2) or 'native' (a <select>) */
    sitePicker: z.enum(['react-select', 'native']).default('react-select'),
  })
  .strict();

export const SitePolicySchema = z
  .object({
    /** Connected apps → Settings → "User installed apps" */
    userInstalledApps: z.enum(['allowed', 'blocked']).default('allowed'),
    /** client ids an admin installed/approved for this site (an admin's consent adds to it) */
    approvedApps: z.array(z.string()).default([]),
    /** client ids an admin blocked ("App is blocked by an admin") */
    blockedApps: z.array(z.string()).default([]),
  })
  .strict();

export const ProductSchema = z.enum(['jira', 'jira-software', 'confluence']);

export const SiteSchema = z
  .object({
    name: z.string().min(1),
    url: z.string().url(),
    avatarUrl: z.string().url().optional(),
    products: z.array(ProductSchema),
    policy: SitePolicySchema.default({ userInstalledApps: 'allowed', approvedApps: [], blockedApps: [] }),
  })
  .strict();

export const ApiTokenSchema = z
  .object({
    label: z.string(),
    token: z.string().min(8),
    /** null = a legacy unscoped token */
    scopes: z.array(Scope).nullable(),
  })
  .strict();

export const SiteMembershipSchema = z
  .object({
    siteAdmin: z.boolean().default(false),
    /** Jira product role: admin = Administer Jira; user = Browse projects; none = no Jira access */
    jira: z.enum(['admin', 'user', 'none']).default('user'),
    /** Confluence product role */
    confluence: z.enum(['admin', 'user', 'none']).default('user'),
  })
  .strict();

export const UserSchema = z
  .object({
    accountId: z.string().min(1),
    name: z.string().min(1),
    nickname: z.string().optional(),
    password: z.string().min(1),
    status: z.enum(['active', 'inactive']).default('active'),
    orgAdmin: z.boolean().default(false),
    /** TOTP seed (base32) when MFA is on; null = no MFA */
    mfaTotpSecret: z.string().nullable().default(null),
    /** sites this user belongs to, keyed by cloudId */
    sites: z.record(z.string(), SiteMembershipSchema).default({}),
    apiTokens: z.array(ApiTokenSchema).default([]),
    /** service account: api keys are sent as Bearer (atlassian-mcp.md §2b) */
    serviceAccount: z.boolean().default(false),
    zoneinfo: z.string().default('Etc/UTC'),
    locale: z.string().default('en-US'),
  })
  .strict();

export const AppSchema = z
  .object({
    name: z.string().min(1),
    /** null for public clients (MCP dynamic registration with token_endpoint_auth_method=none) */
    clientSecret: z.string().nullable(),
    ownerEmail: z.string(),
    /** Callback URLs; `http://127.0.0.1:*\/path` and `http://localhost:*\/path` accept any port (simulator choice) */
    callbackUrls: z.array(z.string()).min(1),
    /** scopes added to the app in the developer console */
    scopes: z.array(Scope),
    /** Distribution: sharing on/off (off = developer mode, owner only) */
    sharing: z.boolean().default(true),
    /** '3lo' = console OAuth 2.0 (3LO) app; 'mcp' = OAuth 2.1 client registered through MCP DCR */
    kind: z.enum(['3lo', 'mcp']).default('3lo'),
  })
  .strict();

/** the MCP server's org settings live with the MCP server (simulator/src/mcp/settings.ts) */
export { McpOrgSettingsSchema };

export const JiraIssueSchema = z
  .object({
    id: z.string(),
    key: z.string(),
    projectKey: z.string(),
    summary: z.string(),
    description: z.string().default(''),
    issueType: z.string().default('Task'),
    status: z.string().default('To Do'),
    assigneeAccountId: z.string().nullable().default(null),
    reporterAccountId: z.string().nullable().default(null),
    comments: z
      .array(z.object({ id: z.string(), authorAccountId: z.string(), body: z.string(), created: z.string() }).strict())
      .default([]),
    worklogs: z.array(z.object({ id: z.string(), timeSpent: z.string(), started: z.string() }).strict()).default([]),
    links: z.array(z.object({ id: z.string(), type: z.string(), inwardKey: z.string(), outwardKey: z.string() }).strict()).default([]),
    remoteLinks: z.array(z.object({ id: z.number(), url: z.string(), title: z.string() }).strict()).default([]),
  })
  .strict();

export const JiraProjectSchema = z
  .object({
    id: z.string(),
    key: z.string(),
    name: z.string(),
    issueTypes: z.array(z.object({ id: z.string(), name: z.string() }).strict()).default([]),
    /** workflow: status names, and the transitions (id, name, to status) available from any status */
    transitions: z.array(z.object({ id: z.string(), name: z.string(), to: z.string() }).strict()).default([]),
    boardId: z.number().int().optional(),
  })
  .strict();

export const ConfluencePageSchema = z
  .object({
    id: z.string(),
    spaceId: z.string(),
    title: z.string(),
    body: z.string(),
    parentId: z.string().nullable().default(null),
    authorAccountId: z.string(),
    version: z.number().int().positive().default(1),
    footerComments: z.array(z.object({ id: z.string(), body: z.string(), authorAccountId: z.string() }).strict()).default([]),
    inlineComments: z.array(z.object({ id: z.string(), body: z.string(), authorAccountId: z.string() }).strict()).default([]),
    attachments: z.array(z.object({ id: z.string(), title: z.string(), mediaType: z.string(), fileSize: z.number() }).strict()).default([]),
    properties: z.array(z.object({ id: z.string(), key: z.string(), value: z.unknown() }).strict()).default([]),
  })
  .strict();

export const SiteDataSchema = z
  .object({
    jira: z
      .object({
        projects: z.array(JiraProjectSchema).default([]),
        issues: z.array(JiraIssueSchema).default([]),
        issueLinkTypes: z
          .array(z.object({ id: z.string(), name: z.string(), inward: z.string(), outward: z.string() }).strict())
          .default([]),
        webhooks: z.array(z.object({ id: z.number(), url: z.string(), events: z.array(z.string()) }).strict()).default([]),
      })
      .strict()
      .default({ projects: [], issues: [], issueLinkTypes: [], webhooks: [] }),
    confluence: z
      .object({
        spaces: z
          .array(
            z
              .object({ id: z.string(), key: z.string(), name: z.string(), type: z.enum(['global', 'personal']).default('global') })
              .strict(),
          )
          .default([]),
        pages: z.array(ConfluencePageSchema).default([]),
        groups: z.array(z.object({ id: z.string(), name: z.string() }).strict()).default([]),
      })
      .strict()
      .default({ spaces: [], pages: [], groups: [] }),
  })
  .strict();

export const WorldSchema = z
  .object({
    settings: SettingsSchema.default({} as never),
    org: z.object({ id: z.string(), name: z.string(), mcp: McpOrgSettingsSchema.default({} as never) }).strict(),
    sites: z.record(Uuid, SiteSchema),
    users: z.record(Email, UserSchema),
    apps: z.record(z.string().min(1), AppSchema),
    /** product data per site, keyed by cloudId */
    data: z.record(Uuid, SiteDataSchema).default({}),
  })
  .strict()
  .superRefine((w, ctx) => {
    for (const [email, u] of Object.entries(w.users)) {
      for (const cloudId of Object.keys(u.sites)) {
        if (!w.sites[cloudId])
          ctx.addIssue({ code: 'custom', path: ['users', email, 'sites', cloudId], message: 'unknown site (no such cloudId in sites)' });
      }
    }
    for (const [clientId, a] of Object.entries(w.apps)) {
      if (a.kind === '3lo' && !w.users[a.ownerEmail])
        ctx.addIssue({ code: 'custom', path: ['apps', clientId, 'ownerEmail'], message: 'unknown user' });
    }
    for (const cloudId of Object.keys(w.data)) {
      if (!w.sites[cloudId]) ctx.addIssue({ code: 'custom', path: ['data', cloudId], message: 'unknown site (no such cloudId in sites)' });
    }
  });

export type World = z.infer<typeof WorldSchema>;
export type Site = z.infer<typeof SiteSchema>;
export type User = z.infer<typeof UserSchema>;
export type App = z.infer<typeof AppSchema>;
export type SiteData = z.infer<typeof SiteDataSchema>;

export class WorldError extends Error {
  constructor(
    readonly path: string,
    message: string,
    readonly file?: string,
  ) {
    super(`${file ? `${file}: ` : ''}invalid world at ${path || '(root)'}: ${message}`);
    this.name = 'WorldError';
  }
}

/** Validate a world; throws WorldError naming the first bad path (dot-separated, e.g. `sites.<id>.url`). */
export function parseWorld(input: unknown, file?: string): World {
  const r = WorldSchema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new WorldError(issue.path.map(String).join('.'), issue.message, file);
}
