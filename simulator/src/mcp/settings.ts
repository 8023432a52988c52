/**
 * The Rovo MCP server's org settings (`world.org.mcp`): admin switches of atlassian-mcp.md §3 and "The v2 generation",
 * plus simulator switches for behaviours only third parties report (each one documented with its grade in
 * simulator/docs/mcp.md). Lives next to the MCP server; simulator/src/world.ts embeds it in the world schema.
 */
import { z } from 'zod';

/**
 * The v2 permission groups of the Permissions tab (1P README table, "The v2 generation"). "Each tool inherits the
 * access of its parent group"; delete_jira and manage_jira are "disabled by default and must be enabled by an admin".
 */
export const PERMISSION_GROUPS = [
  'read_jira',
  'write_jira',
  'search_jira',
  'delete_jira',
  'manage_jira',
  'read_confluence',
  'write_confluence',
  'search_confluence',
  'read_teamwork_graph',
  'write_teamwork_graph',
  'search_atlassian',
] as const;
export type PermissionGroup = (typeof PERMISSION_GROUPS)[number];

const OFF_BY_DEFAULT: ReadonlySet<PermissionGroup> = new Set(['delete_jira', 'manage_jira']);
export const DEFAULT_PERMISSION_GROUPS = Object.fromEntries(PERMISSION_GROUPS.map((g) => [g, !OFF_BY_DEFAULT.has(g)])) as Record<
  PermissionGroup,
  boolean
>;

export type McpEndpointName = 'v1' | 'authv2' | 'v2';

/** the v2 meta-tools: an extra tool or a rename may not take these names */
export const META_TOOL_NAMES = ['getToolDescription', 'discover', 'execute', 'executeRead', 'executeWrite', 'executeDestructive'] as const;
const ToolName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'must be a tool name like getJiraSomething')
  .refine((n) => !(META_TOOL_NAMES as readonly string[]).includes(n), 'is the name of a v2 meta-tool; pick another name');
const EndpointName = z.enum(['v1', 'authv2', 'v2']);

/** operation kinds of the v2 execute family (executeRead / executeWrite / executeDestructive) */
export const OperationKind = z.enum(['read', 'write', 'destructive']);
export type OperationKind = z.infer<typeof OperationKind>;

/** An operation the world adds on top of the catalogue (self-tests of a client's sweep: an operation it never heard of). */
export const ExtraToolSchema = z
  .object({
    name: ToolName,
    description: z.string().default('An operation added by the simulator world (org.mcp.extraTools).'),
    kind: OperationKind.default('read'),
    /** listed directly on /v2/mcp (true) or reached through discover / execute (false) */
    primary: z.boolean().default(false),
    /** generations that list it: 'v1' = /v1/mcp and /v1/mcp/authv2, 'v2' = /v2/mcp */
    generations: z.array(z.enum(['v1', 'v2'])).default(['v1', 'v2']),
  })
  .strict();
export type ExtraTool = z.infer<typeof ExtraToolSchema>;

export const McpOrgSettingsSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Authentication tab: allow API-token connections */
    apiTokenAuth: z.boolean().default(true),
    /** Domains tab: patterns such as https://app.example.com/** ; http://127.0.0.1:*\/** */
    domains: z.array(z.string()).default([]),
    allowSupportedDomains: z.boolean().default(true),
    /** (3P, #254) consent blocks an OAuth 2.1 client's domain although it is in `domains` ("Your admin has blocked this domain") */
    domainListIgnored: z.boolean().default(false),
    /** Permissions tab, coarse: the Read / Write / Search toggles over every group */
    permissions: z
      .object({ read: z.boolean(), write: z.boolean(), search: z.boolean() })
      .strict()
      .default({ read: true, write: true, search: true }),
    /** Permissions tab, per v2 group (1P); a patch may name only the groups it changes */
    permissionGroups: z
      .object(
        Object.fromEntries(PERMISSION_GROUPS.map((g) => [g, z.boolean().default(DEFAULT_PERMISSION_GROUPS[g])])) as Record<
          PermissionGroup,
          z.ZodDefault<z.ZodBoolean>
        >,
      )
      .strict()
      .default(DEFAULT_PERMISSION_GROUPS),
    /** null = no IP allowlist; otherwise allowed caller IPs (exact match) */
    ipAllowlist: z.array(z.string()).nullable().default(null),
    /** when true, tokens of console 3LO apps get the generic "trouble" error on every tool call (user story 2) */
    rejectConsole3loTokens: z.boolean().default(true),
    /** v1 root AS metadata issuer: true = the cf.mcp host (what the real server answers, 3P #148/#205), false = the mcp host */
    issuerQuirk: z.boolean().default(true),
    /** dynamic client registration available */
    dcrEnabled: z.boolean().default(true),
    /** (3P, #193/#108) GET /v1/authorize answers 500 "Internal server error" */
    authorizeError: z.boolean().default(false),
    /** tool calls per second per token before 429 (0 = no limit) */
    burstLimitPerSecond: z.number().int().nonnegative().default(0),
    /** path-scoped AS metadata: false = issuer is the bare auth origin (the real RFC 8414 §3.3 mismatch); true = issuer <auth>/<tenant> */
    asIssuerConsistent: z.boolean().default(false),
    /** force one of the atlassian-mcp.md §5 tool-error texts on every tool call of the endpoints in toolFaultEndpoints */
    toolFault: z.enum(['none', 'trouble', 'connection-settings', 'verify-access', 'auth-failed', 'app-not-installed']).default('none'),
    /** (3P, #241) the endpoints toolFault hits: e.g. ["v2"] = every call fails on /v2/mcp while /v1/mcp/authv2 works */
    toolFaultEndpoints: z.array(EndpointName).default(['v1', 'authv2', 'v2']),
    /** (3P, #12/#32) an access token that expires mid-session: 'http-401' (spec) or 'tool-error' = "Authentication failed … Unauthorized" results */
    expiredTokenInSession: z.enum(['http-401', 'tool-error']).default('http-401'),
    /** (1P announcement, 3P disagreement) v1 connections expose the v2 tool set instead of the v1 names */
    v1ExposesV2Tools: z.boolean().default(false),
    /** (1P skills) the execute family: 'tiered' = executeRead / executeWrite / executeDestructive, 'single' = one execute */
    executeStyle: z.enum(['tiered', 'single']).default('tiered'),
    /** (3P) OAuth scope family checked on tool calls: 'granular' (read:jira-work …) or 'agent-interface' (read:jira:agent-interface …) */
    scopeFamily: z.enum(['granular', 'agent-interface']).default('granular'),
    /** operations the world adds (unknown to any catalogue) */
    extraTools: z.array(ExtraToolSchema).default([]),
    /** operation renames, old name → new name, on every endpoint that lists the old name */
    renames: z.record(z.string(), ToolName).default({}),
  })
  .strict();
export type McpOrgSettings = z.infer<typeof McpOrgSettingsSchema>;
