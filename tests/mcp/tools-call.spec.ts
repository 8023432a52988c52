/**
 * EVERY operation the live server lists — `tools/list` on v1, the primary tools plus what `discover` returns on v2 —
 * called once per auth mode that can see it, with arguments built from its input schema and run-time values
 * (fixtures/mcp/sweep.ts). Writes run only with a sandbox recipe in the sandbox project/space named in config; an
 * operation the catalog has never heard of is still called when it only reads, and reported "not exercised: writes,
 * no sandbox recipe" otherwise. A known failure (tool expectations) passes only with exactly its category; one that
 * disappeared is `known-failure-fixed`.
 *
 * The endpoints are those of MCP_ENDPOINT (one, a list, or all); the last test compares endpoints: an operation that
 * works on one and fails on another is a finding of its own.
 */
import { HarnessError } from '../../fixtures/core/categories.ts';
import { expect, test } from '../../fixtures/index.ts';
import { labelMcp } from '../../fixtures/mcp/fixture.ts';
import { describeItem } from '../../fixtures/mcp/sweep.ts';
import { divergenceError } from '../../fixtures/mcp/verdicts.ts';
import { HEADLESS_AUTH_MODES, MCP_ENDPOINTS } from '../../fixtures/mcp/vocabulary.ts';

test.describe.configure({ mode: 'serial' });

for (const endpoint of MCP_ENDPOINTS) {
  for (const auth of HEADLESS_AUTH_MODES) {
    test(`${endpoint} · ${auth}: every operation the server lists answers with real arguments`, async ({ mcp }) => {
      test.skip(
        !mcp.endpoints.includes(endpoint),
        `MCP_ENDPOINT is ${mcp.endpoints.join(',')}: set MCP_ENDPOINT=${endpoint} or all to sweep ${endpoint}`,
      );
      test.skip(!mcp.canSweepAs(auth), `${auth}: no credential for this mode is configured for a real target (simulator only)`);
      test.setTimeout(180_000);
      const r = await mcp.sweep({ endpoint, auth });
      await labelMcp({ account: r.account, authMode: auth });
      expect(r.listing.problems, 'the operation listing was built completely').toEqual([]);
      expect(r.called.length, `${endpoint} lists operations and the sweep called them`).toBeGreaterThan(0);
      if (r.failed.length) {
        const first = r.failed[0]!;
        throw new HarnessError(
          first.category ?? 'unexpected',
          `${r.failed.length} of ${r.items.length} operations on ${endpoint} as ${r.account} (${auth}) failed:\n  ${r.failed.map(describeItem).join('\n  ')}`,
          { profile: r.profileId, endpoint, auth },
        );
      }
    });
  }
}

test('an operation that works on one endpoint works on every endpoint that lists it', async ({ mcp }) => {
  test.setTimeout(180_000);
  const { sweeps, divergences } = await mcp.compareEndpoints(MCP_ENDPOINTS);
  for (const s of sweeps)
    test.info().annotations.push({ type: `swept ${s.endpoint}`, description: `${s.called.length} operations called` });
  if (divergences.length) throw divergenceError(divergences);
});
