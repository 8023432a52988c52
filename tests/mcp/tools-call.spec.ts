/**
 * EVERY tool of the catalog (fixtures/mcp/tools.json) called with real arguments found at run time, its output
 * checked. Read tools run in parallel; write tools run in order, only in the sandbox project/space named in config
 * (MCP_SANDBOX_JIRA_PROJECT / MCP_SANDBOX_CONFLUENCE_SPACE), and are skipped with the reason when it is not set.
 *
 * A tool the server does not list is skipped (with the reason) unless the expectations profile says it must be
 * listed; then it fails as `scope-filtered`. A call the expectations file lists as a known failure passes only when
 * it fails with exactly that category.
 */

import { HarnessError } from '../../fixtures/core/categories.ts';
import { labelOutcome } from '../../fixtures/core/evidence.ts';
import { expect, test } from '../../fixtures/index.ts';
import { ValueNotFound } from '../../fixtures/mcp/arguments.ts';
import { type CatalogTool, interpolate, loadToolCatalog, pick, runChecks } from '../../fixtures/mcp/catalog.ts';
import { knownFailure } from '../../fixtures/mcp/expectations.ts';
import { type BoundSession, expectToolOk, labelMcp, type McpFixture, type McpProfileAuth } from '../../fixtures/mcp/fixture.ts';

const catalog = loadToolCatalog();
const reads = catalog.tools.filter((t) => t.kind === 'read');
const writes = catalog.tools.filter((t) => t.kind === 'write');

/** tools/list of the sweep session, once per worker */
const listed = new WeakMap<BoundSession['raw'], Promise<Set<string>>>();
function listedTools(s: BoundSession): Promise<Set<string>> {
  let p = listed.get(s.raw);
  if (!p) {
    p = s.listTools().then((r) => new Set(r.tools.map((t) => t.name)));
    listed.set(s.raw, p);
  }
  return p;
}

function profileFor(mcp: McpFixture, s: BoundSession) {
  const auth = s.account.endsWith('(unscoped)') ? 'api-token-unscoped' : s.authMode;
  return Object.values(mcp.expectations?.profiles ?? {}).find(
    (p) => p.auth === auth && p.endpoint === mcp.endpoint && (p.auth === 'service-key' || s.account.startsWith(p.account)),
  );
}

/**
 * The session to call a tool with: the sweep account's, or — when only another expectation profile lists the tool
 * (e.g. the Teamwork Graph tools that only legacy unscoped tokens see, atlassian-mcp.md §2b) — that profile's.
 */
async function sessionFor(mcp: McpFixture, tool: CatalogTool, hasAdmin: boolean): Promise<BoundSession> {
  const s = await mcp.session();
  expectToolOk(s.initialize);
  if ((await listedTools(s)).has(tool.name)) return s;
  const other = Object.values(mcp.expectations?.profiles ?? {}).find(
    (p) =>
      p.endpoint === mcp.endpoint &&
      p.listed.includes(tool.name) &&
      (p.auth === 'api-token' || (hasAdmin && (p.auth === 'api-token-unscoped' || p.auth === 'service-key'))),
  );
  if (!other) return s;
  const o = await mcp.session({ role: other.account, auth: other.auth as McpProfileAuth });
  expectToolOk(o.initialize);
  return o;
}

async function sweepOne(mcp: McpFixture, tool: CatalogTool, hasAdmin: boolean): Promise<void> {
  const s = await sessionFor(mcp, tool, hasAdmin);
  const main = await mcp.session(); // run-time values are always found through the sweep account
  const profile = profileFor(mcp, s);
  const names = await listedTools(s);
  if (!names.has(tool.name)) {
    if (profile?.listed.includes(tool.name)) {
      await labelOutcome('scope-filtered');
      throw new HarnessError(
        'scope-filtered',
        `${tool.name} is expected (tests/expectations profile) but tools/list did not return it for ${s.account}`,
      );
    }
    test.skip(true, `${tool.name} is not offered by this server for ${s.account} (not in tools/list, not expected)`);
  }

  let values: Record<string, unknown>;
  try {
    values = await main.resolver.resolveFor({ args: tool.args, checks: tool.checks, verify: tool.verify }, main.callFn);
  } catch (e) {
    if (e instanceof ValueNotFound && !e.record) test.skip(true, `no real argument for ${tool.name}: ${e.message}`);
    if (e instanceof ValueNotFound && e.record?.category) {
      throw new HarnessError(e.record.category, `finding arguments for ${tool.name}: ${e.message}`, { ...e.record });
    }
    throw e;
  }
  const args = interpolate(tool.args, values);
  const cloudId = typeof args.cloudId === 'string' ? args.cloudId : undefined;
  await labelMcp({ tool: tool.name, account: s.account, cloudId, authMode: s.authMode });

  const rec = await s.call(tool.name, args);
  const known = knownFailure(profile, tool.name);
  if (known) {
    // expectations: a known failure must fail with exactly that category (a fix or a new failure is a change)
    await labelOutcome(rec.category ?? known);
    expect(rec.category ?? 'ok', `${tool.name}: known failure ${known} changed (text: ${rec.text.slice(0, 200)})`).toBe(known);
    return;
  }
  if (!rec.ok) await labelOutcome(rec.category ?? 'mcp-tool-error');
  expectToolOk(rec);

  const problems = runChecks(rec.output, tool.checks, values);
  if (problems.length) {
    await labelOutcome('mcp-schema-mismatch');
    throw new HarnessError('mcp-schema-mismatch', `${tool.name} output: ${problems.join('; ')}\noutput: ${rec.text.slice(0, 600)}`, {
      tool: tool.name,
    });
  }
  for (const [name, p] of Object.entries(tool.provides ?? {})) {
    const v = pick(rec.output, p);
    expect(v, `${tool.name} must return ${p} (provides \${${name}} to later calls)`).toBeDefined();
    main.resolver.provide(name, v!.value);
  }
  if (tool.verify) {
    const vArgs = interpolate(tool.verify.args, values);
    const back = await s.call(tool.verify.tool, vArgs);
    expectToolOk(back);
    const vProblems = runChecks(back.output, tool.verify.checks, values);
    expect(vProblems, `${tool.name} change is not visible through ${tool.verify.tool}`).toEqual([]);
  }
}

test.describe('MCP tool sweep: read tools', () => {
  for (const tool of reads) {
    test(`${tool.name} answers with real arguments and its output has the expected fields`, async ({ mcp, target }) => {
      await sweepOne(mcp, tool, !!target.admin);
    });
  }
});

test.describe('MCP tool sweep: write tools (sandbox only)', () => {
  test.describe.configure({ mode: 'serial' });
  for (const tool of writes) {
    test(`${tool.name} changes the sandbox ${tool.sandbox} and the change reads back`, async ({ mcp, config, target }) => {
      const sandbox = tool.sandbox === 'jira' ? config.mcp.sandboxJiraProject : config.mcp.sandboxConfluenceSpace;
      const variable = tool.sandbox === 'jira' ? 'MCP_SANDBOX_JIRA_PROJECT' : 'MCP_SANDBOX_CONFLUENCE_SPACE';
      test.skip(!sandbox, `write tools run only in a sandbox: set ${variable} to a project/space the harness may change`);
      await sweepOne(mcp, tool, !!target.admin);
    });
  }
});
