/**
 * EVERY operation the live server lists — `tools/list` on v1, the primary tools plus what `discover` returns on v2 —
 * called once per auth mode that can see it, with arguments built from its input schema and run-time values
 * (fixtures/mcp/sweep.ts; one sweep per worker, endpoint and auth mode). Writes run only with a sandbox recipe in the
 * sandbox project/space named in config; an operation the catalog has never heard of is still called when it only
 * reads, and reported "not exercised: writes, no sandbox recipe" otherwise. A known failure (tool expectations) passes
 * only with exactly its category; one that disappeared is `known-failure-fixed`.
 *
 * One test per operation the expectations file names (so the report and the gate follow each operation), one per
 * endpoint and auth mode for what the server lists beyond the file, and one comparing the endpoints: an operation
 * that works on one and fails on another is a finding of its own. The endpoints are those of MCP_ENDPOINT (one, a
 * list, or all). A target without a profile for an endpoint and auth mode (a first run on a real site) compares
 * nothing: the sweep still runs and is recorded, and its test skips with "no expectations yet: run `npm run
 * expectations -- --write` after this run".
 */
import { HarnessError } from '../../fixtures/core/categories.ts';
import { loadConfig } from '../../fixtures/core/config.ts';
import { labelOutcome } from '../../fixtures/core/labels.ts';
import { expect, test } from '../../fixtures/index.ts';
import { documentedRenames } from '../../fixtures/mcp/catalog.ts';
import { diffToolLists } from '../../fixtures/mcp/drift.ts';
import { loadToolExpectations, profileFor, toolExpectationsName } from '../../fixtures/mcp/expectations.ts';
import { labelMcp, type McpFixture } from '../../fixtures/mcp/fixture.ts';
import { isMetaTool } from '../../fixtures/mcp/operations.ts';
import { describeItem } from '../../fixtures/mcp/sweep.ts';
import { divergenceError, itemError, noToolExpectationsYet, sweepError } from '../../fixtures/mcp/verdicts.ts';
import { HEADLESS_AUTH_MODES, type HeadlessAuthMode, MCP_ENDPOINTS, type McpEndpoint } from '../../fixtures/mcp/vocabulary.ts';

// one worker, in order: each operation is called once per endpoint and auth mode (the worker's shared sweep), and a
// failing test does not stop the others
test.describe.configure({ mode: 'default' });

const config = loadConfig();
const expectations = loadToolExpectations(config.target);

function skipUnlessSwept(mcp: McpFixture, endpoint: McpEndpoint, auth: HeadlessAuthMode): void {
  test.skip(
    !mcp.endpoints.includes(endpoint),
    `MCP_ENDPOINT is ${mcp.endpoints.join(',')}: set MCP_ENDPOINT=${endpoint} or all to sweep ${endpoint}`,
  );
  test.skip(!mcp.canSweepAs(auth), `${auth}: no credential for this mode is configured for a real target (simulator only)`);
}

for (const endpoint of MCP_ENDPOINTS) {
  for (const auth of HEADLESS_AUTH_MODES) {
    const found = profileFor(expectations, { endpoint, auth });
    const named = found ? [...new Set([...found.profile.listed, ...(found.profile.discovered ?? [])])].filter((n) => !isMetaTool(n)) : [];

    test.describe(`${endpoint} · ${auth}`, () => {
      for (const op of named) {
        test(`${op} answers with real arguments and its output passes the checks`, async ({ mcp }) => {
          skipUnlessSwept(mcp, endpoint, auth);
          test.setTimeout(180_000);
          const { sweep, item } = await mcp.sweepItem({ endpoint, auth }, op);
          await labelMcp({ tool: op, account: sweep.account, authMode: auth, cloudId: item?.record?.cloudId });
          if (!item) {
            const live = [...sweep.listing.listed, ...sweep.listing.discovered];
            const renamed = diffToolLists(named, live, documentedRenames(mcp.catalog)).renamed.find((r) => r.from === op);
            if (renamed)
              throw new HarnessError('mcp-tool-renamed', `${op} is gone and ${renamed.to} appeared (probable rename, ${renamed.basis})`);
            throw new HarnessError(
              'scope-filtered',
              `${op} is expected (${toolExpectationsName(config.target)} profile ${found!.id}) but ${endpoint} does not list it for ${sweep.account}; the tools/list test names renames`,
            );
          }
          test.skip(item.status === 'not-exercised', `not exercised: ${item.reason}`);
          if (item.status === 'known-failure') {
            await labelOutcome(item.category!);
            test.info().annotations.push({ type: 'known failure (tool expectations)', description: item.reason ?? '' });
            return;
          }
          if (item.status === 'failed') throw itemError(item);
        });
      }

      test('every operation the server lists is called, also those the expectations file does not name', async ({ mcp }) => {
        skipUnlessSwept(mcp, endpoint, auth);
        test.setTimeout(180_000);
        const r = await mcp.sharedSweep({ endpoint, auth });
        await labelMcp({ account: r.account, authMode: auth });
        expect(r.listing.problems, 'the operation listing was built completely').toEqual([]);
        expect(r.called.length, `${endpoint} lists operations and the sweep called them`).toBeGreaterThan(0);
        if (!found) {
          // nothing to compare with yet: what each operation did is in the sweep summary attached above, which the
          // expectations script turns into this profile; the failures seen are named here and labelled
          for (const i of r.failed) test.info().annotations.push({ type: 'observed (no expectations yet)', description: describeItem(i) });
          if (r.failed[0]?.category) await labelOutcome(r.failed[0].category);
          test.skip(
            true,
            noToolExpectationsYet(
              `${r.called.length} operations called, ${r.failed.length} failed; ${toolExpectationsName(config.target)} has no ${endpoint} · ${auth} profile`,
            ),
          );
        }
        const err = sweepError(r, (i) => !named.includes(i.operation));
        if (err) throw err;
      });
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
