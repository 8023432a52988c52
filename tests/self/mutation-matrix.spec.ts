/**
 * Mutation matrix: single-change worlds run through the real suites (Playwright sub-runs, tests/support/subrun.ts)
 * against one simulator of this file: one consent of every account and one baseline run of the slices the selected
 * groups use, then per group a handful of mutations that touch disjoint accounts, sites, products, endpoints or
 * surfaces (so they cannot interact) applied through the admin API, the group's slices run, and the world restored.
 *
 * Asserted per mutation: the tests it names fail with its `outcome` label; per group: every other test that passed on
 * the baseline still passes, and a suite group (stored tokens, `--no-deps`) needs no browser consent (a re-consent
 * would re-grant what the mutation took away: the harness must never change the state it observes). Mutations that
 * must NOT fail anything (short token lifetimes, zero reuse window, an extra unrelated site, an extra MCP tool) are
 * groups whose sub-run must pass as the baseline did.
 *
 * Consent groups (password changed, second factor, developer mode, scopes not added, redirect URI changed, user
 * installs blocked) run the consent project on a token store of their own, so the matrix's stored tokens stay.
 * Every sub-run uses this file's token store (HARNESS_AUTH_DIR), never `.auth/`: another run on the machine writes
 * `.auth/` records for its own simulator, and a record from another server is replaced by a consent.
 *
 * The gate across nights runs through scripts/report.ts (which records the night in the trend) and scripts/gate.ts:
 * on synthetic results (skipped → failed → still failed → fixed) and on real sub-run results (a blocked consent skips
 * the member's MCP tests, the next night an MCP outage fails them: red; then fixed; and the blocked-apps world gives
 * the same verdict whichever account the configuration lists first).
 *
 * The default test command runs the groups marked `representative`; `npm run test:faults` (HARNESS_MATRIX=full)
 * runs every group and the sub-run night sequences.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { refreshGrant } from '../../fixtures/consent/token-client.ts';
import { loadConfig, ROOT } from '../../fixtures/core/config.ts';
import { type SimHandle, type SimStats, startSimulator } from '../../fixtures/core/simulator.ts';
import { expect, test } from '../../fixtures/index.ts';
import { makeKey, TokenStore, targetIdentity, tokenRecord } from '../../fixtures/tokens/store.ts';
import { type GateResult, runGate } from '../../scripts/gate.ts';
import { writeSyntheticResults } from '../../scripts/lib/synthetic.ts';
import { generateReport } from '../../scripts/report.ts';
import { digest, readSubrun, runSubrun, type SubrunTest } from '../support/subrun.ts';
import { WORLD } from '../support/world.ts';

const ACME = WORLD.sites.acme.cloudId;
const GLOBEX = WORLD.sites.globex.cloudId;
const FULL = process.env.HARNESS_MATRIX === 'full';
const config = loadConfig({ ...process.env, TARGET: 'sim' });
type Role = keyof typeof WORLD.emails;

/** What the suites run: a project and a title pattern. */
const SLICES = {
  // the cells the mutations name plus unaffected controls of every account
  rest: {
    project: 'api',
    grep: '(admin|member|siteadmin) gets \\S+ for (read:jira-work|manage:jira-configuration|read:priority:jira|read:comment:confluence|read:status:jira|read:page:confluence) on (acme|globex)$|accessible-resources lists exactly|grant on globex lists every scope',
  },
  // the default run's slice: two scopes (Jira, Confluence) per account and site
  restCore: { project: 'api', grep: '(admin|member|siteadmin) gets \\S+ for (read:jira-work|read:page:confluence) on (acme|globex)$' },
  // the member's MCP calls (personal API token) on every endpoint, and the tool list per profile
  mcp: {
    project: 'mcp',
    grep: 'initialize returns|every call records session id|cloudId accepts the site host name|personal API token|a call without the required cloudId|tools/list matches the expected tool set',
  },
  // the OAuth 2.1 client (DCR + PKCE + browser consent) on one endpoint
  mcpOauth: { project: 'mcp', grep: 'v2: MCP OAuth 2\\.1 client' },
  // the sweep's sandbox writes as the member on /v1/mcp
  mcpSandbox: { project: 'mcp', grep: 'v1 · api-token (createJiraIssue|getJiraIssue) answers' },
} as const;
type Slice = keyof typeof SLICES;

interface Mutation {
  name: string;
  /** tests (by title) that must fail, each with `outcome` */
  fails: RegExp;
  outcome: string;
  /** narrows `fails` and `mayFail` by full name (file › describe › title), e.g. one MCP endpoint */
  where?: RegExp;
  /** tests that may fail too (a consequence of the same change), with any outcome */
  mayFail?: RegExp;
}

interface Group {
  name: string;
  slices: Slice[];
  /** run the consent project first for these accounts (in this order), on a token store of the group's own */
  consent?: { accounts: Role[]; order?: Role[] };
  representative?: boolean;
  /** these accounts' stored access tokens are made due for refresh before the run (what the next night finds) */
  due?: Role[];
  apply(sim: SimHandle): Promise<void>;
  mutations: Mutation[];
  /** tests a quiet change may still fail (a comparison that reports any difference by design) */
  allowFail?: RegExp;
  /** changes applied with the others that must NOT fail anything (covered by the "everything else passes" check) */
  quiet?: string[];
  /** tests (by title) that must run and pass (controls that are not in the baseline, e.g. consent tests) */
  passes?: RegExp;
  /** extra assertions on the simulator's counters across the run */
  check?(before: SimStats, after: SimStats): void;
  /** put the stored tokens back in shape after the world is restored (refresh the due accounts) */
  heal?: Role[];
}

/**
 * An org-wide MCP gate switched on (docs/reference/atlassian-mcp.md §3): every authenticated call of the member's
 * session fails with the gate's category; v2 discover fails too, so the tool-list comparison may fail (under the
 * refusal's own category).
 */
function mcpGateGroup(name: string, mcp: Record<string, unknown>, mutation: string, outcome: string): Group {
  return {
    name,
    slices: ['mcp'],
    async apply(sim) {
      await sim.admin.patchWorld({ org: { mcp } });
    },
    mutations: [
      {
        name: mutation,
        fails: /personal API token|every call records session id|cloudId accepts the site host name/,
        outcome,
        mayFail: /tools\/list matches/,
      },
    ],
  };
}

const title = (s: string) => new RegExp(`^${s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`);
const consentOf = (role: Role) => title(`${role} gets a stored token for the app (each site in turn)`);
const JIRA_CELL = '\\S*jira\\S*';
const CONF_CELL = 'read:(page|comment):confluence';

const GROUPS: Group[] = [
  {
    name: 'REST: sites, product access, permissions and endpoints',
    slices: ['rest'],
    // full matrix only: the rate-limited cell waits out the retry budget (≈3 min on 2 busy cores)
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
    name: 'REST: product roles',
    slices: ['restCore'],
    representative: true,
    async apply(sim) {
      await sim.admin.patchWorld({
        users: {
          [WORLD.emails.member]: { sites: { [ACME]: { jira: 'none' } } },
          [WORLD.emails.admin]: { sites: { [GLOBEX]: { confluence: 'none' } } },
        },
      });
    },
    mutations: [
      {
        name: 'member has no Jira access on acme',
        fails: new RegExp(`^member gets granted for ${JIRA_CELL} on acme$`),
        outcome: 'permission-denied',
      },
      {
        name: 'admin has no Confluence access on globex',
        fails: new RegExp(`^admin gets granted for ${CONF_CELL} on globex$`),
        outcome: 'permission-denied',
      },
    ],
  },
  {
    name: 'REST: an uninstalled product; no data and an extra site must not fail',
    slices: ['rest'],
    async apply(sim) {
      type Data = { jira: { issues: unknown[] }; confluence: { pages: unknown[] } };
      const w = await sim.admin.world<{ data: Record<string, Data> }>();
      const acme = w.data[ACME]!;
      await sim.admin.patchWorld({
        sites: {
          [GLOBEX]: { products: ['confluence'] },
          'c3e5a7b9-0000-4000-8000-000000000003': {
            name: 'initech-sim',
            url: 'https://initech-sim.atlassian.net',
            products: ['jira', 'confluence'],
          },
        },
        // an empty answer still proves a scope: a 200 with no issues or pages is `granted`
        data: { [ACME]: { jira: { ...acme.jira, issues: [] }, confluence: { ...acme.confluence, pages: [] } } },
      });
    },
    mutations: [
      {
        name: 'Jira (and Jira Software) uninstalled on globex',
        fails: new RegExp(`^(admin|member) gets \\S+ for ${JIRA_CELL} on globex$`),
        outcome: 'product-not-installed',
        mayFail: /grant on globex lists every scope/,
      },
    ],
    quiet: ['every Jira issue of acme deleted', 'every Confluence page of acme deleted', 'an extra site no account belongs to'],
  },
  {
    name: 'REST: a deactivated account, a Confluence role removed',
    slices: ['rest'],
    async apply(sim) {
      await sim.admin.patchWorld({
        users: {
          [WORLD.emails.siteadmin]: { status: 'inactive' },
          [WORLD.emails.member]: { sites: { [GLOBEX]: { confluence: 'none' } } },
        },
      });
    },
    mutations: [
      { name: 'siteadmin deactivated', fails: /^siteadmin gets /, outcome: 'token-invalid', mayFail: /^siteadmin/ },
      {
        name: 'member has no Confluence access on globex',
        fails: new RegExp(`^member gets granted for ${CONF_CELL} on globex$`),
        outcome: 'permission-denied',
      },
    ],
  },
  {
    name: 'tokens, must not fail anything: 5-second access tokens, zero reuse window, every stored token due',
    slices: ['restCore'],
    representative: true,
    due: ['admin', 'member', 'siteadmin'],
    heal: ['admin', 'member', 'siteadmin'],
    async apply(sim) {
      await sim.admin.patchWorld({ settings: { accessTokenTtlSeconds: 5, refreshReuseWindowSeconds: 0 } });
    },
    mutations: [],
    quiet: ['access tokens live 5 s', 'no reuse leeway for a rotated refresh token'],
    check(before, after) {
      // every account refreshed (the tokens were due), rotated under the store's lock: no reuse, no revoked family
      expect(after.tokens.refresh_token - before.tokens.refresh_token, 'refreshes during the run').toBeGreaterThanOrEqual(3);
      expect(after.familyRevocations, 'no refresh-token family revoked by a reuse').toBe(before.familyRevocations);
      expect(after.refreshReuseWithinWindow, 'no rotated refresh token reused').toBe(before.refreshReuseWithinWindow);
    },
  },
  {
    name: 'tokens: client secret rotated in the console while the member needs a refresh',
    slices: ['rest'],
    due: ['member'],
    heal: ['member'],
    async apply(sim) {
      await sim.admin.patchWorld({ apps: { [WORLD.app.clientId]: { clientSecret: 'SIMCANARY-cs-rotated-7h3m' } } });
    },
    mutations: [{ name: 'client secret rotated', fails: /^member gets /, outcome: 'token-exchange-failed', mayFail: /^member/ }],
  },
  // the argument check answers before these org gates, so the call without cloudId still gets mcp-bad-arguments
  mcpGateGroup('MCP: API-token authentication off', { apiTokenAuth: false }, 'apiTokenAuth false', 'api-token-disabled'),
  mcpGateGroup('MCP: IP allowlist without the caller', { ipAllowlist: ['10.0.0.1'] }, 'ipAllowlist', 'ip-blocked'),
  mcpGateGroup('MCP: the Rovo MCP server turned off for the organisation', { enabled: false }, 'mcp enabled false', 'mcp-server-disabled'),
  {
    name: 'MCP: the read_jira permission group off',
    slices: ['mcp'],
    async apply(sim) {
      await sim.admin.patchWorld({ org: { mcp: { permissionGroups: { read_jira: false } } } });
    },
    mutations: [
      {
        name: 'read_jira off',
        fails: /a call without the required cloudId|cloudId accepts the site host name|tools\/list matches/,
        outcome: 'scope-filtered',
      },
    ],
  },
  {
    name: 'MCP: every tool call on /v1/mcp refused "couldn\'t verify your access" (listing and the v2 discover still work)',
    slices: ['mcp'],
    async apply(sim) {
      await sim.admin.patchWorld({ org: { mcp: { toolFault: 'verify-access', toolFaultEndpoints: ['v1'] } } });
    },
    mutations: [
      {
        name: 'toolFault verify-access on v1',
        // the tool list (v1 tools/list, v2 discover) is the control: only tool calls on /v1/mcp are refused
        fails: /personal API token|every call records session id|cloudId accepts the site host name/,
        outcome: 'mcp-auth-failed',
      },
    ],
  },
  {
    name: 'MCP, must not fail any call: an extra read tool on every endpoint',
    slices: ['mcp'],
    async apply(sim) {
      await sim.admin.patchWorld({ org: { mcp: { extraTools: [{ name: 'getSimHarnessNothing', kind: 'read' }] } } });
    },
    mutations: [],
    quiet: ['an extra read tool'],
    // the tool-list comparison reports the tool that appeared as a change of the expectations file (by design)
    allowFail: /tools\/list matches/,
  },
  {
    name: "MCP: the domain list no longer allows the OAuth client's redirect",
    slices: ['mcpOauth'],
    async apply(sim) {
      await sim.admin.patchWorld({ org: { mcp: { domains: ['https://app.example.com/**'], allowSupportedDomains: false } } });
    },
    mutations: [{ name: 'domain list without loopback', fails: /MCP OAuth 2\.1 client/, outcome: 'domain-blocked' }],
  },
  {
    name: 'MCP data: the sandbox Jira project deleted',
    slices: ['mcpSandbox'],
    async apply(sim) {
      type Jira = { projects: Array<{ key: string }>; issues: Array<{ projectKey: string }> };
      const w = await sim.admin.world<{ data: Record<string, { jira: Jira }> }>();
      const patch: Record<string, { jira: Jira }> = {};
      for (const [cloudId, d] of Object.entries(w.data))
        patch[cloudId] = {
          jira: {
            ...d.jira,
            projects: d.jira.projects.filter((p) => p.key !== config.mcp.sandboxJiraProject),
            issues: d.jira.issues.filter((i) => i.projectKey !== config.mcp.sandboxJiraProject),
          },
        };
      await sim.admin.patchWorld({ data: patch });
    },
    mutations: [{ name: 'sandbox project gone', fails: /^createJiraIssue answers/, outcome: 'sandbox-missing' }],
  },
  {
    name: 'consent: password changed (member), second factor on (admin), app in developer mode (siteadmin)',
    slices: [],
    consent: { accounts: ['admin', 'member', 'siteadmin'] },
    async apply(sim) {
      await sim.admin.patchWorld({
        users: {
          [WORLD.emails.member]: { password: 'SIMCANARY-pw-member-changed' },
          [WORLD.emails.admin]: { mfaTotpSecret: 'SIMCANARYJBSWY3DPEHPK3PXP' },
        },
        apps: { [WORLD.app.clientId]: { sharing: false } },
      });
    },
    mutations: [
      { name: 'member password changed', fails: consentOf('member'), outcome: 'login-failed' },
      { name: 'admin asked for a second factor', fails: consentOf('admin'), outcome: 'needs-human' },
      { name: 'app sharing off (developer mode)', fails: consentOf('siteadmin'), outcome: 'developer-mode' },
    ],
  },
  {
    name: 'consent: a requested scope removed from the app in the console',
    slices: [],
    consent: { accounts: ['member'] },
    async apply(sim) {
      await sim.admin.patchWorld({
        apps: { [WORLD.app.clientId]: { scopes: WORLD.app.scopes.filter((s) => s !== 'read:priority:jira') } },
      });
    },
    mutations: [{ name: 'read:priority:jira removed from the app', fails: consentOf('member'), outcome: 'scopes-not-added' }],
  },
  {
    name: "consent: the app's callback URL changed in the console",
    slices: [],
    consent: { accounts: ['member'] },
    async apply(sim) {
      await sim.admin.patchWorld({ apps: { [WORLD.app.clientId]: { callbackUrls: ['https://app.example.com/callback'] } } });
    },
    mutations: [{ name: 'callback URL changed', fails: consentOf('member'), outcome: 'invalid-client' }],
  },
  {
    name: "consent: user-installed apps blocked on acme, the admins listed first (the member's grant revoked first: next to last)",
    slices: ['rest'],
    consent: { accounts: ['admin', 'member', 'siteadmin'], order: ['admin', 'siteadmin', 'member'] },
    async apply(sim) {
      // a grant the member already holds keeps acme whatever the policy says now (one grant per app per account,
      // docs/reference/atlassian-oauth.md §4): the member starts without one, as on a first night
      await sim.admin.revokeGrant(WORLD.emails.member, WORLD.app.clientId);
      await sim.admin.patchWorld({ sites: { [ACME]: { policy: { userInstalledApps: 'blocked' } } } });
    },
    passes: /gets a stored token for the app/,
    mutations: [
      {
        name: 'member must ask a site admin on acme',
        fails: /^member gets \S+ for \S+ on acme$/,
        outcome: 'admin-must-authorize',
        mayFail: /^member's accessible-resources/,
      },
    ],
  },
  {
    name: 'grants revoked (siteadmin; admin on globex only), password changed while a refresh is due (member) — last: none can be undone',
    slices: ['rest'],
    due: ['member'],
    async apply(sim) {
      await sim.admin.revokeGrant(WORLD.emails.siteadmin, WORLD.app.clientId);
      await sim.admin.revokeGrant(WORLD.emails.admin, WORLD.app.clientId, GLOBEX);
      await sim.admin.patchWorld({ users: { [WORLD.emails.member]: { password: 'SIMCANARY-pw-member-changed' } } });
    },
    mutations: [
      { name: 'siteadmin grant revoked', fails: /^siteadmin gets /, outcome: 'token-invalid', mayFail: /^siteadmin/ },
      {
        name: 'admin grant revoked on globex',
        fails: /^admin gets granted for \S+ on globex$/,
        outcome: 'site-not-authorized',
        mayFail: /^admin('s| sites)/,
      },
      { name: 'member password changed, refresh due', fails: /^member gets /, outcome: 'login-failed', mayFail: /^member/ },
    ],
  },
];

const tmp = mkdtempSync(path.join(os.tmpdir(), 'mutation-matrix-'));
const AUTH = path.join(tmp, 'auth');
const identity = targetIdentity({ kind: 'sim', authBase: 'http://127.0.0.1' });
const keyOf = (role: Role) => makeKey(identity, WORLD.emails[role], WORLD.app.clientId, WORLD.app.scopes);

/** The stored access tokens of these accounts are due for refresh (expiry now), as a later night finds them. */
function makeDue(authDir: string, roles: readonly Role[]): void {
  const store = new TokenStore(path.join(authDir, 'tokens'));
  for (const role of roles) {
    const rec = store.read(keyOf(role));
    if (!rec) throw new Error(`no stored token for ${role} in ${authDir}`);
    store.write({ ...rec, expiresAt: Date.now() });
  }
}

/** Refresh these accounts' stored tokens now (the world restored), so the next group starts from fresh tokens. */
async function heal(sim: SimHandle, roles: readonly Role[]): Promise<void> {
  const store = new TokenStore(path.join(AUTH, 'tokens'));
  for (const role of roles) {
    const rec = store.read(keyOf(role));
    if (!rec?.refreshToken) throw new Error(`no stored refresh token for ${role}`);
    const t = await refreshGrant(
      { tokenUrl: `${sim.urls.auth}/oauth/token`, clientId: config.app.clientId, clientSecret: config.app.clientSecret },
      rec.refreshToken,
    );
    store.write(tokenRecord(rec.key, role, t, { previous: rec }));
  }
}

const selected = GROUPS.filter((g) => FULL || g.representative);

test('the matrix holds at least 30 single-change worlds spread over consent, tokens, REST, sites and MCP', () => {
  const count = GROUPS.reduce((n, g) => n + g.mutations.length + (g.quiet?.length ?? 0), 0);
  expect(count).toBeGreaterThanOrEqual(30);
  const names = GROUPS.flatMap((g) => [...g.mutations.map((m) => m.name), ...(g.quiet ?? [])]);
  expect(new Set(names).size, 'every mutation has its own name').toBe(names.length);
  for (const surface of ['REST', 'MCP', 'consent', 'tokens'])
    expect(
      GROUPS.some((g) => g.name.startsWith(surface)),
      surface,
    ).toBe(true);
  // every no-fail group still runs its slices and compares with the baseline
  for (const g of GROUPS) expect(g.mutations.length + (g.quiet?.length ?? 0), g.name).toBeGreaterThan(0);
});
const grepOf = (slices: readonly Slice[]) => slices.map((s) => SLICES[s].grep).join('|');
const projectsOf = (slices: readonly Slice[]) => [...new Set(slices.map((s) => SLICES[s].project))];
const hits = (m: Mutation, t: SubrunTest) => m.fails.test(t.title) && (!m.where || m.where.test(t.summary.fullName));
const claims = (m: Mutation, t: SubrunTest) => hits(m, t) || (!!m.mayFail?.test(t.title) && (!m.where || m.where.test(t.summary.fullName)));

let sim: SimHandle | undefined;
let baseline: Map<string, SubrunTest> = new Map();
let original: unknown;

test.describe('mutation groups', () => {
  test.describe.configure({ mode: 'default' });

  test.beforeAll(async () => {
    test.setTimeout(400_000);
    sim = await startSimulator();
    original = await sim.admin.world();
    // one consent of every account (on this file's store) and the union of the selected groups' slices
    const slices = [...new Set(selected.flatMap((g) => g.slices))];
    const dir = path.join(tmp, 'baseline');
    const base = await runSubrun({
      sim,
      reportsDir: dir,
      projects: projectsOf(slices),
      grep: grepOf(slices),
      timeoutMs: 300_000,
      env: { HARNESS_AUTH_DIR: AUTH },
    });
    baseline = readSubrun(dir, { by: 'fullName' });
    expect(base.timedOut, 'the baseline run ended in time').toBe(false);
    const failing = [...baseline.values()].filter((t) => t.status !== 'passed' && t.status !== 'skipped');
    expect(
      failing.map((t) => `${t.title}: ${t.outcome}`),
      `the baseline passes on the default world\n${digest(baseline)}`,
    ).toEqual([]);
    console.log(`baseline ${base.durationMs} ms, ${baseline.size} tests (${slices.join(', ')})`);
  });
  test.afterAll(async () => {
    await sim?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  for (const [i, g] of GROUPS.entries()) {
    test(`mutation group: ${g.name}`, async ({}, testInfo) => {
      test.skip(!FULL && !g.representative, 'the full mutation matrix runs under npm run test:faults');
      test.setTimeout(360_000);
      const s = sim!;
      const dir = path.join(tmp, `group-${i}`);
      // a consent group consents on a store of its own; a suite group runs on the matrix's stored tokens
      const authDir = g.consent ? path.join(tmp, `auth-${i}`) : AUTH;
      mkdirSync(authDir, { recursive: true });
      if (g.due) makeDue(authDir, g.due);
      await g.apply(s);
      const before = await s.admin.stats();
      try {
        const projects = g.consent ? ['consent', ...projectsOf(g.slices)] : projectsOf(g.slices);
        const order = g.consent?.order ?? g.consent?.accounts;
        const r = await runSubrun({
          sim: s,
          reportsDir: dir,
          projects,
          grep: g.slices.length ? grepOf(g.slices) : undefined,
          noDeps: !g.consent,
          timeoutMs: 300_000,
          ...(g.consent ? { accounts: g.consent.accounts } : {}),
          env: { HARNESS_AUTH_DIR: authDir, ...(order ? { ATLASSIAN_ACCOUNTS: order.join(',') } : {}) },
        });
        const after = await s.admin.stats();
        const rows = readSubrun(dir, { by: 'fullName' });
        const table = digest(rows);
        await testInfo.attach('sub-run', { body: `${table}\n\n${r.output}`, contentType: 'text/plain' });
        console.log(`${g.name}: ${r.durationMs} ms, ${rows.size} tests`);
        if (process.env.MATRIX_DEBUG) console.log(`${table}\n${r.output.slice(-8000)}`);
        expect(r.timedOut, 'the sub-run ended in time').toBe(false);
        expect(rows.size, 'the sub-run ran tests').toBeGreaterThan(0);
        if (!g.consent) expect(after.consents - before.consents, 'a suite run on stored tokens needs no browser consent').toBe(0);
        for (const m of g.mutations) {
          const hit = [...rows.values()].filter((t) => hits(m, t));
          expect.soft(hit.length, `${m.name}: names at least one test\n${table}`).toBeGreaterThan(0);
          for (const t of hit) {
            expect.soft(t.status, `${m.name}: ${t.title} fails`).toBe('failed');
            expect.soft(t.outcome, `${m.name}: ${t.title} carries the outcome label\n${t.message ?? ''}`).toBe(m.outcome);
          }
        }
        if (g.passes) {
          const controls = [...rows.values()].filter((t) => g.passes!.test(t.title) && !g.mutations.some((m) => hits(m, t)));
          expect.soft(controls.length, `${g.name}: its controls ran`).toBeGreaterThan(0);
          for (const t of controls) expect.soft(t.status, `control: ${t.title} passes\n${t.message ?? ''}`).toBe('passed');
        }
        // everything else that passed on the baseline still passes
        for (const [key, t] of rows) {
          if (g.mutations.some((m) => claims(m, t)) || g.allowFail?.test(t.title) || baseline.get(key)?.status !== 'passed') continue;
          expect.soft(t.status, `untouched by "${g.name}": ${t.title} still passes\n${t.message ?? ''}`).toBe('passed');
        }
        g.check?.(before, after);
      } finally {
        await s.admin.clearFaults();
        await s.admin.replaceWorld(original);
        if (g.heal) await heal(s, g.heal);
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

/**
 * Nights of real sub-runs on a simulator of the test's own, each recorded the way a main job does it: the gate on the
 * night's results (scripts/gate.ts), then the report, which appends the night to the trend (scripts/report.ts).
 */
test.describe('the gate across nights of real sub-runs', () => {
  test.describe.configure({ mode: 'default' });
  test.skip(!FULL, 'real sub-run nights run under npm run test:faults');

  interface Night {
    gate: GateResult;
    rows: Map<string, SubrunTest>;
  }
  async function night(
    own: SimHandle,
    reports: string,
    authDir: string,
    o: { projects: string[]; grep: string; accounts: Role[]; order?: Role[] },
  ): Promise<Night> {
    rmSync(path.join(reports, 'allure-results'), { recursive: true, force: true });
    const r = await runSubrun({
      sim: own,
      reportsDir: reports,
      projects: o.projects,
      grep: o.grep,
      accounts: o.accounts,
      timeoutMs: 300_000,
      env: { HARNESS_AUTH_DIR: authDir, ATLASSIAN_ACCOUNTS: (o.order ?? o.accounts).join(',') },
    });
    expect(r.timedOut, `the night's sub-run ended in time\n${r.output.slice(-2000)}`).toBe(false);
    const gate = await runGate({ reportsDir: reports });
    await generateReport({ reportsDir: reports, quiet: true });
    return { gate, rows: readSubrun(reports, { by: 'fullName' }) };
  }
  const kinds = (n: Night, re: RegExp) =>
    n.gate.rows.filter((r) => re.test(r.test)).map((r) => `${r.kind} ${r.before ?? '-'}→${r.now} ${r.outcome ?? '-'}`);

  test('a blocked consent skips the member, an MCP outage the next night is red (not "all match"), then fixed is green', async () => {
    test.setTimeout(600_000);
    const own = await startSimulator();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mutation-nights-'));
    const reports = path.join(dir, 'reports');
    const auth = path.join(dir, 'auth');
    const world = await own.admin.world();
    const mcpTests = /personal API token|every call records session id/;
    const run = () => night(own, reports, auth, { projects: ['consent', 'mcp'], grep: SLICES.mcp.grep, accounts: ['member'] });
    try {
      // night 1: the member's password changed: consent fails, every MCP test of the run is skipped
      await own.admin.patchWorld({ users: { [WORLD.emails.member]: { password: 'SIMCANARY-pw-member-changed' } } });
      const n1 = await run();
      expect(n1.rows.get([...n1.rows.keys()].find((k) => consentOf('member').test(n1.rows.get(k)!.title))!)?.outcome).toBe('login-failed');
      // Playwright runs no test of a project whose dependency failed: each is skipped (or has no result at all)
      const night1 = [...n1.rows.values()].filter((t) => mcpTests.test(t.title));
      expect(
        night1.filter((t) => t.status !== 'skipped').map((t) => `${t.status} ${t.title}`),
        'night 1: no MCP test ran',
      ).toEqual([]);
      expect(n1.gate.ok, n1.gate.table).toBe(false);

      // night 2: the password is back, API-token authentication is off: the skipped tests now fail → red
      await own.admin.replaceWorld(world);
      await own.admin.patchWorld({ org: { mcp: { apiTokenAuth: false } } });
      const n2 = await run();
      expect(n2.gate.ok, `skipped → failed must turn the gate red\n${n2.gate.table}`).toBe(false);
      const red = kinds(n2, mcpTests);
      expect(red.length, n2.gate.table).toBeGreaterThan(0);
      for (const k of red) expect(k, n2.gate.table).toMatch(/^NEW FAILURE (skipped|-)→failed api-token-disabled$/);

      // night 3: still off → still failing, red
      const n3 = await run();
      expect(n3.gate.ok, `failed → still failed keeps the gate red\n${n3.gate.table}`).toBe(false);
      for (const k of kinds(n3, mcpTests)) expect(k, n3.gate.table).toBe('STILL FAILING failed→failed api-token-disabled');

      // night 4: switched back on → fixed, green
      await own.admin.replaceWorld(world);
      const n4 = await run();
      expect(n4.gate.ok, `failed → fixed is green\n${n4.gate.table}`).toBe(true);
      expect(n4.gate.fixed.filter((t) => mcpTests.test(t.name)).length, n4.gate.table).toBe(red.length);
    } finally {
      await own.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('user-installed apps blocked on acme: the same red verdict whichever account the configuration lists first', async () => {
    test.setTimeout(600_000);
    const verdicts: string[][] = [];
    for (const order of [
      ['admin', 'siteadmin', 'member'],
      ['member', 'siteadmin', 'admin'],
    ] as Role[][]) {
      // each order is a first night on a fresh simulator and a fresh store
      const own = await startSimulator();
      const dir = mkdtempSync(path.join(os.tmpdir(), 'mutation-order-'));
      try {
        await own.admin.patchWorld({ sites: { [ACME]: { policy: { userInstalledApps: 'blocked' } } } });
        const n = await night(own, path.join(dir, 'reports'), path.join(dir, 'auth'), {
          projects: ['consent', 'api'],
          grep: '(admin|member|siteadmin) gets \\S+ for (read:jira-work|read:page:confluence) on acme$',
          accounts: ['admin', 'member', 'siteadmin'],
          order,
        });
        expect(n.gate.ok, `${order.join(',')}: red\n${n.gate.table}`).toBe(false);
        const v = n.gate.rows.map((r) => `${r.kind} ${r.test.replace(/^.* › /, '')} ${r.outcome ?? '-'}`).sort();
        expect(v.length, n.gate.table).toBeGreaterThan(0);
        for (const row of v)
          expect(row, n.gate.table).toMatch(/^(NEW FAILURE|DRIFT) member gets granted for \S+ on acme admin-must-authorize$/);
        verdicts.push(v);
      } finally {
        await own.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
    expect(verdicts[1], 'the verdict does not depend on the consent order').toEqual(verdicts[0]);
  });
});
