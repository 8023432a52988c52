/**
 * One failure line per contract breach: the endpoint and, for a schema mismatch, every field path with what the
 * published schema expected and what type arrived. Never a value: the clients' `SchemaMismatchError.report` names
 * types only (it quotes a value solely when it failed a closed enum), and an HTTP error prints its status and the
 * product's error text, not the body.
 */
import { isApiError as isConfluenceApiError, isSchemaMismatchError as isConfluenceMismatch } from 'confluence.js';
import { isApiError as isJiraApiError, isSchemaMismatchError as isJiraMismatch } from 'jira.js';
// the same flattening as the harness's warn-only check on real targets
import { schemaIssues } from '../../fixtures/rest/schema-check.ts';

interface Issue {
  path: string;
  expected: string;
  received: string;
}

/** zod issues from the error's `cause`, flattened to path + code when the client's own report is empty. */
function causeIssues(cause: unknown): Issue[] {
  const issues = (cause as { issues?: Parameters<typeof schemaIssues>[0] } | undefined)?.issues;
  return Array.isArray(issues) ? schemaIssues(issues).map((i) => ({ ...i, path: i.path === '(root)' ? '' : i.path })) : [];
}

export class ContractBreach extends Error {}

/** The status an HTTP error carries, or undefined when `e` is not one of the clients' API errors. */
export function httpStatus(e: unknown): number | undefined {
  return isJiraApiError(e) || isConfluenceApiError(e) ? (e as { status: number }).status : undefined;
}

/** Turn whatever a client threw into a message naming the endpoint (and field paths); other errors pass through. */
export function describeFailure(endpoint: string, e: unknown): Error {
  if (isJiraMismatch(e) || isConfluenceMismatch(e)) {
    // jira.js reports paths and types (`report`); confluence.js carries the raw body (never printed) and the ZodError
    const m = e as { report?: { endpoint: string; issues: Issue[] }; cause?: unknown };
    const issues = m.report && m.report.issues.length > 0 ? m.report.issues : causeIssues(m.cause);
    const lines = issues.map((i) => `  ${i.path === '' ? '(root)' : i.path}: expected ${i.expected}, received ${i.received}`);
    return new ContractBreach(
      `${endpoint}: the response does not match the published schema${m.report ? ` (${m.report.endpoint})` : ''}\n${lines.join('\n') || '  (not JSON)'}`,
    );
  }
  const status = httpStatus(e);
  if (status !== undefined) {
    const body = (e as { body?: unknown }).body;
    return new ContractBreach(`${endpoint}: HTTP ${status} ${errorText(body)}`.trimEnd());
  }
  return e instanceof Error ? e : new Error(String(e));
}

/** The product's own error text (Jira errorMessages, Confluence message/title), never the whole body. */
function errorText(body: unknown): string {
  if (typeof body !== 'object' || body === null) return '';
  const b = body as { errorMessages?: unknown; message?: unknown; errors?: unknown };
  if (Array.isArray(b.errorMessages) && b.errorMessages.length > 0) return String(b.errorMessages[0]);
  if (typeof b.message === 'string') return b.message;
  if (Array.isArray(b.errors) && typeof (b.errors[0] as { title?: unknown })?.title === 'string')
    return String((b.errors[0] as { title: string }).title);
  return '';
}
