/**
 * An OAuth client that is NOT the harness (panva's oauth4webapi) against the simulator: it builds the authorize URL,
 * Playwright logs in and accepts consent on the simulator's own pages, a tiny loopback listener catches the redirect,
 * then oauth4webapi exchanges the code, refreshes, and sees reuse detection (atlassian-oauth.md §3: 10-minute reuse
 * leeway, family revoked on late reuse). Proves the simulator speaks the protocol, not just our own fixtures.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oauth from 'oauth4webapi';
import { expect, test } from '../../fixtures/index.ts';

const CLIENT_ID = 'sim-client-3lo';
const CLIENT_SECRET = 'SIMCANARY-cs-3lo-8f2k1q';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

test('oauth4webapi completes authorize → consent → code exchange → refresh → reuse detection against the simulator', async ({
  sim,
  page,
}) => {
  // the callback listener (inline: the app's redirect URI)
  let resolveCallback!: (u: URL) => void;
  const reached = new Promise<URL>((r) => {
    resolveCallback = r;
  });
  const listener = createServer((req, res) => {
    resolveCallback(new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`));
    res.writeHead(200, { 'content-type': 'text/html' }).end('<p>You can close this window.</p>');
  });
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  const redirectUri = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/callback`;

  try {
    const as: oauth.AuthorizationServer = {
      issuer: sim.urls.auth,
      authorization_endpoint: `${sim.urls.auth}/authorize`,
      token_endpoint: `${sim.urls.auth}/oauth/token`,
    };
    const client: oauth.Client = { client_id: CLIENT_ID };
    const clientAuth = oauth.ClientSecretPost(CLIENT_SECRET);
    const state = oauth.generateRandomState();
    const verifier = oauth.generateRandomCodeVerifier();

    const authorize = new URL(as.authorization_endpoint!);
    authorize.search = new URLSearchParams({
      audience: 'api.atlassian.com',
      client_id: CLIENT_ID,
      scope: 'read:me read:jira-work offline_access',
      redirect_uri: redirectUri,
      state,
      response_type: 'code',
      prompt: 'consent',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }).toString();

    await page.goto(authorize.toString());
    await page.getByPlaceholder('Enter email').fill('member@sim.example');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByPlaceholder('Enter password').fill('SIMCANARY-pw-member');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Harness Test App is requesting access to your Atlassian account.');
    // the consent page's site picker is a React-Select combobox (simulator/README.md "Authorize and consent")
    await page.getByRole('combobox', { name: 'Use app on' }).click();
    await page.getByRole('option', { name: 'acme-sim.atlassian.net' }).click();
    await page.getByRole('button', { name: 'Accept' }).click();
    const callbackUrl = await reached;

    const params = oauth.validateAuthResponse(as, client, callbackUrl, state);
    const codeResponse = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, redirectUri, verifier, insecure);
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, codeResponse);
    expect(tokens.token_type).toBe('bearer'); // oauth4webapi lower-cases it
    expect(tokens.scope).toBe('read:me read:jira-work offline_access');
    expect(tokens.refresh_token).toBeTruthy();

    // the token works at the gateway
    const resources = await fetch(`${sim.urls.api}/oauth/token/accessible-resources`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(resources.status).toBe(200);
    expect(((await resources.json()) as Array<{ id: string }>).map((r) => r.id)).toEqual(['a1c3e5f7-0000-4000-8000-000000000001']);

    // rotation
    const r1 = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token!, insecure),
    );
    expect(r1.refresh_token).toBeTruthy();
    expect(r1.refresh_token).not.toBe(tokens.refresh_token);

    // reuse of the rotated token inside the window → OK (fresh pair)
    const within = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token!, insecure),
    );
    expect(within.access_token).toBeTruthy();
    expect((await sim.admin.stats()).refreshReuseWithinWindow).toBe(1);

    // reuse after the window → invalid_grant, and the whole family is gone
    await sim.admin.patchWorld({ settings: { refreshReuseWindowSeconds: 0 } });
    const late = await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token!, insecure);
    const err = await oauth.processRefreshTokenResponse(as, client, late).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(oauth.ResponseBodyError);
    const rbe = err as oauth.ResponseBodyError;
    expect(rbe.status).toBe(403);
    expect(rbe.error).toBe('invalid_grant');
    expect(rbe.error_description).toBe('Unknown or invalid refresh token.');
    const newest = await oauth.refreshTokenGrantRequest(as, client, clientAuth, r1.refresh_token!, insecure);
    expect(newest.status).toBe(403);
    expect((await sim.admin.stats()).familyRevocations).toBe(1);
  } finally {
    listener.closeAllConnections();
    await new Promise((r) => listener.close(r));
  }
});
