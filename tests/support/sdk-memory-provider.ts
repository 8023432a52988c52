/** An in-memory OAuthClientProvider (mcp-sdk.md §1) that records the authorization URL instead of opening it. */
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';

export function memoryProvider(redirect: string, opts: { clientName: string; scope?: string; state: string }) {
  const st: { client?: OAuthClientInformationMixed; tokens?: OAuthTokens; verifier?: string; authUrl?: URL } = {};
  const provider: OAuthClientProvider = {
    get redirectUrl() {
      return redirect;
    },
    get clientMetadata() {
      return {
        client_name: opts.clientName,
        redirect_uris: [redirect],
        token_endpoint_auth_method: 'none',
        ...(opts.scope ? { scope: opts.scope } : {}),
      };
    },
    state: () => opts.state,
    clientInformation: () => st.client,
    saveClientInformation: (c) => {
      st.client = c;
    },
    tokens: () => st.tokens,
    saveTokens: (t) => {
      st.tokens = t;
    },
    redirectToAuthorization: (u) => {
      st.authUrl = u;
    },
    saveCodeVerifier: (v) => {
      st.verifier = v;
    },
    codeVerifier: () => st.verifier ?? '',
  };
  return { provider, st };
}
