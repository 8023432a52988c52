/**
 * The one JQL engine, used by REST `/rest/api/3/search/jql` (GET and POST) and the MCP `searchJiraIssuesUsingJql`
 * tool. A deliberately small subset (documented in simulator/docs/rest.md "JQL"):
 *
 *   clauses joined by AND, then an optional ORDER BY field [ASC|DESC], …
 *   fields   project, key|issuekey, id, status, issuetype|type, summary, description, text (summary, description and
 *            comments), assignee, reporter
 *   ops      =  !=  ~  !~  IN (…)  NOT IN (…)  IS EMPTY|NULL  IS NOT EMPTY|NULL; the value currentUser()
 *   order    key (project, then number), summary, id and created (id order: the world has no timestamps [sim]);
 *            ties and a query without ORDER BY: newest (highest id) first [sim]
 *
 * Anything else is a JqlError in Jira's "Error in the JQL Query" wording (a clear failure, never a silent wrong
 * answer). Like real /search/jql, a query without a restriction is refused.
 */
import type { SiteData } from '../world.ts';

type Issue = SiteData['jira']['issues'][number];

export class JqlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JqlError';
  }
}

export const UNBOUNDED = 'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.';

type Token = { kind: 'word' | 'string' | 'op' | 'punct'; value: string };

function tokenize(q: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(!=|!~|>=|<=|=|~|>|<)|([(),])|([^\s"'(),=!~<>]+))/y;
  while (re.lastIndex < q.length) {
    if (/^\s*$/.test(q.slice(re.lastIndex))) break;
    const at = re.lastIndex;
    const m = re.exec(q);
    if (!m) throw new JqlError(`Error in the JQL Query: unexpected character at position ${at + 1}.`);
    if (m[1] !== undefined) out.push({ kind: 'string', value: m[1].replace(/\\(.)/g, '$1') });
    else if (m[2] !== undefined) out.push({ kind: 'string', value: m[2].replace(/\\(.)/g, '$1') });
    else if (m[3] !== undefined) out.push({ kind: 'op', value: m[3] });
    else if (m[4] !== undefined) out.push({ kind: 'punct', value: m[4] });
    else if (m[5] !== undefined) out.push({ kind: 'word', value: m[5] });
  }
  return out;
}

export interface Clause {
  field: string;
  op: '=' | '!=' | '~' | '!~' | 'in' | 'not in' | 'is' | 'is not';
  values: string[];
}

export interface OrderTerm {
  field: string;
  desc: boolean;
}

export interface ParsedJql {
  clauses: Clause[];
  order: OrderTerm[];
}

const FIELDS = new Set([
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
const ORDER_FIELDS = new Set(['key', 'issuekey', 'summary', 'id', 'created']);
const OPS = new Set(['=', '!=', '~', '!~']);

/** Parse the subset; throws JqlError. */
export function parseJql(jql: string): ParsedJql {
  const t = tokenize(jql);
  const clauses: Clause[] = [];
  const order: OrderTerm[] = [];
  let i = 0;
  const bad = (msg: string): never => {
    throw new JqlError(`Error in the JQL Query: ${msg}`);
  };
  const isWord = (k: number, w: string) => t[k]?.kind === 'word' && t[k]!.value.toLowerCase() === w;
  while (i < t.length) {
    if (isWord(i, 'order') && isWord(i + 1, 'by')) {
      i += 2;
      while (i < t.length) {
        const f = t[i++];
        if (f?.kind !== 'word') bad('Expecting a field name after ORDER BY.');
        const field = f!.value.toLowerCase();
        if (!FIELDS.has(field) && !ORDER_FIELDS.has(field))
          bad(`Field '${f!.value}' does not exist or you do not have permission to view it.`);
        let desc = false;
        if (isWord(i, 'desc') || isWord(i, 'asc')) desc = t[i++]!.value.toLowerCase() === 'desc';
        order.push({ field, desc });
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
    if (!FIELDS.has(field)) bad(`Field '${f!.value}' does not exist or you do not have permission to view it.`);
    let op: Clause['op'];
    if (isWord(i, 'not') && isWord(i + 1, 'in')) {
      op = 'not in';
      i += 2;
    } else if (isWord(i, 'is') && isWord(i + 1, 'not')) {
      op = 'is not';
      i += 2;
    } else if (isWord(i, 'in') || isWord(i, 'is')) {
      op = t[i++]!.value.toLowerCase() as Clause['op'];
    } else if (t[i]?.kind === 'op' && OPS.has(t[i]!.value)) {
      op = t[i++]!.value as Clause['op'];
    } else if (t[i]?.kind === 'op') {
      bad(`The operator '${t[i]!.value}' is not supported by the simulator for field '${f!.value}'.`);
    } else bad(`Expecting an operator after '${f!.value}'.`);
    const values: string[] = [];
    if (op! === 'in' || op! === 'not in') {
      if (t[i]?.value !== '(') bad(`Expecting '(' after ${op!.toUpperCase()}.`);
      i++;
      while (i < t.length && t[i]!.value !== ')') {
        if (t[i]!.value !== ',') values.push(t[i]!.value);
        i++;
      }
      if (t[i]?.value !== ')') bad("Expecting ')'.");
      i++;
    } else {
      const v = t[i++];
      if (!v || v.kind === 'op' || v.kind === 'punct') bad(`Expecting a value after '${f!.value} ${op!}'.`);
      let value = v!.value;
      if (v!.kind === 'word' && t[i]?.value === '(' && t[i + 1]?.value === ')') {
        value = `${value}()`;
        i += 2;
      }
      if ((op! === 'is' || op! === 'is not') && !/^(empty|null)$/i.test(value)) bad(`Expecting EMPTY after '${op!.toUpperCase()}'.`);
      values.push(value);
    }
    clauses.push({ field, op: op!, values });
  }
  if (clauses.length === 0) throw new JqlError(UNBOUNDED);
  return { clauses, order };
}

/** The clause's field values of an issue (null = the field is empty). */
function values(issue: Issue, field: string): Array<string | null> {
  switch (field) {
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
      return [issue.description === '' ? null : issue.description];
    case 'text':
      return [issue.summary, issue.description, ...issue.comments.map((x) => x.body)];
    case 'issuetype':
    case 'type':
      return [issue.issueType];
    case 'assignee':
      return [issue.assigneeAccountId];
    default:
      return [issue.reporterAccountId];
  }
}

function matches(issue: Issue, c: Clause, me: string): boolean {
  const have = values(issue, c.field);
  // `field = EMPTY` is `field IS EMPTY` in JQL
  const empty = c.values.length === 1 && /^(empty|null)$/i.test(c.values[0]!);
  if (c.op === 'is' || (c.op === '=' && empty)) return have.every((h) => h === null);
  if (c.op === 'is not' || (c.op === '!=' && empty)) return have.some((h) => h !== null);
  const present = have.filter((h): h is string => h !== null).map((h) => h.toLowerCase());
  const want = c.values.map((v) => (v.toLowerCase() === 'currentuser()' ? me : v).toLowerCase());
  const contains = (w: string) => present.some((h) => h.includes(w.replace(/\*/g, '')));
  switch (c.op) {
    case '=':
    case 'in':
      return want.some((w) => present.includes(w));
    case '!=':
    case 'not in':
      return !want.some((w) => present.includes(w));
    case '~':
      return want.some(contains);
    case '!~':
      return !want.some(contains);
  }
}

const num = (i: Issue) => Number(i.id) || 0;
const keyNum = (i: Issue) => Number(i.key.split('-')[1]) || 0;

function compare(a: Issue, b: Issue, field: string): number {
  switch (field) {
    case 'key':
    case 'issuekey':
      return a.projectKey.localeCompare(b.projectKey) || keyNum(a) - keyNum(b);
    case 'summary':
      return a.summary.localeCompare(b.summary);
    case 'status':
      return a.status.localeCompare(b.status);
    case 'project':
      return a.projectKey.localeCompare(b.projectKey);
    default:
      return num(a) - num(b);
  }
}

/** The issues a JQL query selects, in its order. `me` is the caller's accountId (currentUser()). Throws JqlError. */
export function searchIssues(issues: readonly Issue[], jql: string, me: string): Issue[] {
  const { clauses, order } = parseJql(jql);
  const out = issues.filter((i) => clauses.every((c) => matches(i, c, me)));
  return out.sort((a, b) => {
    for (const o of order) {
      const d = compare(a, b, o.field);
      if (d !== 0) return o.desc ? -d : d;
    }
    return num(b) - num(a);
  });
}
