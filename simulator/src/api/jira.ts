/**
 * Jira platform REST v3 and Jira Software Agile 1.0 through the gateway: `/ex/jira/{cloudId}/rest/…`
 * (atlassian-oauth.md §4 routing, §6 probe table). One handler per endpoint; the gateway checks (gate.ts) run first.
 *
 * Write endpoints validate the body before touching data: with the scope and an invalid body they answer Jira's
 * 400 ErrorCollection and change nothing (the harness's safe write probes, simulator/docs/rest.md). A valid body
 * really creates/updates in the simulator's world (undone by POST /__admin/reset).
 */
import { z } from 'zod';
import type { Router } from '../http.ts';
import { JqlError, searchIssues } from '../query/jql.ts';
import { adfToText } from '../render/adf.ts';
import { type JiraIssue, JiraRender } from '../render/jira.ts';
import { updateWorld, world } from '../state/world.ts';
import { addComment, createIssue } from '../write/jira.ts';
import { fieldErrors, readJson, validate, validateQuery } from './body.ts';
import { invalidBody, notFound } from './errors.ts';
import { type ProductCall, productEndpoint } from './gate.ts';

const shapes = (call: ProductCall) => new JiraRender(call.ctx.bases.api, call.site.cloudId, call.site.data);

/** Jira's 400 for a body/query that fails validation: `{"errorMessages":[],"errors":{field: message}}`. */
const jiraInvalid =
  (messages: Record<string, string> = {}) =>
  (issues: z.core.$ZodIssue[]) => {
    const fields = fieldErrors(issues, messages);
    if (Object.keys(fields).length === 1 && fields['body'] !== undefined) return invalidBody(fields['body']);
    return invalidBody('', fields);
  };

const Paging = z.object({
  startAt: z.coerce.number().int().nonnegative().default(0),
  maxResults: z.coerce.number().int().positive().max(1000).default(50),
});

function page<T>(items: T[], startAt: number, maxResults: number) {
  const values = items.slice(startAt, startAt + maxResults);
  return { startAt, maxResults, total: items.length, isLast: startAt + values.length >= items.length, values };
}

const PRIORITIES = [
  { name: 'Highest', color: '#d04437' },
  { name: 'High', color: '#f15C75' },
  { name: 'Medium', color: '#f79232' },
  { name: 'Low', color: '#707070' },
  { name: 'Lowest', color: '#999999' },
] as const;

function priority(root: string, p: (typeof PRIORITIES)[number], i: number) {
  return {
    self: `${root}/rest/api/3/priority/${i + 1}`,
    statusColor: p.color,
    description: `${p.name} priority`,
    iconUrl: `${root}/images/icons/priorities/${p.name.toLowerCase()}.svg`,
    name: p.name,
    id: String(i + 1),
  };
}

const ISSUE_NOT_FOUND = 'Issue does not exist or you do not have permission to see it.';

function findIssue(call: ProductCall, idOrKey: string): JiraIssue {
  const i = call.site.data.jira.issues.find((x) => x.key.toUpperCase() === idOrKey.toUpperCase() || x.id === idOrKey);
  if (!i) throw notFound(ISSUE_NOT_FOUND);
  return i;
}

function siteData(w: ReturnType<typeof world>, cloudId: string) {
  const d = w.data[cloudId];
  if (!d) throw new Error(`world has no product data for ${cloudId}`);
  return d;
}

export function registerJira(router: Router): void {
  // §6 read:jira-user probe
  productEndpoint(router, 'jiraMyself', (call) => {
    const s = shapes(call);
    const u = s.user(call.principal.user.accountId, true)!;
    const admin = call.site.membership.jira === 'admin';
    call.ctx.json(200, {
      ...u,
      groups: { size: admin ? 2 : 1, items: [] },
      applicationRoles: { size: 1, items: [] },
      expand: 'groups,applicationRoles',
    });
  });

  productEndpoint(router, 'jiraConfiguration', ({ ctx }) => {
    ctx.json(200, {
      votingEnabled: true,
      watchingEnabled: true,
      unassignedIssuesAllowed: true,
      subTasksEnabled: true,
      issueLinkingEnabled: true,
      timeTrackingEnabled: true,
      attachmentsEnabled: true,
      timeTrackingConfiguration: { workingHoursPerDay: 8, workingDaysPerWeek: 5, timeFormat: 'pretty', defaultUnit: 'minute' },
    });
  });

  productEndpoint(router, 'jiraUsersSearch', (call) => {
    const q = validateQuery(call.ctx, Paging, jiraInvalid());
    const s = shapes(call);
    const members = Object.values(world().users).filter((u) => u.sites[call.site.cloudId] !== undefined);
    call.ctx.json(
      200,
      members.slice(q.startAt, q.startAt + q.maxResults).map((u) => s.user(u.accountId)),
    );
  });

  productEndpoint(router, 'jiraUserPicker', (call) => {
    const q = validateQuery(
      call.ctx,
      z.object({ query: z.string().min(1), maxResults: z.coerce.number().int().positive().default(50) }),
      jiraInvalid({ query: "The 'query' parameter is required." }),
    );
    const s = shapes(call);
    const needle = q.query.toLowerCase();
    const hits = Object.entries(world().users).filter(
      ([email, u]) =>
        u.sites[call.site.cloudId] !== undefined && (u.name.toLowerCase().includes(needle) || email.toLowerCase().startsWith(needle)),
    );
    call.ctx.json(200, {
      users: hits.slice(0, q.maxResults).map(([, u]) => ({
        accountId: u.accountId,
        accountType: 'atlassian',
        html: u.name,
        displayName: u.name,
        avatarUrl: s.avatarUrls(u.accountId)['48x48'],
      })),
      total: hits.length,
      header: `Showing ${Math.min(hits.length, q.maxResults)} of ${hits.length} matching users`,
    });
  });

  // GET /user/search: users of the site whose name or email matches `query`, or the one `accountId`
  productEndpoint(router, 'jiraUserSearch', (call) => {
    const q = validateQuery(call.ctx, Paging.extend({ query: z.string().optional(), accountId: z.string().optional() }), jiraInvalid());
    if (q.query === undefined && q.accountId === undefined) throw invalidBody("The query parameter 'query' or 'accountId' is required.");
    const s = shapes(call);
    const needle = q.query?.toLowerCase();
    const hits = Object.entries(world().users).filter(
      ([email, u]) =>
        u.sites[call.site.cloudId] !== undefined &&
        (q.accountId === undefined || u.accountId === q.accountId) &&
        (needle === undefined || u.name.toLowerCase().includes(needle) || email.toLowerCase().startsWith(needle)),
    );
    call.ctx.json(
      200,
      hits.slice(q.startAt, q.startAt + q.maxResults).map(([, u]) => s.user(u.accountId)),
    );
  });

  // GET /serverInfo: the site's Jira Cloud build (anonymous on the site itself; via the gateway it needs a scope)
  productEndpoint(router, 'jiraServerInfo', (call) => {
    call.ctx.json(200, {
      baseUrl: call.site.site.url,
      displayUrl: call.site.site.url,
      version: '1001.0.0-SNAPSHOT',
      versionNumbers: [1001, 0, 0],
      deploymentType: 'Cloud',
      buildNumber: 100300,
      buildDate: '2025-01-06T00:00:00.000+0000',
      serverTime: new Date().toISOString().replace('Z', '+0000'),
      scmInfo: 'sim0000000000000000000000000000000000000',
      serverTitle: 'Jira',
      defaultLocale: { locale: 'en_US' },
      serverTimeZone: 'Etc/UTC',
    });
  });

  // §6 read:jira-work probe
  productEndpoint(router, 'jiraProjectSearch', (call) => {
    const q = validateQuery(call.ctx, Paging.extend({ query: z.string().optional() }), jiraInvalid());
    const s = shapes(call);
    const needle = q.query?.toLowerCase();
    const projects = call.site.data.jira.projects.filter(
      (p) => !needle || p.key.toLowerCase().includes(needle) || p.name.toLowerCase().includes(needle),
    );
    const body = page(
      projects.map((p) => s.project(p)),
      q.startAt,
      q.maxResults,
    );
    const next = body.isLast
      ? {}
      : { nextPage: `${s.root}/rest/api/3/project/search?startAt=${q.startAt + q.maxResults}&maxResults=${q.maxResults}` };
    call.ctx.json(200, { self: `${s.root}/rest/api/3/project/search?startAt=${q.startAt}&maxResults=${q.maxResults}`, ...next, ...body });
  });

  productEndpoint(router, 'jiraPriority', (call) => {
    const root = shapes(call).root;
    call.ctx.json(
      200,
      PRIORITIES.map((p, i) => priority(root, p, i)),
    );
  });

  // GET /priority/search: the same priorities as a page (PagePriority), filterable by id and name
  productEndpoint(router, 'jiraPrioritySearch', (call) => {
    const q = validateQuery(call.ctx, Paging.extend({ id: z.string().optional(), priorityName: z.string().optional() }), jiraInvalid());
    const root = shapes(call).root;
    const all = PRIORITIES.map((p, i) => ({ ...priority(root, p, i), isDefault: p.name === 'Medium' }))
      .filter((p) => q.id === undefined || q.id.split(',').includes(p.id))
      .filter((p) => q.priorityName === undefined || p.name.toLowerCase().includes(q.priorityName.toLowerCase()));
    const body = page(all, q.startAt, q.maxResults);
    call.ctx.json(200, {
      self: `${root}/rest/api/3/priority/search?startAt=${q.startAt}&maxResults=${q.maxResults}`,
      ...(body.isLast
        ? {}
        : { nextPage: `${root}/rest/api/3/priority/search?startAt=${q.startAt + q.maxResults}&maxResults=${q.maxResults}` }),
      ...body,
    });
  });

  productEndpoint(router, 'jiraStatus', (call) => {
    call.ctx.json(200, shapes(call).statuses());
  });

  productEndpoint(router, 'jiraField', ({ ctx }) => {
    const sys = (id: string, name: string, type: string, extra: Record<string, unknown> = {}) => ({
      id,
      key: id,
      name,
      custom: false,
      orderable: true,
      navigable: true,
      searchable: true,
      clauseNames: [id],
      schema: { type, system: id, ...extra },
    });
    ctx.json(200, [
      sys('summary', 'Summary', 'string'),
      sys('description', 'Description', 'string'),
      sys('status', 'Status', 'status'),
      sys('issuetype', 'Issue Type', 'issuetype'),
      sys('project', 'Project', 'project'),
      sys('assignee', 'Assignee', 'user'),
      sys('reporter', 'Reporter', 'user'),
      sys('priority', 'Priority', 'priority'),
      sys('labels', 'Labels', 'array', { items: 'string' }),
      sys('comment', 'Comment', 'comments-page'),
    ]);
  });

  // §6 read:jira-work "or /search/jql" (GET and POST share one implementation)
  const SearchQuery = z.object({
    jql: z.string().default(''),
    maxResults: z.coerce.number().int().positive().max(5000).default(50),
    nextPageToken: z.string().optional(),
    fields: z.union([z.string(), z.array(z.string())]).optional(),
  });
  const search = (call: ProductCall, q: z.infer<typeof SearchQuery>) => {
    let hits: JiraIssue[];
    try {
      hits = searchIssues(call.site.data.jira.issues, q.jql, call.principal.user.accountId);
    } catch (e) {
      if (e instanceof JqlError) throw invalidBody(e.message);
      throw e;
    }
    const start = q.nextPageToken ? Number(Buffer.from(q.nextPageToken, 'base64url').toString('utf8')) : 0;
    if (!Number.isInteger(start) || start < 0) throw invalidBody('The provided next page token is invalid or expired.');
    // without `fields` real /search/jql returns ids only
    const requested = (Array.isArray(q.fields) ? q.fields : (q.fields ?? 'id').split(',')).map((f) => f.trim()).filter((f) => f !== '');
    const s = shapes(call);
    const slice = hits.slice(start, start + q.maxResults);
    const isLast = start + slice.length >= hits.length;
    call.ctx.json(200, {
      issues: slice.map((i) => s.issue(i, requested)),
      isLast,
      ...(isLast ? {} : { nextPageToken: Buffer.from(String(start + slice.length)).toString('base64url') }),
    });
  };
  productEndpoint(router, 'jiraSearchJql', (call) => search(call, validateQuery(call.ctx, SearchQuery, jiraInvalid())));
  productEndpoint(router, 'jiraSearchJqlPost', async (call) =>
    search(call, validate(SearchQuery, (await readJson(call.ctx)) ?? {}, jiraInvalid())),
  );

  // §6 read:issue:jira bundle / read:jira-work
  productEndpoint(router, 'jiraIssue', (call) => {
    const i = findIssue(call, call.ctx.params['issueIdOrKey'] ?? '');
    const fields = call.ctx.query.get('fields');
    call.ctx.json(200, shapes(call).issue(i, fields ? fields.split(',').map((f) => f.trim()) : undefined));
  });

  // GET /issue/{key}/transitions: the project workflow's transitions (`transitionId` narrows to one)
  productEndpoint(router, 'jiraIssueTransitions', (call) => {
    const i = findIssue(call, call.ctx.params['issueIdOrKey'] ?? '');
    const q = validateQuery(call.ctx, z.object({ transitionId: z.string().optional(), expand: z.string().optional() }), jiraInvalid());
    const p = call.site.data.jira.projects.find((x) => x.key === i.projectKey);
    const s = shapes(call);
    const ts = (p?.transitions ?? []).filter((t) => q.transitionId === undefined || t.id === q.transitionId);
    call.ctx.json(200, { expand: 'transitions', transitions: ts.map((t) => s.transition(t)) });
  });

  // GET /issue/{key}/comment: PageOfComments, oldest first (`orderBy=-created` reverses)
  productEndpoint(router, 'jiraIssueComments', (call) => {
    const i = findIssue(call, call.ctx.params['issueIdOrKey'] ?? '');
    const q = validateQuery(
      call.ctx,
      Paging.extend({ maxResults: z.coerce.number().int().positive().max(5000).default(5000), orderBy: z.string().optional() }),
      jiraInvalid(),
    );
    const s = shapes(call);
    const all = i.comments.map((c) => s.comment(c, i.id));
    if (q.orderBy === '-created') all.reverse();
    call.ctx.json(200, {
      startAt: q.startAt,
      maxResults: q.maxResults,
      total: all.length,
      comments: all.slice(q.startAt, q.startAt + q.maxResults),
    });
  });

  // GET /issueLinkType: every link type of the site
  productEndpoint(router, 'jiraIssueLinkTypes', (call) => {
    const s = shapes(call);
    call.ctx.json(200, { issueLinkTypes: call.site.data.jira.issueLinkTypes.map((t) => s.issueLinkType(t.name)) });
  });

  // §6 read:project:jira: "only GET needing it alone"
  productEndpoint(router, 'jiraProjectValidateKey', (call) => {
    const q = validateQuery(call.ctx, z.object({ key: z.string().default('') }), jiraInvalid());
    const errors: Record<string, string> = {};
    const taken = call.site.data.jira.projects.find((p) => p.key.toUpperCase() === q.key.toUpperCase());
    if (q.key === '') errors['projectKey'] = 'You must specify a unique project key, at least 2 characters long.';
    else if (!/^[A-Z][A-Z0-9]{1,9}$/.test(q.key))
      errors['projectKey'] = 'Project keys must start with an uppercase letter, followed by one or more uppercase alphanumeric characters.';
    else if (taken) errors['projectKey'] = `Project '${taken.name}' uses this project key.`;
    // real Jira answers 200 with the ErrorCollection either way
    call.ctx.json(200, { errorMessages: [], errors });
  });

  // §6 manage:jira-project probe
  productEndpoint(router, 'jiraProjectEmail', (call) => {
    const id = call.ctx.params['projectId'] ?? '';
    const p = call.site.data.jira.projects.find((x) => x.id === id || x.key === id);
    if (!p) throw notFound(`No project could be found with id '${id}'.`);
    const host = new URL(call.site.site.url).host;
    call.ctx.json(200, { emailAddress: `jira@${host}`, emailAddressStatus: [] });
  });

  // §6 manage:jira-configuration probe (admin)
  productEndpoint(router, 'jiraAdvancedSettings', ({ ctx }) => {
    const prop = (key: string, name: string, value: string, type = 'string') => ({
      id: key,
      key,
      value,
      name,
      desc: name,
      type,
      defaultValue: value,
    });
    ctx.json(200, [
      prop('jira.clone.prefix', 'The prefix added to the Summary field of cloned issues', 'CLONE -'),
      prop('jira.date.picker.java.format', 'Date picker Java format', 'd/MMM/yy'),
      prop('jira.projectkey.pattern', 'Project key pattern', '([A-Z][A-Z]+)'),
      prop('jira.table.cols.subtasks', 'Sub-task table columns', 'issuetype, status, assignee, progress'),
    ]);
  });

  productEndpoint(router, 'jiraApplicationRole', ({ ctx }) => {
    ctx.json(200, [
      {
        key: 'jira-software',
        groups: ['jira-software-users'],
        name: 'Jira Software',
        defaultGroups: ['jira-software-users'],
        selectedByDefault: false,
        defined: true,
        numberOfSeats: 10,
        remainingSeats: 5,
        userCount: 5,
        userCountDescription: 'users',
        hasUnlimitedSeats: false,
        platform: false,
      },
    ]);
  });

  // §6 manage:jira-webhook probe (dynamic webhooks registered by this app)
  productEndpoint(router, 'jiraWebhooks', (call) => {
    const q = validateQuery(
      call.ctx,
      Paging.extend({ maxResults: z.coerce.number().int().positive().max(100).default(100) }),
      jiraInvalid(),
    );
    const hooks = call.site.data.jira.webhooks.map((h) => ({
      id: h.id,
      jqlFilter: 'project = DEMO',
      events: h.events,
      expirationDate: '2099-01-01T00:00:00.000+0000',
      url: h.url,
    }));
    call.ctx.json(200, page(hooks, q.startAt, q.maxResults));
  });

  registerJiraWrites(router);
  registerAgile(router);
}

// ── writes (safe probes with an invalid body) ───────────────────────────────────────────────────────────────────
const Ref = z
  .object({ id: z.string().optional(), key: z.string().optional(), name: z.string().optional() })
  .refine((r) => r.id || r.key || r.name, 'missing id');
const CreateIssueBody = z.object({
  fields: z.preprocess(
    (v) => v ?? {},
    z.looseObject({
      project: Ref,
      summary: z.string().trim().min(1),
      issuetype: Ref,
      description: z.unknown().optional(),
    }),
  ),
});
const CREATE_MESSAGES = {
  project: 'Specify a valid project ID or key',
  summary: 'You must specify a summary of the issue.',
  issuetype: 'Specify an issue type',
};

const EDITABLE = new Set(['summary', 'description', 'labels', 'priority', 'assignee']);
const EditIssueBody = z
  .object({
    fields: z.record(z.string(), z.unknown()).optional(),
    update: z.record(z.string(), z.array(z.unknown())).optional(),
  })
  .superRefine((b, ctx) => {
    if (!b.fields && !b.update) ctx.addIssue({ code: 'custom', path: [], message: 'No fields or update operations were provided.' });
    for (const [k, v] of Object.entries(b.fields ?? {})) {
      if (!EDITABLE.has(k))
        ctx.addIssue({
          code: 'custom',
          path: ['fields', k],
          message: `Field '${k}' cannot be set. It is not on the appropriate screen, or unknown.`,
        });
      else if (k === 'summary' && (typeof v !== 'string' || v.trim() === ''))
        ctx.addIssue({ code: 'custom', path: ['fields', k], message: 'You must specify a summary of the issue.' });
    }
    for (const k of Object.keys(b.update ?? {})) {
      if (!EDITABLE.has(k))
        ctx.addIssue({
          code: 'custom',
          path: ['update', k],
          message: `Field '${k}' cannot be set. It is not on the appropriate screen, or unknown.`,
        });
    }
  });

const AdfDoc = z.looseObject({ type: z.literal('doc'), version: z.literal(1), content: z.array(z.unknown()).min(1) });
const CommentBody = z.looseObject({ body: AdfDoc });

function requireObject(input: unknown): void {
  if (input === undefined || input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalidBody('Invalid request payload. Refer to the REST API documentation and try again.');
  }
}

function registerJiraWrites(router: Router): void {
  // POST /rest/api/3/issue — write:jira-work. Invalid body → 400 {"errorMessages":[],"errors":{"project":…,"summary":…}}
  productEndpoint(router, 'jiraCreateIssue', async (call) => {
    const input = await readJson(call.ctx);
    requireObject(input);
    const b = validate(CreateIssueBody, input, jiraInvalid(CREATE_MESSAGES));
    const f = b.fields;
    const project = call.site.data.jira.projects.find((p) => p.key === f.project.key || p.id === f.project.id);
    if (!project) throw invalidBody('', { project: CREATE_MESSAGES.project });
    const typeName = f.issuetype.name ?? project.issueTypes.find((t) => t.id === f.issuetype.id)?.name;
    if (!typeName || (project.issueTypes.length > 0 && !project.issueTypes.some((t) => t.name === typeName)))
      throw invalidBody('', { issuetype: 'The issue type selected is invalid.' });
    const i = createIssue(
      call.site.cloudId,
      {
        projectKey: project.key,
        summary: f.summary,
        description: f.description === undefined ? '' : typeof f.description === 'string' ? f.description : adfToText(f.description),
        issueType: typeName,
        status: 'To Do',
        assigneeAccountId: null,
        reporterAccountId: call.principal.user.accountId,
      },
      () => notFound('No product data for this site'),
    );
    call.ctx.json(201, { id: i.id, key: i.key, self: `${shapes(call).root}/rest/api/3/issue/${i.id}` });
  });

  // PUT /rest/api/3/issue/{key} — write:jira-work. Unknown issue → 404; invalid body → 400; valid → 204.
  productEndpoint(router, 'jiraEditIssue', async (call) => {
    const issue = findIssue(call, call.ctx.params['issueIdOrKey'] ?? '');
    const input = await readJson(call.ctx);
    requireObject(input);
    const b = validate(EditIssueBody, input, jiraInvalid());
    const cloudId = call.site.cloudId;
    updateWorld((w) => {
      const i = siteData(w, cloudId).jira.issues.find((x) => x.id === issue.id);
      if (!i) return;
      const summary = b.fields?.['summary'];
      if (typeof summary === 'string') i.summary = summary;
      const description = b.fields?.['description'];
      if (description !== undefined) i.description = typeof description === 'string' ? description : adfToText(description);
    });
    call.ctx.res.writeHead(204, { 'cache-control': 'no-store' });
    call.ctx.res.end();
  });

  // POST /rest/api/3/issue/{key}/comment — write:jira-work. Body must be an ADF doc (REST v3).
  productEndpoint(router, 'jiraAddComment', async (call) => {
    const issue = findIssue(call, call.ctx.params['issueIdOrKey'] ?? '');
    const input = await readJson(call.ctx);
    requireObject(input);
    const b = validate(CommentBody, input, () => invalidBody('', { comment: 'Comment body can not be empty!' }));
    const text = adfToText(b.body);
    if (text.trim() === '') throw invalidBody('', { comment: 'Comment body can not be empty!' });
    const made = addComment(call.site.cloudId, issue.id, call.principal.user.accountId, text, () => notFound(ISSUE_NOT_FOUND));
    call.ctx.json(201, shapes(call).comment(made, issue.id));
  });
}

// ── Jira Software /rest/agile/1.0 ───────────────────────────────────────────────────────────────────────────────
function registerAgile(router: Router): void {
  // §6 read:board-scope:jira-software; §5 row 2: classic scopes alone → 401 scope mismatch (scopes.ts)
  productEndpoint(router, 'agileBoards', (call) => {
    const q = validateQuery(call.ctx, Paging.extend({ projectKeyOrId: z.string().optional(), name: z.string().optional() }), jiraInvalid());
    const s = shapes(call);
    const boards = call.site.data.jira.projects
      .filter((p) => p.boardId !== undefined)
      .filter((p) => !q.projectKeyOrId || p.key === q.projectKeyOrId || p.id === q.projectKeyOrId)
      .filter((p) => !q.name || `${p.key} board`.toLowerCase().includes(q.name.toLowerCase()))
      .map((p) => s.board(p));
    call.ctx.json(200, page(boards, q.startAt, q.maxResults));
  });
}
