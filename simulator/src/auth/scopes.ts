/**
 * Consent titles the simulator shows for each scope — the simulator's own table, independent of the harness's.
 * Titles from atlassian-oauth.md §6 where the reference gives one ([29][30][31][32] and the specs' descriptions);
 * the others (marked "sim") are simulator wording in the same style.
 */
export const SCOPE_TITLES: Readonly<Record<string, string>> = {
  'read:me': 'View active user profile',
  'read:jira-user': 'View user profiles',
  'read:jira-work': 'View Jira issue data',
  'write:jira-work': 'Create and manage issues',
  'manage:jira-project': 'Manage project settings',
  'manage:jira-configuration': 'Manage Jira global settings',
  'manage:jira-webhook': 'Manage Jira webhooks',
  'manage:jira-data-provider': 'Manage development and release information for third parties in Jira',
  'read:confluence-content.summary': 'Read Confluence content summary', // sim
  'read:confluence-content.all': 'Read Confluence detailed content',
  'read:confluence-space.summary': 'Read Confluence space summary',
  'write:confluence-content': 'Write Confluence content',
  'search:confluence': 'Search Confluence',
  'read:confluence-user': 'Read users',
  'read:confluence-groups': 'Read user groups', // sim
  'read:confluence-props': 'Read Confluence content properties',
  'manage:confluence-configuration': 'Manage Confluence global settings',
  'read:page:confluence': 'View pages', // sim
  'write:page:confluence': 'Create and update pages', // sim
  'read:space:confluence': 'View space details', // sim
  'read:attachment:confluence': 'View attachments', // sim (the reference gives no title for it)
  'read:comment:confluence': 'View comments', // sim
  'read:project:jira': 'View projects',
  'read:issue:jira': 'View issues',
  'read:user:jira': 'View users',
  'read:status:jira': 'View statuses', // sim
  'read:priority:jira': 'View priorities', // sim
  'read:board-scope:jira-software': 'View boards, backlogs, and related items',
  'read:confluence:mcp': 'Read Confluence data through the Rovo MCP server', // sim
  'search:rovo:mcp': 'Search with Rovo through the Rovo MCP server', // sim
};

/** The title shown on the consent page; unknown scopes show the scope key itself. */
export function scopeTitle(scope: string): string {
  return SCOPE_TITLES[scope] ?? scope;
}
