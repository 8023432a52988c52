/**
 * auth.atlassian.com: GET /authorize and the consent page (GET/POST /consent).
 *
 * Imitates atlassian-oauth.md §1 (authorize parameters, redirect with code+state, Cancel → access_denied) and §2
 * (consent heading, "Use app on" site picker — a React-Select combobox, or a native select with
 * `settings.sitePicker = native` (pages/site-picker.ts) — scope titles, Accept disabled until a site is chosen, blocking
 * screens with their real texts), and atlassian-mcp.md §2a (PKCE S256 for MCP clients, "Your admin has blocked this
 * domain").
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Ctx, Router } from '../http.ts';
import { currentUser } from '../identity/login.ts';
import { SITE_PICKER_CSS, sitePicker } from '../pages/site-picker.ts';
import { esc, page, somethingWentWrong } from '../pages.ts';
import { findApp, findUser, issueCode, onReset, recordConsent, updateWorld, world } from '../state.ts';
import type { App, Site, User } from '../world.ts';
import { isUrlClientId, metadataRedirectAllowed, resolveMetadataClient } from './cimd.ts';
import { matchesAny, redirectUriProblem } from './redirect.ts';
import { scopeTitle } from './scopes.ts';

// one matcher for Callback URLs and the MCP domain list (redirect.ts); re-exported for the MCP Origin check
export { matchesAny };

interface Pending {
  rid: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  state: string | undefined;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
  resource?: string;
  email: string;
  expiresAt: number;
}
const pending = new Map<string, Pending>();
onReset(() => pending.clear());

const AuthorizeQuery = z
  .object({
    client_id: z.string().min(1),
    redirect_uri: z.string().min(1),
    scope: z.string().optional(),
    response_type: z.string().optional(),
    state: z.string().optional(),
    prompt: z.string().optional(),
    audience: z.string().optional(),
    code_challenge: z.string().optional(),
    code_challenge_method: z.string().optional(),
    resource: z.string().optional(),
  })
  .passthrough();

const ConsentQuery = z.object({ rid: z.string().min(1) });
const ConsentPost = z.object({ rid: z.string().min(1), action: z.enum(['accept', 'cancel']), site: z.string().default('') });

function withParams(redirectUri: string, params: Record<string, string | undefined>): string {
  const u = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
  // atlassian-oauth.md §1: error_description=User%20did%20not%20authorize%20the%20request (%20, not +)
  return u.toString().replace(/\+/g, '%20');
}

function siteHost(site: Site): string {
  return new URL(site.url).host;
}

export function isSiteAdmin(user: User, cloudId: string): boolean {
  return user.orgAdmin || user.sites[cloudId]?.siteAdmin === true;
}

type SiteBlock = { kind: 'blocked' | 'admin-must-authorize'; text: string } | undefined;

/** Per-site blocking state for this user and app (atlassian-oauth.md §2 "Known blocking states and texts"). */
export function siteBlock(app: App, clientId: string, user: User, cloudId: string, site: Site): SiteBlock {
  if (site.policy.blockedApps.includes(clientId)) {
    return {
      kind: 'blocked',
      text: `App is blocked by an admin. An admin has not allowed ${app.name} to access data from ${siteHost(site)}. Select another site to authorize access to or contact your admin for more information.`,
    };
  }
  if (site.policy.userInstalledApps === 'blocked' && !site.policy.approvedApps.includes(clientId) && !isSiteAdmin(user, cloudId)) {
    return {
      kind: 'admin-must-authorize',
      text: `Your site admin must authorize this app for the site ${siteHost(site)} before the app can access your account.`,
    };
  }
  return undefined;
}

function blockMessage(b: NonNullable<SiteBlock>): string {
  if (b.kind === 'blocked') {
    const [heading, ...rest] = b.text.split('. ');
    return `<strong>${esc(heading!)}</strong><p>${esc(rest.join('. '))}</p>`;
  }
  return `<p>${esc(b.text)}</p>`;
}

function userSites(user: User): Array<[string, Site]> {
  const w = world();
  return Object.keys(user.sites)
    .filter((id) => w.sites[id])
    .map((id) => [id, w.sites[id]!] as [string, Site]);
}

/** Full-page states that stop the flow before the site picker. */
function pageState(p: Pending, app: App, user: User): { status: number; html: string } | undefined {
  // atlassian-mcp.md §2a: a DCR (OAuth 2.1) client whose redirect URI is not in the admin's domain list
  if (app.kind === 'mcp' && (world().org.mcp.domainListIgnored || !matchesAny(p.redirectUri, world().org.mcp.domains))) {
    return {
      status: 403,
      html: page(
        'Your admin has blocked this domain',
        `<h1>Your admin has blocked this domain</h1>
<p>${esc(app.name)} is trying to connect from ${esc(new URL(p.redirectUri).origin)}, which your organization admin has not allowed for the Rovo MCP server. Contact your admin to add this domain.</p>
${cancelForm(p.rid)}`,
      ),
    };
  }
  // atlassian-oauth.md §1: requested scope not added to the app → "INFORMATION FOR THE OWNER OF <APP>"
  const missing = p.scopes.filter((s) => !app.scopes.includes(s));
  if (missing.length > 0) {
    return {
      status: 400,
      html: page(
        'Something went wrong',
        `<h1>Something went wrong</h1>
<section class="owner-info" aria-labelledby="owner-info-heading">
<h2 id="owner-info-heading">INFORMATION FOR THE OWNER OF ${esc(app.name.toUpperCase())}</h2>
<p id="owner-info-text">This app has requested scopes that have not been added to the app. Configure the app at https://developer.atlassian.com/apps and add the following scopes to the app: ${esc(missing.join(', '))}</p>
</section>`,
      ),
    };
  }
  // atlassian-oauth.md §2: app not shared → "developer mode" yellow warning; only the owner can continue
  if (!app.sharing && user !== findUser(app.ownerEmail)) {
    return {
      status: 403,
      html: page(
        `${app.name} is in developer mode`,
        `<h1>${esc(app.name)} is requesting access to your Atlassian account.</h1>
<div class="warning" role="alert" id="developer-mode">This app is in developer mode. Only the app's owner can grant it access. If you're not the owner, contact the app's developer and ask them to share it.</div>
${cancelForm(p.rid)}`,
      ),
    };
  }
  if (userSites(user).length === 0) {
    // simulator wording (no source for the real screen)
    return {
      status: 200,
      html: page(
        'No sites to choose',
        `<h1>${esc(app.name)} is requesting access to your Atlassian account.</h1>
<div class="warning" role="alert" id="no-sites">You don't have access to any Atlassian sites, so there are no sites to choose. Ask an admin to give you access to a site, then try again.</div>
${cancelForm(p.rid)}`,
      ),
    };
  }
  return undefined;
}

function cancelForm(rid: string): string {
  return `<form method="post" action="/consent"><input type="hidden" name="rid" value="${esc(rid)}"><button type="submit" name="action" value="cancel">Cancel</button></form>`;
}

function consentPage(p: Pending, app: App, user: User, chosen?: string): string {
  const sites = userSites(user);
  const blocks = new Map(sites.map(([id, s]) => [id, siteBlock(app, p.clientId, user, id, s)]));
  // atlassian-oauth.md §2: a React-Select combobox on the real screen; the native <select> is a world switch
  const picker = sitePicker(
    world().settings.sitePicker,
    sites.map(([id, s]) => ({ value: id, label: siteHost(s) })),
    chosen,
  );
  const blocked = sites.filter(([id]) => blocks.get(id)).map(([id]) => id);
  const messages = sites
    .map(([id]) => {
      const b = blocks.get(id);
      return b
        ? `<div class="error" role="alert" data-site="${esc(id)}" data-state="${b.kind}"${id === chosen ? '' : ' hidden'}>${blockMessage(b)}</div>`
        : '';
    })
    .join('\n');
  const dev = !app.sharing
    ? `<div class="warning" role="alert" id="developer-mode">This app is in developer mode. Only you, the app's owner, can grant it access.</div>`
    : '';
  // offline_access has no consent title (atlassian-oauth.md §6 "—"): not listed
  const items = p.scopes
    .filter((s) => s !== 'offline_access')
    .map((s) => `<li data-scope="${esc(s)}"><strong>${esc(scopeTitle(s))}</strong></li>`)
    .join('\n');
  const chosenOk = chosen !== undefined && blocks.has(chosen) && !blocks.get(chosen);
  return page(
    `${app.name} is requesting access`,
    `<h1>${esc(app.name)} is requesting access to your Atlassian account.</h1>
${dev}
<div class="site-selector">
${picker.html}
</div>
${messages}
<h2>${esc(app.name)} would like to:</h2>
<ul aria-label="Permissions requested">
${items}
</ul>
<p class="muted">Logged in as ${esc(Object.keys(world().users).find((e) => world().users[e] === user) ?? '')}</p>
<form method="post" action="/consent" id="consent-form">
<input type="hidden" name="rid" value="${esc(p.rid)}">
<button type="submit" name="action" value="accept" id="accept"${chosenOk ? '' : ' disabled'}>Accept</button>
<button type="submit" name="action" value="cancel" id="cancel">Cancel</button>
</form>`,
    // Accept stays disabled until a site that allows the app is chosen (atlassian-oauth.md §2)
    `var blockedSites=${JSON.stringify(blocked).replace(/</g, '\\u003c')};
function siteChanged(v){document.querySelectorAll('[data-site]').forEach(function(d){d.hidden=d.getAttribute('data-site')!==v;});
document.getElementById('accept').disabled=!v||blockedSites.indexOf(v)>=0;}
${picker.script}`,
    SITE_PICKER_CSS,
  );
}

function loginRedirect(ctx: Ctx, back: string): void {
  ctx.redirect(`${ctx.bases.id}/login?continue=${encodeURIComponent(back)}`);
}

export function registerAuthorize(r: Router): void {
  // GET /authorize — atlassian-oauth.md §1
  r.route('GET', '/authorize', async (ctx) => {
    const r = AuthorizeQuery.safeParse(Object.fromEntries(ctx.query));
    if (!r.success) {
      const issue = r.error.issues[0]!;
      ctx.html(400, somethingWentWrong(`${issue.path.join('.')}: ${issue.message}`));
      return;
    }
    const q = r.data;
    // a URL client_id names a client metadata document (cimd.ts): fetched and checked before the client is looked up
    if (isUrlClientId(q.client_id)) {
      ctx.note({ clientId: q.client_id });
      const m = await resolveMetadataClient(q.client_id);
      if ('problem' in m) {
        ctx.html(400, somethingWentWrong(`invalid_client: ${m.problem}`));
        return;
      }
      if (!metadataRedirectAllowed(m.client, q.redirect_uri)) {
        // docs/reference/atlassian-mcp.md §2a [S37]: the real wording of this refusal
        ctx.html(400, somethingWentWrong(`unauthorized_client: redirect_uri is not registered for client: ${q.redirect_uri}`));
        return;
      }
    }
    handleAuthorize(ctx, q);
  });

  r.route('GET', '/consent', async (ctx) => {
    const q = ConsentQuery.safeParse(Object.fromEntries(ctx.query));
    const p = q.success ? pending.get(q.data.rid) : undefined;
    if (!p || p.expiresAt < Date.now()) {
      ctx.html(400, somethingWentWrong('consent request expired or unknown'));
      return;
    }
    const email = currentUser(ctx);
    const app = findApp(p.clientId);
    const user = email ? findUser(email) : undefined;
    ctx.note({ clientId: p.clientId, ...(email ? { account: email } : {}) });
    if (!email || email.toLowerCase() !== p.email.toLowerCase() || !user) {
      loginRedirect(ctx, `${ctx.bases.auth}/consent?rid=${encodeURIComponent(p.rid)}`);
      return;
    }
    if (!app) {
      ctx.html(400, somethingWentWrong('unknown client_id'));
      return;
    }
    const stop = pageState(p, app, user);
    if (stop) ctx.html(stop.status, stop.html);
    else ctx.html(200, consentPage(p, app, user));
  });

  r.route('POST', '/consent', async (ctx) => {
    const b = await ctx.parse(ConsentPost, 'form');
    const p = pending.get(b.rid);
    if (!p || p.expiresAt < Date.now()) {
      ctx.html(400, somethingWentWrong('consent request expired or unknown'));
      return;
    }
    ctx.note({ clientId: p.clientId });
    const email = currentUser(ctx);
    const user = email ? findUser(email) : undefined;
    const app = findApp(p.clientId);
    if (!email || !user || email.toLowerCase() !== p.email.toLowerCase()) {
      loginRedirect(ctx, `${ctx.bases.auth}/consent?rid=${encodeURIComponent(p.rid)}`);
      return;
    }
    ctx.note({ account: email });
    if (b.action === 'cancel') {
      pending.delete(p.rid);
      // atlassian-oauth.md §1 (MCP flow [24]): Cancel → error=access_denied with this description
      ctx.redirect(
        withParams(p.redirectUri, { error: 'access_denied', error_description: 'User did not authorize the request', state: p.state }),
      );
      return;
    }
    if (!app) {
      ctx.html(400, somethingWentWrong('unknown client_id'));
      return;
    }
    const stop = pageState(p, app, user);
    if (stop) {
      ctx.html(stop.status, stop.html);
      return;
    }
    const site = world().sites[b.site];
    if (!site || !user.sites[b.site]) {
      ctx.html(400, consentPage(p, app, user));
      return;
    }
    const block = siteBlock(app, p.clientId, user, b.site, site);
    if (block) {
      ctx.html(403, consentPage(p, app, user, b.site));
      return;
    }
    // atlassian-oauth.md §2: an admin completing the flow once installs (approves) the app for the site
    if (site.policy.userInstalledApps === 'blocked' && !site.policy.approvedApps.includes(p.clientId) && isSiteAdmin(user, b.site)) {
      updateWorld((w) => {
        w.sites[b.site]!.policy.approvedApps.push(p.clientId);
      });
    }
    const grant = recordConsent(email, p.clientId, p.scopes, b.site);
    ctx.note({ grant: grant.id });
    const code = issueCode({
      clientId: p.clientId,
      email,
      redirectUri: p.redirectUri,
      scopes: p.scopes,
      grantId: grant.id,
      ...(p.codeChallenge ? { codeChallenge: p.codeChallenge, codeChallengeMethod: p.codeChallengeMethod ?? 'plain' } : {}),
      ...(p.resource ? { resource: p.resource } : {}),
    });
    pending.delete(p.rid);
    ctx.redirect(withParams(p.redirectUri, { code, state: p.state }));
  });
}

function handleAuthorize(ctx: Ctx, q: z.infer<typeof AuthorizeQuery>): void {
  ctx.note({ clientId: q.client_id });
  const app = findApp(q.client_id);
  // unknown client / bad redirect_uri: never redirect (RFC 6749 §4.1.2.1); generic error page
  if (!app) {
    ctx.html(400, somethingWentWrong('unknown client_id'));
    return;
  }
  const problem = redirectUriProblem(q.redirect_uri);
  if (problem) {
    ctx.html(400, somethingWentWrong(`redirect_uri ${problem}`));
    return;
  }
  if (!matchesAny(q.redirect_uri, app.callbackUrls)) {
    ctx.html(400, somethingWentWrong('redirect_uri does not match a callback URL of the app'));
    return;
  }
  const fail = (error: string, description: string) =>
    ctx.redirect(withParams(q.redirect_uri, { error, error_description: description, state: q.state }));
  if (q.response_type !== 'code') {
    fail('unsupported_response_type', 'response_type must be code');
    return;
  }
  const scopes = [...new Set((q.scope ?? '').split(/\s+/).filter(Boolean))];
  if (scopes.length === 0) {
    fail('invalid_scope', 'scope is required');
    return;
  }
  // atlassian-oauth.md §1: state "required for security" (simulator choice: enforced)
  if (!q.state) {
    fail('invalid_request', 'state is required');
    return;
  }
  // PKCE (RFC 7636 §4.3): code_challenge_method is optional and defaults to "plain"
  const method = q.code_challenge ? (q.code_challenge_method ?? 'plain') : undefined;
  if (q.code_challenge_method !== undefined && !q.code_challenge) {
    fail('invalid_request', 'code_challenge_method given without code_challenge');
    return;
  }
  if (method !== undefined && method !== 'S256' && method !== 'plain') {
    fail('invalid_request', 'code_challenge_method must be S256 or plain');
    return;
  }
  if (app.kind === 'mcp' && method !== 'S256') {
    // atlassian-mcp.md §2a: DCR clients are PKCE public clients; S256 is the only method in the AS metadata, so a
    // public client's challenge without a method (plain) is refused [sim]
    fail('invalid_request', 'code_challenge with code_challenge_method=S256 is required');
    return;
  }
  const email = currentUser(ctx);
  if (!email) {
    loginRedirect(ctx, `${ctx.bases.auth}${ctx.url.pathname}${ctx.url.search}`);
    return;
  }
  ctx.note({ account: email });
  const rid = randomBytes(18).toString('base64url');
  pending.set(rid, {
    rid,
    clientId: q.client_id,
    redirectUri: q.redirect_uri,
    scopes,
    state: q.state,
    ...(q.code_challenge && method ? { codeChallenge: q.code_challenge, codeChallengeMethod: method } : {}),
    ...(q.resource ? { resource: q.resource } : {}),
    email,
    expiresAt: Date.now() + 30 * 60_000,
  });
  ctx.redirect(`${ctx.bases.auth}/consent?rid=${rid}`);
}
