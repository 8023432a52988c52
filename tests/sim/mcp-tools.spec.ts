import type { SimHandle } from '../../fixtures/core/simulator.ts';
import { expect, test } from '../../fixtures/index.ts';
import { call, connect as connectClient, errorMessage, MEMBER, ok } from './mcp-client.ts';

const ACME = 'a1c3e5f7-0000-4000-8000-000000000001';
const GLOBEX = 'b2d4f6a8-0000-4000-8000-000000000002';

interface WorldIssue {
  id: string;
  key: string;
  summary: string;
  status: string;
  projectKey: string;
  comments: Array<{ body: string }>;
}
interface WorldPage {
  id: string;
  title: string;
  spaceId: string;
  version: number;
  body: string;
  footerComments: Array<{ id: string; body: string }>;
}
interface WorldShape {
  data: Record<string, { jira: { issues: WorldIssue[] }; confluence: { pages: WorldPage[]; spaces: Array<{ id: string; key: string }> } }>;
}

function connect(sim: SimHandle, path = '/v1/mcp', authorization = MEMBER) {
  return connectClient(sim, path, authorization, 'sim-mcp-self');
}

async function worldData(sim: SimHandle): Promise<WorldShape['data']> {
  return (await sim.admin.world<WorldShape>()).data;
}

test.describe('v1 read tools answer from the world', () => {
  test("getAccessibleAtlassianResources lists the member's two sites with the token's scopes", async ({ sim }) => {
    const client = await connect(sim);
    const sites = await ok<Array<{ id: string; url: string; name: string; scopes: string[] }>>(client, 'getAccessibleAtlassianResources');
    expect(sites.map((s) => [s.id, s.url, s.name])).toEqual([
      [ACME, 'https://acme-sim.atlassian.net', 'acme-sim'],
      [GLOBEX, 'https://globex-sim.atlassian.net', 'globex-sim'],
    ]);
    expect(sites[0]!.scopes).toContain('read:jira-work');
    await client.close();
  });

  for (const cloudId of [ACME, 'acme-sim.atlassian.net', 'https://acme-sim.atlassian.net/']) {
    test(`getJiraIssue with cloudId ${JSON.stringify(cloudId)} returns the world's DEMO-1 as REST v3 JSON`, async ({ sim }) => {
      const client = await connect(sim);
      const w = (await worldData(sim))[ACME]!.jira.issues.find((i) => i.key === 'DEMO-1')!;
      const issue = await ok<{
        id: string;
        key: string;
        self: string;
        fields: { summary: string; status: { name: string }; comment: { total: number } };
      }>(client, 'getJiraIssue', {
        cloudId,
        issueIdOrKey: 'DEMO-1',
      });
      expect(issue.id).toBe(w.id);
      expect(issue.fields.summary).toBe(w.summary);
      expect(issue.fields.status.name).toBe(w.status);
      expect(issue.fields.comment.total).toBe(w.comments.length);
      // §4 [S56]: self is the api gateway URL of the issue
      expect(issue.self).toBe(`${sim.urls.api}/ex/jira/${ACME}/rest/api/3/issue/${w.id}`);
      await client.close();
    });
  }

  test('searchJiraIssuesUsingJql filters and orders like JQL: project = DEMO ORDER BY key ASC', async ({ sim }) => {
    const client = await connect(sim);
    const r = await ok<{ issues: Array<{ key: string }>; isLast: boolean }>(client, 'searchJiraIssuesUsingJql', {
      cloudId: ACME,
      jql: 'project = DEMO ORDER BY key ASC',
    });
    const expected = (await worldData(sim))[ACME]!.jira.issues.filter((i) => i.projectKey === 'DEMO').map((i) => i.key);
    expect(r.issues.map((i) => i.key)).toEqual(expected.sort());
    expect(r.isLast).toBe(true);
    const paged = await ok<{ issues: Array<{ key: string }>; nextPageToken?: string }>(client, 'searchJiraIssuesUsingJql', {
      cloudId: ACME,
      jql: 'project = DEMO ORDER BY key ASC',
      maxResults: 2,
    });
    expect(paged.issues).toHaveLength(2);
    const rest = await ok<{ issues: Array<{ key: string }> }>(client, 'searchJiraIssuesUsingJql', {
      cloudId: ACME,
      jql: 'project = DEMO ORDER BY key ASC',
      maxResults: 2,
      nextPageToken: paged.nextPageToken,
    });
    expect([...paged.issues, ...rest.issues].map((i) => i.key)).toEqual(expected.sort());
    await client.close();
  });

  test("a JQL field that does not exist is a tool error in Jira's wording", async ({ sim }) => {
    const client = await connect(sim);
    expect(await errorMessage(client, 'searchJiraIssuesUsingJql', { cloudId: ACME, jql: 'flavour = vanilla' })).toContain(
      "Error in the JQL Query: Field 'flavour' does not exist or you do not have permission to view it.",
    );
    await client.close();
  });

  test('Confluence spaces, pages and page bodies come from the world', async ({ sim }) => {
    const client = await connect(sim);
    const conf = (await worldData(sim))[ACME]!.confluence;
    const spaces = await ok<{ results: Array<{ id: string; key: string }> }>(client, 'getConfluenceSpaces', {
      cloudId: ACME,
      keys: ['DEMO'],
    });
    expect(spaces.results.map((s) => s.key)).toEqual(['DEMO']);
    const demo = spaces.results[0]!;
    const pages = await ok<{ results: Array<{ id: string; title: string; spaceId: string }> }>(client, 'getPagesInConfluenceSpace', {
      cloudId: ACME,
      spaceId: demo.id,
    });
    expect(pages.results.map((p) => p.id).sort()).toEqual(
      conf.pages
        .filter((p) => p.spaceId === demo.id)
        .map((p) => p.id)
        .sort(),
    );
    const home = conf.pages.find((p) => p.spaceId === demo.id && p.title === 'Demo home')!;
    const page = await ok<{ title: string; version: { number: number }; body: string }>(client, 'getConfluencePage', {
      cloudId: ACME,
      pageId: home.id,
      contentFormat: 'markdown',
    });
    expect(page).toMatchObject({ title: home.title, version: { number: home.version }, body: home.body.replace(/<[^>]+>/g, '') });
    const comments = await ok<{ results: Array<{ id: string }> }>(client, 'getConfluencePageFooterComments', {
      cloudId: ACME,
      pageId: home.id,
    });
    expect(comments.results.map((c) => c.id)).toEqual(home.footerComments.map((c) => c.id));
    const cql = await ok<{ results: Array<{ content: { id: string } }> }>(client, 'searchConfluenceUsingCql', {
      cloudId: ACME,
      cql: `space = DEMO AND title ~ "home"`,
    });
    expect(cql.results.map((r) => r.content.id)).toEqual([home.id]);
    await client.close();
  });

  test('search and fetch find a Jira issue by its summary and ARI', async ({ sim }) => {
    const client = await connect(sim);
    const hits = await ok<{ results: Array<{ id: string; title: string; cloudId: string }> }>(client, 'search', { query: 'login bug' });
    // both default sites carry the same Jira data: one hit per site
    expect(hits.results.map((h) => [h.title, h.cloudId])).toEqual([
      ['DEMO-2: Fix the login bug', ACME],
      ['DEMO-2: Fix the login bug', GLOBEX],
    ]);
    const ari = hits.results[0]!.id;
    expect(ari).toMatch(/^ari:cloud:jira:[0-9a-f-]{36}:issue\/\d+$/);
    const doc = await ok<{ id: string; title: string; metadata: { key: string } }>(client, 'fetch', { id: ari });
    expect(doc).toMatchObject({ id: ari, title: 'DEMO-2: Fix the login bug', metadata: { key: 'DEMO-2' } });
    await client.close();
  });
});

test.describe('negative calls', () => {
  test('an unknown cloudId is a tool error naming it', async ({ sim }) => {
    const client = await connect(sim);
    expect(await errorMessage(client, 'getJiraIssue', { cloudId: 'nowhere.atlassian.net', issueIdOrKey: 'DEMO-1' })).toBe(
      'Cloud id "nowhere.atlassian.net" is not one of the sites you can access. Call getAccessibleAtlassianResources to list them.',
    );
    await client.close();
  });

  test('a site the user is not a member of is refused like an unknown one', async ({ sim }) => {
    await sim.admin.patchWorld({ users: { 'member@sim.example': { sites: { [GLOBEX]: null } } } });
    const client = await connect(sim);
    expect(await errorMessage(client, 'getVisibleJiraProjects', { cloudId: GLOBEX })).toContain('is not one of the sites you can access');
    await client.close();
  });

  test('no Jira product access on the site is a tool error', async ({ sim }) => {
    await sim.admin.patchWorld({ users: { 'member@sim.example': { sites: { [ACME]: { jira: 'none' } } } } });
    const client = await connect(sim);
    expect(await errorMessage(client, 'getJiraIssue', { cloudId: ACME, issueIdOrKey: 'DEMO-1' })).toBe(
      "You don't have access to Jira on acme-sim.atlassian.net.",
    );
    await client.close();
  });

  test("an issue that does not exist is a tool error in Jira's wording", async ({ sim }) => {
    const client = await connect(sim);
    expect(await errorMessage(client, 'getJiraIssue', { cloudId: ACME, issueIdOrKey: 'DEMO-999' })).toBe(
      'Issue does not exist or you do not have permission to see it.',
    );
    await client.close();
  });

  test('a missing required argument is an input validation error result (SDK behaviour)', async ({ sim }) => {
    const client = await connect(sim);
    const r = await call(client, 'getJiraIssue', { cloudId: ACME });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('Input validation error');
    expect(r.text).toContain('issueIdOrKey');
    await client.close();
  });
});

test.describe('write tools change the world', () => {
  test('createJiraIssue, addCommentToJiraIssue and transitionJiraIssue on SBX', async ({ sim }) => {
    const client = await connect(sim);
    const created = await ok<{ id: string; key: string }>(client, 'createJiraIssue', {
      cloudId: ACME,
      projectKey: 'SBX',
      issueTypeName: 'Task',
      summary: 'probe from self-test',
      description: 'body text',
    });
    expect(created.key).toBe('SBX-2');
    const comment = await ok<{ id: string }>(client, 'addCommentToJiraIssue', {
      cloudId: ACME,
      issueIdOrKey: created.key,
      commentBody: 'a comment',
    });
    await ok(client, 'transitionJiraIssue', { cloudId: ACME, issueIdOrKey: created.key, transition: { id: '31' } });
    const w = (await worldData(sim))[ACME]!.jira.issues.find((i) => i.key === created.key)!;
    expect(w).toMatchObject({
      id: created.id,
      summary: 'probe from self-test',
      status: 'Done',
      comments: [{ id: comment.id, body: 'a comment' }],
    });
    // the same data through the read tool
    const back = await ok<{ fields: { status: { name: string } } }>(client, 'getJiraIssue', { cloudId: ACME, issueIdOrKey: created.key });
    expect(back.fields.status.name).toBe('Done');
    await client.close();
  });

  test('an invalid transition id is refused and the world is unchanged', async ({ sim }) => {
    const client = await connect(sim);
    expect(await errorMessage(client, 'transitionJiraIssue', { cloudId: ACME, issueIdOrKey: 'SBX-1', transition: { id: '999' } })).toBe(
      "Transition id '999' is not valid for this issue.",
    );
    expect((await worldData(sim))[ACME]!.jira.issues.find((i) => i.key === 'SBX-1')!.status).toBe('To Do');
    await client.close();
  });

  test('createConfluencePage then updateConfluencePage bumps the version; a duplicate title is refused', async ({ sim }) => {
    const client = await connect(sim);
    const sbx = (await worldData(sim))[ACME]!.confluence.spaces.find((s) => s.key === 'SBX')!;
    const page = await ok<{ id: string; spaceId: string; version: { number: number } }>(client, 'createConfluencePage', {
      cloudId: ACME,
      spaceId: sbx.id,
      title: 'Probe page',
      body: 'Hello',
      contentFormat: 'markdown',
    });
    expect(page).toMatchObject({ spaceId: sbx.id, version: { number: 1 } });
    const updated = await ok<{ version: { number: number } }>(client, 'updateConfluencePage', {
      cloudId: ACME,
      pageId: page.id,
      title: 'Probe page 2',
      body: 'Updated',
    });
    expect(updated.version.number).toBe(2);
    const w = (await worldData(sim))[ACME]!.confluence.pages.find((p) => p.id === page.id)!;
    expect(w).toMatchObject({ title: 'Probe page 2', version: 2, body: '<p>Updated</p>' });
    expect(
      await errorMessage(client, 'createConfluencePage', { cloudId: ACME, spaceId: sbx.id, title: 'Probe page 2', body: 'again' }),
    ).toContain('A page with this title already exists');
    await client.close();
  });
});

test.describe('more write tools', () => {
  test('editJiraIssue, addWorklogToJiraIssue and createIssueLink land in the world', async ({ sim }) => {
    const client = await connect(sim);
    await ok(client, 'editJiraIssue', { cloudId: ACME, issueIdOrKey: 'SBX-1', fields: { summary: 'edited by MCP' } });
    const wl = await ok<{ id: string; timeSpentSeconds: number }>(client, 'addWorklogToJiraIssue', {
      cloudId: ACME,
      issueIdOrKey: 'SBX-1',
      timeSpent: '1h 30m',
    });
    expect(wl.timeSpentSeconds).toBe(5400);
    const link = await ok<{ id: string; type: { name: string } }>(client, 'createIssueLink', {
      cloudId: ACME,
      inwardIssue: 'SBX-1',
      outwardIssue: 'DEMO-1',
      type: 'relates',
    });
    expect(link.type.name).toBe('Relates');
    const w = (
      await sim.admin.world<{
        data: Record<
          string,
          { jira: { issues: Array<WorldIssue & { worklogs: Array<{ id: string }>; links: Array<{ id: string; type: string }> }> } }
        >;
      }>()
    ).data[ACME]!.jira.issues;
    const sbx1 = w.find((i) => i.key === 'SBX-1')!;
    expect(sbx1.summary).toBe('edited by MCP');
    expect(sbx1.worklogs.map((x) => x.id)).toContain(wl.id);
    expect(w.find((i) => i.key === 'DEMO-1')!.links.map((l) => [l.id, l.type])).toContainEqual([link.id, 'Relates']);
    expect(await errorMessage(client, 'editJiraIssue', { cloudId: ACME, issueIdOrKey: 'SBX-1', fields: { flavour: 'x' } })).toBe(
      "Field 'flavour' cannot be set. It is not on the appropriate screen, or unknown.",
    );
    await client.close();
  });

  test('a footer comment and its reply: the reply is a child, not a top-level comment', async ({ sim }) => {
    const client = await connect(sim);
    const page = (await worldData(sim))[ACME]!.confluence.pages.find((p) => p.title === 'Sandbox home')!;
    const top = await ok<{ id: string }>(client, 'createConfluenceFooterComment', { cloudId: ACME, pageId: page.id, body: 'top comment' });
    const reply = await ok<{ id: string; parentCommentId: string }>(client, 'createConfluenceFooterComment', {
      cloudId: ACME,
      parentCommentId: top.id,
      body: 'a reply',
    });
    expect(reply.parentCommentId).toBe(top.id);
    const list = await ok<{ results: Array<{ id: string }> }>(client, 'getConfluencePageFooterComments', {
      cloudId: ACME,
      pageId: page.id,
    });
    expect(list.results.map((c) => c.id)).toEqual([top.id]);
    const kids = await ok<{ results: Array<{ id: string }> }>(client, 'getConfluenceCommentChildren', {
      cloudId: ACME,
      commentId: top.id,
      commentType: 'footer',
    });
    expect(kids.results.map((c) => c.id)).toEqual([reply.id]);
    expect(
      await errorMessage(client, 'createConfluenceInlineComment', {
        cloudId: ACME,
        pageId: page.id,
        body: 'x',
        inlineCommentProperties: { textSelection: 'not on the page', textSelectionMatchCount: 1, textSelectionMatchIndex: 0 },
      }),
    ).toBe('The text selection "not on the page" was not found on the page.');
    await client.close();
  });
});
