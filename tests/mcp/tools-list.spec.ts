/**
 * tools/list (and on v2 discover) compared with the tool expectations file (tests/expectations/tools-<target>.json):
 * a tool that disappeared while a similarly named one appeared is a probable rename (`mcp-tool-renamed`, both names
 * listed); a tool gone without a successor is `scope-filtered`, new tools alone are `mcp-tool-added`; a listing the
 * server refused (tools/list or discover failed) fails with the refusal's own category, not as a drift. Also: every listed tool has an object
 * input schema, and the sweep can build arguments for every required property (docs/reference/atlassian-mcp.md §4).
 */
import { expect, test } from '../../fixtures/index.ts';
import { deriveArguments } from '../../fixtures/mcp/arguments.ts';
import { catalogEntry, documentedRenames } from '../../fixtures/mcp/catalog.ts';
import { diffToolLists, type ListDrift } from '../../fixtures/mcp/drift.ts';
import { toolExpectationsName } from '../../fixtures/mcp/expectations.ts';
import { expectToolOk, labelMcp } from '../../fixtures/mcp/fixture.ts';
import { driftError, listingError, noToolExpectationsYet } from '../../fixtures/mcp/verdicts.ts';

test('tools/list matches the expected tool set for each expectation profile', async ({ mcp, config, target }) => {
  const ex = mcp.expectations;
  test.skip(!ex, noToolExpectationsYet(`no ${toolExpectationsName(config.target)} to compare tools/list with`));
  const renames = documentedRenames(mcp.catalog);
  const drifts: Array<{ id: string; drift: ListDrift }> = [];
  for (const [id, p] of Object.entries(ex!.profiles)) {
    if (p.auth === 'console-3lo' || p.auth === 'oauth-mcp') continue; // need a browser token: covered in user-story/oauth specs
    if (p.auth !== 'service-key' && !config.accounts.some((a) => a.role === p.account)) continue;
    if (p.auth !== 'api-token' && !mcp.canSweepAs(p.auth, target)) continue; // credential only known on the simulator
    const s = await mcp.session({ role: p.account, auth: p.auth, endpoint: p.endpoint });
    expectToolOk(s.initialize);
    const listing = await s.operations();
    const refused = listingError(`${id} tools/list`, listing.records, listing.problems);
    if (refused) throw refused;
    drifts.push({ id: `${id} tools/list`, drift: diffToolLists(p.listed, listing.listed, renames) });
    if (p.discovered) drifts.push({ id: `${id} discover`, drift: diffToolLists(p.discovered, listing.discovered, renames) });
  }
  expect(drifts.length, 'at least one profile must be comparable with the configured accounts').toBeGreaterThan(0);
  const err = driftError(`tools/list against ${toolExpectationsName(config.target)}`, drifts);
  if (err) throw err;
});

test('every listed operation has an object input schema and the sweep can build its required arguments', async ({ mcp }) => {
  const s = await mcp.session();
  await labelMcp({ account: s.account, authMode: s.authMode });
  const listing = await s.operations();
  expect(listing.problems).toEqual([]);
  expect(listing.operations.length).toBeGreaterThan(0);
  const problems: string[] = [];
  for (const op of listing.operations) {
    if (op.inputSchema?.type !== 'object') problems.push(`${op.name}: inputSchema.type is ${JSON.stringify(op.inputSchema?.type)}`);
    const d = deriveArguments(mcp.catalog, op.inputSchema, catalogEntry(mcp.catalog, op.name));
    if (d.missing.length)
      problems.push(`${op.name}: no value for required ${d.missing.join(', ')} (add it to "parameters" in fixtures/mcp/tools.json)`);
  }
  expect(problems, 'operation schemas vs the catalog').toEqual([]);
});
