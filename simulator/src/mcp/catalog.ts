/**
 * The tool catalogue as data (STYLE.md habit 7): the v1 list of atlassian-mcp.md §4 and the v2 "primary" set (§4
 * "v2": a small primary set plus discover / execute / getToolDescription for the rest). Adding a tool = one entry in
 * tools/*.ts.
 */

import type { ToolSpec } from './tools/common.ts';
import { CONFLUENCE_TOOLS } from './tools/confluence.ts';
import { JIRA_TOOLS } from './tools/jira.ts';
import { PLATFORM_TOOLS } from './tools/platform.ts';

const platform = (name: string): ToolSpec => {
  const t = PLATFORM_TOOLS.find((x) => x.name === name);
  if (!t) throw new Error(`catalogue: no platform tool ${name}`);
  return t;
};

/** v1 (`/v1/mcp`, `/v1/mcp/authv2`): every tool flat, in the order of §4 */
export const V1_TOOLS: readonly ToolSpec[] = [
  platform('atlassianUserInfo'),
  platform('getAccessibleAtlassianResources'),
  ...JIRA_TOOLS,
  ...CONFLUENCE_TOOLS,
  platform('search'),
  platform('fetch'),
  platform('getTeamworkGraphContext'),
  platform('getTeamworkGraphObject'),
];

/** v2 primary tools listed directly (besides discover / execute / getToolDescription) */
export const V2_PRIMARY: readonly string[] = [
  'atlassianUserInfo',
  'getAccessibleAtlassianResources',
  'search',
  'fetch',
  'getTeamworkGraphContext',
  'getTeamworkGraphObject',
];

export const BY_NAME: ReadonlyMap<string, ToolSpec> = new Map(V1_TOOLS.map((t) => [t.name, t]));
