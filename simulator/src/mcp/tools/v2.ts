/**
 * The operations the v2 generation renamed or reshaped (docs/reference/atlassian-mcp.md, "The v2 generation": the
 * 1P rename table of skills/README.md and the calls of skills/v2/*), plus the few v2-only operations the simulator
 * carries so every execute tier and every permission group has a member. Each one answers from the same world as
 * its v1 counterpart, mostly by running that counterpart after mapping the arguments.
 *
 * Shapes the reference does not give (response layouts, error texts) are simulator choices, listed in
 * simulator/docs/mcp.md.
 */
import { z } from 'zod';
import { updateWorld, world } from '../../state.ts';
import { ToolError } from '../texts.ts';
import {
  adf,
  bodyText,
  cloudIdArg,
  contentFormatArg,
  defineTool,
  issueRef,
  requireProduct,
  resolveCloud,
  siteData,
  stripTags,
  type ToolEnv,
  type ToolSpec,
  userRef,
} from './common.ts';
import { CONFLUENCE_TOOLS } from './confluence.ts';
import { JIRA_TOOLS } from './jira.ts';

function v1(name: string): ToolSpec {
  const t = [...JIRA_TOOLS, ...CONFLUENCE_TOOLS].find((x) => x.name === name);
  if (!t) throw new Error(`v2 catalogue: no v1 tool ${name}`);
  return t;
}

/** A v1 tool under its v2 name, unchanged otherwise: same scopes, arguments, checks and answers. */
function renamedV1(v1Name: string, meta: Omit<ToolSpec, 'input' | 'run' | 'scopes'>): ToolSpec {
  const t = v1(v1Name);
  return { ...meta, scopes: t.scopes, input: { ...t.input }, run: (args, env) => t.run(args, env) };
}

/** run a v1 tool with already-mapped arguments (its own checks and errors apply) */
function runV1(name: string, args: Record<string, unknown>, env: ToolEnv): unknown {
  return v1(name).run(args, env);
}

// ---------- Confluence content (getConfluencePage → getConfluenceContent, …) ----------

/** "Content formats: html accepted as well as markdown/adf; responses echo the applied format" (3P) */
const contentFormatV2 = z
  .enum(['markdown', 'adf', 'html'])
  .optional()
  .describe('Format of the body: "markdown" (default), "adf" (Atlassian Document Format JSON) or "html" (storage format)');

type Fmt = 'markdown' | 'adf' | 'html';

/** a body the caller sends, as plain text with blank lines between paragraphs (what the world stores) */
function incomingText(body: string, fmt: Fmt): string {
  if (fmt === 'html')
    return stripTags(
      body
        .replace(/<\/(p|h[1-6]|li|div)>/gi, '\n\n')
        .replace(/<br\s*\/?>/gi, '\n')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&'),
    ).replace(/\n{3,}/g, '\n\n');
  return bodyText(body);
}

function renderContent(storage: string, fmt: Fmt): unknown {
  if (fmt === 'html') return storage;
  const text = stripTags(storage.replace(/<\/p>/gi, '</p>\n\n')).trim();
  return fmt === 'adf' ? adf(text) : text;
}

function contentJson(env: ToolEnv, cloudIdInput: string, id: string, fmt: Fmt): Record<string, unknown> {
  // the v1 tool checks site, product access and existence; its JSON is the v2 answer minus the body
  const base = runV1('getConfluencePage', { cloudId: cloudIdInput, pageId: id, contentFormat: 'markdown' }, env) as Record<string, unknown>;
  const { cloudId } = resolveCloud(env, cloudIdInput);
  const page = siteData(cloudId).confluence.pages.find((p) => p.id === id)!;
  const { body: _ignored, ...rest } = base;
  return { ...rest, type: 'page', content_format: fmt, body: renderContent(page.body, fmt) };
}

const contentIdArg = z.string().min(1).describe('Id of the page (the number in …/pages/<id>/…)');

// ---------- Jira (createJiraIssue reshaped, addOrEditJiraIssueComment) ----------

/** Jira's default priority scheme (simulator choice: the world has no priorities) */
const PRIORITIES = ['Highest', 'High', 'Medium', 'Low', 'Lowest'] as const;

/** what v2 createJiraIssue sets that the world schema has no field for; keyed `<cloudId>/<issueId>`, cleared on reset */
const issueExtras = new Map<string, { priority?: string; parent?: string; custom: Record<string, unknown> }>();
export function clearV2SideTables(): void {
  issueExtras.clear();
}

/** getJiraIssue on v2 also returns what createJiraIssue stored outside the world (priority, parent, custom fields) */
export function withIssueExtras(result: unknown, cloudId: string): unknown {
  const r = result as { id?: string; fields?: Record<string, unknown> };
  const x = r?.id ? issueExtras.get(`${cloudId}/${r.id}`) : undefined;
  if (!x || !r.fields) return result;
  return {
    ...r,
    fields: {
      ...r.fields,
      ...(x.priority ? { priority: { name: x.priority, id: String(PRIORITIES.indexOf(x.priority as never) + 1) } } : {}),
      ...(x.parent ? { parent: { key: x.parent } } : {}),
      ...x.custom,
    },
  };
}

function jiraSite(env: ToolEnv, cloudIdInput: string, write: boolean) {
  const r = resolveCloud(env, cloudIdInput);
  requireProduct(env, r, 'jira', write);
  return r;
}

export const V2_ONLY_TOOLS: ToolSpec[] = [
  defineTool({
    name: 'getConfluenceContent',
    title: 'Get Confluence content',
    description: 'Get a Confluence page (title, version and body) in markdown, adf or html.',
    group: 'read',
    product: 'confluence',
    scopes: v1('getConfluencePage').scopes,
    input: { cloudId: cloudIdArg, content_id: contentIdArg, content_format: contentFormatV2 },
    run(a, env) {
      return contentJson(env, a.cloudId, a.content_id, a.content_format ?? 'markdown');
    },
  }),
  defineTool({
    name: 'createConfluenceContent',
    title: 'Create Confluence content',
    description: 'Create a page in a space (optionally under a parent page); the body in markdown (default), adf or html.',
    group: 'write',
    product: 'confluence',
    scopes: v1('createConfluencePage').scopes,
    input: {
      cloudId: cloudIdArg,
      spaceId: z.string().min(1).describe('Space id or key'),
      title: z.string().min(1),
      body: z.string(),
      parentId: z.string().optional(),
      content_format: contentFormatV2,
      status: z.enum(['current', 'draft']).optional(),
    },
    run(a, env) {
      const fmt = a.content_format ?? 'markdown';
      const created = runV1(
        'createConfluencePage',
        { cloudId: a.cloudId, spaceId: a.spaceId, title: a.title, body: incomingText(a.body, fmt), parentId: a.parentId, status: a.status },
        env,
      ) as { id: string };
      return contentJson(env, a.cloudId, created.id, fmt);
    },
  }),
  defineTool({
    name: 'updateConfluenceContent',
    title: 'Update Confluence content',
    description: 'Replace the body (and optionally the title or parent) of a page; bumps its version.',
    group: 'write',
    product: 'confluence',
    scopes: v1('updateConfluencePage').scopes,
    input: {
      cloudId: cloudIdArg,
      content_id: contentIdArg,
      body: z.string(),
      title: z.string().optional(),
      parentId: z.string().optional(),
      versionMessage: z.string().optional(),
      content_format: contentFormatV2,
    },
    run(a, env) {
      const fmt = a.content_format ?? 'markdown';
      runV1(
        'updateConfluencePage',
        {
          cloudId: a.cloudId,
          pageId: a.content_id,
          body: incomingText(a.body, fmt),
          title: a.title,
          parentId: a.parentId,
          versionMessage: a.versionMessage,
        },
        env,
      );
      return contentJson(env, a.cloudId, a.content_id, fmt);
    },
  }),
  defineTool({
    name: 'searchConfluence',
    title: 'Search Confluence with CQL',
    description: 'Search Confluence content with a CQL query (for natural language use search).',
    group: 'search',
    product: 'confluence',
    scopes: v1('searchConfluenceUsingCql').scopes,
    input: {
      cloudId: cloudIdArg,
      cql: z.string().min(1).describe('CQL, e.g. type = page AND title ~ "release"'),
      limit: z.number().int().min(1).max(250).optional(),
      cursor: z.string().optional(),
    },
    run(a, env) {
      return runV1('searchConfluenceUsingCql', a, env);
    },
  }),
  renamedV1('getVisibleJiraProjects', {
    name: 'listJiraProjects',
    title: 'List Jira projects',
    description: 'List the Jira projects you can see; action "create" narrows to projects you can create issues in.',
    group: 'read',
    product: 'jira',
  }),
  renamedV1('getJiraProjectIssueTypesMetadata', {
    name: 'listJiraProjectIssueTypesMetadata',
    title: 'List issue types of a Jira project',
    description: 'List the issue types available when creating issues in a project.',
    group: 'read',
    product: 'jira',
  }),
  defineTool({
    name: 'createJiraIssue',
    title: 'Create Jira issue',
    description:
      'Create a Jira issue. issueType is the type name (e.g. "Task", "Epic"); parent is an issue key; priority is a top-level ' +
      'string; additional_fields is for custom fields only (customfield_NNNNN).',
    group: 'write',
    product: 'jira',
    scopes: v1('createJiraIssue').scopes,
    input: {
      cloudId: cloudIdArg,
      projectKey: z.string().min(1),
      issueType: z.string().min(1).describe('Issue type name, e.g. "Task" or "Epic"'),
      summary: z.string().min(1),
      description: z.string().optional().describe('Markdown'),
      parent: z.string().optional().describe('Key of the parent issue, e.g. an Epic'),
      priority: z.string().optional().describe('Priority name, e.g. "High"'),
      assignee_account_id: z.string().optional(),
      additional_fields: z.record(z.string(), z.unknown()).optional().describe('Custom fields only, e.g. {"customfield_10001": …}'),
    },
    run(a, env) {
      const r = jiraSite(env, a.cloudId, true);
      const custom = a.additional_fields ?? {};
      for (const k of Object.keys(custom)) {
        if (!/^customfield_\d+$/.test(k))
          throw new ToolError(
            `additional_fields accepts custom fields only (customfield_NNNNN); pass '${k}' as a top-level parameter` +
              (['priority', 'parent', 'summary', 'description', 'issuetype', 'assignee'].includes(k) ? '.' : ' or leave it out.'),
          );
      }
      if (a.priority !== undefined && !PRIORITIES.includes(a.priority as never))
        throw new ToolError(`Priority name '${a.priority}' is not valid. Valid priorities: ${JSON.stringify(PRIORITIES)}.`);
      if (a.parent !== undefined) {
        const parent = siteData(r.cloudId).jira.issues.find((i) => i.key.toUpperCase() === a.parent!.toUpperCase() || i.id === a.parent);
        if (!parent) throw new ToolError(`Parent issue '${a.parent}' does not exist or you do not have permission to see it.`);
      }
      const created = runV1(
        'createJiraIssue',
        {
          cloudId: a.cloudId,
          projectKey: a.projectKey,
          issueTypeName: a.issueType,
          summary: a.summary,
          description: a.description,
          assignee_account_id: a.assignee_account_id,
        },
        env,
      ) as { id: string; key: string; self: string };
      issueExtras.set(`${r.cloudId}/${created.id}`, {
        ...(a.priority ? { priority: a.priority } : {}),
        ...(a.parent ? { parent: a.parent.toUpperCase() } : {}),
        custom,
      });
      return created;
    },
  }),
  defineTool({
    name: 'addOrEditJiraIssueComment',
    title: 'Add or edit a Jira issue comment',
    description: 'Add a comment to a Jira issue, or edit one of your comments when commentId is given.',
    group: 'write',
    product: 'jira',
    scopes: v1('addCommentToJiraIssue').scopes,
    input: {
      cloudId: cloudIdArg,
      issueIdOrKey: z.string().min(1).describe('Issue id or key, e.g. "PROJ-123"'),
      commentBody: z.string().min(1).describe('Markdown'),
      commentId: z.string().optional().describe('Id of an existing comment to edit; leave out to add a new comment'),
      commentVisibility: z.object({ type: z.enum(['group', 'role']), value: z.string() }).optional(),
      contentFormat: contentFormatArg,
    },
    run(a, env) {
      if (a.commentId === undefined) {
        const { commentId: _none, ...rest } = a;
        return runV1('addCommentToJiraIssue', rest, env);
      }
      const r = jiraSite(env, a.cloudId, true);
      const k = a.issueIdOrKey.trim().toUpperCase();
      const issue = siteData(r.cloudId).jira.issues.find((i) => i.id === k || i.key.toUpperCase() === k);
      if (!issue) throw new ToolError('Issue does not exist or you do not have permission to see it.');
      const c = issue.comments.find((x) => x.id === a.commentId);
      if (!c) throw new ToolError(`Can not find a comment for the id: ${a.commentId}.`);
      const role = world().users[env.principal.email]?.sites[r.cloudId]?.jira;
      if (c.authorAccountId !== env.principal.accountId && role !== 'admin')
        throw new ToolError('You do not have the permission to edit this comment.');
      const body = bodyText(a.commentBody);
      const updated = new Date().toISOString();
      updateWorld((w) => {
        const i = w.data[r.cloudId]!.jira.issues.find((x) => x.id === issue.id)!;
        i.comments.find((x) => x.id === c.id)!.body = body;
      });
      return {
        id: c.id,
        self: `${issueRef(env, r.cloudId, issue.id)}/comment/${c.id}`,
        author: userRef(c.authorAccountId),
        updateAuthor: userRef(env.principal.accountId),
        body: a.contentFormat === 'markdown' ? body : adf(body),
        created: c.created,
        updated,
      };
    },
  }),
  defineTool({
    name: 'deleteJiraIssue',
    title: 'Delete Jira issue',
    description: 'Delete a Jira issue (and its links). Cannot be undone.',
    group: 'write',
    kind: 'destructive',
    permissionGroup: 'delete_jira',
    product: 'jira',
    scopes: v1('createJiraIssue').scopes,
    input: { cloudId: cloudIdArg, issueIdOrKey: z.string().min(1) },
    run(a, env) {
      const r = jiraSite(env, a.cloudId, true);
      const k = a.issueIdOrKey.trim().toUpperCase();
      const issue = siteData(r.cloudId).jira.issues.find((i) => i.id === k || i.key.toUpperCase() === k);
      if (!issue) throw new ToolError('Issue does not exist or you do not have permission to see it.');
      updateWorld((w) => {
        const j = w.data[r.cloudId]!.jira;
        j.issues = j.issues.filter((i) => i.id !== issue.id);
        for (const i of j.issues) i.links = i.links.filter((l) => l.inwardKey !== issue.key && l.outwardKey !== issue.key);
      });
      issueExtras.delete(`${r.cloudId}/${issue.id}`);
      return { deleted: true, id: issue.id, key: issue.key };
    },
  }),
  defineTool({
    name: 'updateJiraProject',
    title: 'Update Jira project',
    description: 'Rename a Jira project (project administration).',
    group: 'write',
    permissionGroup: 'manage_jira',
    product: 'jira',
    scopes: v1('createJiraIssue').scopes,
    input: { cloudId: cloudIdArg, projectIdOrKey: z.string().min(1), name: z.string().min(1) },
    run(a, env) {
      const r = jiraSite(env, a.cloudId, true);
      if (world().users[env.principal.email]?.sites[r.cloudId]?.jira !== 'admin')
        throw new ToolError('You must have global administrator rights or be a project administrator to update this project.');
      const key = a.projectIdOrKey.toUpperCase();
      const p = siteData(r.cloudId).jira.projects.find((x) => x.id === a.projectIdOrKey || x.key.toUpperCase() === key);
      if (!p) throw new ToolError(`No project could be found with key '${a.projectIdOrKey}'.`);
      updateWorld((w) => {
        w.data[r.cloudId]!.jira.projects.find((x) => x.id === p.id)!.name = a.name;
      });
      return { id: p.id, key: p.key, name: a.name, self: `${env.bases.api}/ex/jira/${r.cloudId}/rest/api/3/project/${p.id}` };
    },
  }),
  defineTool({
    name: 'getContentFormatGuide',
    title: 'Content format guide',
    description: 'How to write bodies for Jira and Confluence operations (markdown, adf, html). Takes no cloudId.',
    group: null,
    omitCloudId: true,
    product: 'platform',
    scopes: [],
    input: {},
    run() {
      return {
        formats: {
          markdown: 'Default for v2 bodies (descriptions, comments, page bodies). Headings, lists and paragraphs are kept.',
          adf: 'Atlassian Document Format: a JSON document {"type":"doc","version":1,"content":[…]} sent as a string.',
          html: 'Confluence storage format (XHTML). Accepted by the Confluence content operations.',
        },
        rules: [
          'Responses echo the format they were rendered in (content_format).',
          'Jira priority is a top-level parameter of createJiraIssue; additional_fields is for custom fields only.',
        ],
      };
    },
  }),
];
