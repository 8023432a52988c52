/**
 * A deliberately small JQL subset for `/rest/api/3/search/jql`: clauses joined by AND, optional ORDER BY (ignored).
 * Supported: `project = K`, `project in (A, B)`, `key|issuekey = K`, `key in (…)`, `status = "S"`, `status != S`,
 * `issuetype|type = T`, `assignee = currentUser()`, `assignee is EMPTY`, `summary|text ~ "word"`.
 * Anything else → the Jira-style 400 "Error in the JQL Query" (so the harness sees a clear failure, never a silent
 * wrong answer). Real /search/jql rejects unbounded queries; so does this.
 */
import type { JiraIssue } from './jira-shapes.ts';

export class JqlError extends Error {}

type Pred = (i: JiraIssue, me: string) => boolean;

const CLAUSE = /^(\w+)\s*(=|!=|~|\bnot\s+in\b|\bin\b|\bis\s+not\b|\bis\b)\s*(.+)$/i;

function unquote(v: string): string {
  const t = v.trim();
  if ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'"))) return t.slice(1, -1);
  return t;
}

function list(v: string): string[] {
  const t = v.trim();
  if (!t.startsWith('(') || !t.endsWith(')'))
    throw new JqlError(`Error in the JQL Query: expected a list in parentheses, found ${JSON.stringify(t)}.`);
  return t
    .slice(1, -1)
    .split(',')
    .map((x) => unquote(x).toLowerCase())
    .filter((x) => x !== '');
}

function field(name: string, i: JiraIssue): string | null {
  switch (name) {
    case 'project':
      return i.projectKey;
    case 'key':
    case 'issuekey':
      return i.key;
    case 'status':
      return i.status;
    case 'issuetype':
    case 'type':
      return i.issueType;
    case 'assignee':
      return i.assigneeAccountId;
    case 'reporter':
      return i.reporterAccountId;
    case 'summary':
      return i.summary;
    case 'text':
      return `${i.summary} ${i.description} ${i.comments.map((c) => c.body).join(' ')}`;
    default:
      throw new JqlError(`Error in the JQL Query: Field '${name}' does not exist or you do not have permission to view it.`);
  }
}

function clause(src: string): Pred {
  const m = CLAUSE.exec(src.trim());
  if (!m) throw new JqlError(`Error in the JQL Query: could not parse ${JSON.stringify(src.trim())}.`);
  const name = m[1]!.toLowerCase();
  const op = m[2]!.toLowerCase().replace(/\s+/g, ' ');
  const raw = m[3]!.trim();
  const value = (i: JiraIssue): string | null => field(name, i);
  // validate the field name once, eagerly, so a bad field fails even when no issue exists
  value({
    id: '',
    key: '',
    projectKey: '',
    summary: '',
    description: '',
    issueType: '',
    status: '',
    assigneeAccountId: null,
    reporterAccountId: null,
    comments: [],
    worklogs: [],
    links: [],
    remoteLinks: [],
  });
  const target = (me: string) => (raw.toLowerCase() === 'currentuser()' ? me : unquote(raw)).toLowerCase();
  switch (op) {
    case '=':
      return (i, me) => (value(i) ?? '').toLowerCase() === target(me);
    case '!=':
      return (i, me) => (value(i) ?? '').toLowerCase() !== target(me);
    case '~':
      return (i) => (value(i) ?? '').toLowerCase().includes(unquote(raw).toLowerCase().replace(/\*$/, ''));
    case 'in': {
      const vs = list(raw);
      return (i) => vs.includes((value(i) ?? '').toLowerCase());
    }
    case 'not in': {
      const vs = list(raw);
      return (i) => !vs.includes((value(i) ?? '').toLowerCase());
    }
    case 'is':
    case 'is not': {
      if (!/^(empty|null)$/i.test(raw)) throw new JqlError(`Error in the JQL Query: expected EMPTY after '${op.toUpperCase()}'.`);
      return op === 'is' ? (i) => value(i) === null : (i) => value(i) !== null;
    }
    default:
      throw new JqlError(`Error in the JQL Query: unsupported operator '${op}'.`);
  }
}

/** Compile a JQL string to a predicate; throws JqlError with a Jira-style message. */
export function compileJql(jql: string): Pred {
  const withoutOrder = jql.replace(/\border\s+by\b[\s\S]*$/i, '').trim();
  if (withoutOrder === '') {
    // real /rest/api/3/search/jql refuses queries without a restriction
    throw new JqlError('Unbounded JQL queries are not allowed here. Please add a search restriction to your query.');
  }
  const preds = withoutOrder.split(/\s+and\s+/i).map(clause);
  return (i, me) => preds.every((p) => p(i, me));
}
