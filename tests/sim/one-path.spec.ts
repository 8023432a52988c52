/**
 * One world query and render path: the REST gateway and the MCP tools read the world through the same JQL/CQL
 * engines and the same serializers (simulator/src/query, simulator/src/render), so the same question gets the same
 * answer on both surfaces. Same caller on both: the member's scoped API token (Basic), which both accept.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { SimHandle } from '../../fixtures/core/simulator.ts';
import { expect, test } from '../../fixtures/index.ts';
import { ACME, api, basic } from './helpers.ts';

const MEMBER = basic('member@sim.example', 'ATATT3xSIMCANARY-member-scoped-token');

async function mcp(sim: SimHandle): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${sim.urls.mcp}/v1/mcp`), {
    requestInit: { headers: { Authorization: MEMBER } },
  });
  const client = new Client({ name: 'one-path', version: '0' });
  await client.connect(transport);
  return client;
}

async function tool<T>(client: Client, name: string, args: Record<string, unknown>): Promise<T> {
  const r = await client.callTool({ name, arguments: args });
  const text = ('content' in r ? (r.content as Array<{ text?: string }>) : []).map((c) => c.text ?? '').join('');
  expect(r.isError, `${name}: ${text}`).not.toBe(true);
  return JSON.parse(text) as T;
}

async function rest<T>(sim: SimHandle, path: string): Promise<T> {
  const res = await api(sim, MEMBER, 'GET', path);
  expect(res.status, `${path}: ${res.text}`).toBe(200);
  return res.body as T;
}

test.describe('REST and MCP answer from one path', () => {
  test('an issue is the same Jira REST v3 JSON from GET /rest/api/3/issue and from getJiraIssue', async ({ sim }) => {
    const client = await mcp(sim);
    try {
      const fromRest = await rest<Record<string, unknown>>(sim, `/ex/jira/${ACME}/rest/api/3/issue/DEMO-1`);
      const fromMcp = await tool<Record<string, unknown>>(client, 'getJiraIssue', { cloudId: ACME, issueIdOrKey: 'DEMO-1' });
      expect(fromMcp).toEqual(fromRest);
      expect(Object.keys(fromRest['fields'] as object)).toEqual(expect.arrayContaining(['summary', 'status', 'comment', 'worklog']));
    } finally {
      await client.close();
    }
  });

  test('JQL ORDER BY is honoured on both surfaces, with the same selection and order', async ({ sim }) => {
    const jql = 'project = DEMO ORDER BY key DESC';
    const client = await mcp(sim);
    try {
      const fromRest = await rest<{ issues: Array<{ key: string }> }>(
        sim,
        `/ex/jira/${ACME}/rest/api/3/search/jql?jql=${encodeURIComponent(jql)}&fields=summary`,
      );
      const fromMcp = await tool<{ issues: Array<{ key: string }> }>(client, 'searchJiraIssuesUsingJql', { cloudId: ACME, jql });
      expect(fromRest.issues.map((i) => i.key)).toEqual(['DEMO-3', 'DEMO-2', 'DEMO-1']);
      expect(fromMcp.issues.map((i) => i.key)).toEqual(['DEMO-3', 'DEMO-2', 'DEMO-1']);
      const asc = await rest<{ issues: Array<{ key: string }> }>(
        sim,
        `/ex/jira/${ACME}/rest/api/3/search/jql?jql=${encodeURIComponent('project = DEMO ORDER BY key ASC')}`,
      );
      expect(asc.issues.map((i) => i.key)).toEqual(['DEMO-1', 'DEMO-2', 'DEMO-3']);
    } finally {
      await client.close();
    }
  });

  test('a JQL the engine refuses is refused on both surfaces with the same text', async ({ sim }) => {
    const jql = 'project = DEMO OR project = SBX';
    const client = await mcp(sim);
    try {
      const fromRest = await api(sim, MEMBER, 'GET', `/ex/jira/${ACME}/rest/api/3/search/jql?jql=${encodeURIComponent(jql)}`);
      expect(fromRest.status).toBe(400);
      const message = (fromRest.body as { errorMessages: string[] }).errorMessages[0];
      const r = await client.callTool({ name: 'searchJiraIssuesUsingJql', arguments: { cloudId: ACME, jql } });
      expect(r.isError).toBe(true);
      const text = (r.content as Array<{ text: string }>)[0]!.text;
      expect((JSON.parse(text) as { message: string }).message).toBe(message);
    } finally {
      await client.close();
    }
  });

  test('a Confluence page is the same v2 JSON from GET /wiki/api/v2/pages/{id} and from getConfluencePage', async ({ sim }) => {
    const client = await mcp(sim);
    try {
      const pages = await rest<{ results: Array<{ id: string }> }>(sim, `/ex/confluence/${ACME}/wiki/api/v2/pages?limit=1`);
      const id = pages.results[0]!.id;
      const fromRest = await rest<Record<string, unknown>>(
        sim,
        `/ex/confluence/${ACME}/wiki/api/v2/pages/${id}?body-format=atlas_doc_format`,
      );
      const fromMcp = await tool<Record<string, unknown>>(client, 'getConfluencePage', { cloudId: ACME, pageId: id });
      expect(fromMcp).toEqual(fromRest);
      expect(fromRest['body']).toMatchObject({ atlas_doc_format: { representation: 'atlas_doc_format' } });
    } finally {
      await client.close();
    }
  });

  test('CQL selects the same pages on both surfaces', async ({ sim }) => {
    const cql = 'type = page AND space = DEMO';
    const client = await mcp(sim);
    try {
      const fromRest = await rest<{ results: Array<{ content: { id: string } }> }>(
        sim,
        `/ex/confluence/${ACME}/wiki/rest/api/search?cql=${encodeURIComponent(cql)}`,
      );
      const fromMcp = await tool<{ results: Array<{ content: { id: string } }> }>(client, 'searchConfluenceUsingCql', {
        cloudId: ACME,
        cql,
      });
      expect(fromRest.results.length).toBeGreaterThan(0);
      expect(fromMcp.results.map((r) => r.content)).toEqual(fromRest.results.map((r) => r.content));
    } finally {
      await client.close();
    }
  });
});
