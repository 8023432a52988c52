/**
 * The v2 generation of the simulated Rovo MCP server (docs/reference/atlassian-mcp.md "The v2 generation"): the
 * primary tool list, discover and the execute family (`executeRead({name, cloudId, inputs})`), the v2 names and
 * shapes (getConfluenceContent with content_format, createJiraIssue with issueType / priority / additional_fields,
 * addOrEditJiraIssueComment, …), annotations that say what writes, `?tools=all` paginated, and the world switches
 * that reshape the list (v1ExposesV2Tools, executeStyle, extraTools, renames, permissionGroups).
 * Switch docs: simulator/docs/mcp.md.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { SimHandle } from '../../fixtures/core/simulator.ts';
import { expect, test } from '../../fixtures/index.ts';
import { call, connect as connectClient, errorMessage, MEMBER, ok } from './mcp-client.ts';

const ACME = 'a1c3e5f7-0000-4000-8000-000000000001';
const ADMIN = `Basic ${Buffer.from('org.admin@sim.example:ATATT3xSIMCANARY-orgadmin-scoped-token').toString('base64')}`;

/** the 12 primary operations plus the meta-tools (simulator/docs/mcp.md "v2 operations") */
const PRIMARY = [
  'atlassianUserInfo',
  'getAccessibleAtlassianResources',
  'search',
  'fetch',
  'getJiraIssue',
  'searchJiraIssuesUsingJql',
  'createJiraIssue',
  'addOrEditJiraIssueComment',
  'getConfluenceContent',
  'searchConfluence',
  'createConfluenceContent',
  'updateConfluenceContent',
];
const META_TIERED = ['getToolDescription', 'discover', 'executeRead', 'executeWrite', 'executeDestructive'];

interface WorldShape {
  data: Record<
    string,
    {
      jira: {
        projects: Array<{ key: string; name: string }>;
        issues: Array<{ id: string; key: string; summary: string; comments: Array<{ id: string; body: string }> }>;
      };
      confluence: { pages: Array<{ id: string; title: string; body: string; version: number }> };
    }
  >;
}

function connect(sim: SimHandle, path = '/v2/mcp', authorization = MEMBER) {
  return connectClient(sim, path, authorization, 'sim-mcp-v2');
}

const names = async (client: Client) => (await client.listTools()).tools.map((t) => t.name).sort();

/** every page of tools/list (MCP pagination: nextCursor) */
async function allPages(client: Client): Promise<{ tools: Tool[]; pages: number }> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const r = await client.listTools(cursor ? { cursor } : {});
    tools.push(...r.tools);
    cursor = r.nextCursor;
    pages++;
  } while (cursor && pages < 20);
  return { tools, pages };
}

interface DiscoveredOp {
  name: string;
  kind: 'read' | 'write' | 'destructive';
  executeWith: string;
  inputSchema: { properties: Record<string, unknown>; required?: string[] };
  annotations: { readOnlyHint: boolean; destructiveHint: boolean };
}
const discover = (client: Client, args: Record<string, unknown> = {}) => ok<{ operations: DiscoveredOp[] }>(client, 'discover', args);

const world = async (sim: SimHandle) => (await sim.admin.world<WorldShape>()).data[ACME]!;

test.describe('tool list', () => {
  test('/v2/mcp lists the 12 primary tools, getToolDescription, discover and the three execute tiers', async ({ sim }) => {
    const client = await connect(sim);
    expect(await names(client)).toEqual([...PRIMARY, ...META_TIERED].sort());
    await client.close();
  });

  test('annotations say what writes: reads readOnlyHint, writes not, executeDestructive destructiveHint', async ({ sim }) => {
    const client = await connect(sim);
    const byName = new Map((await client.listTools()).tools.map((t) => [t.name, t.annotations]));
    for (const t of ['getJiraIssue', 'search', 'getConfluenceContent', 'executeRead', 'discover'])
      expect(byName.get(t)?.readOnlyHint, t).toBe(true);
    for (const t of ['createJiraIssue', 'updateConfluenceContent', 'executeWrite']) {
      expect(byName.get(t)?.readOnlyHint, t).toBe(false);
      expect(byName.get(t)?.destructiveHint, t).toBe(false);
    }
    expect(byName.get('executeDestructive')).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    await client.close();
  });

  test('discover returns every non-primary operation with kind, its execute tool and an input schema', async ({ sim }) => {
    const client = await connect(sim);
    const ops = (await discover(client)).operations;
    const found = ops.map((o) => o.name);
    expect(found).toEqual(
      expect.arrayContaining(['listJiraProjects', 'listJiraProjectIssueTypesMetadata', 'getJiraIssueTypeMetaWithFields', 'editJiraIssue']),
    );
    for (const p of PRIMARY) expect(found).not.toContain(p);
    // delete_jira and manage_jira are off by default (1P): their operations are not offered
    expect(found).not.toContain('deleteJiraIssue');
    expect(found).not.toContain('updateJiraProject');
    const edit = ops.find((o) => o.name === 'editJiraIssue')!;
    expect(edit).toMatchObject({
      kind: 'write',
      executeWith: 'executeWrite',
      annotations: { readOnlyHint: false, destructiveHint: false },
    });
    const list = ops.find((o) => o.name === 'listJiraProjectIssueTypesMetadata')!;
    expect(list).toMatchObject({ kind: 'read', executeWith: 'executeRead' });
    expect(list.inputSchema.required?.sort()).toEqual(['cloudId', 'projectIdOrKey']);
    const guide = ops.find((o) => o.name === 'getContentFormatGuide');
    expect(guide?.inputSchema.properties).toEqual({});
    await client.close();
  });

  test('discover takes a goal in natural language and ranks the matching operations', async ({ sim }) => {
    const client = await connect(sim);
    const ops = (await discover(client, { query: 'list the issue types of a Jira project' })).operations.map((o) => o.name);
    expect(ops[0]).toBe('listJiraProjectIssueTypesMetadata');
    expect(ops).not.toContain('getConfluenceSpaces');
    expect((await discover(client, { query: 'xylophone' })).operations).toEqual([]);
    await client.close();
  });

  test('?tools=all lists every operation flat in cursor pages: the primary tools plus what discover returns', async ({ sim }) => {
    const client = await connect(sim);
    const expected = [...PRIMARY, ...(await discover(client)).operations.map((o) => o.name)].sort();
    const all = await connect(sim, '/v2/mcp?tools=all');
    const first = await all.listTools();
    expect(first.tools).toHaveLength(20);
    expect(first.nextCursor).toBeTruthy();
    const { tools, pages } = await allPages(all);
    expect(pages).toBeGreaterThan(1);
    expect(tools.map((t) => t.name).sort()).toEqual(expected);
    for (const meta of META_TIERED) expect(tools.map((t) => t.name)).not.toContain(meta);
    // every flat tool carries its schema and annotations, so a client can derive arguments and know what writes
    const edit = tools.find((t) => t.name === 'editJiraIssue')!;
    expect(edit.annotations?.readOnlyHint).toBe(false);
    expect(edit.inputSchema.required).toEqual(expect.arrayContaining(['cloudId', 'issueIdOrKey', 'fields']));
    await expect(all.listTools({ cursor: 'not-a-cursor' })).rejects.toThrow(/Invalid cursor/);
    await client.close();
    await all.close();
  });

  test('the member sees exactly these operations on ?tools=all (kinds from the annotations)', async ({ sim }) => {
    const all = await connect(sim, '/v2/mcp?tools=all');
    const { tools } = await allPages(all);
    const kind = (t: Tool) => (t.annotations?.destructiveHint ? 'destructive' : t.annotations?.readOnlyHint ? 'read' : 'write');
    expect(Object.fromEntries(tools.map((t) => [t.name, kind(t)]))).toEqual({
      ...Object.fromEntries(
        [
          'atlassianUserInfo',
          'getAccessibleAtlassianResources',
          'search',
          'fetch',
          'getJiraIssue',
          'searchJiraIssuesUsingJql',
          'getConfluenceContent',
          'searchConfluence',
          'listJiraProjects',
          'listJiraProjectIssueTypesMetadata',
          'getJiraIssueTypeMetaWithFields',
          'getTransitionsForJiraIssue',
          'getJiraIssueRemoteIssueLinks',
          'getIssueLinkTypes',
          'lookupJiraAccountId',
          'getConfluenceSpaces',
          'getPagesInConfluenceSpace',
          'getConfluencePageDescendants',
          'getConfluencePageFooterComments',
          'getConfluencePageInlineComments',
          'getConfluenceCommentChildren',
          'getContentFormatGuide',
        ].map((n) => [n, 'read']),
      ),
      ...Object.fromEntries(
        [
          'createJiraIssue',
          'addOrEditJiraIssueComment',
          'createConfluenceContent',
          'updateConfluenceContent',
          'editJiraIssue',
          'transitionJiraIssue',
          'addWorklogToJiraIssue',
          'createIssueLink',
          'createConfluenceFooterComment',
          'createConfluenceInlineComment',
        ].map((n) => [n, 'write']),
      ),
    });
    await all.close();
  });

  test('a v2 operation is callable flat on ?tools=all with the same arguments', async ({ sim }) => {
    const all = await connect(sim, '/v2/mcp?tools=all');
    const r = await ok<{ values: Array<{ key: string }> }>(all, 'listJiraProjects', { cloudId: ACME });
    expect(r.values.map((p) => p.key)).toEqual((await world(sim)).jira.projects.map((p) => p.key));
    await all.close();
  });
});

test.describe('execute family', () => {
  test('executeRead({name, cloudId, inputs}) runs a read operation; cloudId inside inputs and unknown inputs are dropped', async ({
    sim,
  }) => {
    const client = await connect(sim);
    const types = await ok<{ issueTypes: Array<{ name: string }> }>(client, 'executeRead', {
      name: 'listJiraProjectIssueTypesMetadata',
      cloudId: 'acme-sim.atlassian.net',
      inputs: { projectIdOrKey: 'DEMO', noSuchParameter: 1 },
    });
    expect(types.issueTypes.map((t) => t.name)).toEqual(['Task', 'Bug', 'Story']);
    // 1P: "cloudId is a top-level argument … never put it inside inputs"
    expect(await errorMessage(client, 'executeRead', { name: 'listJiraProjects', inputs: { cloudId: ACME } })).toMatch(
      /^Input validation error: cloudId: /,
    );
    expect(await errorMessage(client, 'executeRead', { name: 'noSuchOperation', cloudId: ACME, inputs: {} })).toBe(
      'Operation noSuchOperation not found. Run discover to find the operation you need.',
    );
    const guide = await ok<{ formats: Record<string, string> }>(client, 'executeRead', { name: 'getContentFormatGuide' });
    expect(Object.keys(guide.formats).sort()).toEqual(['adf', 'html', 'markdown']);
    await client.close();
  });

  test('executeRead refuses a write operation and nothing is written; executeWrite runs it', async ({ sim }) => {
    const client = await connect(sim);
    const args = {
      name: 'editJiraIssue',
      cloudId: ACME,
      inputs: { issueIdOrKey: 'SBX-1', fields: { summary: 'edited through executeWrite' } },
    };
    expect(await errorMessage(client, 'executeRead', args)).toBe(
      'editJiraIssue is a write operation and cannot be run with executeRead: use executeWrite.',
    );
    expect((await world(sim)).jira.issues.find((i) => i.key === 'SBX-1')!.summary).toBe('Sandbox issue for write probes');
    expect(await errorMessage(client, 'executeDestructive', args)).toContain('use executeWrite');
    await ok(client, 'executeWrite', args);
    expect((await world(sim)).jira.issues.find((i) => i.key === 'SBX-1')!.summary).toBe('edited through executeWrite');
    await client.close();
  });

  test('delete_jira enabled: deleteJiraIssue appears as destructive and only executeDestructive runs it', async ({ sim }) => {
    await sim.admin.patchWorld({ org: { mcp: { permissionGroups: { delete_jira: true } } } });
    const client = await connect(sim);
    const del = (await discover(client)).operations.find((o) => o.name === 'deleteJiraIssue');
    expect(del).toMatchObject({ kind: 'destructive', executeWith: 'executeDestructive', annotations: { destructiveHint: true } });
    const args = { name: 'deleteJiraIssue', cloudId: ACME, inputs: { issueIdOrKey: 'SBX-1' } };
    expect(await errorMessage(client, 'executeWrite', args)).toContain('is a destructive operation');
    expect((await world(sim)).jira.issues.map((i) => i.key)).toContain('SBX-1');
    expect(await ok(client, 'executeDestructive', args)).toEqual({ deleted: true, id: '10110', key: 'SBX-1' });
    expect((await world(sim)).jira.issues.map((i) => i.key)).not.toContain('SBX-1');
    await client.close();
  });

  test('delete_jira off (default): executeDestructive cannot reach deleteJiraIssue', async ({ sim }) => {
    const client = await connect(sim);
    expect(
      await errorMessage(client, 'executeDestructive', { name: 'deleteJiraIssue', cloudId: ACME, inputs: { issueIdOrKey: 'SBX-1' } }),
    ).toBe('Operation deleteJiraIssue not found. Run discover to find the operation you need.');
    expect((await world(sim)).jira.issues.map((i) => i.key)).toContain('SBX-1');
    await client.close();
  });

  test('manage_jira enabled: updateJiraProject renames a project for a Jira admin, and refuses a member', async ({ sim }) => {
    await sim.admin.patchWorld({ org: { mcp: { permissionGroups: { manage_jira: true } } } });
    const member = await connect(sim);
    const args = { name: 'updateJiraProject', cloudId: ACME, inputs: { projectIdOrKey: 'SBX', name: 'Renamed sandbox' } };
    expect(await errorMessage(member, 'executeWrite', args)).toMatch(/administrator/);
    const admin = await connect(sim, '/v2/mcp', ADMIN);
    await ok(admin, 'executeWrite', args);
    expect((await world(sim)).jira.projects.find((p) => p.key === 'SBX')!.name).toBe('Renamed sandbox');
    await member.close();
    await admin.close();
  });

  test('executeStyle=single: one execute tool runs read and write operations', async ({ sim }) => {
    await sim.admin.patchWorld({ org: { mcp: { executeStyle: 'single' } } });
    const client = await connect(sim);
    expect(await names(client)).toEqual([...PRIMARY, 'getToolDescription', 'discover', 'execute'].sort());
    expect((await discover(client)).operations.every((o) => o.executeWith === 'execute')).toBe(true);
    await ok(client, 'execute', { name: 'listJiraProjects', cloudId: ACME, inputs: {} });
    await ok(client, 'execute', {
      name: 'editJiraIssue',
      cloudId: ACME,
      inputs: { issueIdOrKey: 'SBX-1', fields: { summary: 'via execute' } },
    });
    expect((await world(sim)).jira.issues.find((i) => i.key === 'SBX-1')!.summary).toBe('via execute');
    await client.close();
  });

  test('getToolDescription returns the schema, the kind and authoring guidance', async ({ sim }) => {
    const client = await connect(sim);
    const create = await ok<{ kind: string; primary: boolean; guidance: string[]; inputSchema: { properties: Record<string, unknown> } }>(
      client,
      'getToolDescription',
      { toolName: 'createJiraIssue' },
    );
    expect(create).toMatchObject({ kind: 'write', primary: true });
    expect(Object.keys(create.inputSchema.properties)).toEqual(
      expect.arrayContaining(['issueType', 'priority', 'parent', 'additional_fields', 'projectKey', 'summary']),
    );
    expect(create.guidance.join(' ')).toContain('priority is a top-level string, not an additional_fields entry');
    const list = await ok<{ primary: boolean; guidance: string[] }>(client, 'getToolDescription', { toolName: 'listJiraProjects' });
    expect(list.primary).toBe(false);
    expect(list.guidance.join(' ')).toContain('executeRead(name="listJiraProjects", cloudId=');
    expect(list.guidance.join(' ')).toContain('never put it inside inputs');
    expect(await errorMessage(client, 'getToolDescription', { toolName: 'getConfluencePage' })).toBe('Tool getConfluencePage not found');
    await client.close();
  });
});

test.describe('v2 names and shapes', () => {
  test('getConfluenceContent answers in markdown, adf and html and echoes content_format', async ({ sim }) => {
    const client = await connect(sim);
    const page = (await world(sim)).confluence.pages.find((p) => p.id === '98305')!;
    const md = await ok<{ id: string; title: string; content_format: string; body: unknown }>(client, 'getConfluenceContent', {
      cloudId: ACME,
      content_id: page.id,
      content_format: 'markdown',
    });
    expect(md).toMatchObject({ id: page.id, title: page.title, content_format: 'markdown', body: 'Welcome to the demo space.' });
    const html = await ok<{ content_format: string; body: unknown }>(client, 'getConfluenceContent', {
      cloudId: ACME,
      content_id: page.id,
      content_format: 'html',
    });
    expect(html).toMatchObject({ content_format: 'html', body: page.body });
    const doc = await ok<{ content_format: string; body: { type: string; content: unknown[] } }>(client, 'getConfluenceContent', {
      cloudId: ACME,
      content_id: page.id,
      content_format: 'adf',
    });
    expect(doc.content_format).toBe('adf');
    expect(doc.body).toMatchObject({ type: 'doc', version: 1 });
    expect(
      (await ok<{ content_format: string }>(client, 'getConfluenceContent', { cloudId: ACME, content_id: page.id })).content_format,
    ).toBe('markdown');
    expect(await errorMessage(client, 'getConfluenceContent', { cloudId: ACME, content_id: '1' })).toBe('No content found with id: 1');
    await client.close();
  });

  test('createConfluenceContent (html) and updateConfluenceContent write the page the world then holds', async ({ sim }) => {
    const client = await connect(sim);
    const created = await ok<{ id: string; content_format: string; body: string }>(client, 'createConfluenceContent', {
      cloudId: ACME,
      spaceId: 'SBX',
      title: 'v2 page',
      body: '<p>First paragraph.</p><p>Second.</p>',
      content_format: 'html',
    });
    expect(created.content_format).toBe('html');
    let stored = (await world(sim)).confluence.pages.find((p) => p.id === created.id)!;
    expect(stored).toMatchObject({ title: 'v2 page', body: '<p>First paragraph.</p><p>Second.</p>', version: 1 });
    const updated = await ok<{ version: { number: number }; body: string }>(client, 'updateConfluenceContent', {
      cloudId: ACME,
      content_id: created.id,
      body: 'Rewritten in markdown.',
    });
    expect(updated.version.number).toBe(2);
    expect(updated.body).toBe('Rewritten in markdown.');
    stored = (await world(sim)).confluence.pages.find((p) => p.id === created.id)!;
    expect(stored).toMatchObject({ body: '<p>Rewritten in markdown.</p>', version: 2 });
    await client.close();
  });

  test('searchConfluence takes CQL; search takes natural language', async ({ sim }) => {
    const client = await connect(sim);
    const cql = await ok<{ results: Array<{ content: { id: string } }> }>(client, 'searchConfluence', {
      cloudId: ACME,
      cql: 'type = page AND space = DEMO',
    });
    expect(cql.results.map((r) => r.content.id).sort()).toEqual(['98305', '98306']);
    const rovo = await ok<{ results: Array<{ title: string }> }>(client, 'search', { query: 'login bug', cloudId: ACME });
    expect(rovo.results.map((r) => r.title)).toEqual(['DEMO-2: Fix the login bug']);
    await client.close();
  });

  test('createJiraIssue takes issueType, top-level priority, parent and custom fields in additional_fields', async ({ sim }) => {
    const client = await connect(sim);
    const created = await ok<{ key: string }>(client, 'createJiraIssue', {
      cloudId: ACME,
      projectKey: 'SBX',
      issueType: 'Story',
      summary: 'v2 story',
      description: 'From **markdown**',
      priority: 'High',
      parent: 'SBX-1',
      additional_fields: { customfield_10016: 5 },
    });
    const stored = (await world(sim)).jira.issues.find((i) => i.key === created.key)!;
    expect(stored.summary).toBe('v2 story');
    const read = await ok<{ fields: Record<string, unknown> }>(client, 'getJiraIssue', { cloudId: ACME, issueIdOrKey: created.key });
    expect(read.fields).toMatchObject({
      priority: { name: 'High' },
      parent: { key: 'SBX-1' },
      customfield_10016: 5,
      issuetype: { name: 'Story' },
    });
    // 1P: "priority is a top-level string, not an additional_fields entry. Reserve additional_fields for custom fields"
    expect(
      await errorMessage(client, 'createJiraIssue', {
        cloudId: ACME,
        projectKey: 'SBX',
        issueType: 'Task',
        summary: 'x',
        additional_fields: { priority: { name: 'High' } },
      }),
    ).toBe("additional_fields accepts custom fields only (customfield_NNNNN); pass 'priority' as a top-level parameter.");
    expect(
      await errorMessage(client, 'createJiraIssue', {
        cloudId: ACME,
        projectKey: 'SBX',
        issueType: 'Task',
        summary: 'x',
        priority: 'Urgent',
      }),
    ).toMatch(/^Priority name 'Urgent' is not valid/);
    // the v1 argument name is not the v2 one: issueTypeName is dropped and issueType is missing
    const v1Style = await call(client, 'createJiraIssue', { cloudId: ACME, projectKey: 'SBX', issueTypeName: 'Task', summary: 'x' });
    expect(v1Style.isError).toBe(true);
    expect(v1Style.text).toContain('issueType');
    await client.close();
  });

  test('addOrEditJiraIssueComment adds a comment, and edits it when commentId is given', async ({ sim }) => {
    const client = await connect(sim);
    const added = await ok<{ id: string }>(client, 'addOrEditJiraIssueComment', {
      cloudId: ACME,
      issueIdOrKey: 'SBX-1',
      commentBody: 'first',
    });
    let comments = (await world(sim)).jira.issues.find((i) => i.key === 'SBX-1')!.comments;
    expect(comments.map((c) => c.body)).toEqual(['first']);
    await ok(client, 'addOrEditJiraIssueComment', { cloudId: ACME, issueIdOrKey: 'SBX-1', commentBody: 'edited', commentId: added.id });
    comments = (await world(sim)).jira.issues.find((i) => i.key === 'SBX-1')!.comments;
    expect(comments).toEqual([expect.objectContaining({ id: added.id, body: 'edited' })]);
    // a comment of someone else (DEMO-1's comment is the org admin's) cannot be edited by the member
    expect(
      await errorMessage(client, 'addOrEditJiraIssueComment', {
        cloudId: ACME,
        issueIdOrKey: 'DEMO-1',
        commentBody: 'x',
        commentId: '20001',
      }),
    ).toBe('You do not have the permission to edit this comment.');
    await client.close();
  });

  test('the v1 names are gone on /v2/mcp', async ({ sim }) => {
    const client = await connect(sim);
    const listed = [...(await names(client)), ...(await discover(client)).operations.map((o) => o.name)];
    for (const old of [
      'getConfluencePage',
      'createConfluencePage',
      'updateConfluencePage',
      'searchConfluenceUsingCql',
      'getVisibleJiraProjects',
      'getJiraProjectIssueTypesMetadata',
      'addCommentToJiraIssue',
    ])
      expect(listed, old).not.toContain(old);
    await client.close();
  });
});

test.describe('world switches that reshape the list', () => {
  test('v1 endpoints keep the v1 names by default; v1ExposesV2Tools gives them the v2 tools', async ({ sim }) => {
    for (const path of ['/v1/mcp', '/v1/mcp/authv2']) {
      const v1 = await connect(sim, path);
      const listed = await names(v1);
      expect(listed, path).toContain('getConfluencePage');
      expect(listed, path).not.toContain('discover');
      await v1.close();
    }
    await sim.admin.patchWorld({ org: { mcp: { v1ExposesV2Tools: true } } });
    for (const path of ['/v1/mcp', '/v1/mcp/authv2']) {
      const moved = await connect(sim, path);
      expect(await names(moved), path).toEqual([...PRIMARY, ...META_TIERED].sort());
      await ok(moved, 'executeRead', { name: 'listJiraProjects', cloudId: ACME, inputs: {} });
      await moved.close();
    }
  });

  test('extraTools adds an unknown read operation: listed on v1, discovered and executed on v2, marked read-only', async ({ sim }) => {
    await sim.admin.patchWorld({
      org: { mcp: { extraTools: [{ name: 'getJiraSimExtraReport', description: 'A report nobody catalogued.' }] } },
    });
    const v1 = await connect(sim, '/v1/mcp');
    const tool = (await v1.listTools()).tools.find((t) => t.name === 'getJiraSimExtraReport');
    expect(tool?.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
    expect(tool?.inputSchema.required).toEqual(['cloudId']);
    expect(await ok(v1, 'getJiraSimExtraReport', { cloudId: ACME })).toMatchObject({ operation: 'getJiraSimExtraReport', cloudId: ACME });
    const v2 = await connect(sim);
    expect((await discover(v2)).operations.find((o) => o.name === 'getJiraSimExtraReport')).toMatchObject({
      kind: 'read',
      executeWith: 'executeRead',
    });
    expect(await ok(v2, 'executeRead', { name: 'getJiraSimExtraReport', cloudId: ACME, inputs: {} })).toMatchObject({
      operation: 'getJiraSimExtraReport',
    });
    await v1.close();
    await v2.close();
  });

  test('extraTools with kind write is listed as not read-only and needs executeWrite', async ({ sim }) => {
    await sim.admin.patchWorld({ org: { mcp: { extraTools: [{ name: 'setJiraSimThing', kind: 'write', generations: ['v2'] }] } } });
    const v1 = await connect(sim, '/v1/mcp');
    expect(await names(v1)).not.toContain('setJiraSimThing');
    const v2 = await connect(sim);
    expect((await discover(v2)).operations.find((o) => o.name === 'setJiraSimThing')).toMatchObject({
      kind: 'write',
      annotations: { readOnlyHint: false },
    });
    expect(await errorMessage(v2, 'executeRead', { name: 'setJiraSimThing', cloudId: ACME })).toContain('use executeWrite');
    await v1.close();
    await v2.close();
  });

  test('renames rename an operation everywhere it is listed; the old name is not found', async ({ sim }) => {
    await sim.admin.patchWorld({
      org: { mcp: { renames: { getConfluenceContent: 'getConfluenceDocument', getVisibleJiraProjects: 'listVisibleJiraProjects' } } },
    });
    const v2 = await connect(sim);
    const listed = await names(v2);
    expect(listed).toContain('getConfluenceDocument');
    expect(listed).not.toContain('getConfluenceContent');
    expect(await ok(v2, 'getConfluenceDocument', { cloudId: ACME, content_id: '98305' })).toMatchObject({ id: '98305' });
    expect(await errorMessage(v2, 'getToolDescription', { toolName: 'getConfluenceContent' })).toBe('Tool getConfluenceContent not found');
    const v1 = await connect(sim, '/v1/mcp');
    const v1names = await names(v1);
    expect(v1names).toContain('listVisibleJiraProjects');
    expect(v1names).not.toContain('getVisibleJiraProjects');
    await v1.close();
    await v2.close();
  });

  test('a rename made mid-session shows in the next tools/list', async ({ sim }) => {
    const v2 = await connect(sim);
    expect(await names(v2)).toContain('searchConfluence');
    await sim.admin.patchWorld({ org: { mcp: { renames: { searchConfluence: 'searchConfluenceContent' } } } });
    const now = await names(v2);
    expect(now).toContain('searchConfluenceContent');
    expect(now).not.toContain('searchConfluence');
    await v2.close();
  });
});
