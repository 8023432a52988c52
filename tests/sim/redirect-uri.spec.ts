/**
 * Redirect URIs are matched part by part (simulator/src/auth/redirect.ts), never as a raw string: a URI whose
 * userinfo imitates the callback's host and port goes nowhere, and the same matcher guards the MCP domain list and
 * dynamic client registration.
 */
import type { SimHandle } from '../../fixtures/core/simulator.ts';
import { expect, test } from '../../fixtures/index.ts';

const CLIENT_ID = 'sim-client-3lo';

function authorizeUrl(sim: SimHandle, redirectUri: string, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({
    client_id: CLIENT_ID,
    redirect_uri: redirectUri,
    scope: 'read:me',
    response_type: 'code',
    state: 'st-redirect',
    ...extra,
  });
  return `${sim.urls.auth}/authorize?${q}`;
}

/** the error page's reference text, or null when /authorize did not answer with the error page */
async function errorReason(res: Response): Promise<string | null> {
  const html = await res.text();
  return /<code id="error-reason">([^<]*)<\/code>/.exec(html)?.[1]?.replace(/&#39;/g, "'") ?? null;
}

test.describe('redirect URI matching', () => {
  for (const [label, uri, reason] of [
    ['userinfo that imitates the callback host and port', 'http://127.0.0.1:1@evil.example/callback', 'userinfo'],
    ['a user name only', 'http://attacker@127.0.0.1:5000/callback', 'userinfo'],
    ['a fragment', 'http://127.0.0.1:5000/callback#x', 'fragment'],
    ['a path that only starts like the callback', 'http://127.0.0.1:5000/callback/../../evil', 'does not match'],
    ['another host', 'http://127.0.0.2:5000/callback', 'does not match'],
    ['a query the callback URL does not have', 'http://127.0.0.1:5000/callback?next=https://evil.example', 'does not match'],
    ['another scheme', 'https://127.0.0.1:5000/callback', 'does not match'],
  ] as const) {
    test(`/authorize refuses ${label} on the error page and never redirects`, async ({ sim }) => {
      const res = await fetch(authorizeUrl(sim, uri), { redirect: 'manual' });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(await errorReason(res)).toContain(reason);
    });
  }

  test('any loopback port matches http://127.0.0.1:*/callback, as before', async ({ sim }) => {
    for (const port of ['1', '8976', '65535']) {
      const res = await fetch(authorizeUrl(sim, `http://127.0.0.1:${port}/callback`), { redirect: 'manual' });
      expect(res.status, port).toBe(302);
      expect(new URL(res.headers.get('location')!).pathname, port).toBe('/login');
    }
  });

  test('a default port matches the pattern without a port, and an explicit other port does not', async ({ sim }) => {
    await sim.admin.patchWorld({ apps: { [CLIENT_ID]: { callbackUrls: ['https://app.example.com/oauth/{callback,cb}'] } } });
    for (const uri of [
      'https://app.example.com/oauth/callback',
      'https://app.example.com:443/oauth/cb',
      'https://APP.example.com/oauth/cb',
    ]) {
      const res = await fetch(authorizeUrl(sim, uri), { redirect: 'manual' });
      expect(res.status, uri).toBe(302);
    }
    const other = await fetch(authorizeUrl(sim, 'https://app.example.com:8443/oauth/callback'), { redirect: 'manual' });
    expect(other.status).toBe(400);
  });

  test('the MCP domain list uses the same matcher: userinfo posing as an allowed domain is blocked', async ({ sim }) => {
    await sim.admin.patchWorld({
      org: { mcp: { domains: ['http://127.0.0.1:*/**'] } },
      apps: {
        'sim-mcp-redirect': {
          name: 'Redirect Client',
          clientSecret: 'SIMCANARY-cs-redirect-unused',
          ownerEmail: '',
          // the app itself accepts any http callback, so only the domain list stands between the code and evil.example
          callbackUrls: ['http://**'],
          scopes: ['read:jira-work'],
          kind: 'mcp',
        },
      },
    });
    const res = await fetch(
      `${sim.urls.auth}/authorize?${new URLSearchParams({
        client_id: 'sim-mcp-redirect',
        redirect_uri: 'http://127.0.0.1:1@evil.example/callback',
        scope: 'read:jira-work',
        response_type: 'code',
        state: 'st-domain',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      })}`,
      { redirect: 'manual' },
    );
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(await errorReason(res)).toContain('userinfo');
  });

  test('dynamic client registration refuses a redirect URI with userinfo (RFC 7591 invalid_redirect_uri)', async ({ sim }) => {
    const res = await fetch(`${sim.urls.mcp}/v1/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'evil',
        redirect_uris: ['http://127.0.0.1:1@evil.example/callback'],
        token_endpoint_auth_method: 'none',
      }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; error_description: string };
    expect(body.error).toBe('invalid_redirect_uri');
    expect(body.error_description).toContain('userinfo');
  });
});
