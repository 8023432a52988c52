/**
 * The OAuth discovery chain (PRM → AS metadata → DCR) of each endpoint, with every quirk as a named finding
 * (fixtures/mcp/discovery.ts). The known findings per endpoint are in the tool expectations file; a finding that
 * appears or disappears is a change (atlassian-mcp.md §2a: behaviour changed over 2026).
 */

import { HarnessError } from '../../fixtures/core/categories.ts';
import { labelOutcome } from '../../fixtures/core/labels.ts';
import { expect, test } from '../../fixtures/index.ts';
import { diffFindings, toolExpectationsName } from '../../fixtures/mcp/expectations.ts';
import { noToolExpectationsYet } from '../../fixtures/mcp/verdicts.ts';
import { MCP_ENDPOINTS } from '../../fixtures/mcp/vocabulary.ts';

for (const endpoint of MCP_ENDPOINTS) {
  test(`${endpoint} discovery chain reports only the known findings`, async ({ mcp, config }) => {
    const report = await mcp.discover(endpoint);
    for (const f of report.findings) test.info().annotations.push({ type: `finding ${f.id}`, description: `${f.detail} — ${f.cite}` });
    if (report.findings.length) await labelOutcome('mcp-discovery');
    const known = mcp.expectations?.discovery[endpoint];
    test.skip(
      known === undefined,
      noToolExpectationsYet(`no discovery findings for ${endpoint} in ${toolExpectationsName(config.target)}`),
    );
    const d = diffFindings(
      known!,
      report.findings.map((f) => f.id),
    );
    if (d.appeared.length || d.disappeared.length) {
      throw new HarnessError(
        'mcp-discovery',
        `${endpoint} discovery changed: appeared ${JSON.stringify(d.appeared)}, disappeared ${JSON.stringify(d.disappeared)}\n` +
          report.findings.map((f) => `  ${f.id}: ${f.detail}`).join('\n'),
        { steps: report.steps },
      );
    }
    // the chain itself: a 401 first, and either registration worked or a named finding says why not
    expect(report.steps[0]?.status).toBe(401);
    const registered = report.registration?.clientId !== undefined;
    const explained = report.findings.some((f) =>
      ['prm-missing', 'as-metadata-missing', 'dcr-missing', 'dcr-404', 'dcr-failed'].includes(f.id),
    );
    expect(registered || explained, 'DCR neither worked nor was explained by a finding').toBe(true);
  });
}

test('the retired /v1/sse endpoint answers 404 "Missing sessionId parameter"', async ({ mcp }) => {
  const r = await mcp.retiredSse();
  // atlassian-mcp.md §1 (3P [S24]): POSTing to /v1/sse gives HTTP 404: Missing sessionId parameter
  expect(r.status).toBe(404);
  expect(r.finding?.id, r.body).toBe('sse-retired');
});
