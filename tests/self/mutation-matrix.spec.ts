/**
 * Mutation matrix: single-change worlds run through the real suites (Playwright sub-runs, tests/support/subrun.ts)
 * against one simulator of this file: one consent of every account, one baseline run, then per group a handful of
 * mutations that touch disjoint accounts, sites, endpoints or surfaces (so they cannot interact) applied through the
 * admin API, the group's projects run on the stored tokens, and the world restored. Asserted per mutation: the tests
 * it names fail with its `outcome` label; and per group: every other test that passed on the baseline still passes.
 * Mutations that must NOT fail anything (short token lifetimes, zero reuse window) form a group of their own.
 *
 * The gate's own logic across nights (skipped → failed, failed → still failed, failed → fixed) runs on synthetic
 * results through scripts/report.ts (which records the night) and scripts/gate.ts.
 *
 * The default test command runs the groups marked `representative`; `npm run test:faults` (HARNESS_MATRIX=full)
 * runs every group.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../../fixtures/core/config.ts';
import { type SimHandle, startSimulator } from '../../fixtures/core/simulator.ts';
import { expect, test } from '../../fixtures/index.ts';
import { runGate } from '../../scripts/gate.ts';
import { writeSyntheticResults } from '../../scripts/lib/synthetic.ts';
import { generateReport } from '../../scripts/report.ts';
import { digest, readSubrun, runSubrun, type SubrunTest } from '../support/subrun.ts';
import { WORLD } from '../support/world.ts';

const ACME = WORLD.sites.acme.cloudId;
const GLOBEX = WORLD.sites.globex.cloudId;
const FULL = process.env.HARNESS_MATRIX === 'full';

interface Mutation {
  name: string;
  /** tests (by title) that must fail, each with `outcome` */
  fails: RegExp;
  outcome: string;
  /** tests that may fail too (a consequence of the same change), with any outcome */
  mayFail?: RegExp;
}

interface Group {
  name: string;
  projects: string[];
  grep?: string;
  representative?: boolean;
  apply(sim: SimHandle): Promise<void>;
  mutations: Mutation[];
}

const title = (s: string) => new RegExp(`^${s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`);
// MCP slice: the tests that call the server as the member (api-token auth) and the auth-mode checks
const MCP_GREP =
  'initialize returns|every call records session id|cloudId accepts the site host name|personal API token|a call without the required cloudId';

// REST slice: the cells the mutations name plus unaffected controls of every account
const REST_GREP =
  '(admin|member|siteadmin) gets \\S+ for (read:jira-work|read:me|manage:jira-configuration|read:priority:jira|read:comment:confluence|read:status:jira|read:page:confluence) on (acme|globex)$|accessible-resources lists exactly|grant on globex lists every scope';

const GROUPS: Group[] = [
  {
    name: 'sites, product access, permissions and endpoints (REST)',
    projects: ['api'],
    grep: REST_GREP,
    // full matrix only: the rate-limited cells wait out the retry budget (≈3 min on 2 busy cores)

    async apply(sim) {
      await sim.admin.patchWorld({
        users: {
          [WORLD.emails.member]: { sites: { [GLOBEX]: null } },
          [WORLD.emails.admin]: { sites: { [ACME]: { jira: 'user' } } },
        },
        sites: { [GLOBEX]: { products: ['jira', 'jira-software'] } },
      });
      await sim.admin.setFaults({
        rules: [
          { role: 'api', pathRegex: `/ex/jira/${ACME}/rest/api/3/priority$`, status: 500 },
          { role: 'api', pathRegex: `/ex/confluence/${ACME}/wiki/api/v2/footer-comments$`, status: 410 },
          {
            role: 'api',
            pathRegex: `/ex/jira/${ACME}/rest/api/3/status$`,
            status: 429,
            retryAfterSeconds: 1,
            rateLimitReason: 'jira-burst-based',
          },
        ],
      });
    },
    mutations: [
      {
        name: 'member removed from globex',
        fails: /^member gets \S+ for \S+ on globex$/,
        outcome: 'site-not-authorized',
        mayFail: /^member('s| sites)/,
      },
      {
        name: 'Confluence uninstalled on globex',
        fails: /^admin gets granted for \S+:(page|space|comment|content)\S*:confluence on globex$/,
        outcome: 'product-not-installed',
        mayFail: /(on globex|grant on globex)/,
      },
      {
        name: 'admin Jira permission downgraded on acme',
        fails: title('admin gets granted for manage:jira-configuration on acme'),
        outcome: 'permission-denied',
        mayFail: /^admin gets granted for \S+jira\S* on acme$/,
      },
      {
        name: 'GET /priority answers 500',
        fails: title('admin gets granted for read:priority:jira on acme'),
        outcome: 'server-error',
        mayFail: /read:priority:jira/,
      },
      {
        name: 'footer-comments removed (410)',
        fails: title('admin gets granted for read:comment:confluence on acme'),
        outcome: 'endpoint-gone',
        mayFail: /read:comment:confluence/,
      },
      {
        name: 'GET /status rate limited beyond the budget',
        fails: title('admin gets granted for read:status:jira on acme'),
        outcome: 'rate-limited',
        mayFail: /read:status:jira/,
      },
    ],
  },
  {
    name: 'MCP: API-token authentication off',
    projects: ['mcp'],
    grep: MCP_GREP,
    representative: true,
    async apply(sim) {
      await sim.admin.patchWorld({ org: { mcp: { apiTokenAuth: false } } });
    },
    mutations: [
      {
        name: 'apiTokenAuth false',
        fails: /personal API token|every call records session id/,
        outcome: 'api-token-disabled',
        mayFail: /./,
      },
    ],
  },
  {
    name: 'MCP: IP allowlist without the caller',
    projects: ['mcp'],
    grep: MCP_GREP,
    async apply(sim) {
      await sim.admin.patchWorld({ org: { mcp: { ipAllowlist: ['10.0.0.1'] } } });
    },
    mutations: [{ name: 'ipAllowlist', fails: /personal API token|cloudId accepts/, outcome: 'ip-blocked', mayFail: /./ }],
  },
  {
    name: 'must not fail anything: short access tokens, zero reuse window',
    projects: ['api'],
    grep: REST_GREP,
    representative: true,
    async apply(sim) {
      await sim.admin.patchWorld({ settings: { accessTokenTtlSeconds: 5, refreshReuseWindowSeconds: 0 } });
    },
    mutations: [],
  },
  {
    name: 'token revoked by an admin (last: it cannot be undone)',
    projects: ['api'],
    grep: REST_GREP,
    async apply(sim) {
      await sim.admin.revokeGrant(WORLD.emails.siteadmin, WORLD.app.clientId);
    },
    mutations: [
      {
        name: 'siteadmin grant revoked',
        fails: /^siteadmin gets granted for \S+jira\S* on acme$/,
        outcome: 'token-invalid',
        mayFail: /siteadmin/,
      },
    ],
  },
];

let sim: SimHandle | undefined;
let baseline: Map<string, SubrunTest> = new Map();
let original: unknown;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'mutation-matrix-'));

test.describe('mutation groups', () => {
  test.describe.configure({ mode: 'default' });

  test.beforeAll(async () => {
    test.setTimeout(400_000);
    sim = await startSimulator();
    original = await sim.admin.world();
    // the REST slice once on the default world (with the consent of every account); MCP groups claim their whole slice
    const base = await runSubrun({ sim, reportsDir: path.join(tmp, 'baseline'), projects: ['api'], grep: REST_GREP, timeoutMs: 240_000 });
    baseline = readSubrun(path.join(tmp, 'baseline'));
    expect(base.timedOut, 'the baseline run ended in time').toBe(false);
    console.log(`baseline ${base.durationMs} ms, ${baseline.size} tests, code ${base.code}`);
  });
  test.afterAll(async () => {
    await sim?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  for (const [i, g] of GROUPS.entries()) {
    test(`mutation group: ${g.name}`, async ({}, testInfo) => {
      test.skip(!FULL && !g.representative, 'the full mutation matrix runs under npm run test:faults');
      test.setTimeout(300_000);
      const s = sim!;
      await g.apply(s);
      const dir = path.join(tmp, `group-${i}`);
      try {
        const r = await runSubrun({ sim: s, reportsDir: dir, projects: g.projects, grep: g.grep, noDeps: true, timeoutMs: 240_000 });
        const rows = readSubrun(dir);
        const table = digest(rows);
        await testInfo.attach('sub-run', { body: `${table}\n\n${r.output}`, contentType: 'text/plain' });
        console.log(`${g.name}: ${r.durationMs} ms, ${rows.size} tests`);
        expect(r.timedOut, 'the sub-run ended in time').toBe(false);
        expect(rows.size, 'the sub-run ran tests').toBeGreaterThan(0);
        for (const m of g.mutations) {
          const hit = [...rows.values()].filter((t) => m.fails.test(t.title));
          expect.soft(hit.length, `${m.name}: names at least one test`).toBeGreaterThan(0);
          for (const t of hit) {
            expect.soft(t.status, `${m.name}: ${t.title} fails`).not.toBe('passed');
            expect.soft(t.outcome, `${m.name}: ${t.title} carries the outcome label`).toBe(m.outcome);
          }
        }
        // everything else that passed on the baseline still passes
        for (const t of rows.values()) {
          const claimed = g.mutations.some((m) => m.fails.test(t.title) || m.mayFail?.test(t.title));
          if (claimed || baseline.get(t.title)?.status !== 'passed') continue;
          expect.soft(t.status, `untouched by "${g.name}": ${t.title} still passes\n${t.message ?? ''}`).toBe('passed');
        }
      } finally {
        await s.admin.clearFaults();
        await s.admin.replaceWorld(original);
      }
    });
  }
});

test('the gate across nights: skipped → failed is red, still failing is red, fixed is green', async () => {
  test.setTimeout(120_000);
  const reports = path.join(ROOT, '.tmp', `mutation-gate-${process.pid}-${Date.now()}`);
  const results = path.join(reports, 'allure-results');
  const night = async (status: 'passed' | 'failed' | 'skipped', n: number) => {
    rmSync(results, { recursive: true, force: true });
    writeSyntheticResults(
      results,
      [
        {
          name: 'member gets granted for read:jira-work on acme',
          status,
          outcome: status === 'failed' ? 'site-not-authorized' : status === 'passed' ? 'granted' : undefined,
          expected: 'granted',
        },
        { name: 'admin gets granted for read:jira-work on acme', status: 'passed', outcome: 'granted', expected: 'granted' },
      ],
      Date.now() + n * 1000,
    );
    const gate = await runGate({ reportsDir: reports });
    await generateReport({ reportsDir: reports, quiet: true });
    return gate;
  };
  try {
    await night('skipped', 0);
    const n1 = await night('failed', 1);
    expect(n1.ok, `skipped → failed must turn the gate red\n${n1.table}`).toBe(false);
    expect(
      n1.rows.filter((r) => r.test.includes('member gets granted')).map((r) => r.kind),
      `skipped → failed names the test\n${n1.table}`,
    ).not.toEqual([]);
    const n2 = await night('failed', 2);
    expect(n2.ok, `failed → still failed keeps the gate red\n${n2.table}`).toBe(false);
    expect(n2.rows.map((r) => r.kind)).toContain('STILL FAILING');
    const n3 = await night('passed', 3);
    expect(n3.ok, `failed → fixed is green\n${n3.table}`).toBe(true);
    expect(n3.fixed.map((t) => t.name)).toEqual(['member gets granted for read:jira-work on acme']);
  } finally {
    rmSync(reports, { recursive: true, force: true });
  }
});
