/**
 * Jira tools of the v1 catalogue (atlassian-mcp.md §4), answering from the same world data the REST gateway uses
 * (`world().data[cloudId].jira`); write tools mutate it through `updateWorld`. Results are raw Jira REST v3 JSON
 * (§4: getJiraIssue "returns raw Jira REST v3 JSON (`self: https://api.atlassian.com/ex/jira/<cloudId>/…`)" [S56]).
 */
import { z } from 'zod';
import { JqlError, searchIssues } from '../../query/jql.ts';
import { durationSeconds, JiraRender } from '../../render/jira.ts';
import { updateWorld, world } from '../../state.ts';
import type { World } from '../../world.ts';
import { addComment, createIssue } from '../../write/jira.ts';
import { ToolError } from '../texts.ts';
import {
  bodyText,
  cloudIdArg,
  contentFormatArg,
  defineTool,
  issueRef,
  nextId,
  requireProduct,
  resolveCloud,
  responseFormatArg,
  siteData,
  type ToolEnv,
  type ToolSpec,
} from './common.ts';

type JiraData = World['data'][string]['jira'];
type Issue = JiraData['issues'][number];
type Project = JiraData['projects'][number];

const READ = ['read:jira-work'] as const;
const WRITE = ['write:jira-work'] as const;

function jiraOf(env: ToolEnv, cloudIdInput: string, write = false): { cloudId: string; jira: JiraData } {
  const r = resolveCloud(env, cloudIdInput);
  requireProduct(env, r, 'jira', write);
  return { cloudId: r.cloudId, jira: siteData(r.cloudId).jira };
}

function findIssue(jira: JiraData, idOrKey: string): Issue {
  const k = idOrKey.trim();
  const issue = jira.issues.find((i) => i.id === k || i.key.toUpperCase() === k.toUpperCase());
  // Jira REST v3 404 text for a missing/invisible issue
  if (!issue) throw new ToolError('Issue does not exist or you do not have permission to see it.');
  return issue;
}

function findProject(jira: JiraData, idOrKey: string): Project {
  const p = jira.projects.find((x) => x.id === idOrKey || x.key.toUpperCase() === idOrKey.toUpperCase());
  if (!p) throw new ToolError(`No project could be found with key '${idOrKey}'.`);
  return p;
}

/** The REST serializer of this site: MCP Jira tools return raw Jira REST v3 JSON (§4 [S56]). */
function render(env: ToolEnv, cloudId: string, markdown = false): JiraRender {
  return new JiraRender(env.bases.api, cloudId, siteData(cloudId), markdown);
}

/** The one JQL engine (query/jql.ts); its errors become tool errors in Jira's wording. */
function runJql(jira: JiraData, jql: string, me: string): Issue[] {
  try {
    return searchIssues(jira.issues, jql, me);
  } catch (e) {
    if (e instanceof JqlError) throw new ToolError(e.message);
    throw e;
  }
}

function mutateJira(cloudId: string, fn: (jira: JiraData) => void): void {
  updateWorld((w) => {
    const d = w.data[cloudId];
    if (!d) throw new ToolError('This site has no Jira data.');
    fn(d.jira);
  });
}

const issueKeyArg = z.string().min(1).describe('Issue id or key, e.g. "PROJ-123"');

export const JIRA_TOOLS: ToolSpec[] = [
  defineTool({
    name: 'getJiraIssue',
    title: 'Get Jira issue',
    description: 'Get the details of a Jira issue by issue id or key (raw Jira REST v3 JSON).',
    group: 'read',
    product: 'jira',
    scopes: READ,
    input: {
      cloudId: cloudIdArg,
      issueIdOrKey: issueKeyArg,
      fields: z.array(z.string()).optional(),
      fieldsByKeys: z.boolean().optional(),
      expand: z.string().optional(),
      properties: z.array(z.string()).optional(),
      updateHistory: z.boolean().optional(),
      failFast: z.boolean().optional(),
      responseContentFormat: responseFormatArg,
    },
    run(a, env) {
      const { cloudId, jira } = jiraOf(env, a.cloudId);
      const fields = a.fields?.length ? a.fields : undefined;
      return render(env, cloudId, a.responseContentFormat === 'markdown').issue(findIssue(jira, a.issueIdOrKey), fields);
    },
  }),
  defineTool({
    name: 'searchJiraIssuesUsingJql',
    title: 'Search Jira issues with JQL',
    description: 'Search Jira issues using Jira Query Language (JQL).',
    group: 'search',
    product: 'jira',
    scopes: ['read:jira-work', 'search:jira-work'],
    input: {
      cloudId: cloudIdArg,
      jql: z.string().describe('A JQL query, e.g. project = PROJ ORDER BY created DESC'),
      maxResults: z.number().int().min(1).max(100).optional(),
      fields: z.array(z.string()).optional(),
      nextPageToken: z.string().optional(),
      responseContentFormat: responseFormatArg,
    },
    run(a, env) {
      const { cloudId, jira } = jiraOf(env, a.cloudId);
      const all = runJql(jira, a.jql, env.principal.accountId);
      const start = a.nextPageToken ? Number(Buffer.from(a.nextPageToken, 'base64url').toString('utf8')) || 0 : 0;
      const max = a.maxResults ?? 50;
      const page = all.slice(start, start + max);
      const isLast = start + max >= all.length;
      const r = render(env, cloudId, a.responseContentFormat === 'markdown');
      const fields = a.fields?.length ? a.fields : ['summary', 'status', 'issuetype', 'project', 'assignee', 'description'];
      return {
        issues: page.map((i) => r.issue(i, fields)),
        isLast,
        ...(isLast ? {} : { nextPageToken: Buffer.from(String(start + max)).toString('base64url') }),
      };
    },
  }),
  defineTool({
    name: 'getVisibleJiraProjects',
    title: 'Get visible Jira projects',
    description: 'List the Jira projects the user can see (optionally filtered by a search string).',
    group: 'read',
    product: 'jira',
    scopes: READ,
    input: {
      cloudId: cloudIdArg,
      searchString: z.string().optional(),
      action: z.enum(['view', 'browse', 'edit', 'create']).optional(),
      startAt: z.number().int().min(0).optional(),
      maxResults: z.number().int().min(1).max(100).optional(),
      expandIssueTypes: z.boolean().optional(),
    },
    run(a, env) {
      const { cloudId, jira } = jiraOf(env, a.cloudId);
      const q = a.searchString?.toLowerCase();
      const all = jira.projects.filter((p) => !q || p.key.toLowerCase().includes(q) || p.name.toLowerCase().includes(q));
      const startAt = a.startAt ?? 0;
      const maxResults = a.maxResults ?? 50;
      const r = render(env, cloudId);
      const values = all.slice(startAt, startAt + maxResults).map((p) => r.project(p, { issueTypes: a.expandIssueTypes === true }));
      return {
        self: `${env.bases.api}/ex/jira/${cloudId}/rest/api/3/project/search`,
        maxResults,
        startAt,
        total: all.length,
        isLast: startAt + maxResults >= all.length,
        values,
      };
    },
  }),
  defineTool({
    name: 'getJiraProjectIssueTypesMetadata',
    title: 'Get issue types of a Jira project',
    description: 'List the issue types available when creating issues in a project.',
    group: 'read',
    product: 'jira',
    scopes: READ,
    input: {
      cloudId: cloudIdArg,
      projectIdOrKey: z.string().min(1),
      startAt: z.number().int().min(0).optional(),
      maxResults: z.number().int().min(1).optional(),
    },
    run(a, env) {
      const { jira } = jiraOf(env, a.cloudId);
      const p = findProject(jira, a.projectIdOrKey);
      const startAt = a.startAt ?? 0;
      const maxResults = a.maxResults ?? 50;
      return {
        issueTypes: p.issueTypes
          .slice(startAt, startAt + maxResults)
          .map((t) => ({ id: t.id, name: t.name, description: '', subtask: false })),
        maxResults,
        startAt,
        total: p.issueTypes.length,
      };
    },
  }),
  defineTool({
    name: 'getJiraIssueTypeMetaWithFields',
    title: 'Get create-issue fields of an issue type',
    description: 'List the fields (required and optional) for creating an issue of a type in a project.',
    group: 'read',
    product: 'jira',
    scopes: READ,
    input: {
      cloudId: cloudIdArg,
      projectIdOrKey: z.string().min(1),
      issueTypeId: z.string().min(1),
      startAt: z.number().int().min(0).optional(),
      maxResults: z.number().int().min(1).optional(),
    },
    run(a, env) {
      const { jira } = jiraOf(env, a.cloudId);
      const p = findProject(jira, a.projectIdOrKey);
      if (!p.issueTypes.some((t) => t.id === a.issueTypeId))
        throw new ToolError(`Issue type with id '${a.issueTypeId}' does not exist in project '${p.key}'.`);
      const fields = [
        { fieldId: 'summary', key: 'summary', name: 'Summary', required: true, schema: { type: 'string', system: 'summary' } },
        {
          fieldId: 'description',
          key: 'description',
          name: 'Description',
          required: false,
          schema: { type: 'string', system: 'description' },
        },
        { fieldId: 'assignee', key: 'assignee', name: 'Assignee', required: false, schema: { type: 'user', system: 'assignee' } },
        { fieldId: 'issuetype', key: 'issuetype', name: 'Issue Type', required: true, schema: { type: 'issuetype', system: 'issuetype' } },
        { fieldId: 'project', key: 'project', name: 'Project', required: true, schema: { type: 'project', system: 'project' } },
      ];
      const startAt = a.startAt ?? 0;
      const maxResults = a.maxResults ?? 50;
      return { fields: fields.slice(startAt, startAt + maxResults), maxResults, startAt, total: fields.length };
    },
  }),
  defineTool({
    name: 'getTransitionsForJiraIssue',
    title: 'Get transitions of a Jira issue',
    description: 'List the workflow transitions available for an issue.',
    group: 'read',
    product: 'jira',
    scopes: READ,
    input: {
      cloudId: cloudIdArg,
      issueIdOrKey: issueKeyArg,
      expand: z.string().optional(),
      transitionId: z.string().optional(),
      skipRemoteOnlyCondition: z.boolean().optional(),
      includeUnavailableTransitions: z.boolean().optional(),
      sortByOpsBarAndStatus: z.boolean().optional(),
    },
    run(a, env) {
      const { cloudId, jira } = jiraOf(env, a.cloudId);
      const issue = findIssue(jira, a.issueIdOrKey);
      const p = jira.projects.find((x) => x.key === issue.projectKey);
      const ts = (p?.transitions ?? []).filter((t) => !a.transitionId || t.id === a.transitionId);
      const r = render(env, cloudId);
      return { expand: 'transitions', transitions: ts.map((t) => r.transition(t)) };
    },
  }),
  defineTool({
    name: 'getJiraIssueRemoteIssueLinks',
    title: 'Get remote links of a Jira issue',
    description: 'List the remote (web) links of an issue.',
    group: 'read',
    product: 'jira',
    scopes: READ,
    input: { cloudId: cloudIdArg, issueIdOrKey: issueKeyArg, globalId: z.string().optional() },
    run(a, env) {
      const { cloudId, jira } = jiraOf(env, a.cloudId);
      const issue = findIssue(jira, a.issueIdOrKey);
      return issue.remoteLinks.map((l) => ({
        id: l.id,
        self: `${issueRef(env, cloudId, issue.id)}/remotelink/${l.id}`,
        object: { url: l.url, title: l.title },
      }));
    },
  }),
  defineTool({
    name: 'getIssueLinkTypes',
    title: 'Get Jira issue link types',
    description: 'List the issue link types (e.g. Blocks, Relates).',
    group: 'read',
    product: 'jira',
    scopes: READ,
    input: { cloudId: cloudIdArg },
    run(a, env) {
      const { cloudId, jira } = jiraOf(env, a.cloudId);
      const r = render(env, cloudId);
      return { issueLinkTypes: jira.issueLinkTypes.map((t) => r.issueLinkType(t.name)) };
    },
  }),
  defineTool({
    name: 'lookupJiraAccountId',
    title: 'Look up Jira account ids',
    description: 'Find users of the site by display name or email address.',
    group: 'read',
    product: 'jira',
    scopes: READ,
    input: { cloudId: cloudIdArg, searchString: z.string().min(1) },
    run(a, env) {
      const { cloudId } = jiraOf(env, a.cloudId);
      const q = a.searchString.toLowerCase();
      return Object.entries(world().users)
        .filter(([email, u]) => u.sites[cloudId] && (email.toLowerCase().includes(q) || u.name.toLowerCase().includes(q)))
        .map(([email, u]) => ({
          accountId: u.accountId,
          accountType: 'atlassian',
          displayName: u.name,
          emailAddress: email,
          active: u.status === 'active',
        }));
    },
  }),
  defineTool({
    name: 'createJiraIssue',
    title: 'Create Jira issue',
    description: 'Create a new Jira issue in a project.',
    group: 'write',
    product: 'jira',
    scopes: WRITE,
    input: {
      cloudId: cloudIdArg,
      projectKey: z.string().min(1),
      issueTypeName: z.string().min(1),
      summary: z.string().min(1),
      description: z.string().optional(),
      parent: z.string().optional(),
      assignee_account_id: z.string().optional(),
      additional_fields: z.record(z.string(), z.unknown()).optional(),
      transition: z.object({ id: z.string() }).optional(),
      contentFormat: contentFormatArg,
      responseContentFormat: responseFormatArg,
    },
    run(a, env) {
      const { cloudId, jira } = jiraOf(env, a.cloudId, true);
      const p = findProject(jira, a.projectKey);
      if (!p.issueTypes.some((t) => t.name === a.issueTypeName)) {
        throw new ToolError(
          `Specify a valid issue type: '${a.issueTypeName}' is not one of ${JSON.stringify(p.issueTypes.map((t) => t.name))}.`,
        );
      }
      const transition = a.transition ? p.transitions.find((t) => t.id === a.transition!.id) : undefined;
      if (a.transition && !transition) throw new ToolError(`Transition id '${a.transition.id}' is not valid for this issue.`);
      const issue = createIssue(
        cloudId,
        {
          projectKey: p.key,
          summary: a.summary,
          description: a.description ? bodyText(a.description) : '',
          issueType: a.issueTypeName,
          status: transition?.to ?? 'To Do',
          assigneeAccountId: a.assignee_account_id ?? null,
          reporterAccountId: env.principal.accountId,
        },
        () => new ToolError('This site has no Jira data.'),
      );
      return { id: issue.id, key: issue.key, self: issueRef(env, cloudId, issue.id) };
    },
  }),
  defineTool({
    name: 'editJiraIssue',
    title: 'Edit Jira issue',
    description: 'Update fields of an existing Jira issue (summary, description, assignee).',
    group: 'write',
    product: 'jira',
    scopes: WRITE,
    input: { cloudId: cloudIdArg, issueIdOrKey: issueKeyArg, fields: z.record(z.string(), z.unknown()), contentFormat: contentFormatArg },
    run(a, env) {
      const { cloudId, jira } = jiraOf(env, a.cloudId, true);
      const issue = findIssue(jira, a.issueIdOrKey);
      const known = new Set(['summary', 'description', 'assignee']);
      const unknown = Object.keys(a.fields).filter((k) => !known.has(k));
      // Jira REST v3 wording for a field that is not on the edit screen
      if (unknown.length) throw new ToolError(`Field '${unknown[0]}' cannot be set. It is not on the appropriate screen, or unknown.`);
      mutateJira(cloudId, (j) => {
        const i = j.issues.find((x) => x.id === issue.id)!;
        if (typeof a.fields.summary === 'string') i.summary = a.fields.summary;
        if (a.fields.description !== undefined) i.description = bodyText(a.fields.description);
        if (a.fields.assignee !== undefined) {
          const as = a.fields.assignee as { accountId?: string } | string | null;
          i.assigneeAccountId = typeof as === 'string' ? as : (as?.accountId ?? null);
        }
      });
      return render(env, cloudId).issue(findIssue(siteData(cloudId).jira, issue.id));
    },
  }),
  defineTool({
    name: 'transitionJiraIssue',
    title: 'Transition Jira issue',
    description: 'Move an issue through its workflow with a transition id from getTransitionsForJiraIssue.',
    group: 'write',
    product: 'jira',
    scopes: WRITE,
    input: {
      cloudId: cloudIdArg,
      issueIdOrKey: issueKeyArg,
      transition: z.object({ id: z.string() }),
      fields: z.record(z.string(), z.unknown()).optional(),
      update: z.record(z.string(), z.unknown()).optional(),
      historyMetadata: z.record(z.string(), z.unknown()).optional(),
    },
    run(a, env) {
      const { cloudId, jira } = jiraOf(env, a.cloudId, true);
      const issue = findIssue(jira, a.issueIdOrKey);
      const p = jira.projects.find((x) => x.key === issue.projectKey);
      const t = p?.transitions.find((x) => x.id === a.transition.id);
      if (!t) throw new ToolError(`Transition id '${a.transition.id}' is not valid for this issue.`);
      mutateJira(cloudId, (j) => {
        j.issues.find((x) => x.id === issue.id)!.status = t.to;
      });
      return { success: true, issueKey: issue.key, transition: { id: t.id, name: t.name }, status: t.to };
    },
  }),
  defineTool({
    name: 'addCommentToJiraIssue',
    title: 'Add comment to Jira issue',
    description: 'Add a comment to a Jira issue.',
    group: 'write',
    product: 'jira',
    scopes: WRITE,
    input: {
      cloudId: cloudIdArg,
      issueIdOrKey: issueKeyArg,
      commentBody: z.string().min(1),
      commentVisibility: z.object({ type: z.enum(['group', 'role']), value: z.string() }).optional(),
      contentFormat: contentFormatArg,
    },
    run(a, env) {
      const { cloudId, jira } = jiraOf(env, a.cloudId, true);
      const issue = findIssue(jira, a.issueIdOrKey);
      const comment = addComment(
        cloudId,
        issue.id,
        env.principal.accountId,
        bodyText(a.commentBody),
        () => new ToolError('This site has no Jira data.'),
      );
      return render(env, cloudId).comment(comment, issue.id);
    },
  }),
  defineTool({
    name: 'addWorklogToJiraIssue',
    title: 'Add worklog to Jira issue',
    description: 'Log time spent on a Jira issue (e.g. "1h 30m").',
    group: 'write',
    product: 'jira',
    scopes: WRITE,
    input: {
      cloudId: cloudIdArg,
      issueIdOrKey: issueKeyArg,
      timeSpent: z.string().min(1),
      worklogId: z.string().optional(),
      commentBody: z.string().optional(),
      started: z.string().optional(),
      visibility: z.object({ type: z.enum(['group', 'role']), value: z.string() }).optional(),
    },
    run(a, env) {
      const { cloudId, jira } = jiraOf(env, a.cloudId, true);
      const issue = findIssue(jira, a.issueIdOrKey);
      if (durationSeconds(a.timeSpent) <= 0)
        throw new ToolError(`Worklog must not be null: invalid timeSpent ${JSON.stringify(a.timeSpent)} (use e.g. "1h 30m").`);
      const existing = a.worklogId ? issue.worklogs.find((w) => w.id === a.worklogId) : undefined;
      if (a.worklogId && !existing) throw new ToolError(`Cannot find worklog with id: ${a.worklogId}`);
      const wl = {
        id: existing?.id ?? nextId(jira.issues.flatMap((i) => i.worklogs.map((w) => w.id))),
        timeSpent: a.timeSpent,
        started: a.started ?? new Date().toISOString(),
      };
      mutateJira(cloudId, (j) => {
        const i = j.issues.find((x) => x.id === issue.id)!;
        i.worklogs = [...i.worklogs.filter((w) => w.id !== wl.id), wl];
      });
      return render(env, cloudId).worklog(wl, issue.id);
    },
  }),
  defineTool({
    name: 'createIssueLink',
    title: 'Link two Jira issues',
    description: 'Create a link of a given type between two issues.',
    group: 'write',
    product: 'jira',
    scopes: WRITE,
    input: {
      cloudId: cloudIdArg,
      inwardIssue: z.string().min(1),
      outwardIssue: z.string().min(1),
      type: z.string().min(1),
      comment: z.string().optional(),
    },
    run(a, env) {
      const { cloudId, jira } = jiraOf(env, a.cloudId, true);
      const inward = findIssue(jira, a.inwardIssue);
      const outward = findIssue(jira, a.outwardIssue);
      const type = jira.issueLinkTypes.find((t) => t.name.toLowerCase() === a.type.toLowerCase() || t.id === a.type);
      if (!type) throw new ToolError(`No issue link type with name '${a.type}' found.`);
      const id = nextId(jira.issues.flatMap((i) => i.links.map((l) => l.id)));
      const link = { id, type: type.name, inwardKey: inward.key, outwardKey: outward.key };
      mutateJira(cloudId, (j) => {
        for (const k of new Set([inward.id, outward.id])) j.issues.find((x) => x.id === k)!.links.push(link);
      });
      return {
        id,
        type: { id: type.id, name: type.name, inward: type.inward, outward: type.outward },
        inwardIssue: { key: inward.key },
        outwardIssue: { key: outward.key },
      };
    },
  }),
];
