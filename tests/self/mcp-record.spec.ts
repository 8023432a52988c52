/**
 * Self-tests: an operation a v2 execute tool carries is recorded under that operation (`listJiraProjects via
 * executeRead`), not under the carrier: its call record, its evidence (attachment name, operation, `detail.via`), and
 * its shape in the recording (fixtures/core/shape.ts, HARNESS_RECORD_DIR), so recordings, drift and expectations
 * compare one operation with the same operation.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setRecordDir } from '../../fixtures/core/shape.ts';
import { expect, test } from '../../fixtures/index.ts';
import { expectToolOk } from '../../fixtures/mcp/fixture.ts';
import { recordedOperation } from '../../fixtures/mcp/record.ts';
import { readShapeLines } from '../../scripts/record.ts';
import { WORLD } from '../support/world.ts';

test('an operation run through executeRead is recorded, attached and shaped under its own name', async ({ mcp, sim }) => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'mcp-record-'));
  setRecordDir(tmp);
  try {
    const s = await mcp.session({ endpoint: 'v2', mcpBase: sim.urls.mcp, fresh: true });
    expectToolOk(s.initialize);
    const listing = await s.operations();
    const carried = listing.operations.filter((o) => o.via === 'executeRead').map((o) => o.name);
    expect(carried, 'v2 reaches listJiraProjects through executeRead').toContain('listJiraProjects');
    const direct = listing.operations.find((o) => !o.via && o.name === 'getAccessibleAtlassianResources');
    expect(direct, 'and lists getAccessibleAtlassianResources as a primary tool').toBeDefined();

    const rec = await s.invoke('listJiraProjects', { cloudId: WORLD.sites.acme.cloudId });
    expectToolOk(rec);
    expect(rec.operation).toBe('listJiraProjects');
    expect(rec.via).toBe('executeRead');
    expect(rec.args, 'the arguments are the operation’s, not the carrier’s envelope').toEqual({ cloudId: WORLD.sites.acme.cloudId });
    expect(recordedOperation(rec)).toBe('listJiraProjects via executeRead');
    expectToolOk(await s.invoke('getAccessibleAtlassianResources', {}));

    const ev = test.info().attachments.filter((a) => a.name === 'evidence: mcp listJiraProjects via executeRead');
    expect(ev, 'one evidence record named after the operation and its carrier').toHaveLength(1);
    expect(JSON.parse(ev[0]!.body!.toString())).toMatchObject({ operation: 'listJiraProjects', detail: { via: 'executeRead' } });
    expect(test.info().attachments.some((a) => a.name === 'evidence: mcp executeRead')).toBe(false);

    const calls = (readShapeLines(tmp).mcp ?? []).map((c) => c.call);
    expect(calls, 'the shape is recorded under the operation').toContain('api-token /v2/mcp listJiraProjects via executeRead');
    expect(calls).toContain('api-token /v2/mcp getAccessibleAtlassianResources');
    expect(
      calls.filter((c) => /^[\w-]+ \/v2\/mcp execute\w*$/.test(c)),
      'no operation is lumped under the bare execute tool',
    ).toEqual([]);
    expect(
      calls.filter((c) => c.endsWith(' initialize')),
      'initialize is recorded once per opening',
    ).toHaveLength(1);
  } finally {
    setRecordDir(undefined);
    rmSync(tmp, { recursive: true, force: true });
  }
});
