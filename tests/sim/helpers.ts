/**
 * Helpers for the simulator's API-gateway tests (api-*.spec.ts): get an access token from a private simulator
 * WITHOUT a browser by walking its login and consent forms with plain fetch (redirects followed by hand, cookies
 * kept), then call the gateway. Harness side of the wall: talks to the simulator over HTTP only.
 *
 * The walk is a bounded state machine keyed on the URL path (STYLE.md habit 5): a screen it does not expect throws
 * with the status and the page heading (never a secret).
 */
import type { SimHandle } from '../../fixtures/core/simulator.ts';

export const ACME = 'a1c3e5f7-0000-4000-8000-000000000001';
export const GLOBEX = 'b2d4f6a8-0000-4000-8000-000000000002';
export const APP = { clientId: 'sim-client-3lo', clientSecret: 'SIMCANARY-cs-3lo-8f2k1q' };
export const ACCOUNTS = {
  admin: { email: 'org.admin@sim.example', password: 'SIMCANARY-pw-orgadmin' },
  member: { email: 'member@sim.example', password: 'SIMCANARY-pw-member' },
} as const;
/** The default app's scopes (.env.sim ATLASSIAN_SCOPES). */
export const APP_SCOPES =
  'offline_access read:me read:jira-user read:jira-work write:jira-work manage:jira-project manage:jira-configuration manage:jira-webhook read:confluence-content.summary read:confluence-content.all read:confluence-space.summary write:confluence-content search:confluence read:confluence-user read:confluence-groups read:confluence-props manage:confluence-configuration read:page:confluence read:space:confluence read:attachment:confluence read:comment:confluence read:project:jira read:user:jira read:status:jira read:priority:jira read:board-scope:jira-software'.split(
    ' ',
  );

const CALLBACK = 'http://127.0.0.1:9/callback';

class Jar {
  private readonly cookies = new Map<string, string>();
  take(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      if (eq > 0) this.cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

function heading(html: string): string {
  return (
    /<h1[^>]*>([\s\S]*?)<\/h1>/i
      .exec(html)?.[1]
      ?.replace(/<[^>]+>/g, '')
      .trim() ?? '(no heading)'
  );
}

export class TokenWalkError extends Error {}

export interface TokenRequest {
  account: { email: string; password: string };
  scopes: readonly string[];
  /** sites to consent to, one consent each (all end up in the same grant, atlassian-oauth.md §4) */
  sites: readonly string[];
}

/** authorize → login → consent (per site) → code exchange. Returns the access token of the last exchange. */
export async function oauthToken(sim: SimHandle, req: TokenRequest): Promise<string> {
  const jar = new Jar();
  const authorize = `${sim.urls.auth}/authorize?${new URLSearchParams({
    audience: 'api.atlassian.com',
    client_id: APP.clientId,
    scope: req.scopes.join(' '),
    redirect_uri: CALLBACK,
    state: 'gateway-test-state',
    response_type: 'code',
    prompt: 'consent',
  })}`;
  const go = async (url: string, init: RequestInit = {}) => {
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: jar.header() },
    });
    jar.take(res);
    return res;
  };
  const form = (fields: Record<string, string>): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  let code = '';
  for (const site of req.sites) {
    let url = authorize;
    let res: Response | undefined;
    code = '';
    for (let step = 0; step < 8 && !code; step++) {
      res = await go(url);
      const location = res.headers.get('location');
      if (res.status !== 302 || !location)
        throw new TokenWalkError(`token walk stopped at ${new URL(url).pathname}: HTTP ${res.status} "${heading(await res.text())}"`);
      const next = new URL(location, url);
      if (next.pathname === '/login') {
        res = await go(
          `${sim.urls.id}/login`,
          form({
            step: 'password',
            username: req.account.email,
            password: req.account.password,
            continue: next.searchParams.get('continue') ?? '',
          }),
        );
        const back = res.headers.get('location');
        if (res.status !== 302 || !back)
          throw new TokenWalkError(`login failed for ${req.account.email}: HTTP ${res.status} "${heading(await res.text())}"`);
        url = back;
      } else if (next.pathname === '/consent') {
        const rid = next.searchParams.get('rid') ?? '';
        res = await go(`${sim.urls.auth}/consent`, form({ rid, action: 'accept', site }));
        const cb = res.headers.get('location');
        if (res.status !== 302 || !cb)
          throw new TokenWalkError(`consent refused for site ${site}: HTTP ${res.status} "${heading(await res.text())}"`);
        const c = new URL(cb);
        code = c.searchParams.get('code') ?? '';
        if (!code)
          throw new TokenWalkError(
            `consent redirected without a code: error=${c.searchParams.get('error')} ${c.searchParams.get('error_description')}`,
          );
      } else {
        url = next.toString();
      }
    }
    if (!code) throw new TokenWalkError(`token walk did not reach a code within 8 steps for site ${site}`);
  }
  const tok = await fetch(`${sim.urls.auth}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'authorization_code',
      client_id: APP.clientId,
      client_secret: APP.clientSecret,
      code,
      redirect_uri: CALLBACK,
    }),
  });
  const body = (await tok.json()) as { access_token?: string; error?: string };
  if (tok.status !== 200 || !body.access_token) throw new TokenWalkError(`code exchange failed: HTTP ${tok.status} ${body.error ?? ''}`);
  return body.access_token;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/** Call the gateway. `auth` is a Bearer token or a full Authorization header value (`Basic …`). */
export async function api(sim: SimHandle, auth: string | null, method: string, path: string, body?: unknown): Promise<ApiResponse> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (auth) headers['authorization'] = /^(Basic|Bearer) /.test(auth) ? auth : `Bearer ${auth}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${sim.urls.api}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

export function basic(email: string, token: string): string {
  return `Basic ${Buffer.from(`${email}:${token}`).toString('base64')}`;
}

export const SCOPE_MISMATCH = { code: 401, message: 'Unauthorized; scope does not match' };
export const UNAUTHORIZED = { code: 401, message: 'Unauthorized' };
