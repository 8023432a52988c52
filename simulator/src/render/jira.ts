/**
 * Jira REST v3 / Agile 1.0 JSON of the world's product data — the one serializer per object for the REST gateway and
 * the MCP Jira tools (an MCP getJiraIssue "returns raw Jira REST v3 JSON", docs/reference/atlassian-mcp.md §4).
 * Realistic subsets of the fields real Jira Cloud returns; field names follow the Jira platform OpenAPI document
 * (docs/reference/atlassian-oauth.md [33]). `self` links point at the gateway (`<api>/ex/jira/<cloudId>`), as real
 * responses via api.atlassian.com do.
 */
import { world } from '../state/world.ts';
import type { SiteData, User } from '../world.ts';
import { adf } from './adf.ts';
import { userAvatar } from './user.ts';

export type JiraIssue = SiteData['jira']['issues'][number];
export type JiraProject = SiteData['jira']['projects'][number];
export type JiraComment = JiraIssue['comments'][number];
export type JiraWorklog = JiraIssue['worklogs'][number];

/** Fixed timestamps: the world has none, and stable values keep responses diffable. */
export const CREATED = '2025-01-06T09:00:00.000+0000';

/** `fields=` of a request: undefined, `*all` or `*navigable` = every field; an empty list = none. */
export type FieldSelection = readonly string[] | undefined;

function wants(sel: FieldSelection): (name: string) => boolean {
  if (!sel || sel.includes('*all') || sel.includes('*navigable')) return () => true;
  return (name) => sel.includes(name);
}

/** Jira duration "1w 2d 3h 4m" → seconds (Jira's default 5-day week, 8-hour day). */
export function durationSeconds(d: string): number {
  const unit: Record<string, number> = { w: 5 * 8 * 3600, d: 8 * 3600, h: 3600, m: 60 };
  let total = 0;
  for (const m of d.matchAll(/(\d+(?:\.\d+)?)\s*([wdhm])/g)) total += Number(m[1]) * (unit[m[2]!] ?? 0);
  return Math.round(total);
}

export class JiraRender {
  constructor(
    /** the gateway's public base URL (`https://api.atlassian.com` or the loopback port) */
    readonly base: string,
    readonly cloudId: string,
    readonly data: SiteData,
    /** rich text as plain text instead of ADF (MCP `responseContentFormat: "markdown"`) */
    readonly markdown = false,
  ) {}

  get root(): string {
    return `${this.base}/ex/jira/${this.cloudId}`;
  }

  private rich(text: string): unknown {
    return this.markdown ? text : adf(text);
  }

  avatarUrls(seed: string): Record<string, string> {
    const u = userAvatar(seed);
    return { '48x48': u, '24x24': u, '16x16': u, '32x32': u };
  }

  user(accountId: string | null, withEmail = false): Record<string, unknown> | null {
    if (accountId === null) return null;
    const found = Object.entries(world().users).find(([, u]) => u.accountId === accountId);
    const u: User | undefined = found?.[1];
    return {
      self: `${this.root}/rest/api/3/user?accountId=${encodeURIComponent(accountId)}`,
      accountId,
      accountType: u?.serviceAccount ? 'app' : 'atlassian',
      ...(withEmail && found ? { emailAddress: found[0] } : {}),
      avatarUrls: this.avatarUrls(accountId),
      displayName: u?.name ?? 'Former user',
      active: u?.status === 'active',
      timeZone: u?.zoneinfo ?? 'Etc/UTC',
      locale: u?.locale ?? 'en_US',
    };
  }

  /** Statuses used anywhere on the site (issues and transitions), with stable ids. */
  statuses(): Array<Record<string, unknown>> {
    const names = new Set<string>();
    for (const i of this.data.jira.issues) names.add(i.status);
    for (const p of this.data.jira.projects) for (const t of p.transitions) names.add(t.to);
    return [...names].sort().map((name) => this.status(name));
  }

  status(name: string): Record<string, unknown> {
    const id = String(10000 + stableIndex(name));
    const cat = statusCategory(name);
    return {
      self: `${this.root}/rest/api/3/status/${id}`,
      description: '',
      iconUrl: `${this.root}/images/icons/statuses/generic.png`,
      name,
      untranslatedName: name,
      id,
      statusCategory: { self: `${this.root}/rest/api/3/statuscategory/${cat.id}`, ...cat },
    };
  }

  project(p: JiraProject, opts: { issueTypes?: boolean } = {}): Record<string, unknown> {
    return {
      expand: 'description,lead,issueTypes,url,projectKeys,permissions,insight',
      self: `${this.root}/rest/api/3/project/${p.id}`,
      id: p.id,
      key: p.key,
      name: p.name,
      avatarUrls: this.avatarUrls(`project-${p.id}`),
      projectTypeKey: 'software',
      simplified: false,
      style: 'classic',
      isPrivate: false,
      properties: {},
      ...(opts.issueTypes ? { issueTypes: p.issueTypes.map((t) => this.issueType(p, t.name)) } : {}),
    };
  }

  issueType(p: JiraProject | undefined, name: string): Record<string, unknown> {
    const t = p?.issueTypes.find((x) => x.name === name);
    const id = t?.id ?? String(10000 + stableIndex(name));
    return {
      self: `${this.root}/rest/api/3/issuetype/${id}`,
      id,
      description: '',
      iconUrl: `${this.root}/images/icons/issuetypes/task.svg`,
      name,
      subtask: false,
      hierarchyLevel: 0,
    };
  }

  issueSelf(issueId: string): string {
    return `${this.root}/rest/api/3/issue/${issueId}`;
  }

  comment(c: JiraComment, issueId: string): Record<string, unknown> {
    return {
      self: `${this.issueSelf(issueId)}/comment/${c.id}`,
      id: c.id,
      author: this.user(c.authorAccountId),
      body: this.rich(c.body),
      updateAuthor: this.user(c.authorAccountId),
      created: c.created,
      updated: c.created,
      jsdPublic: true,
    };
  }

  worklog(w: JiraWorklog, issueId: string): Record<string, unknown> {
    return {
      self: `${this.issueSelf(issueId)}/worklog/${w.id}`,
      id: w.id,
      issueId,
      timeSpent: w.timeSpent,
      timeSpentSeconds: durationSeconds(w.timeSpent),
      started: w.started,
    };
  }

  issueLinkType(name: string): Record<string, unknown> {
    const t = this.data.jira.issueLinkTypes.find((x) => x.name === name);
    if (!t) return { name };
    return { ...t, self: `${this.root}/rest/api/3/issueLinkType/${t.id}` };
  }

  /** A link as seen from `issue`: the other issue is `outwardIssue` when `issue` is the inward end, else `inwardIssue`. */
  issueLink(l: JiraIssue['links'][number], issue: JiraIssue): Record<string, unknown> {
    const other = l.inwardKey === issue.key ? { outwardIssue: { key: l.outwardKey } } : { inwardIssue: { key: l.inwardKey } };
    return { id: l.id, type: this.issueLinkType(l.type), ...other };
  }

  transition(t: JiraProject['transitions'][number]): Record<string, unknown> {
    return {
      id: t.id,
      name: t.name,
      to: this.status(t.to),
      hasScreen: false,
      isGlobal: true,
      isInitial: false,
      isAvailable: true,
      isConditional: false,
    };
  }

  /** Every field of an issue (`issue()` filters by `fields=`). */
  issueFields(i: JiraIssue): Record<string, unknown> {
    const p = this.data.jira.projects.find((x) => x.key === i.projectKey);
    return {
      summary: i.summary,
      description: i.description === '' ? null : this.rich(i.description),
      status: this.status(i.status),
      issuetype: this.issueType(p, i.issueType),
      project: p
        ? {
            self: `${this.root}/rest/api/3/project/${p.id}`,
            id: p.id,
            key: p.key,
            name: p.name,
            projectTypeKey: 'software',
            simplified: false,
            avatarUrls: this.avatarUrls(`project-${p.id}`),
          }
        : { key: i.projectKey },
      assignee: this.user(i.assigneeAccountId),
      reporter: this.user(i.reporterAccountId),
      creator: this.user(i.reporterAccountId),
      priority: {
        self: `${this.root}/rest/api/3/priority/3`,
        iconUrl: `${this.root}/images/icons/priorities/medium.svg`,
        name: 'Medium',
        id: '3',
      },
      labels: [],
      created: CREATED,
      updated: CREATED,
      comment: {
        comments: i.comments.map((c) => this.comment(c, i.id)),
        self: `${this.issueSelf(i.id)}/comment`,
        maxResults: i.comments.length,
        total: i.comments.length,
        startAt: 0,
      },
      worklog: {
        startAt: 0,
        maxResults: 20,
        total: i.worklogs.length,
        worklogs: i.worklogs.map((w) => this.worklog(w, i.id)),
      },
      issuelinks: i.links.map((l) => this.issueLink(l, i)),
    };
  }

  issue(i: JiraIssue, fields?: FieldSelection): Record<string, unknown> {
    const want = wants(fields);
    const picked = Object.fromEntries(Object.entries(this.issueFields(i)).filter(([k]) => want(k)));
    return {
      expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
      id: i.id,
      self: this.issueSelf(i.id),
      key: i.key,
      fields: picked,
    };
  }

  board(p: JiraProject): Record<string, unknown> {
    return {
      id: p.boardId,
      self: `${this.root}/rest/agile/1.0/board/${p.boardId}`,
      name: `${p.key} board`,
      type: 'scrum',
      location: {
        projectId: Number(p.id),
        displayName: `${p.name} (${p.key})`,
        projectName: p.name,
        projectKey: p.key,
        projectTypeKey: 'software',
        avatarURI: userAvatar(`project-${p.id}`),
        name: `${p.name} (${p.key})`,
      },
    };
  }
}

function statusCategory(name: string): { id: number; key: string; colorName: string; name: string } {
  const n = name.toLowerCase();
  if (n === 'done' || n === 'closed' || n === 'resolved') return { id: 3, key: 'done', colorName: 'green', name: 'Done' };
  if (n.includes('progress') || n.includes('review')) return { id: 4, key: 'indeterminate', colorName: 'yellow', name: 'In Progress' };
  return { id: 2, key: 'new', colorName: 'blue-gray', name: 'To Do' };
}

/** A stable small number for a name (status / issue-type ids). */
function stableIndex(name: string): number {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) % 9973;
  return h;
}
