/**
 * Operations as each generation lists them (docs/reference/atlassian-mcp.md §4 and "The v2 generation"):
 *  - v1 (`/v1/mcp`, `/v1/mcp/authv2`): the v1 catalogue flat (catalog.ts V1_TOOLS);
 *  - v2 (`/v2/mcp`): the v1 operations under their v2 names and shapes (1P rename table), the v2-only operations, a
 *    small primary set listed directly and the rest reached through discover / the execute family.
 * On top of both, the world's `org.mcp.renames` and `org.mcp.extraTools` (settings.ts) rename or add operations, so a
 * client's sweep and rename detection can be tested against a server that changed.
 *
 * Every operation has a kind (the execute tier: read / write / destructive) and a v2 permission group it inherits its
 * access from ("Each tool inherits the access of its parent group", 1P README).
 */
import { z } from 'zod';
import { world } from '../state.ts';
import { V1_TOOLS } from './catalog.ts';
import type { ExtraTool, OperationKind, PermissionGroup } from './settings.ts';
import { cloudIdArg, defineTool, resolveCloud, type ToolSpec } from './tools/common.ts';
import { PLATFORM_TOOLS } from './tools/platform.ts';
import { V2_ONLY_TOOLS, withIssueExtras } from './tools/v2.ts';

export type Generation = 'v1' | 'v2';

export interface Operation {
  /** the name the client sees (after org.mcp.renames) */
  name: string;
  spec: ToolSpec;
  kind: OperationKind;
  group: PermissionGroup | null;
  /** v2: listed directly (true) or through discover / execute (false); v1: always true */
  primary: boolean;
}

export function kindOf(spec: ToolSpec): OperationKind {
  return spec.kind ?? (spec.group === 'write' ? 'write' : 'read');
}

/** the v2 group a tool inherits (1P group names; the mapping of each tool is a simulator choice) */
export function groupOf(spec: ToolSpec): PermissionGroup | null {
  if (spec.permissionGroup) return spec.permissionGroup;
  if (spec.group === null) return null;
  if (spec.product === 'twg') return spec.group === 'write' ? 'write_teamwork_graph' : 'read_teamwork_graph';
  // Rovo search and fetch (by ARI) work across products
  if (spec.product === 'platform') return 'search_atlassian';
  return `${spec.group}_${spec.product}` as PermissionGroup;
}

const byName = (list: readonly ToolSpec[], name: string): ToolSpec => {
  const t = list.find((x) => x.name === name);
  if (!t) throw new Error(`v2 catalogue: no tool ${name}`);
  return t;
};
const v1 = (name: string) => byName(V1_TOOLS, name);
const v2only = (name: string) => byName(V2_ONLY_TOOLS, name);

/** v2 getJiraIssue: the v1 tool, plus what v2 createJiraIssue stored outside the world (priority, parent, custom fields) */
const getJiraIssueV2: ToolSpec = {
  ...v1('getJiraIssue'),
  run(args, env) {
    const result = v1('getJiraIssue').run(args, env);
    return withIssueExtras(result, resolveCloud(env, String(args.cloudId)).cloudId);
  },
};

/**
 * The v2 operations in listing order. Primary = the tools the 1P v2 skills call directly (getConfluenceContent,
 * searchConfluence, createJiraIssue, search, getJiraIssue, searchJiraIssuesUsingJql, …); the skills run
 * listJiraProjects, listJiraProjectIssueTypesMetadata and getJiraIssueTypeMetaWithFields through executeRead, so those
 * are not primary. Which other tools are primary is a simulator choice: 12 here, so with getToolDescription, discover
 * and the three execute tools the list has 17 entries, the count a 3P probe saw (2026-09-02).
 */
const V2_PRIMARY_SPECS: readonly ToolSpec[] = [
  v1('atlassianUserInfo'),
  v1('getAccessibleAtlassianResources'),
  v1('search'),
  v1('fetch'),
  getJiraIssueV2,
  v1('searchJiraIssuesUsingJql'),
  v2only('createJiraIssue'),
  v2only('addOrEditJiraIssueComment'),
  v2only('getConfluenceContent'),
  v2only('searchConfluence'),
  v2only('createConfluenceContent'),
  v2only('updateConfluenceContent'),
];

const V2_OTHER_SPECS: readonly ToolSpec[] = [
  v2only('listJiraProjects'),
  v2only('listJiraProjectIssueTypesMetadata'),
  v1('getJiraIssueTypeMetaWithFields'),
  v1('getTransitionsForJiraIssue'),
  v1('getJiraIssueRemoteIssueLinks'),
  v1('getIssueLinkTypes'),
  v1('lookupJiraAccountId'),
  v1('editJiraIssue'),
  v1('transitionJiraIssue'),
  v1('addWorklogToJiraIssue'),
  v1('createIssueLink'),
  v2only('deleteJiraIssue'),
  v2only('updateJiraProject'),
  v1('getConfluenceSpaces'),
  v1('getPagesInConfluenceSpace'),
  v1('getConfluencePageDescendants'),
  v1('getConfluencePageFooterComments'),
  v1('getConfluencePageInlineComments'),
  v1('getConfluenceCommentChildren'),
  v1('createConfluenceFooterComment'),
  v1('createConfluenceInlineComment'),
  byName(PLATFORM_TOOLS, 'getTeamworkGraphContext'),
  byName(PLATFORM_TOOLS, 'getTeamworkGraphObject'),
  v2only('getContentFormatGuide'),
];

/** built once per distinct entry, so a re-sync does not re-register (and re-announce) an unchanged extra tool */
const extraSpecs = new Map<string, ToolSpec>();

/** the operation an org.mcp.extraTools entry describes: it checks the site like any tool and echoes what it got */
function extraSpec(x: ExtraTool): ToolSpec {
  const key = JSON.stringify(x);
  const known = extraSpecs.get(key);
  if (known) return known;
  const spec = buildExtraSpec(x);
  extraSpecs.set(key, spec);
  return spec;
}

function buildExtraSpec(x: ExtraTool): ToolSpec {
  const group: Record<OperationKind, 'read' | 'write'> = { read: 'read', write: 'write', destructive: 'write' };
  const pgroup: Record<OperationKind, PermissionGroup> = { read: 'read_jira', write: 'write_jira', destructive: 'delete_jira' };
  return defineTool({
    name: x.name,
    title: x.name,
    description: x.description,
    group: group[x.kind],
    kind: x.kind,
    permissionGroup: pgroup[x.kind],
    product: 'jira',
    scopes: [],
    input: { cloudId: cloudIdArg, query: z.string().optional().describe('Free text (optional)') },
    run(a, env) {
      const r = resolveCloud(env, a.cloudId);
      return { operation: x.name, cloudId: r.cloudId, query: a.query ?? null, source: 'org.mcp.extraTools' };
    },
  });
}

/** The operations of a generation for the current world (renames and extra tools applied). */
export function operations(gen: Generation): Operation[] {
  const m = world().org.mcp;
  const make = (spec: ToolSpec, primary: boolean): Operation => ({
    name: m.renames[spec.name] ?? spec.name,
    spec,
    kind: kindOf(spec),
    group: groupOf(spec),
    primary,
  });
  const base =
    gen === 'v1'
      ? V1_TOOLS.map((s) => make(s, true))
      : [...V2_PRIMARY_SPECS.map((s) => make(s, true)), ...V2_OTHER_SPECS.map((s) => make(s, false))];
  const extra = m.extraTools.filter((x) => x.generations.includes(gen)).map((x) => make(extraSpec(x), gen === 'v1' || x.primary));
  // an extra tool with a catalogue name replaces that operation (a world can reshape one)
  const names = new Set(extra.map((o) => o.name));
  return [...base.filter((o) => !names.has(o.name)), ...extra];
}

/** the MCP annotations of an operation (MCP spec 2025-06-18, ToolAnnotations) */
export function annotationsOf(op: Operation): { title: string; readOnlyHint: boolean; destructiveHint: boolean; openWorldHint: boolean } {
  return { title: op.spec.title, readOnlyHint: op.kind === 'read', destructiveHint: op.kind === 'destructive', openWorldHint: true };
}

/** JSON Schema (draft 2020-12, what the SDK lists) of an operation's arguments */
export function inputSchemaOf(op: Operation): Record<string, unknown> {
  const { $schema: _drop, ...schema } = z.toJSONSchema(z.object(op.spec.input), { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return schema;
}
