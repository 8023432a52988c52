/**
 * The world the self-tests act on, from one place: the sites of the expectations file (tests/expectations/sim-app.json),
 * the accounts and the app of the configuration (.env.sim), never copied into a spec as literals. `checkWorld` reads the
 * simulator's world over its admin API (`GET /__admin/world`) and names every fact that does not hold there, so a
 * changed default world fails one test that says what moved instead of many that fail far from the cause.
 */
import { account } from '../../fixtures/core/config.ts';
import type { SimAdmin } from '../../fixtures/core/simulator.ts';
import type { SiteRef } from '../../fixtures/rest/expectations.ts';
import { restSuite } from '../../fixtures/rest/fixture.ts';

const { config, exp } = restSuite();

export const WORLD = {
  app: { clientId: config.app.clientId, scopes: config.app.scopes },
  sites: { acme: exp.site('acme'), globex: exp.site('globex') } satisfies Record<string, SiteRef>,
  /** account email by role (ATLASSIAN_ACCOUNTS) */
  emails: {
    admin: account(config, 'admin').email,
    member: account(config, 'member').email,
    siteadmin: account(config, 'siteadmin').email,
  },
} as const;

/** The parts of the simulator's world these facts are checked against. */
interface WorldView {
  sites?: Record<string, { url?: string }>;
  users?: Record<string, { sites?: Record<string, unknown> }>;
  apps?: Record<string, { scopes?: string[] }>;
}

/** Every fact of WORLD that the simulator's world contradicts (empty = they agree). */
export async function checkWorld(admin: SimAdmin): Promise<string[]> {
  const w = await admin.world<WorldView>();
  const problems: string[] = [];
  for (const site of Object.values(WORLD.sites)) {
    const s = w.sites?.[site.cloudId];
    if (!s) problems.push(`site ${site.key} (${site.cloudId}) is not in the world's sites`);
    else if (s.url !== site.url) problems.push(`site ${site.key}: the world says url ${JSON.stringify(s.url)}, expected ${site.url}`);
  }
  for (const [role, email] of Object.entries(WORLD.emails)) if (!w.users?.[email]) problems.push(`${role} (${email}) is not a user`);
  const app = w.apps?.[WORLD.app.clientId];
  if (!app) problems.push(`app ${WORLD.app.clientId} is not in the world's apps`);
  else
    for (const s of WORLD.app.scopes)
      if (!app.scopes?.includes(s)) problems.push(`app ${WORLD.app.clientId} lacks the requested scope ${s}`);
  return problems;
}
