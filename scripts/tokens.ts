/**
 * `npm run tokens -- keygen | export --out FILE [--valid-for MINUTES] | import --in FILE`: the token hand-off from one
 * CI setup job to shards on other machines (README "Running in CI"), encrypted with AES-256-GCM under
 * HARNESS_TOKENS_KEY (fixtures/core/config.ts `tokensKeySetting`).
 *
 * Why access tokens only. Atlassian rotates refresh tokens: each refresh retires the token that was sent, and reusing a
 * retired one more than 10 minutes later revokes every refresh token of the grant (docs/reference/atlassian-oauth.md
 * §3). Two machines holding the same refresh token would sooner or later both refresh with it, and the second one
 * would kill the first one's grant. So:
 *   - `export` (the setup job) consents once per selected account, or finds the grant in its store, and refreshes it
 *     when the access token has less than `--valid-for` minutes left (default 40; an access token lives one hour,
 *     §3), under the store's lock like every refresh; it then writes the access tokens, never a refresh token, into
 *     the encrypted file. The refresh tokens stay in the setup machine's store;
 *   - `import` (each shard) writes those access tokens into its own store as records without a refresh token, so the
 *     shard's provider (fixtures/tokens/provider.ts) uses them until they expire and never calls the token endpoint:
 *     a record without a refresh token is never refreshed. A token that runs out during the shard is reported as
 *     expired by the test that needed it; the consent setup project of a later shard run consents afresh, which gives
 *     a pair of that machine's own (each consent yields an independent pair, §3), never a copy of another's.
 * The payload's schema has no refresh-token field at all (`GrantSchema` is strict), so a file carrying one is refused.
 *
 * The file is JSON: `{format, alg, keyId, iv, tag, data}`. `data` is the AES-256-GCM ciphertext of the grants (base64),
 * `iv` a fresh 12-byte nonce, `tag` the 16-byte authentication tag; format, alg, keyId and iv are authenticated too
 * (additional data), so any change to the file is refused. `keyId` (an HMAC of a fixed label under the key, not the
 * key) tells a file encrypted under another HARNESS_TOKENS_KEY apart from a tampered one. Written atomically, mode
 * 0600. Bad input (missing or malformed key, another key, a changed or foreign file, grants for another app or
 * target, expired tokens): one message naming the setting or file and the fix, exit 2, nothing written.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { z } from 'zod';
import { ConsentBlockedError } from '../fixtures/consent/flow.ts';
import { atomicWrite } from '../fixtures/core/atomic.ts';
import { chromiumLaunchOptions } from '../fixtures/core/browser.ts';
import { ConfigError, type HarnessConfig, loadConfig, ROOT, selectedAccounts, tokensKeySetting } from '../fixtures/core/config.ts';
import { redact, registerSecret } from '../fixtures/core/redact.ts';
import { REAL_URLS, resolveTarget, type Target } from '../fixtures/core/target.ts';
import { browserConsentRunner, createTokenProvider } from '../fixtures/tokens/provider.ts';
import { keyLabel, makeKey, type TokenRecord, TokenStore, TokenStoreError, targetIdentity } from '../fixtures/tokens/store.ts';

export const FILE_FORMAT = 'harness-token-handoff/1' as const;
const PAYLOAD_FORMAT = 'harness-token-handoff-grants/1';
/** the provider refreshes (here: would need to) with less than this left, so an import needs more */
const LEEWAY_MS = 60_000;
const DEFAULT_VALID_FOR_MIN = 40;

/** Bad input: the CLI prints the message and exits 2. */
export class HandoffError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HandoffError';
  }
}

const EnvelopeSchema = z
  .object({
    format: z.literal(FILE_FORMAT),
    alg: z.literal('A256GCM'),
    keyId: z.string().regex(/^[0-9a-f]{16}$/),
    iv: z.string().min(1),
    tag: z.string().min(1),
    data: z.string().min(1),
  })
  .strict();
type Envelope = z.infer<typeof EnvelopeSchema>;

const GrantSchema = z
  .object({
    key: z.object({ origin: z.string(), email: z.string(), clientId: z.string(), scopes: z.array(z.string()) }).strict(),
    role: z.string(),
    accessToken: z.string().min(1),
    expiresAt: z.number(),
    scopes: z.array(z.string()),
    sites: z.array(z.string()),
    obtainedAt: z.number(),
    issuer: z.string(),
  })
  .strict(); // no refreshToken: a hand-off never carries one
export type HandoffGrant = z.infer<typeof GrantSchema>;

export const PayloadSchema = z
  .object({
    format: z.literal(PAYLOAD_FORMAT),
    exportedAt: z.number(),
    /** the target identity of the grants (fixtures/tokens/store.ts `targetIdentity`) */
    identity: z.string(),
    grants: z.array(GrantSchema).min(1),
  })
  .strict();
export type HandoffPayload = z.infer<typeof PayloadSchema>;

/** A short identifier of the key (HMAC of a fixed label): tells "another key" from "changed file"; reveals nothing. */
export function keyId(key: Buffer): string {
  return createHmac('sha256', key).update('harness token hand-off key id').digest('hex').slice(0, 16);
}

const aad = (e: Pick<Envelope, 'format' | 'alg' | 'keyId' | 'iv'>) => Buffer.from(JSON.stringify([e.format, e.alg, e.keyId, e.iv]));

/** The file's text for `payload` under `key`. */
export function seal(payload: HandoffPayload, key: Buffer): string {
  return sealText(JSON.stringify(PayloadSchema.parse(payload)), key);
}

/** The file's text for any plaintext (seal's core; self-tests use it to forge files that only unseal can judge). */
export function sealText(plaintext: string, key: Buffer): string {
  const head = {
    format: FILE_FORMAT as typeof FILE_FORMAT,
    alg: 'A256GCM' as const,
    keyId: keyId(key),
    iv: randomBytes(12).toString('base64'),
  };
  const cipher = createCipheriv('aes-256-gcm', key, Buffer.from(head.iv, 'base64'));
  cipher.setAAD(aad(head));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${JSON.stringify({ ...head, tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') }, null, 2)}\n`;
}

/** The payload of a hand-off file's text; HandoffError naming `shown` (the file) or HARNESS_TOKENS_KEY otherwise. */
export function unseal(text: string, key: Buffer, shown: string): HandoffPayload {
  const again = 'Fix: download the setup job’s tokens-handoff artifact again, or re-run the setup job’s `npm run tokens -- export`.';
  let envelope: Envelope;
  try {
    envelope = EnvelopeSchema.parse(JSON.parse(text));
  } catch {
    throw new HandoffError(
      `${shown} is not a token hand-off file (expected ${FILE_FORMAT} as \`npm run tokens -- export\` writes it). ${again}`,
    );
  }
  if (envelope.keyId !== keyId(key))
    throw new HandoffError(
      `${shown} was encrypted under a different HARNESS_TOKENS_KEY (key id ${envelope.keyId}; this one's is ${keyId(key)}). Fix: set HARNESS_TOKENS_KEY to the value the setup job used (one CI secret for the setup job and every shard).`,
    );
  let plain: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(envelope.iv, 'base64'));
    decipher.setAAD(aad(envelope));
    decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'));
    plain = Buffer.concat([decipher.update(Buffer.from(envelope.data, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new HandoffError(
      `${shown} was changed after export (its authentication tag does not match): refused, nothing imported. ${again}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(plain);
  } catch {
    json = undefined;
  }
  const parsed = PayloadSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HandoffError(
      `${shown} holds no valid grants (${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}; a hand-off never carries a refresh token). ${again}`,
    );
  }
  for (const g of parsed.data.grants) registerSecret(g.accessToken);
  return parsed.data;
}

/** The identity a configuration's grants are stored under (as fixtures/tokens/fixture.ts keys them). */
function configIdentity(config: HarnessConfig, target?: Target): string {
  if (target) return targetIdentity({ kind: target.kind, authBase: target.urls.auth, world: config.simWorld });
  return config.target === 'sim'
    ? targetIdentity({ kind: 'sim', authBase: 'http://127.0.0.1', world: config.simWorld })
    : targetIdentity({ kind: 'atlassian', authBase: REAL_URLS.auth });
}

const rel = (p: string) => {
  const r = path.relative(ROOT, p);
  return r.startsWith('..') || path.isAbsolute(r) ? p : r;
};
const at = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

export interface ExportOptions {
  out: string;
  validForMin: number;
}

/** The setup job's side: every selected account's grant (consented or refreshed here when needed) → `out`. */
export async function exportTokens(config: HarnessConfig, key: Buffer, o: ExportOptions): Promise<HandoffPayload> {
  let target: Target;
  try {
    target = resolveTarget(config);
  } catch (e) {
    throw new HandoffError(
      `tokens export: ${(e as Error).message}\nFix: a simulator's grants live as long as its process, so export from the process that hands the shards that simulator (HARNESS_SIM_URLS), or from a real target (TARGET=atlassian).`,
    );
  }
  const identity = configIdentity(config, target);
  const store = new TokenStore(path.join(target.authDir ?? config.authDir, 'tokens'));
  store.prune();
  const validForMs = o.validForMin * 60_000;
  const runner = browserConsentRunner({
    config,
    authBase: target.urls.auth,
    launch: () => chromium.launch(chromiumLaunchOptions(target.chromiumArgs ?? [])),
    sessionDir: path.join(target.authDir ?? config.authDir, 'sessions'),
    sessionKey: identity,
    dispatcher: target.dispatcher,
  });
  const provider = createTokenProvider({
    config,
    authBase: target.urls.auth,
    store,
    consent: runner,
    storeOrigin: identity,
    dispatcher: target.dispatcher,
    // a grant with less than --valid-for left is refreshed once, here, by the one machine that keeps its refresh token
    refreshLeewayMs: validForMs,
    onEvent: (e) => process.stderr.write(`tokens: ${e.role}: ${e.type}: ${e.detail}\n`),
  });
  const grants: HandoffGrant[] = [];
  try {
    for (const acct of selectedAccounts(config)) {
      await provider.prepare(acct.role);
      const rec = store.read(provider.keyFor(acct.role));
      if (!rec) throw new Error(`the store has no record for ${acct.role} after its consent`);
      const left = rec.expiresAt - Date.now();
      if (left < validForMs)
        throw new HandoffError(
          `tokens export: the token endpoint gives ${acct.role} an access token valid for ${Math.floor(left / 60_000)} min, less than --valid-for ${o.validForMin}. Fix: lower --valid-for (an access token lives one hour, docs/reference/atlassian-oauth.md §3), or split the run into shorter shards.`,
        );
      grants.push({
        key: rec.key,
        role: rec.role,
        accessToken: rec.accessToken,
        expiresAt: rec.expiresAt,
        scopes: rec.scopes,
        sites: rec.sites,
        obtainedAt: rec.obtainedAt,
        issuer: rec.issuer ?? new URL(target.urls.auth).origin,
      });
    }
  } finally {
    await runner.close();
  }
  const payload: HandoffPayload = { format: PAYLOAD_FORMAT, exportedAt: Date.now(), identity, grants };
  atomicWrite(o.out, seal(payload, key), { mode: 0o600 });
  return payload;
}

export interface ImportResult {
  imported: string[];
  /** roles whose local record has a refresh token of its own (kept, not replaced) */
  kept: string[];
  /** roles whose handed access token had already expired */
  expired: string[];
  validUntil: number;
}

/** A shard's side: the handed access tokens → this machine's store, as records without a refresh token. */
export async function importTokens(config: HarnessConfig, key: Buffer, file: string): Promise<ImportResult> {
  const shown = rel(file);
  if (!existsSync(file))
    throw new HandoffError(`${shown} does not exist. Fix: download the setup job's tokens-handoff artifact to that path first.`);
  const payload = unseal(readFileSync(file, 'utf8'), key, shown);
  const identity = configIdentity(config);
  if (payload.identity !== identity)
    throw new HandoffError(
      `${shown} holds grants for ${payload.identity}, but this configuration's target is ${identity}. Fix: run the shards with the setup job's TARGET (and SIM_WORLD).`,
    );
  // every grant checked before anything is written
  const records: TokenRecord[] = [];
  const expired: string[] = [];
  for (const g of payload.grants) {
    const acct = config.accounts.find((a) => a.role === g.role);
    const want = acct ? makeKey(identity, acct.email, config.app.clientId, config.app.scopes) : undefined;
    if (!want || JSON.stringify(want) !== JSON.stringify(g.key))
      throw new HandoffError(
        `${shown}: the grant of ${g.role} (${keyLabel(g.key)}) is for another app, account or scope set than this configuration's${want ? ` (${keyLabel(want)})` : ` (no role ${g.role} in ATLASSIAN_ACCOUNTS)`}. Fix: give the shards the setup job's ATLASSIAN_CLIENT_ID, ATLASSIAN_SCOPES, ATLASSIAN_ACCOUNTS and ACCOUNT_<ROLE>_EMAIL.`,
      );
    if (g.expiresAt - Date.now() < LEEWAY_MS) {
      expired.push(g.role);
      continue;
    }
    records.push({
      format: 'harness-token-store/1',
      key: g.key,
      role: g.role,
      accessToken: g.accessToken,
      expiresAt: g.expiresAt,
      scopes: g.scopes,
      obtainedAt: g.obtainedAt,
      refreshes: 0,
      issuer: g.issuer,
      sites: g.sites,
    });
  }
  if (!records.length)
    throw new HandoffError(
      `${shown}: every handed access token has expired (${payload.grants.map((g) => `${g.role} at ${at(g.expiresAt)}`).join(', ')}). Fix: re-run the setup job's export right before the shards (tokens are valid for its --valid-for minutes).`,
    );
  const store = new TokenStore(path.join(config.authDir, 'tokens'));
  const imported: string[] = [];
  const kept: string[] = [];
  for (const rec of records) {
    await store.withLock(rec.key, async () => {
      let local: TokenRecord | undefined;
      try {
        local = store.read(rec.key);
      } catch (e) {
        if (!(e instanceof TokenStoreError)) throw e;
        process.stderr.write(`tokens: ${e.message}\n`);
      }
      // this machine's own grant (its own refresh-token family) is never replaced by a borrowed access token
      if (local?.refreshToken) {
        kept.push(rec.role);
        return;
      }
      store.write(rec);
      imported.push(rec.role);
    });
  }
  return { imported, kept, expired, validUntil: Math.min(...records.map((r) => r.expiresAt)) };
}

const USAGE = `usage: npm run tokens -- keygen
       npm run tokens -- export --out FILE [--valid-for MINUTES]   (setup job: default ${DEFAULT_VALID_FOR_MIN} min)
       npm run tokens -- import --in FILE                         (each shard)
HARNESS_TOKENS_KEY (32 bytes, base64 or hex) encrypts the file; README "Running in CI".`;

async function main(): Promise<number> {
  const [cmd, ...rest] = process.argv.slice(2);
  let values: { out?: string; in?: string; 'valid-for'?: string };
  try {
    values = parseArgs({
      args: rest,
      options: { out: { type: 'string' }, in: { type: 'string' }, 'valid-for': { type: 'string' } },
    }).values;
  } catch (e) {
    process.stderr.write(`tokens: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (cmd === 'keygen') {
    process.stdout.write(`${randomBytes(32).toString('base64')}\n`);
    return 0;
  }
  if (cmd !== 'export' && cmd !== 'import') {
    process.stderr.write(`${cmd ? `tokens: unknown command ${JSON.stringify(cmd)}\n` : ''}${USAGE}\n`);
    return 2;
  }
  const file = cmd === 'export' ? values.out : values.in;
  if (!file) {
    process.stderr.write(`tokens: ${cmd} needs ${cmd === 'export' ? '--out FILE' : '--in FILE'}.\n${USAGE}\n`);
    return 2;
  }
  const validForMin = values['valid-for'] === undefined ? DEFAULT_VALID_FOR_MIN : Number(values['valid-for']);
  if (!Number.isInteger(validForMin) || validForMin < 1 || validForMin > 59) {
    process.stderr.write(
      `tokens: --valid-for must be whole minutes from 1 to 59 (an access token lives one hour), got ${JSON.stringify(values['valid-for'])}. Fix: e.g. --valid-for ${DEFAULT_VALID_FOR_MIN}\n`,
    );
    return 2;
  }
  let key: Buffer;
  let config: HarnessConfig;
  try {
    key = tokensKeySetting();
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const abs = path.resolve(file);
  try {
    if (cmd === 'export') {
      const p = await exportTokens(config, key, { out: abs, validForMin });
      const until = Math.min(...p.grants.map((g) => g.expiresAt));
      process.stdout.write(
        `tokens: exported ${p.grants.length} access token(s) (${p.grants.map((g) => g.role).join(', ')}) for ${p.identity} to ${rel(abs)}, valid until ${at(until)}; the refresh tokens stay in this machine's store (${rel(path.join(config.authDir, 'tokens'))}): shards that import the file never refresh.\n`,
      );
      return 0;
    }
    const r = await importTokens(config, key, abs);
    process.stdout.write(
      [
        `tokens: imported ${r.imported.length} access token(s)${r.imported.length ? ` (${r.imported.join(', ')})` : ''} into ${rel(path.join(config.authDir, 'tokens'))}, valid until ${at(r.validUntil)}; no refresh token: this machine never refreshes them.`,
        ...(r.kept.length ? [`tokens: kept this machine's own grant (with its refresh token) for ${r.kept.join(', ')}.`] : []),
        ...(r.expired.length
          ? [`tokens: skipped expired access token(s) of ${r.expired.join(', ')}: their consent setup consents here.`]
          : []),
        '',
      ].join('\n'),
    );
    return 0;
  } catch (e) {
    if (e instanceof HandoffError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    if (e instanceof ConsentBlockedError) {
      process.stderr.write(`tokens export: consent blocked: ${e.message}\n`);
      return 1;
    }
    // a token endpoint or store failure: its message (redacted like every message), no stack
    if (e instanceof Error) {
      process.stderr.write(`tokens ${cmd}: ${redact(e.message)}\n`);
      return 1;
    }
    throw e;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exit(await main());
