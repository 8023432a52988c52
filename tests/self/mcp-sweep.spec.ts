/**
 * Self-tests of the sweep that starts from the live tool list (fixtures/mcp/sweep.ts), on the worker's private
 * simulator: v2 is swept through discover and the execute tools and calls at least every operation `?tools=all`
 * lists; an operation no catalog knows is called when it reads and reported "not exercised" when it writes; renamed
 * tools read as renames; an endpoint that fails where another works is its own finding; a known failure that
 * disappeared and a sandbox that is gone get their own categories.
 */
import { expect, test } from '../../fixtures/index.ts';
import { documentedRenames } from '../../fixtures/mcp/catalog.ts';
import { diffToolLists } from '../../fixtures/mcp/drift.ts';
import type { ToolProfile } from '../../fixtures/mcp/expectations.ts';
import { expectToolOk } from '../../fixtures/mcp/fixture.ts';
import { isMetaTool, readOnly } from '../../fixtures/mcp/operations.ts';
import { describeItem } from '../../fixtures/mcp/sweep.ts';
import { divergenceError, driftError } from '../../fixtures/mcp/verdicts.ts';
import { MCP_ENDPOINTS } from '../../fixtures/mcp/vocabulary.ts';

test('the v2 sweep calls at least every operation the server lists with ?tools=all', async ({ mcp, sim }) => {
  void sim; // a private simulator reset to its start world
  const flat = await mcp.session({ endpoint: 'v2', allTools: true, fresh: true });
  expectToolOk(flat.initialize);
  const all = (await flat.listTools()).tools.map((t) => t.name).filter((n) => !isMetaTool(n));
  expect(all.length, '?tools=all lists operations').toBeGreaterThan(10);
  const r = await mcp.sweep({ endpoint: 'v2' });
  expect(r.listing.problems).toEqual([]);
  expect(r.listing.meta, 'v2 reaches operations through discover and the execute tools').toContain('discover');
  expect(r.items.filter((i) => i.via).length, 'operations called through an execute tool').toBeGreaterThan(0);
  const notCalled = all.filter((n) => !r.called.includes(n));
  expect(
    notCalled,
    `not called: ${r.items
      .filter((i) => notCalled.includes(i.operation))
      .map(describeItem)
      .join('; ')}`,
  ).toEqual([]);
  expect(r.called.length).toBeGreaterThanOrEqual(all.length);
  expect(r.failed.map(describeItem), 'the default world answers every call').toEqual([]);
});

test('a destructive operation the admin enabled runs through executeDestructive, on what the sweep created', async ({ mcp, sim }) => {
  await sim.admin.patchWorld({ org: { mcp: { permissionGroups: { delete_jira: true } } } });
  const r = await mcp.sweep({ endpoint: 'v2' });
  const del = r.items.find((i) => i.operation === 'deleteJiraIssue');
  expect(del, JSON.stringify(r.listing.discovered)).toBeDefined();
  expect(del!.via).toBe('executeDestructive');
  expect(del!.status, describeItem(del!)).toBe('passed');
  const created = r.items.find((i) => i.operation === 'createJiraIssue')?.record?.output as { key?: string } | undefined;
  expect(created?.key, 'createJiraIssue answered a key').toBeTruthy();
  expect((del!.record?.output as { key?: string } | undefined)?.key).toBe(created?.key);
  expect(
    r.listing.records.some((x) => x.operation === 'getToolDescription' && x.ok),
    'getToolDescription asked once',
  ).toBe(true);
});

test('the single execute tool variant runs the same operations', async ({ mcp, sim }) => {
  await sim.admin.patchWorld({ org: { mcp: { executeStyle: 'single' } } });
  const r = await mcp.sweep({ endpoint: 'v2', writes: false });
  expect(r.listing.meta).toContain('execute');
  const via = new Set(r.items.filter((i) => i.via).map((i) => i.via));
  expect([...via]).toEqual(['execute']);
  expect(r.failed.map(describeItem)).toEqual([]);
});

for (const endpoint of ['v1', 'v2'] as const) {
  test(`${endpoint}: an operation no catalog knows is called when it reads, and reported not exercised when it writes`, async ({
    mcp,
    sim,
  }) => {
    await sim.admin.patchWorld({
      org: {
        mcp: {
          extraTools: [
            { name: 'getJiraHarnessMystery', kind: 'read' },
            { name: 'createJiraHarnessMystery', kind: 'write' },
          ],
        },
      },
    });
    const r = await mcp.sweep({ endpoint, writes: false });
    const read = r.items.find((i) => i.operation === 'getJiraHarnessMystery');
    expect(read, JSON.stringify(r.listing.operations.map((o) => o.name))).toBeDefined();
    expect(read!.status, describeItem(read!)).toBe('passed');
    expect(r.called).toContain('getJiraHarnessMystery');
    const write = r.items.find((i) => i.operation === 'createJiraHarnessMystery');
    expect(write?.status).toBe('not-exercised');
    expect(write?.reason).toMatch(/^writes/);
    expect(test.info().annotations.some((a) => a.type === 'not exercised' && a.description?.includes('createJiraHarnessMystery'))).toBe(
      true,
    );
  });
}

test('a renamed tool is reported as a probable rename with both names', async ({ mcp, sim }) => {
  const before = (await (await mcp.session({ endpoint: 'v1', fresh: true })).operations()).listed;
  await sim.admin.patchWorld({ org: { mcp: { renames: { getJiraIssue: 'getJiraWorkItem' } } } });
  const after = (await (await mcp.session({ endpoint: 'v1', fresh: true })).operations()).listed;
  const drift = diffToolLists(before, after, documentedRenames(mcp.catalog));
  expect(drift.renamed).toEqual([expect.objectContaining({ from: 'getJiraIssue', to: 'getJiraWorkItem', basis: 'similar' })]);
  const err = driftError('tools/list', [{ id: 'member-api-token-v1', drift }]);
  expect(err?.code).toBe('mcp-tool-renamed');
  expect(err?.message).toContain('getJiraIssue → getJiraWorkItem');
});

test('v1 connections that start to expose the v2 tools read as the documented renames', async ({ mcp, sim }) => {
  const before = (await (await mcp.session({ endpoint: 'v1', fresh: true })).operations()).listed;
  await sim.admin.patchWorld({ org: { mcp: { v1ExposesV2Tools: true } } });
  const s = await mcp.session({ endpoint: 'v1', fresh: true });
  const listing = await s.operations();
  const drift = diffToolLists(before, [...listing.listed, ...listing.discovered], documentedRenames(mcp.catalog));
  expect(drift.renamed).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ from: 'getConfluencePage', to: 'getConfluenceContent' }),
      expect.objectContaining({ from: 'getVisibleJiraProjects', to: 'listJiraProjects' }),
    ]),
  );
  expect(driftError('tools/list', [{ id: 'v1', drift }])?.message).toContain('getConfluencePage → getConfluenceContent');
});

test('a tool failing on /v2/mcp while authv2 works is an endpoint divergence with the fix', async ({ mcp, sim }) => {
  await sim.admin.patchWorld({ org: { mcp: { toolFault: 'trouble', toolFaultEndpoints: ['v2'] } } });
  const { divergences } = await mcp.compareEndpoints(['authv2', 'v2']);
  const names = divergences.map((d) => d.operation);
  expect(names).toContain('getAccessibleAtlassianResources');
  const d = divergences.find((x) => x.operation === 'getAccessibleAtlassianResources')!;
  expect(d.works.map((w) => w.endpoint)).toEqual(['authv2']);
  expect(d.fails.map((f) => [f.endpoint, f.category])).toEqual([['v2', 'transient']]);
  const err = divergenceError(divergences);
  expect(err.code).toBe('mcp-endpoint-divergence');
  expect(err.message).toContain('We are having trouble');
  expect(err.message).toContain('OAuth 2.1'); // the console-token story's remediation is included where it applies
});

test('the same endpoints agree on the default world', async ({ mcp, sim }) => {
  void sim; // a private simulator reset to its start world
  const { divergences, sweeps } = await mcp.compareEndpoints(MCP_ENDPOINTS);
  for (const s of sweeps) expect(s.called.length, `${s.endpoint}: ${s.items.map(describeItem).join('; ')}`).toBeGreaterThan(5);
  expect(divergences).toEqual([]);
});

test('a known failure that now passes is known-failure-fixed, not a generic tool error', async ({ mcp, sim }) => {
  void sim; // a private simulator reset to its start world
  const profile: ToolProfile = {
    account: 'member',
    auth: 'api-token',
    endpoint: 'v1',
    listed: [],
    knownFailures: { atlassianUserInfo: 'transient' },
  };
  const r = await mcp.sweep({ endpoint: 'v1', writes: false, profile });
  const item = r.items.find((i) => i.operation === 'atlassianUserInfo');
  expect(item?.status).toBe('failed');
  expect(item?.category).toBe('known-failure-fixed');
  expect(item?.reason).toContain('remove "atlassianUserInfo"');
});

test('a known failure that still fails with its category passes as a known failure', async ({ mcp, sim }) => {
  await sim.admin.patchWorld({ org: { mcp: { toolFault: 'trouble' } } });
  const profile: ToolProfile = { account: 'member', auth: 'api-token', endpoint: 'v1', listed: [], knownFailures: { '*': 'transient' } };
  const r = await mcp.sweep({ endpoint: 'v1', writes: false, profile });
  expect(r.items.filter((i) => i.status === 'known-failure').length).toBeGreaterThan(5);
  expect(r.failed.map(describeItem)).toEqual([]);
});

test('a sandbox project that is gone is sandbox-missing with the fix', async ({ mcp, sim }) => {
  void sim; // a private simulator reset to its start world
  const r = await mcp.sweep({ endpoint: 'v1', sandbox: { jira: 'NOSUCHSBX', confluence: 'SBX' } });
  const create = r.items.find((i) => i.operation === 'createJiraIssue');
  expect(create?.status, create && describeItem(create)).toBe('failed');
  expect(create?.category).toBe('sandbox-missing');
  expect(create?.reason).toContain('NOSUCHSBX');
});

test('an operation whose nature nobody states is never changed blindly: not exercised, with the reason', async ({ mcp, sim }) => {
  await sim.admin.patchWorld({ org: { mcp: { extraTools: [{ name: 'harnessMysteryOperation', kind: 'read' }] } } });
  const s = await mcp.session({ endpoint: 'v1', fresh: true });
  const listing = await s.operations();
  const op = listing.operations.find((o) => o.name === 'harnessMysteryOperation');
  expect(op?.readOnlyHint, 'the simulator annotates it read-only').toBe(true);
  // without annotations and with a name that says nothing, the sweep may not assume it only reads
  expect(readOnly({ ...op!, readOnlyHint: undefined })).toBeUndefined();
  expect(readOnly({ ...op!, readOnlyHint: undefined, name: 'getHarnessMystery' })).toBe(true);
  expect(readOnly({ ...op!, readOnlyHint: undefined, name: 'deleteHarnessMystery' })).toBe(false);
  const r = await mcp.sweep({ endpoint: 'v1', writes: false });
  expect(r.items.find((i) => i.operation === 'harnessMysteryOperation')?.status).toBe('passed');
});

for (const endpoint of ['v1', 'v2'] as const) {
  test(`${endpoint}: a sandbox Jira project and Confluence space that are gone fail their writes as sandbox-missing naming them, never mcp-tool-error`, async ({
    mcp,
    sim,
  }) => {
    void sim; // a private simulator reset to its start world
    const r = await mcp.sweep({ endpoint, sandbox: { jira: 'NOSUCHSBX', confluence: 'NOSUCHSPC' } });
    for (const [ops, name, variable] of [
      [['createJiraIssue'], 'NOSUCHSBX', 'MCP_SANDBOX_JIRA_PROJECT'],
      [['createConfluencePage', 'createConfluenceContent'], 'NOSUCHSPC', 'MCP_SANDBOX_CONFLUENCE_SPACE'],
    ] as const) {
      const writes = r.items.filter((i) => (ops as readonly string[]).includes(i.operation));
      expect(writes.length, r.items.map(describeItem).join('\n')).toBe(1);
      const w = writes[0]!;
      expect(w.status, describeItem(w)).toBe('failed');
      expect(w.category, describeItem(w)).toBe('sandbox-missing');
      expect(w.reason, 'the reason names the sandbox and its variable').toContain(`${name} (${variable})`);
    }
    expect(r.items.filter((i) => i.category === 'mcp-tool-error').map(describeItem), 'no write reads as a generic tool error').toEqual([]);
  });
}
