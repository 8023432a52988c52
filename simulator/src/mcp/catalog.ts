/**
 * The v1 tool catalogue as data (STYLE.md habit 7): the list of docs/reference/atlassian-mcp.md §4. The v2 generation
 * (names, shapes, primary set) is in ops.ts. Adding a tool = one entry in tools/*.ts.
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
