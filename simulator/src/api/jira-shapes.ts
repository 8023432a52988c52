/**
 * Jira REST v3 / Agile 1.0 response shapes built from the world's product data (realistic subsets of the fields
 * real Jira Cloud returns; the field names follow the Jira platform OpenAPI spec, atlassian-oauth.md [33]).
 */
import { world } from '../state.ts';
import type { SiteData, User } from '../world.ts';
import { userAvatar } from './identity.ts';

export type JiraIssue = SiteData['jira']['issues'][number];
export type JiraProject = SiteData['jira']['projects'][number];

/** Fixed timestamps: the world has none, and stable values keep responses diffable. */
export const CREATED = '2025-01-06T09:00:00.000+0000';

export class JiraShapes {
  constructor(
    readonly base: string,
    readonly cloudId: string,
    readonly data: SiteData,
  ) {}

  /** `${api}/ex/jira/{cloudId}` — self links point at the gateway, as real responses via api.atlassian.com do. */
  get root(): string {
    return `${this.base}/ex/jira/${this.cloudId}`;
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

  project(p: JiraProject): Record<string, unknown> {
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

  comment(c: JiraIssue['comments'][number], issueId: string): Record<string, unknown> {
    return {
      self: `${this.root}/rest/api/3/issue/${issueId}/comment/${c.id}`,
      id: c.id,
      author: this.user(c.authorAccountId),
      body: adf(c.body),
      updateAuthor: this.user(c.authorAccountId),
      created: c.created,
      updated: c.created,
      jsdPublic: true,
    };
  }

  /** Every field of an issue (the caller filters by `fields=`). */
  issueFields(i: JiraIssue): Record<string, unknown> {
    const p = this.data.jira.projects.find((x) => x.key === i.projectKey);
    return {
      summary: i.summary,
      description: i.description === '' ? null : adf(i.description),
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
        : null,
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
        self: `${this.root}/rest/api/3/issue/${i.id}/comment`,
        maxResults: i.comments.length,
        total: i.comments.length,
        startAt: 0,
      },
      worklog: {
        startAt: 0,
        maxResults: 20,
        total: i.worklogs.length,
        worklogs: i.worklogs.map((w) => ({ id: w.id, timeSpent: w.timeSpent, started: w.started, issueId: i.id })),
      },
      issuelinks: i.links.map((l) => ({
        id: l.id,
        type: { name: l.type },
        inwardIssue: { key: l.inwardKey },
        outwardIssue: { key: l.outwardKey },
      })),
    };
  }

  issue(i: JiraIssue, fields: (name: string) => boolean): Record<string, unknown> {
    const all = this.issueFields(i);
    const picked = Object.fromEntries(Object.entries(all).filter(([k]) => fields(k)));
    return {
      expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
      id: i.id,
      self: `${this.root}/rest/api/3/issue/${i.id}`,
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

/** A plain-text paragraph as Atlassian Document Format (Jira REST v3 rich-text fields). */
export function adf(text: string): Record<string, unknown> {
  return { type: 'doc', version: 1, content: [{ type: 'paragraph', content: text === '' ? [] : [{ type: 'text', text }] }] };
}

/** Plain text of an ADF document (for storing comments/descriptions sent by clients). */
export function adfText(node: unknown): string {
  if (node === null || typeof node !== 'object') return '';
  const n = node as { text?: unknown; content?: unknown };
  const own = typeof n.text === 'string' ? n.text : '';
  const kids = Array.isArray(n.content) ? n.content.map(adfText).join('') : '';
  return own + kids;
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
