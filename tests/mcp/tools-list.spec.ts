/**
 * tools/list compared with the tool expectations file (tests/expectations/tools-<target>.json): a tool that
 * appeared or disappeared is a change and fails with the lists. Also: every listed tool has an input schema, and
 * the catalog's required arguments match the server's (atlassian-mcp.md §4: cloudId required on almost every tool).
 */

import { HarnessError } from '../../fixtures/core/categories.ts';
import { labelOutcome } from '../../fixtures/core/evidence.ts';
import { expect, test } from '../../fixtures/index.ts';
import { diffTools, toolExpectationsFile } from '../../fixtures/mcp/expectations.ts';
import { expectToolOk, labelMcp, type McpProfileAuth } from '../../fixtures/mcp/fixture.ts';

test('tools/list matches the expected tool set for each expectation profile', async ({ mcp, config, target }) => {
  const ex = mcp.expectations;
  test.skip(!ex, `no ${toolExpectationsFile(config.target)}: write one (see tests/expectations/tools-sim.json) to compare tools/list`);
  const changes: string[] = [];
  let compared = 0;
  for (const [id, p] of Object.entries(ex!.profiles)) {
    if (p.auth === 'console-3lo' || p.auth === 'oauth-mcp') continue; // need a browser token: covered in user-story/oauth specs
    if (p.auth !== 'service-key' && !config.accounts.some((a) => a.role === p.account)) continue;
    if ((p.auth === 'api-token-unscoped' || p.auth === 'service-key') && !target.admin) continue; // credential only known on the simulator
    const s = await mcp.session({ role: p.account, auth: p.auth as McpProfileAuth, endpoint: p.endpoint });
    expectToolOk(s.initialize);
    const { tools, record } = await s.listTools();
    expectToolOk(record);
    const d = diffTools(
      p.listed,
      tools.map((t) => t.name),
    );
    compared++;
    if (d.appeared.length) changes.push(`${id}: tool(s) appeared ${JSON.stringify(d.appeared)}`);
    if (d.disappeared.length) changes.push(`${id}: tool(s) disappeared ${JSON.stringify(d.disappeared)}`);
  }
  expect(compared, 'at least one profile must be comparable with the configured accounts').toBeGreaterThan(0);
  if (changes.length) {
    await labelOutcome('scope-filtered');
    throw new HarnessError(
      'scope-filtered',
      `tools/list changed against ${toolExpectationsFile(config.target)}:\n  ${changes.join('\n  ')}`,
    );
  }
});

test('every listed tool has an object input schema and the catalog knows its required arguments', async ({ mcp }) => {
  const s = await mcp.session();
  await labelMcp({ account: s.account, authMode: s.authMode });
  const { tools, record } = await s.listTools();
  expectToolOk(record);
  expect(tools.length).toBeGreaterThan(0);
  const problems: string[] = [];
  const unknown: string[] = [];
  for (const t of tools) {
    if (t.inputSchema?.type !== 'object') problems.push(`${t.name}: inputSchema.type is ${JSON.stringify(t.inputSchema?.type)}`);
    const entry = mcp.catalog.tools.find((c) => c.name === t.name);
    if (!entry) {
      unknown.push(t.name);
      continue;
    }
    const serverRequired = new Set(t.inputSchema.required ?? []);
    for (const r of entry.required) if (!serverRequired.has(r)) problems.push(`${t.name}: catalog requires ${r}, the server does not`);
    for (const r of serverRequired)
      if (!entry.required.includes(r))
        problems.push(`${t.name}: the server requires ${r}, the catalog does not (update fixtures/mcp/tools.json)`);
  }
  if (unknown.length) test.info().annotations.push({ type: 'tools not in the catalog', description: unknown.join(', ') });
  expect(problems, 'tool schema vs catalog').toEqual([]);
  expect(unknown, 'listed tools the catalog does not know (add them to fixtures/mcp/tools.json so the sweep calls them)').toEqual([]);
});
