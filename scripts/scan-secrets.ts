/**
 * `npm run scan-secrets [-- <dir or file> ...]`: fails (exit 1) when any file a run wrote contains a secret from the
 * current configuration or the simulator's canary marker. Prints the file and the kind of secret, never the secret.
 *
 * What it looks for: every value of a secret variable (isSecretVariable: *_PASSWORD, *_API_TOKEN, *_TOTP_SECRET,
 * *CLIENT_SECRET) from .env.sim/.env/environment, every secret registered in this process (knownSecrets), every
 * access and refresh token in the token store the run used (this scanner runs in its own process and would otherwise
 * never learn them: `.auth/tokens/`, HARNESS_TOKEN_STORE_DIR or `--token-store <dir>`, read only; format in
 * fixtures/tokens/store.ts), the cookies of the saved browser sessions (`.auth/sessions/`), and the simulator's canary marker (every secret the simulator issues carries it) as the
 * simulator announced it in its ready line: HARNESS_SIM_URLS `.canary`, else the `<reportsDir>/.sim-canary` file global
 * setup writes, else `SIMCANARY`. Each is searched plain, URL-encoded,
 * JSON-escaped and base64-encoded at all three alignments, because the single-file Allure report stores its data as
 * base64 and traces store request bodies as JSON.
 *
 * Where it looks: the reports directory (allure-results, allure-report, test-results, history, bundles, logs, blob
 * reports) plus test-results/, playwright-report/, blob-report/, allure-results/ and *.log at the project root.
 * Inside files: zip archives (Playwright traces, blob reports, support bundles; nested zips too) through yauzl,
 * gzip, and PNG text chunks (tEXt, zTXt, iTXt: screenshot metadata).
 *
 * Policy (docs/reference/allure-playwright.md §3: Playwright cannot redact traces): trace, screenshot and video are off in
 * playwright.config.ts; anything that turns them on must make this scanner pass, or the run is not publishable.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, type statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync, inflateSync } from 'node:zlib';
import { authDirSetting, collectEnv, isSecretVariable, loadConfig, ROOT } from '../fixtures/core/config.ts';
import { knownSecrets } from '../fixtures/core/redact.ts';
import { reportsDirFromEnv } from './lib/paths.ts';
import { isZip, readZipEntries } from './lib/zip.ts';

/** fallback only: the canary the simulator announces in its ready line wins (simulatorCanary) */
export const CANARY = 'SIMCANARY';
/** the file global setup writes the simulator's canary to, under the reports directory; never scanned itself */
export const CANARY_FILE = '.sim-canary';

/** The simulator's canary marker, as its ready line gave it (fixtures/core/simulator.ts SimUrls.canary). */
export function simulatorCanary(
  env: NodeJS.ProcessEnv = process.env,
  reportsDir = reportsDirFromEnv(env),
): { value: string; from: string } {
  try {
    const urls = JSON.parse(env.HARNESS_SIM_URLS ?? '') as { canary?: unknown };
    if (typeof urls.canary === 'string' && urls.canary.length >= 4) return { value: urls.canary, from: 'HARNESS_SIM_URLS' };
  } catch {
    // not set or not JSON: try the file
  }
  try {
    const v = readFileSync(path.join(reportsDir, CANARY_FILE), 'utf8').trim();
    if (v.length >= 4) return { value: v, from: CANARY_FILE };
  } catch {
    // no file: the built-in marker
  }
  return { value: CANARY, from: 'built-in default' };
}

/**
 * Default token store folders: HARNESS_TOKEN_STORE_DIR, then `<HARNESS_AUTH_DIR or .auth>/tokens/`, the saved browser
 * sessions in `<HARNESS_AUTH_DIR or .auth>/sessions/` (fixtures/tokens/fixture.ts) and the MCP OAuth flows the consent
 * phase handed to the MCP suite in `<HARNESS_AUTH_DIR or .auth>/mcp-oauth/` (fixtures/mcp/oauth-handoff.ts).
 */
export function defaultTokenStores(env: NodeJS.ProcessEnv = process.env): string[] {
  // HARNESS_AUTH_DIR as the run reads it: the environment, else .env (a store folder set only in .env is still found)
  const auth = authDirSetting(env);
  return [env.HARNESS_TOKEN_STORE_DIR, path.join(auth, 'tokens'), path.join(auth, 'sessions'), path.join(auth, 'mcp-oauth')]
    .filter((d): d is string => !!d)
    .map((d) => path.resolve(ROOT, d));
}

/**
 * Every access and refresh token in a token store folder (fixtures/tokens/store.ts: one JSON record per key with
 * `accessToken` and `refreshToken`; moved-aside files too, they may hold live tokens). Read only; never throws.
 */
export function tokenStoreSecrets(dirs: readonly string[]): Secret[] {
  const out: Secret[] = [];
  const visit = (file: string, depth: number) => {
    let st: ReturnType<typeof statSync>;
    try {
      st = lstatSync(file);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      if (depth > 2) return;
      for (const f of readdirSync(file)) visit(path.join(file, f), depth + 1);
      return;
    }
    if (!st.isFile() || st.size > 1_000_000 || !path.basename(file).includes('.json')) return;
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch {
      return;
    }
    // a saved browser session (Playwright storage state, .auth/sessions/): its cookies log the account in
    const cookies = Array.isArray(rec.cookies) ? (rec.cookies as Array<{ value?: unknown }>) : [];
    for (const c of cookies)
      if (typeof c.value === 'string' && c.value.length >= 16)
        out.push({ value: c.value, kind: 'browser session cookie (.auth/sessions)' });
    // an MCP OAuth flow handed from the consent phase to the MCP suite (.auth/mcp-oauth/)
    const flow = rec.flow as { accessToken?: unknown } | undefined;
    if (typeof flow?.accessToken === 'string' && flow.accessToken.length >= 8)
      out.push({ value: flow.accessToken, kind: 'MCP OAuth access token (.auth/mcp-oauth)' });
    for (const [field, kind] of [
      ['accessToken', 'access token (token store)'],
      ['refreshToken', 'refresh token (token store)'],
      ['access_token', 'access token (token store)'],
      ['refresh_token', 'refresh token (token store)'],
    ] as const) {
      const v = rec[field];
      if (typeof v === 'string' && v.length >= 8) out.push({ value: v, kind });
    }
  };
  for (const d of dirs) if (existsSync(d)) visit(d, 0);
  return out;
}

export interface Secret {
  value: string;
  /** what it is, safe to print: `client secret (ATLASSIAN_CLIENT_SECRET)` */
  kind: string;
}

export interface Finding {
  /** file path (relative to the project root when inside it); `archive.zip!/entry` inside archives */
  file: string;
  kind: string;
  /** how it was stored: plain, base64, url-encoded, json-escaped; plus where (PNG text chunk, gzip) */
  encoding: string;
}

export interface ScanOptions {
  /** files or directories to scan; default: the run's output locations */
  roots?: string[];
  /** default: from the configuration (+ registered secrets + canary) */
  secrets?: Secret[];
  /** print progress and findings (CLI) */
  quiet?: boolean;
}

export interface ScanResult {
  ok: boolean;
  findings: Finding[];
  filesScanned: number;
  roots: string[];
  secretsChecked: number;
}

function kindOfVariable(name: string): string {
  if (name.endsWith('CLIENT_SECRET')) return `client secret (${name})`;
  if (name.endsWith('_PASSWORD')) return `password (${name})`;
  if (name.endsWith('_API_TOKEN')) return `API token (${name})`;
  if (name.endsWith('_TOTP_SECRET')) return `TOTP seed (${name})`;
  return `secret (${name})`;
}

/**
 * Secrets of the current configuration, the run's token store and the simulator's canary; never throws on a bad
 * configuration (the scan must still run).
 */
export function configuredSecrets(env: NodeJS.ProcessEnv = process.env, tokenStores = defaultTokenStores(env)): Secret[] {
  const out = new Map<string, Secret>();
  const { vars } = collectEnv(env);
  for (const [name, value] of Object.entries(vars)) {
    if (isSecretVariable(name) && value.trim().length >= 6) out.set(value.trim(), { value: value.trim(), kind: kindOfVariable(name) });
  }
  try {
    loadConfig(env); // registers every secret variable with fixtures/core/redact.ts
  } catch {
    // a broken config still has its secret variables collected above
  }
  for (const s of tokenStoreSecrets(tokenStores)) if (!out.has(s.value)) out.set(s.value, s);
  for (const v of knownSecrets()) if (!out.has(v)) out.set(v, { value: v, kind: 'secret registered at runtime (token or password)' });
  const canary = simulatorCanary(env);
  out.set(canary.value, { value: canary.value, kind: `simulator canary marker (from ${canary.from})` });
  return [...out.values()];
}

interface Needle {
  bytes: Buffer;
  kind: string;
  encoding: string;
}

/** The base64 text that appears for `value` wherever it sits in a base64 stream (3 byte alignments). */
function base64Cores(value: Buffer): string[] {
  const cores: string[] = [];
  for (let k = 0; k < 3; k++) {
    const b64 = Buffer.concat([Buffer.alloc(k), value])
      .toString('base64')
      .replace(/=+$/, '');
    const skipStart = k === 0 ? 0 : k === 1 ? 2 : 3;
    const total = k + value.length;
    const skipEnd = total % 3 === 0 ? 0 : 1;
    const core = b64.slice(skipStart, b64.length - skipEnd);
    if (core.length >= 8) cores.push(core);
  }
  return cores;
}

export function needlesFor(secrets: readonly Secret[]): Needle[] {
  const needles: Needle[] = [];
  const seen = new Set<string>();
  const add = (text: string, kind: string, encoding: string) => {
    const key = `${text}\u0000${kind}`;
    if (seen.has(key) || text.length === 0) return;
    seen.add(key);
    needles.push({ bytes: Buffer.from(text, 'utf8'), kind, encoding });
  };
  for (const s of secrets) {
    add(s.value, s.kind, 'plain');
    add(encodeURIComponent(s.value), s.kind, 'url-encoded');
    add(JSON.stringify(s.value).slice(1, -1), s.kind, 'json-escaped');
    for (const core of base64Cores(Buffer.from(s.value, 'utf8'))) {
      add(core, s.kind, 'base64');
      add(core.replace(/\+/g, '-').replace(/\//g, '_'), s.kind, 'base64');
    }
  }
  return needles;
}

const SKIP_DIRS = new Set(['node_modules', '.git']);
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Text carried in PNG chunks (tEXt, zTXt, iTXt), decompressed (PNG spec §11.3.4). */
export function pngTextChunks(buf: Buffer): Array<{ chunk: string; text: Buffer }> {
  const out: Array<{ chunk: string; text: Buffer }> = [];
  let pos = 8;
  while (pos + 12 <= buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    try {
      if (type === 'tEXt') out.push({ chunk: type, text: data });
      else if (type === 'zTXt') {
        const nul = data.indexOf(0);
        out.push({ chunk: type, text: Buffer.concat([data.subarray(0, nul + 1), inflateSync(data.subarray(nul + 2))]) });
      } else if (type === 'iTXt') {
        const nul = data.indexOf(0);
        const compressed = data[nul + 1] === 1;
        // keyword\0 flag method lang\0 translated\0 text
        const langEnd = data.indexOf(0, nul + 3);
        const transEnd = data.indexOf(0, langEnd + 1);
        const body = data.subarray(transEnd + 1);
        out.push({ chunk: type, text: Buffer.concat([data.subarray(0, transEnd + 1), compressed ? inflateSync(body) : body]) });
      }
    } catch {
      out.push({ chunk: `${type} (undecodable)`, text: data });
    }
    if (type === 'IEND') break;
    pos += 12 + len;
  }
  return out;
}

class Scanner {
  readonly findings: Finding[] = [];
  filesScanned = 0;
  private readonly seen = new Set<string>();
  constructor(private readonly needles: Needle[]) {}

  private record(file: string, needle: Needle, where?: string): void {
    const encoding = where ? `${needle.encoding}, ${where}` : needle.encoding;
    const key = `${file}\u0000${needle.kind}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.findings.push({ file, kind: needle.kind, encoding });
  }

  private searchBytes(file: string, buf: Buffer, where?: string): void {
    for (const n of this.needles) if (buf.indexOf(n.bytes) >= 0) this.record(file, n, where);
  }

  async scanBuffer(file: string, buf: Buffer, depth = 0): Promise<void> {
    this.filesScanned++;
    if (isZip(buf) && depth < 4) {
      let entries: Array<{ name: string; data: Buffer }> | undefined;
      try {
        entries = await readZipEntries(buf);
      } catch {
        entries = undefined; // not a readable zip after all: search the raw bytes below
      }
      if (entries) {
        for (const e of entries) await this.scanBuffer(`${file}!/${e.name}`, e.data, depth + 1);
        this.searchBytes(file, buf); // stored (uncompressed) entries and the names
        return;
      }
    }
    if (buf.length > 2 && buf[0] === 0x1f && buf[1] === 0x8b && depth < 4) {
      try {
        await this.scanBuffer(`${file}!/(gunzipped)`, gunzipSync(buf), depth + 1);
      } catch {
        // truncated gzip: raw search only
      }
    }
    if (buf.subarray(0, 8).equals(PNG_MAGIC)) {
      for (const c of pngTextChunks(buf)) this.searchBytes(file, c.text, `PNG ${c.chunk} chunk`);
    }
    this.searchBytes(file, buf);
  }

  async scanPath(p: string): Promise<void> {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(p);
    } catch {
      return;
    }
    if (st.isSymbolicLink()) return;
    if (st.isDirectory()) {
      if (SKIP_DIRS.has(path.basename(p))) return;
      for (const name of readdirSync(p).sort()) await this.scanPath(path.join(p, name));
      return;
    }
    if (!st.isFile() || path.basename(p) === CANARY_FILE) return;
    const shown = p.startsWith(ROOT + path.sep) ? path.relative(ROOT, p) : p;
    await this.scanBuffer(shown, readFileSync(p));
  }
}

export function defaultScanRoots(reportsDir = reportsDirFromEnv()): string[] {
  const roots = [
    reportsDir,
    ...['test-results', 'playwright-report', 'blob-report', 'allure-results', 'allure-report'].map((d) => path.join(ROOT, d)),
  ];
  for (const f of readdirSync(ROOT)) if (f.endsWith('.log')) roots.push(path.join(ROOT, f));
  return [...new Set(roots.map((r) => path.resolve(r)))].filter((r) => existsSync(r));
}

export async function scanSecrets(opts: ScanOptions = {}): Promise<ScanResult> {
  const roots = (opts.roots ?? defaultScanRoots()).map((r) => path.resolve(r));
  const secrets = opts.secrets ?? configuredSecrets();
  const scanner = new Scanner(needlesFor(secrets));
  for (const r of roots) await scanner.scanPath(r);
  return {
    ok: scanner.findings.length === 0,
    findings: scanner.findings,
    filesScanned: scanner.filesScanned,
    roots,
    secretsChecked: secrets.length,
  };
}

export function formatScan(r: ScanResult): string {
  const where = r.roots.map((x) => (x.startsWith(ROOT + path.sep) ? path.relative(ROOT, x) : x)).join(', ') || '(nothing to scan)';
  if (r.ok)
    return `secret scan: clean (${r.filesScanned} files in ${where}; ${r.secretsChecked} secret values, stored tokens and canary checked)`;
  const files = new Set(r.findings.map((f) => f.file.split('!/')[0]));
  return [
    `SECRET SCAN FAILED: ${r.findings.length} finding(s) in ${files.size} file(s) (${r.filesScanned} files scanned in ${where})`,
    ...r.findings.map((f) => `  ${f.file}: ${f.kind} [${f.encoding}]`),
    'Fix: do not publish or attach these files; delete them. Find what wrote the secret (a trace, screenshot or log turned on, ' +
      'or an attachment that skipped redact()) and keep trace/screenshot/video off (playwright.config.ts).',
  ].join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const ts = argv.indexOf('--token-store');
  const tokenStore = ts >= 0 ? argv[ts + 1] : undefined;
  if (ts >= 0 && (!tokenStore || !existsSync(tokenStore))) {
    process.stderr.write(
      `scan-secrets: --token-store ${JSON.stringify(tokenStore ?? '')} is not a folder. Fix: pass the token store the run used (default .auth/tokens).\n`,
    );
    process.exit(2);
  }
  const roots = argv.filter((a, i) => !a.startsWith('-') && (ts < 0 || i !== ts + 1));
  const missing = roots.filter((r) => !existsSync(r));
  if (missing.length) {
    process.stderr.write(
      `scan-secrets: ${missing.map((m) => JSON.stringify(m)).join(', ')} not found. Fix: pass existing files or directories, or nothing to scan the run output.\n`,
    );
    process.exit(2);
  }
  const secrets = configuredSecrets(process.env, tokenStore ? [path.resolve(tokenStore)] : defaultTokenStores());
  const r = await scanSecrets({ roots: roots.length ? roots : undefined, secrets });
  process.stdout.write(`${formatScan(r)}\n`);
  process.exit(r.ok ? 0 : 1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
