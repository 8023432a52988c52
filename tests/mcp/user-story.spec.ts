/**
 * User story 2 (../shared/user-stories/mcp-tool-calls-fail.txt), end to end with the app's own console OAuth 2.0
 * (3LO) token: REST works (GET /me), the MCP session initialises (session id assigned), and yet tool calls fail with
 * "We are having trouble completing this action" (search: "We couldn't verify your connection settings").
 *
 * The harness classifies that as `mcp-client-not-approved` / `mcp-connection-settings` (atlassian-mcp.md §5, KB
 * [S18]) and attaches what support asks for: MCP session id, cloudId, UTC timestamp and the tool call.
 *
 * Outcome: red with that category, unless the tool expectations file lists it as the known behaviour of the target
 * (the simulator's default world reproduces the story, so tools-sim.json does); the Allure `outcome` label carries
 * the category either way, so the report shows "REST ok, MCP broken" at a glance.
 */

import { HarnessError } from '../../fixtures/core/categories.ts';
import { attachEvidence, labelOutcome } from '../../fixtures/core/evidence.ts';
import { redact } from '../../fixtures/core/redact.ts';
import { expect, test } from '../../fixtures/index.ts';
import { knownFailure } from '../../fixtures/mcp/expectations.ts';
import { expectToolOk, labelMcp } from '../../fixtures/mcp/fixture.ts';
import { bearerCredentials, type McpCallRecord } from '../../fixtures/mcp/session.ts';

test('console 3LO token: REST works and the MCP session initialises, tool calls are classified mcp-client-not-approved', async ({
  mcp,
  tokens,
  rest,
}) => {
  const role = mcp.sweepAccount.role;
  const token = await tokens.for(role);

  // REST side of the story: GET api.atlassian.com/me → 200, accessible-resources gives the cloudId
  const me = await rest.request({ method: 'GET', path: '/me', token });
  const res = await rest.request({ method: 'GET', path: '/oauth/token/accessible-resources', token });
  for (const [op, r] of [
    ['GET /me', me],
    ['GET /oauth/token/accessible-resources', res],
  ] as const) {
    await attachEvidence(test.info(), `rest ${op}`, {
      surface: 'rest',
      timestamp: r.startedAt,
      account: role,
      operation: op,
      url: r.url,
      status: r.status,
      durationMs: r.durationMs,
      traceId: r.traceId,
    });
  }
  expect(me.status, 'REST GET /me with the console token').toBe(200);
  expect(res.status).toBe(200);
  const cloudId = (JSON.parse(res.text) as Array<{ id: string }>)[0]?.id;
  expect(cloudId, 'the token must grant at least one site').toBeTruthy();

  // MCP side: initialize works…
  const s = await mcp.session({ credentials: bearerCredentials(token, 'console-3lo', role) });
  await labelMcp({ account: role, cloudId, authMode: 'console-3lo' });
  expectToolOk(s.initialize);
  expect(s.raw.sessionId, 'MCP session id assigned').toBeTruthy();

  // …then the tool calls the app would make
  const calls: Array<[string, Record<string, unknown>]> = [
    ['atlassianUserInfo', {}],
    ['getVisibleJiraProjects', { cloudId }],
    ['searchJiraIssuesUsingJql', { cloudId, jql: 'ORDER BY created DESC', maxResults: 1 }],
    ['getConfluenceSpaces', { cloudId }],
    ['search', { query: 'harness' }],
  ];
  const recs: McpCallRecord[] = [];
  for (const [tool, args] of calls) recs.push(await s.call(tool, args));

  // what support asks for (community answer in the user story): session id, cloudId, timestamp, failing tool call
  const failing = recs.filter((r) => !r.ok);
  const ticket = failing.map(
    (r) =>
      `MCP session id: ${r.sessionId}\ncloudId: ${cloudId}\nUTC timestamp: ${r.timestamp}\ntool call: ${r.operation} ${JSON.stringify(r.args)}\natl-traceid: ${r.http?.traceId ?? '-'}\nerror: ${r.text}`,
  );
  if (ticket.length)
    await test.info().attach('support ticket details', { body: Buffer.from(redact(ticket.join('\n\n'))), contentType: 'text/plain' });

  const profile = Object.values(mcp.expectations?.profiles ?? {}).find((p) => p.auth === 'console-3lo' && p.endpoint === mcp.endpoint);
  const first = failing[0];
  if (first?.category) await labelOutcome(first.category);
  const unexpected = recs.filter((r) => (r.category ?? 'ok') !== (knownFailure(profile, r.operation) ?? 'ok'));
  if (unexpected.length === 0) {
    if (first)
      test.info().annotations.push({
        type: 'known failure (tool expectations)',
        description: `REST ok, MCP broken: ${first.category} — ${first.text}`,
      });
    return;
  }
  const worst = unexpected.find((r) => !r.ok) ?? unexpected[0]!;
  throw new HarnessError(
    worst.category ?? 'mcp-tool-error',
    `REST works with the console 3LO token (GET /me → ${me.status}) and the MCP session initialised (${s.raw.sessionId}), but:\n` +
      unexpected
        .map(
          (r) =>
            `  ${r.operation}: ${r.category ?? 'ok'} (expected ${knownFailure(profile, r.operation) ?? 'ok'}) ${JSON.stringify(r.text.slice(0, 160))}`,
        )
        .join('\n'),
    { sessionId: s.raw.sessionId, cloudId },
  );
});
