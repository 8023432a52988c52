/**
 * Simulator process: loads the world, starts one HTTP server per real host on 127.0.0.1 and one for the admin API
 * (plus an optional HTTPS listener that routes by Host header), prints ONE JSON ready line on stdout, stops cleanly
 * on SIGTERM/SIGINT.
 *
 *   npm run sim -- [--port N] [--world FILE] [--tls-cert FILE --tls-key FILE] [--exit-with-stdin]
 *
 * Bad arguments or an invalid world → one message on stderr naming the option/file (and the path inside the world),
 * exit code 2.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { registerAdmin } from './admin.ts';
import { registerApi } from './api/index.ts';
import { registerAuth } from './auth/index.ts';
import { CANARY } from './canary.ts';
import { type Bases, type Dispatcher, dispatch, dispatchAdmin, REAL_HOSTS, ROLES, type Role, SimRouter } from './http.ts';
import { registerIdentity } from './identity/login.ts';
import { registerMcp } from './mcp/index.ts';
import { logRequest } from './requestlog.ts';
import { loadStartWorld } from './state.ts';
import { parseWorld, WorldError } from './world.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_WORLD = path.resolve(HERE, '..', 'worlds', 'default.json');

class UsageError extends Error {}

const ArgsSchema = z.object({
  /** first of five consecutive ports: auth, id, api, mcp, admin (0 = free ports) */
  port: z.coerce.number().int().min(0).max(65531).default(0),
  world: z.string().min(1).default(DEFAULT_WORLD),
  tlsCert: z.string().min(1).optional(),
  tlsKey: z.string().min(1).optional(),
  /** stop when standard input closes: a launcher that dies (even SIGKILLed) closes the pipe, so no simulator is orphaned */
  exitWithStdin: z.boolean().default(false),
});
type Args = z.infer<typeof ArgsSchema>;

function parseArgs(argv: string[]): Args {
  const raw: Record<string, string | boolean> = {};
  const names: Record<string, string> = { '--port': 'port', '--world': 'world', '--tls-cert': 'tlsCert', '--tls-key': 'tlsKey' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--exit-with-stdin') {
      raw.exitWithStdin = true;
      continue;
    }
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const key = names[flag];
    if (!key)
      throw new UsageError(
        `unknown option ${JSON.stringify(a)}; usage: npm run sim -- [--port N] [--world FILE] [--tls-cert FILE --tls-key FILE] [--exit-with-stdin]`,
      );
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`option ${flag} needs a value`);
    raw[key] = value;
  }
  const r = ArgsSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new UsageError(`option --${String(issue.path[0] ?? '')}: ${issue.message}`);
  }
  if (!!r.data.tlsCert !== !!r.data.tlsKey) throw new UsageError('--tls-cert and --tls-key must be given together');
  return r.data;
}

function loadWorldFile(file: string): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(
      `${file}: cannot read the world file (${(e as NodeJS.ErrnoException).code ?? String(e)}); pass an existing JSON file with --world`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: the world file is not valid JSON (${(e as Error).message})`);
  }
  loadStartWorld(parseWorld(json, file));
}

function listen(server: Server | HttpsServer, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  loadWorldFile(path.resolve(args.world));

  const d: Dispatcher = {
    routers: { auth: new SimRouter(), id: new SimRouter(), api: new SimRouter(), mcp: new SimRouter() },
    admin: new SimRouter(),
  };
  registerAdmin(d.admin);
  registerIdentity(d.routers.id);
  registerAuth(d.routers.auth);
  registerApi(d.routers.api);
  registerMcp({ mcp: d.routers.mcp, auth: d.routers.auth });

  const loopback: Bases = { auth: '', id: '', api: '', mcp: '' };
  const servers: Array<Server | HttpsServer> = [];
  for (const [i, role] of ROLES.entries()) {
    const server = createServer((req, res) => void dispatch(d, role, loopback, req, res));
    servers.push(server);
    const port = await listen(server, args.port === 0 ? 0 : args.port + i);
    loopback[role] = `http://127.0.0.1:${port}`;
  }
  // the admin API has a port of its own: no imitated host (and not the TLS listener) serves /__admin
  const adminServer = createServer((req, res) => void dispatchAdmin(d, loopback, req, res));
  servers.push(adminServer);
  const adminPort = await listen(adminServer, args.port === 0 ? 0 : args.port + ROLES.length);

  let https: string | undefined;
  if (args.tlsCert && args.tlsKey) {
    let cert: Buffer;
    let key: Buffer;
    try {
      cert = readFileSync(args.tlsCert);
      key = readFileSync(args.tlsKey);
    } catch (e) {
      throw new UsageError(`cannot read --tls-cert/--tls-key (${(e as Error).message})`);
    }
    // rehearsal mode: one HTTPS port, routed by Host header to the role whose real host name it carries
    const real: Bases = {
      auth: `https://${REAL_HOSTS.auth}`,
      id: `https://${REAL_HOSTS.id}`,
      api: `https://${REAL_HOSTS.api}`,
      mcp: `https://${REAL_HOSTS.mcp}`,
    };
    const byHost = new Map<string, Role>(ROLES.map((r) => [REAL_HOSTS[r], r]));
    const tls = createHttpsServer({ cert, key }, (req: IncomingMessage, res: ServerResponse) => {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
      const role = byHost.get(host);
      if (role) {
        void dispatch(d, role, real, req, res);
        return;
      }
      const entry = logRequest('auth', req, res, true);
      entry.recognised = false;
      entry.host = host || '(no Host header)';
      res.writeHead(421, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: 'misdirected_request',
          error_description: `the simulator's HTTPS port serves ${[...byHost.keys()].join(', ')} only`,
        }),
      );
    });
    servers.push(tls);
    const port = await listen(tls, 0);
    https = `https://127.0.0.1:${port}`;
  }

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    let open = servers.length;
    for (const s of servers) {
      s.close(() => {
        if (--open === 0) process.exit(0);
      });
      s.closeAllConnections();
    }
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (args.exitWithStdin) {
    process.stdin.on('end', stop);
    process.stdin.on('close', stop);
    process.stdin.on('error', stop);
    process.stdin.resume();
  }

  // the ready line comes last: a parent that stops the simulator as soon as it reads it finds the handlers installed
  const ready: Record<string, string> = { ...loopback, admin: `http://127.0.0.1:${adminPort}/__admin`, canary: CANARY };
  if (https) ready.https = https;
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

main().catch((e: unknown) => {
  if (e instanceof UsageError || e instanceof WorldError) {
    process.stderr.write(`simulator: ${e.message}\n`);
    process.exit(2);
  }
  if (e && typeof e === 'object' && 'code' in e && e.code === 'EADDRINUSE') {
    process.stderr.write(`simulator: --port: ${String((e as { message?: unknown }).message)}; pick another port or use --port 0\n`);
    process.exit(2);
  }
  process.stderr.write(`simulator: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
