/**
 * Jira tools of the v1 catalogue (atlassian-mcp.md §4), answering from the same world data the REST gateway uses
 * (`world().data[cloudId].jira`); write tools mutate it through `updateWorld`. Results are raw Jira REST v3 JSON
 * (§4: getJiraIssue "returns raw Jira REST v3 JSON (`self: https://api.atlassian.com/ex/jira/<cloudId>/…`)" [S56]).
 */
import { z } from 'zod';
import { updateWorld, world } from '../../state.ts';
import type { World } from '../../world.ts';
import { ToolError } from '../texts.ts';
import {
  adf,
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
  userRef,
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

function issueTypeOf(project: Project | undefined, name: string): { id: string; name: string } {
  return project?.issueTypes.find((t) => t.name === name) ?? { id: '10001', name };
}

export function issueJson(
  env: ToolEnv,
  cloudId: string,
  jira: JiraData,
  issue: Issue,
  opts: { fields?: string[]; markdown?: boolean } = {},
): Record<string, unknown> {
  const project = jira.projects.find((p) => p.key === issue.projectKey);
  const text = (s: string) => (opts.markdown ? s : adf(s));
  const all: Record<string, unknown> = {
    summary: issue.summary,
    description: issue.description === '' ? null : text(issue.description),
    issuetype: issueTypeOf(project, issue.issueType),
    status: {
      name: issue.status,
      statusCategory: { key: issue.status === 'Done' ? 'done' : issue.status === 'To Do' ? 'new' : 'indeterminate' },
    },
    project: project ? { id: project.id, key: project.key, name: project.name } : { key: issue.projectKey },
    assignee: userRef(issue.assigneeAccountId),
    reporter: userRef(issue.reporterAccountId),
    comment: {
      comments: issue.comments.map((c) => commentJson(env, cloudId, issue, c, opts.markdown)),
      maxResults: issue.comments.length,
      total: issue.comments.length,
      startAt: 0,
    },
    worklog: {
      worklogs: issue.worklogs.map((w) => worklogJson(env, cloudId, issue, w)),
      total: issue.worklogs.length,
      startAt: 0,
      maxResults: issue.worklogs.length,
    },
    issuelinks: issue.links.map((l) => {
      const type = jira.issueLinkTypes.find((t) => t.name === l.type);
      const other = l.inwardKey === issue.key ? { outwardIssue: { key: l.outwardKey } } : { inwardIssue: { key: l.inwardKey } };
      return { id: l.id, type: type ?? { name: l.type }, ...other };
    }),
  };
  const wanted = opts.fields && opts.fields.length > 0 && !opts.fields.includes('*all') ? opts.fields : undefined;
  const fields = wanted ? Object.fromEntries(Object.entries(all).filter(([k]) => wanted.includes(k))) : all;
  return {
    expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
    id: issue.id,
    self: issueRef(env, cloudId, issue.id),
    key: issue.key,
    fields,
  };
}

function commentJson(
  env: ToolEnv,
  cloudId: string,
  issue: Issue,
  c: Issue['comments'][number],
  markdown?: boolean,
): Record<string, unknown> {
  return {
    id: c.id,
    self: `${issueRef(env, cloudId, issue.id)}/comment/${c.id}`,
    author: userRef(c.authorAccountId),
    body: markdown ? c.body : adf(c.body),
    created: c.created,
    updated: c.created,
  };
}

function worklogJson(env: ToolEnv, cloudId: string, issue: Issue, w: Issue['worklogs'][number]): Record<string, unknown> {
  return {
    id: w.id,
    self: `${issueRef(env, cloudId, issue.id)}/worklog/${w.id}`,
    issueId: issue.id,
    timeSpent: w.timeSpent,
    timeSpentSeconds: seconds(w.timeSpent),
    started: w.started,
  };
}

/** Jira duration "1w 2d 3h 4m" → seconds (Jira's default 5-day week, 8-hour day) */
function seconds(d: string): number {
  const unit: Record<string, number> = { w: 5 * 8 * 3600, d: 8 * 3600, h: 3600, m: 60 };
  let total = 0;
  for (const m of d.matchAll(/(\d+(?:\.\d+)?)\s*([wdhm])/g)) total += Number(m[1]) * (unit[m[2]!] ?? 0);
  return Math.round(total);
}

// ---------- JQL (a small subset: clauses joined by AND, ORDER BY) ----------

type Token = { kind: 'word' | 'string' | 'op' | 'punct'; value: string };

function tokenize(q: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(!=|!~|>=|<=|=|~|>|<)|([(),])|([^\s"'(),=!~<>]+))/y;
  re.lastIndex = 0;
  while (re.lastIndex < q.length) {
    const m = re.exec(q);
    if (!m)
      throw new ToolError(`Error in the JQL Query: unexpected character at position ${re.lastIndex + 1} (query: ${JSON.stringify(q)})`);
    if (m[1] !== undefined) out.push({ kind: 'string', value: m[1].replace(/\\(.)/g, '$1') });
    else if (m[2] !== undefined) out.push({ kind: 'string', value: m[2].replace(/\\(.)/g, '$1') });
    else if (m[3] !== undefined) out.push({ kind: 'op', value: m[3] });
    else if (m[4] !== undefined) out.push({ kind: 'punct', value: m[4] });
    else if (m[5] !== undefined) out.push({ kind: 'word', value: m[5] });
    if (/^\s*$/.test(q.slice(re.lastIndex))) break;
  }
  return out;
}

interface Clause {
  field: string;
  op: string;
  values: string[];
}

const JQL_FIELDS = new Set([
  'project',
  'key',
  'issuekey',
  'id',
  'status',
  'summary',
  'text',
  'description',
  'issuetype',
  'type',
  'assignee',
  'reporter',
]);

/** Parse the JQL subset; errors use Jira's "Error in the JQL Query" wording. */
export function parseJql(jql: string): { clauses: Clause[]; order: Array<{ field: string; desc: boolean }> } {
  const t = tokenize(jql);
  const clauses: Clause[] = [];
  const order: Array<{ field: string; desc: boolean }> = [];
  let i = 0;
  const bad = (msg: string): never => {
    throw new ToolError(`Error in the JQL Query: ${msg} (query: ${JSON.stringify(jql)})`);
  };
  const isWord = (k: number, w: string) => t[k]?.kind === 'word' && t[k]!.value.toLowerCase() === w;
  while (i < t.length) {
    if (isWord(i, 'order') && isWord(i + 1, 'by')) {
      i += 2;
      while (i < t.length) {
        const f = t[i++];
        if (f?.kind !== 'word') bad('Expecting a field name after ORDER BY.');
        let desc = false;
        if (isWord(i, 'desc') || isWord(i, 'asc')) desc = t[i++]!.value.toLowerCase() === 'desc';
        order.push({ field: f!.value.toLowerCase(), desc });
        if (t[i]?.value === ',') i++;
        else break;
      }
      if (i < t.length) bad(`Unexpected ${JSON.stringify(t[i]!.value)} after ORDER BY.`);
      break;
    }
    if (clauses.length > 0) {
      if (isWord(i, 'and')) i++;
      else if (isWord(i, 'or')) bad('The simulator supports only clauses joined by AND.');
      else bad(`Expecting AND or ORDER BY but got ${JSON.stringify(t[i]!.value)}.`);
    }
    const f = t[i++];
    if (f?.kind !== 'word') bad('Expecting a field name.');
    const field = f!.value.toLowerCase();
    if (!JQL_FIELDS.has(field)) bad(`Field '${f!.value}' does not exist or you do not have permission to view it.`);
    let op = t[i]?.value.toLowerCase() ?? '';
    if (isWord(i, 'not') && isWord(i + 1, 'in')) {
      op = 'not in';
      i += 2;
    } else if (t[i]?.kind === 'op' || op === 'in' || op === 'is') i++;
    else bad(`Expecting an operator after '${f!.value}'.`);
    const values: string[] = [];
    if (op === 'in' || op === 'not in') {
      if (t[i]?.value !== '(') bad(`Expecting '(' after ${op.toUpperCase()}.`);
      i++;
      while (i < t.length && t[i]!.value !== ')') {
        if (t[i]!.value !== ',') values.push(t[i]!.value);
        i++;
      }
      if (t[i]?.value !== ')') bad("Expecting ')'.");
      i++;
    } else {
      const v = t[i++];
      if (!v || v.kind === 'op' || v.kind === 'punct') bad(`Expecting a value after '${f!.value} ${op}'.`);
      let value = v!.value;
      if (v!.kind === 'word' && t[i]?.value === '(' && t[i + 1]?.value === ')') {
        value = `${value}()`;
        i += 2;
      }
      values.push(value);
    }
    clauses.push({ field, op, values });
  }
  return { clauses, order };
}

function matches(issue: Issue, c: Clause, me: string): boolean {
  const vals = c.values.map((v) => (v.toLowerCase() === 'currentuser()' ? me : v));
  const get = (): string[] => {
    switch (c.field) {
      case 'project':
        return [issue.projectKey];
      case 'key':
      case 'issuekey':
        return [issue.key];
      case 'id':
        return [issue.id];
      case 'status':
        return [issue.status];
      case 'summary':
        return [issue.summary];
      case 'description':
        return [issue.description];
      case 'text':
        return [issue.summary, issue.description, ...issue.comments.map((x) => x.body)];
      case 'issuetype':
      case 'type':
        return [issue.issueType];
      case 'assignee':
        return [issue.assigneeAccountId ?? 'empty'];
      default:
        return [issue.reporterAccountId ?? 'empty'];
    }
  };
  const have = get().map((x) => x.toLowerCase());
  const want = vals.map((x) => x.toLowerCase());
  switch (c.op) {
    case '=':
    case 'is':
    case 'in':
      return want.some((w) => have.includes(w));
    case '!=':
    case 'not in':
      return !want.some((w) => have.includes(w));
    case '~':
      return want.some((w) => have.some((h) => h.includes(w.replace(/\*/g, ''))));
    case '!~':
      return !want.some((w) => have.some((h) => h.includes(w.replace(/\*/g, ''))));
    default:
      throw new ToolError(`Error in the JQL Query: The operator '${c.op}' is not supported by the simulator for field '${c.field}'.`);
  }
}

export function runJql(jira: JiraData, jql: string, me: string): Issue[] {
  const { clauses, order } = parseJql(jql);
  const out = jira.issues.filter((i) => clauses.every((c) => matches(i, c, me)));
  const num = (i: Issue) => Number(i.id) || 0;
  const keyNum = (i: Issue) => Number(i.key.split('-')[1]) || 0;
  out.sort((a, b) => {
    for (const o of order) {
      const d =
        o.field === 'key'
          ? a.projectKey.localeCompare(b.projectKey) || keyNum(a) - keyNum(b)
          : o.field === 'summary'
            ? a.summary.localeCompare(b.summary)
            : num(a) - num(b);
      if (d !== 0) return o.desc ? -d : d;
    }
    return num(b) - num(a);
  });
  return out;
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
      return issueJson(env, cloudId, jira, findIssue(jira, a.issueIdOrKey), {
        fields: a.fields,
        markdown: a.responseContentFormat === 'markdown',
      });
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
      return {
        issues: page.map((i) =>
          issueJson(env, cloudId, jira, i, {
            fields: a.fields ?? ['summary', 'status', 'issuetype', 'project', 'assignee', 'description'],
            markdown: a.responseContentFormat === 'markdown',
          }),
        ),
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
      const values = all.slice(startAt, startAt + maxResults).map((p) => ({
        id: p.id,
        key: p.key,
        name: p.name,
        self: `${env.bases.api}/ex/jira/${cloudId}/rest/api/3/project/${p.id}`,
        projectTypeKey: 'software',
        ...(a.expandIssueTypes ? { issueTypes: p.issueTypes.map((t) => ({ ...t, subtask: false })) } : {}),
      }));
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
      const { jira } = jiraOf(env, a.cloudId);
      const issue = findIssue(jira, a.issueIdOrKey);
      const p = jira.projects.find((x) => x.key === issue.projectKey);
      const ts = (p?.transitions ?? []).filter((t) => !a.transitionId || t.id === a.transitionId);
      return {
        expand: 'transitions',
        transitions: ts.map((t) => ({
          id: t.id,
          name: t.name,
          to: { name: t.to },
          hasScreen: false,
          isGlobal: true,
          isInitial: false,
          isAvailable: true,
          isConditional: false,
        })),
      };
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
      return {
        issueLinkTypes: jira.issueLinkTypes.map((t) => ({
          ...t,
          self: `${env.bases.api}/ex/jira/${cloudId}/rest/api/3/issueLinkType/${t.id}`,
        })),
      };
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
      let created: Issue | undefined;
      mutateJira(cloudId, (j) => {
        const id = nextId(j.issues.map((i) => i.id));
        const n = Number(
          nextId(
            j.issues.filter((i) => i.projectKey === p.key).map((i) => i.key.split('-')[1] ?? '0'),
            0,
          ),
        );
        created = {
          id,
          key: `${p.key}-${n}`,
          projectKey: p.key,
          summary: a.summary,
          description: a.description ? bodyText(a.description) : '',
          issueType: a.issueTypeName,
          status: transition?.to ?? 'To Do',
          assigneeAccountId: a.assignee_account_id ?? null,
          reporterAccountId: env.principal.accountId,
          comments: [],
          worklogs: [],
          links: [],
          remoteLinks: [],
        };
        j.issues.push(created);
      });
      const issue = created!;
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
      return issueJson(env, cloudId, siteData(cloudId).jira, findIssue(siteData(cloudId).jira, issue.id));
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
      const comment = {
        id: nextId(jira.issues.flatMap((i) => i.comments.map((c) => c.id))),
        authorAccountId: env.principal.accountId,
        body: bodyText(a.commentBody),
        created: new Date().toISOString(),
      };
      mutateJira(cloudId, (j) => {
        j.issues.find((x) => x.id === issue.id)!.comments.push(comment);
      });
      return commentJson(env, cloudId, issue, comment);
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
      if (seconds(a.timeSpent) <= 0)
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
      return worklogJson(env, cloudId, issue, wl);
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
