/**
 * Redirect URIs against the patterns an admin or developer configured: an app's Callback URLs and the Rovo MCP
 * domain list (docs/reference/atlassian-mcp.md §3: "Patterns must include a protocol; wildcards/braces allowed, e.g.
 * `https://app.example.com/**`, `http://localhost:*\/**`"). The same matcher serves /authorize, the consent page's
 * domain check and dynamic client registration.
 *
 * The URI is parsed with the WHATWG URL parser and compared part by part — never as a raw string, where
 * `http://127.0.0.1:1@evil.example/callback` would pass for `http://127.0.0.1:*\/callback` while the browser goes to
 * evil.example:
 *   - refused outright: not an absolute http(s) URL, userinfo (`user:pass@`), a fragment (RFC 6749 §3.1.2);
 *   - scheme and host: equal (case-insensitive; `*` in a host stands for one DNS label) [sim: the reference shows
 *     wildcards only in ports and paths];
 *   - port: equal after defaults (`https://x` is `https://x:443`); `:*` allows any port, the default one included;
 *   - path and query: the pattern's path (and query, if it has one) as a glob — `**` any characters, `*` any run
 *     without `/`, `{a,b}` alternatives — against the URI's path plus query, whole-string. A pattern without `*` or
 *     braces therefore matches its own path exactly, with no query.
 */
import { z } from 'zod';

/** Why a redirect URI is refused before any pattern is tried, or undefined when it is acceptable. */
export function redirectUriProblem(uri: string): string | undefined {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return 'is not an absolute URL';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    return `uses the scheme ${JSON.stringify(u.protocol.slice(0, -1))}; use http or https`;
  if (u.username !== '' || u.password !== '') return 'carries userinfo (user:password@) before the host';
  if (uri.includes('#')) return 'carries a fragment (#…), which RFC 6749 §3.1.2 forbids';
  return undefined;
}

interface Pattern {
  scheme: string;
  host: RegExp;
  /** '' = the scheme's default port, '*' = any */
  port: string;
  pathAndQuery: RegExp;
}

const DEFAULT_PORT: Record<string, string> = { http: '80', https: '443' };
const PATTERN = /^([a-z][a-z0-9+.-]*):\/\/(\[[0-9a-f:.]+\]|[^/:?#@[\]]+)(?::(\d+|\*))?([/?][^#]*)?$/i;

/** Glob → anchored RegExp source; `segment` is what a single `*` may match. */
function globSource(glob: string, segment: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      out += '.*';
      i++;
    } else if (c === '*') out += `${segment}*`;
    else if (c === '{') {
      out += '(?:';
      depth++;
    } else if (c === '}' && depth > 0) {
      out += ')';
      depth--;
    } else if (c === ',' && depth > 0) out += '|';
    else out += c.replace(/[.+?^$()|[\]\\{}]/g, '\\$&');
  }
  return out;
}

function parsePattern(pattern: string): Pattern | undefined {
  const m = PATTERN.exec(pattern.trim());
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  let port = m[3] ?? '';
  if (port === DEFAULT_PORT[scheme]) port = '';
  return {
    scheme,
    host: new RegExp(`^${globSource(m[2]!.toLowerCase(), '[a-z0-9-]')}$`, 'i'),
    port,
    pathAndQuery: new RegExp(`^${globSource(m[4] ?? '/', '[^/]')}$`),
  };
}

/** Does this redirect URI match this pattern? An unparsable pattern matches nothing. */
export function redirectMatches(uri: string, pattern: string): boolean {
  if (redirectUriProblem(uri) !== undefined) return false;
  const p = parsePattern(pattern);
  if (!p) return false;
  const u = new URL(uri);
  if (u.protocol.slice(0, -1) !== p.scheme) return false;
  if (!p.host.test(u.hostname)) return false;
  if (p.port !== '*' && u.port !== p.port) return false;
  return p.pathAndQuery.test(`${u.pathname}${u.search}`);
}

export function matchesAny(uri: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => redirectMatches(uri, p));
}

/** A redirect URI at a request boundary (dynamic client registration): zod issue naming the problem. */
export const RedirectUri = z.string().superRefine((uri, ctx) => {
  const problem = redirectUriProblem(uri);
  if (problem) ctx.addIssue({ code: 'custom', message: `redirect URI ${problem}` });
});
