/**
 * Jira writes, one path for the REST gateway and the MCP tools: each validates nothing (its caller did, in its own
 * error wording) and changes the world through `updateWorld`, so a REST create and an MCP create allocate ids and
 * keys the same way and are visible to both surfaces at once.
 */
import type { JiraComment, JiraIssue } from '../render/jira.ts';
import { updateWorld } from '../state/world.ts';
import type { World } from '../world.ts';
import { jiraNow, nextId } from './ids.ts';

type JiraData = World['data'][string]['jira'];

/** Change one site's Jira data; `missing` is thrown when the site has no product data. */
function mutate(cloudId: string, missing: () => Error, fn: (jira: JiraData) => void): void {
  updateWorld((w) => {
    const d = w.data[cloudId];
    if (!d) throw missing();
    fn(d.jira);
  });
}

export interface NewIssue {
  projectKey: string;
  summary: string;
  description: string;
  issueType: string;
  status: string;
  assigneeAccountId: string | null;
  reporterAccountId: string | null;
}

/** A new issue: next id over the site's issues, next number within the project (`KEY-n`). */
export function createIssue(cloudId: string, fields: NewIssue, missing: () => Error): JiraIssue {
  let created: JiraIssue | undefined;
  mutate(cloudId, missing, (j) => {
    const numbers = j.issues.filter((i) => i.projectKey === fields.projectKey).map((i) => i.key.split('-')[1] ?? '0');
    created = {
      id: nextId(j.issues.map((i) => i.id)),
      key: `${fields.projectKey}-${nextId(numbers, 0)}`,
      ...fields,
      comments: [],
      worklogs: [],
      links: [],
      remoteLinks: [],
    };
    j.issues.push(created);
  });
  return created!;
}

/** A new comment on an issue (plain text as the world stores it), numbered over every comment of the site. */
export function addComment(cloudId: string, issueId: string, authorAccountId: string, body: string, missing: () => Error): JiraComment {
  let made: JiraComment | undefined;
  mutate(cloudId, missing, (j) => {
    const issue = j.issues.find((x) => x.id === issueId);
    if (!issue) throw missing();
    made = { id: nextId(j.issues.flatMap((x) => x.comments.map((c) => c.id))), authorAccountId, body, created: jiraNow() };
    issue.comments.push(made);
  });
  return made!;
}
