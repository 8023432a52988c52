/**
 * Self-tests of the shape recorder and the drift report (fixtures/core/shape.ts, scripts/record.ts, scripts/drift.ts)
 * on a PRIVATE simulator: the same REST probes (fixtures/rest/client.ts) and MCP calls (fixtures/mcp/session.ts) are
 * made with recording on, twice on the same world (zero drift), then after the world or a response was changed
 * through the admin API (the drift is reported at the changed path). The recording holds no secret: the secret
 * scanner (scripts/scan-secrets.ts) runs over it with the token and the simulator's canary as needles.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { diffShapes, pathTemplate, type Recording, setRecordDir, shapeOf } from '../../fixtures/core/shape.ts';
import { type SimHandle, startSimulator } from '../../fixtures/core/simulator.ts';
import { McpSession } from '../../fixtures/mcp/session.ts';
import { RestClient } from '../../fixtures/rest/client.ts';
import { drift } from '../../scripts/drift.ts';
import { readRecording, readShapeLines, writeRecording } from '../../scripts/record.ts';
import { scanSecrets } from '../../scripts/scan-secrets.ts';
import { ACCOUNTS, ACME, APP_SCOPES, oauthToken } from '../sim/helpers.ts';

const MEMBER_TOKEN = 'ATATT3xSIMCANARY-member-scoped-token';

let sim: SimHandle;
let tmp: string;

test.beforeAll(async () => {
  sim = await startSimulator();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'drift-selftest-'));
});
test.afterAll(async () => {
  setRecordDir(undefined);
  await sim?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});
test.afterEach(async () => {
  await sim.admin.reset();
});

/** The calls a suite makes: REST probes as the admin (3LO), MCP calls as the member (API token). Returns the folded recording. */
async function recordCalls(name: string): Promise<{ recording: Recording; token: string }> {
  const dir = path.join(tmp, name);
  const token = await oauthToken(sim, { account: ACCOUNTS.admin, scopes: APP_SCOPES, sites: [ACME] });
  setRecordDir(dir);
  try {
    const rest = new RestClient({ baseUrl: sim.urls.api, retry: { maxRetries: 0 } });
    const jira = `/ex/jira/${ACME}/rest/api/3`;
    for (const p of [
      '/oauth/token/accessible-resources',
      '/me',
      `${jira}/myself`,
      `${jira}/issue/DEMO-1`,
      `${jira}/issue/DEMO-1/comment`,
      `${jira}/issue/NOPE-404`,
      `${jira}/project/search?maxResults=5`,
      `/ex/confluence/${ACME}/wiki/api/v2/spaces?limit=5`,
    ])
      await rest.request({ method: 'GET', path: p, token, lane: ACME });
    await rest.request({ method: 'GET', path: `${jira}/myself`, token: 'not-a-token' });
    await rest.close();
    const basic = `Basic ${Buffer.from(`member@sim.example:${MEMBER_TOKEN}`).toString('base64')}`;
    const mcp = await McpSession.open({
      url: new URL('/v1/mcp', sim.urls.mcp),
      credentials: { mode: 'api-token', account: 'member', authorization: basic },
    });
    await mcp.listTools();
    await mcp.call('getAccessibleAtlassianResources', {});
    await mcp.call('getJiraIssue', { cloudId: ACME, issueIdOrKey: 'DEMO-1' });
    await mcp.terminate();
  } finally {
    setRecordDir(null);
  }
  const recording = readShapeLines(dir);
  writeRecording(dir, recording);
  return { recording, token };
}

test('a recording made from the simulator shows zero drift against the same simulator, and holds no secret', async () => {
  const a = await recordCalls('a');
  const b = await recordCalls('b');
  expect(a.recording.rest.map((c) => c.call)).toContain('GET /ex/jira/{cloudId}/rest/api/3/issue/{issueKey}');
  expect(a.recording.rest.length).toBeGreaterThanOrEqual(7);
  expect(a.recording.mcp.map((c) => c.call)).toContain('api-token /v1/mcp getJiraIssue');
  // the file form reads back as it was written, sorted
  expect(readRecording(path.join(tmp, 'a'))).toEqual(a.recording);
  const calls = a.recording.rest.map((c) => c.call);
  expect(calls).toEqual([...calls].sort());
  const myself = a.recording.rest.find((c) => c.call === 'GET /ex/jira/{cloudId}/rest/api/3/myself')!;
  expect(myself.variants.map((v) => v.status)).toEqual([200, 401]);
  expect(myself.variants[1]!.headers).toContain('atl-traceid');

  const r = drift(a.recording, b.recording);
  expect(r.text).toContain(`REST ${a.recording.rest.length}/${a.recording.rest.length} same shape`);
  expect(r.report.calls).toEqual([]);
  expect(r.exitCode).toBe(0);

  const file = readFileSync(path.join(tmp, 'a', 'rest.json'), 'utf8');
  expect(file).not.toContain(ACME);
  expect(file).not.toContain('Set up the integration'); // an issue summary is a value, never recorded
  const scan = await scanSecrets({
    roots: [path.join(tmp, 'a')],
    secrets: [
      { value: a.token, kind: 'access token' },
      { value: sim.urls.canary, kind: 'simulator canary' },
      { value: 'member@sim.example', kind: 'email' },
    ],
    quiet: true,
  });
  expect(scan.filesScanned).toBe(3); // rest.json, mcp.json and the raw shape lines
  expect(scan.findings).toEqual([]);
});

test('a world change is reported at the JSON path it changed, on REST and MCP', async () => {
  const before = await recordCalls('before');
  const world = await sim.admin.world<{ data: Record<string, { jira: { issues: Array<Record<string, unknown>> } }> }>();
  for (const issue of world.data[ACME]!.jira.issues) if (issue.key === 'DEMO-1') delete issue.description;
  await sim.admin.replaceWorld(world);
  const after = await recordCalls('after');
  const r = drift(before.recording, after.recording);
  expect(r.exitCode).toBe(1);
  const issue = r.report.calls.find((c) => c.surface === 'rest' && c.call === 'GET /ex/jira/{cloudId}/rest/api/3/issue/{issueKey}');
  expect(issue?.diffs.map((d) => `${d.kind} ${d.at}`)).toContainEqual(expect.stringMatching(/^(type|missing key) \$\.fields\.description/));
  expect(r.report.calls.some((c) => c.surface === 'mcp' && c.call === 'api-token /v1/mcp getJiraIssue')).toBe(true);
  expect(r.text).toMatch(/REST \d+\/\d+ same shape, MCP \d+\/\d+ same shape$/);
  expect(r.report.totals.rest.same).toBe(r.report.totals.rest.total - 1);
});

test('a status the simulator changed (a fault rule) is reported as status, header and body drift', async () => {
  const before = await recordCalls('status-before');
  await sim.admin.setFaults({ rules: [{ role: 'api', pathRegex: '/rest/api/3/project/search$', status: 503 }] });
  const after = await recordCalls('status-after');
  const r = drift(before.recording, after.recording);
  expect(r.exitCode).toBe(1);
  const search = r.report.calls.find((c) => c.call === 'GET /ex/jira/{cloudId}/rest/api/3/project/search?maxResults=');
  expect(search?.diffs).toContainEqual({ kind: 'status', at: 'status', recorded: '200', observed: '503' });
  expect(search?.diffs).toContainEqual(expect.objectContaining({ kind: 'missing key', at: '$.values' }));
  expect(r.report.calls).toHaveLength(1);
  expect(r.text).toContain('status at status: recorded 200, simulator 503');
});

test('shapes: ids become placeholders, a sometimes-null object stays readable, values never appear', () => {
  expect(pathTemplate(`/ex/jira/${ACME}/rest/api/3/issue/DEMO-12/comment/10042?expand=x&startAt=0`)).toBe(
    '/ex/jira/{cloudId}/rest/api/3/issue/{issueKey}/comment/{id}?expand=&startAt=',
  );
  expect(pathTemplate('/rest/api/3/user?accountId=557058:00000000-0000-4000-8000-0000000000a1')).toBe('/rest/api/3/user?accountId=');
  const s = shapeOf([
    { a: null, message: 'Issue does not exist', name: 'Alice Example' },
    { a: { b: 1 }, message: 'x@y.example' },
  ]);
  expect(s).toEqual([{ a: { $also: 'null', b: 'number' }, message: 'string|text:Issue does not exist', name: 'string' }]);
  expect(diffShapes(s, [{ a: { b: 'number' }, message: 'string|text:Issue does not exist', name: 'string' }])).toEqual([
    { kind: 'type', at: '$[].a', recorded: 'object|null', observed: 'object|(none)' },
  ]);
  expect(diffShapes({ message: 'text:Unauthorized' }, { message: 'text:Forbidden' })).toEqual([
    { kind: 'text', at: '$.message', recorded: 'text:Unauthorized', observed: 'text:Forbidden' },
  ]);
});
