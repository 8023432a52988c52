/**
 * Client ID Metadata Documents (CIMD): a `client_id` that is a URL names a JSON document with the client's metadata,
 * which the authorization server fetches instead of looking up a registration. Every authorization-server document
 * advertises it (`client_id_metadata_document_supported: true`, docs/reference/atlassian-mcp.md, "The v2 generation");
 * VS Code uses `https://vscode.dev/oauth/client-metadata.json` on /v2/mcp (docs/reference/atlassian-mcp.md §2a) and
 * the SDK sends such a URL as client_id when the metadata says so (docs/reference/mcp-sdk.md §1, "Dynamic client
 * registration"). The rules are those of the IETF draft
 * (https://datatracker.ietf.org/doc/draft-ietf-oauth-client-id-metadata-document/) as the MCP authorization spec uses
 * it (https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#client-id-metadata-documents):
 *
 *   - the URL: https, a path other than `/`, no `.`/`..` segments, no fragment, no userinfo;
 *     [sim] the simulator fetches only from loopback (127.0.0.0/8, ::1, localhost) and never leaves the machine; on
 *     loopback plain http is accepted too, because test fixtures serve documents without TLS; any other host is
 *     refused before a request is made (the real service would fetch public https URLs only);
 *   - the fetch: one GET, no redirect followed, 5 s timeout, at most 5 KiB, HTTP 200, a JSON object;
 *   - the document: `client_id` equal to the URL (simple string comparison), `redirect_uris` a non-empty list of
 *     absolute http(s) URIs without userinfo, fragment or pattern characters (`*`, `{`, `}`), no `client_secret` or
 *     `client_secret_expires_at`, `token_endpoint_auth_method` absent or `none` (no shared secret);
 *   - the redirect_uri of the request must be one of the document's `redirect_uris`, compared as URLs part by part
 *     (redirect.ts: scheme, host, port after defaults, path and query exactly) — no loopback port wildcard: the
 *     refusal a CLI got for `http://127.0.0.1:<port>/` (docs/reference/atlassian-mcp.md §2a [S37]) is this case.
 *
 * A document that passes becomes (or replaces) an `apps` entry of kind `mcp` under its URL, a public client with no
 * secret, scopes as a registered MCP client gets them (state/clients.ts). [sim] It is fetched again on every
 * authorization request (no cache), so a changed document applies at once; a world reset drops it.
 */
import { z } from 'zod';
import { mcpClientScopes, updateWorld } from '../state.ts';
import { redirectMatches, redirectUriProblem } from './redirect.ts';

const FETCH_TIMEOUT_MS = 5_000;
const MAX_BYTES = 5 * 1024;

/** A client_id that names a metadata document (a URL), as opposed to a registered id. */
export function isUrlClientId(clientId: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(clientId);
}

function isLoopback(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return h === 'localhost' || h === '[::1]' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** Why this client_id URL is refused before any fetch, or undefined. */
export function clientIdUrlProblem(clientId: string): string | undefined {
  let u: URL;
  try {
    u = new URL(clientId);
  } catch {
    return 'is not an absolute URL';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'must use https';
  if (u.username !== '' || u.password !== '') return 'must not carry userinfo (user:password@)';
  if (clientId.includes('#')) return 'must not carry a fragment';
  const rawPath = clientId.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').split(/[?#]/)[0] ?? '';
  if (rawPath === '' || rawPath === '/') return 'must have a path (the document is not at the root)';
  if (rawPath.split('/').some((s) => s === '.' || s === '..' || /^%2e(%2e)?$/i.test(s))) return 'must not have . or .. path segments';
  if (!isLoopback(u.hostname))
    return `names ${u.hostname}, which is not a loopback host: the simulator fetches client metadata documents only from this machine`;
  return undefined;
}

const NoPattern = z
  .string()
  .refine((uri) => !/[*{}]/.test(uri), 'is a pattern, not a redirect URI')
  .superRefine((uri, ctx) => {
    const problem = redirectUriProblem(uri);
    if (problem) ctx.addIssue({ code: 'custom', message: `redirect URI ${problem}` });
  });

const MetadataDocument = z.looseObject({
  client_id: z.string(),
  redirect_uris: z.array(NoPattern).min(1),
  client_name: z.string().min(1).optional(),
  client_uri: z.string().optional(),
  logo_uri: z.string().optional(),
  scope: z.string().optional(),
  grant_types: z.array(z.string()).optional(),
  response_types: z.array(z.string()).optional(),
  token_endpoint_auth_method: z.literal('none', { message: 'must be none (a metadata document client has no shared secret)' }).optional(),
  client_secret: z.undefined({ message: 'must not be in a client metadata document' }).optional(),
  client_secret_expires_at: z.undefined({ message: 'must not be in a client metadata document' }).optional(),
});

export interface CimdClient {
  clientId: string;
  redirectUris: string[];
  name: string;
}

/** Read at most `max` bytes of the body; undefined when it is longer. */
async function boundedText(res: Response, max: number): Promise<string | undefined> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Fetch and check the document a URL client_id names; on success the client is (re)registered as an app of kind
 * `mcp` under that URL. Returns the client, or the problem as an OAuth error description.
 */
export async function resolveMetadataClient(clientId: string): Promise<{ client: CimdClient } | { problem: string }> {
  const urlProblem = clientIdUrlProblem(clientId);
  if (urlProblem) return { problem: `client_id ${urlProblem}` };
  let res: Response;
  try {
    res = await fetch(clientId, {
      redirect: 'manual',
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
  } catch (e) {
    return {
      problem: `client metadata document could not be fetched (${(e as Error).name === 'TimeoutError' ? 'timeout' : 'connection failed'})`,
    };
  }
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel();
    return { problem: `client metadata document answered a redirect (HTTP ${res.status}), which is not followed` };
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    return { problem: `client metadata document answered HTTP ${res.status}` };
  }
  const text = await boundedText(res, MAX_BYTES);
  if (text === undefined) return { problem: `client metadata document is larger than ${MAX_BYTES} bytes` };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { problem: 'client metadata document is not JSON' };
  }
  const doc = MetadataDocument.safeParse(json);
  if (!doc.success) {
    const issue = doc.error.issues[0]!;
    return { problem: `client metadata document: ${issue.path.join('.') || '(document)'} ${issue.message}` };
  }
  if (doc.data.client_id !== clientId) return { problem: 'client metadata document: client_id does not equal the URL it was fetched from' };
  const name = doc.data.client_name ?? new URL(clientId).host;
  updateWorld((w) => {
    w.apps[clientId] = {
      name,
      clientSecret: null,
      ownerEmail: '',
      callbackUrls: doc.data.redirect_uris,
      scopes: mcpClientScopes(doc.data.scope),
      sharing: true,
      kind: 'mcp',
    };
  });
  return { client: { clientId, redirectUris: doc.data.redirect_uris, name } };
}

/** Is `uri` one of the document's redirect URIs (compared as URLs, no pattern)? */
export function metadataRedirectAllowed(client: CimdClient, uri: string): boolean {
  return client.redirectUris.some((r) => redirectMatches(uri, r));
}
