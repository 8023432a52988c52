/**
 * `npm run bench -- mcp` (or `tsx scripts/bench-mcp.ts`): the harness's sweep next to the same calls through
 * `@modelcontextprotocol/inspector-cli`, one process per call, against a private simulator started here. Two rows:
 *  - v1: every read tool `tools/list` shows, called directly;
 *  - v2: every read operation `/v2/mcp` offers — the primary tools directly, the rest through their execute tool
 *    (`executeRead({name, cloudId, inputs})`), as discover lists them.
 * Writes are left out: repeating them on the second side would change the data the first side saw. Prints a Markdown
 * table on stdout (progress on stderr). Target: ratio ≥ 10×.
 *
 * Both sides make the same calls with the same arguments (built once, untimed, from each input schema and the
 * catalog, fixtures/mcp/sweep.ts), and every call must succeed on both sides, or the run fails: a fast wrong answer is
 * not a benchmark. Simulator only: inspector-cli takes the Authorization header on its command line, which must never
 * carry a real credential.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { loadConfig, ROOT } from '../fixtures/core/config.ts';
import { startSimulator } from '../fixtures/core/simulator.ts';
import { ArgResolver, deriveArguments, ValueNotFound } from '../fixtures/mcp/arguments.ts';
import { catalogEntry, interpolate, loadToolCatalog, type ToolCatalog } from '../fixtures/mcp/catalog.ts';
import { apiTokenCredentials, type McpCredentials, pickSweepAccount } from '../fixtures/mcp/credentials.ts';
import { executeArguments, listOperations, readOnly } from '../fixtures/mcp/operations.ts';
import { McpSession } from '../fixtures/mcp/session.ts';
import { type McpEndpoint, mcpEndpointUrl } from '../fixtures/mcp/vocabulary.ts';

const INSPECTOR = path.join(ROOT, 'node_modules', '@modelcontextprotocol', 'inspector-cli', 'build', 'index.js');

function runInspector(
  url: string,
  authorization: string,
  tool: string,
  args: Record<string, unknown>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // --tool-arg key=value: the CLI JSON-parses the value, so JSON-encode it to keep "98305" a string
  const argv = [
    INSPECTOR,
    url,
    '--transport',
    'http',
    '--method',
    'tools/call',
    '--tool-name',
    tool,
    '--header',
    `Authorization: ${authorization}`,
  ];
  for (const [k, v] of Object.entries(args)) argv.push('--tool-arg', `${k}=${JSON.stringify(v)}`);
  return new Promise((resolve) => {
    // inspector-cli 1.0.3 checks `existsSync('../package.json')` relative to the CWD but imports it relative to its
    // module; run it from its build folder so both point at its own package.json (else "Cannot find module").
    const child = spawn(process.execPath, argv, { cwd: path.dirname(INSPECTOR), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface PlannedCall {
  /** the operation */
  operation: string;
  /** the tool that carries it (the operation itself, or its execute tool) and that tool's arguments */
  tool: string;
  args: Record<string, unknown>;
}

/** Untimed: the read operations of one endpoint and the exact tool calls that run them. */
async function plan(url: URL, credentials: McpCredentials, catalog: ToolCatalog, site: string | undefined): Promise<PlannedCall[]> {
  const setup = await McpSession.open({ url, credentials });
  if (!setup.initialize.ok) throw new Error(`initialize on ${url.pathname} failed: ${setup.initialize.text}`);
  try {
    const listing = await listOperations(
      (tool, args, opts) => setup.call(tool, args, opts),
      () => setup.listTools(),
    );
    if (listing.problems.length) throw new Error(`listing ${url.pathname}: ${listing.problems.join('; ')}`);
    const tools = (await setup.listTools()).tools;
    const byName = new Map(listing.operations.map((o) => [o.name, o]));
    const route = (operation: string, args: Record<string, unknown>): PlannedCall => {
      const op = byName.get(operation);
      if (!op?.via) return { operation, tool: operation, args };
      const schema = tools.find((t) => t.name === op.via)?.inputSchema;
      return { operation, tool: op.via, args: executeArguments(schema as never, operation, args) };
    };
    const resolver = new ArgResolver(catalog, { values: { runId: 'bench' }, site });
    resolver.useListing(new Set(byName.keys()));
    const call = (operation: string, args: Record<string, unknown>) => {
      const c = route(operation, args);
      return setup.call(c.tool, c.args, c.tool === operation ? {} : { as: { operation, args } });
    };
    const out: PlannedCall[] = [];
    for (const op of listing.operations.filter((o) => readOnly(o) === true)) {
      const d = deriveArguments(catalog, op.inputSchema, catalogEntry(catalog, op.name));
      if (d.missing.length) {
        process.stderr.write(`skip ${op.name}: no value for ${d.missing.join(', ')}\n`);
        continue;
      }
      try {
        const values = await resolver.resolveFor(d.template, call);
        out.push(route(op.name, interpolate(d.template, values)));
      } catch (e) {
        if (!(e instanceof ValueNotFound)) throw e;
        process.stderr.write(`skip ${op.name}: ${e.message}\n`);
      }
    }
    return out;
  } finally {
    await setup.terminate();
  }
}

interface Row {
  endpoint: McpEndpoint;
  calls: number;
  viaExecute: number;
  harnessMs: number;
  inspectorMs: number;
  harnessFailed: string[];
  inspectorFailed: string[];
}

async function measure(
  endpoint: McpEndpoint,
  base: string,
  credentials: McpCredentials,
  catalog: ToolCatalog,
  site?: string,
): Promise<Row> {
  const url = mcpEndpointUrl(base, endpoint);
  const calls = await plan(url, credentials, catalog, site);

  // harness: one session, every call, terminate
  const h0 = performance.now();
  const s = await McpSession.open({ url, credentials });
  const harnessFailed: string[] = [];
  for (const c of calls) {
    const r = await s.call(c.tool, c.args);
    if (!r.ok) harnessFailed.push(`${c.operation} (${r.category})`);
  }
  await s.terminate();
  const harnessMs = performance.now() - h0;

  // inspector-cli: one process per call (its documented CLI mode), sequential
  const i0 = performance.now();
  const inspectorFailed: string[] = [];
  for (const c of calls) {
    const r = await runInspector(url.href, credentials.authorization!, c.tool, c.args);
    if (r.code !== 0 || !r.stdout.includes('"content"') || r.stdout.includes('"isError": true'))
      inspectorFailed.push(`${c.operation} (exit ${r.code})`);
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  const inspectorMs = performance.now() - i0;
  return {
    endpoint,
    calls: calls.length,
    viaExecute: calls.filter((c) => c.tool !== c.operation).length,
    harnessMs,
    inspectorMs,
    harnessFailed,
    inspectorFailed,
  };
}

async function main(): Promise<number> {
  const config = loadConfig({ ...process.env, TARGET: 'sim' });
  const account = pickSweepAccount(config);
  const credentials = apiTokenCredentials(account);
  const catalog = loadToolCatalog();
  const sim = await startSimulator();
  try {
    const rows: Row[] = [];
    for (const endpoint of ['v1', 'v2'] as const) rows.push(await measure(endpoint, sim.urls.mcp, credentials, catalog, account.site));
    const lines = [
      `MCP sweep, private simulator, account ${account.role} (API token), ${new Date().toISOString()}`,
      '',
      '| endpoint | operations (via execute) | harness wall time (1 session) | inspector-cli wall time (1 process/call) | ratio | target |',
      '|---|---:|---:|---:|---:|---:|',
    ];
    let bad = false;
    for (const r of rows) {
      const ratio = r.inspectorMs / r.harnessMs;
      lines.push(
        `| ${r.endpoint} | ${r.calls} (${r.viaExecute}) | ${(r.harnessMs / 1000).toFixed(2)} s (${(r.harnessMs / r.calls).toFixed(0)} ms/call) | ${(r.inspectorMs / 1000).toFixed(2)} s (${(r.inspectorMs / r.calls).toFixed(0)} ms/call) | ${ratio.toFixed(1)}× | ≥ 10× ${ratio >= 10 ? 'met' : 'NOT met'} |`,
      );
      if (r.harnessFailed.length) lines.push('', `${r.endpoint}: harness calls that failed: ${r.harnessFailed.join(', ')}`);
      if (r.inspectorFailed.length) lines.push('', `${r.endpoint}: inspector-cli calls that failed: ${r.inspectorFailed.join(', ')}`);
      bad ||= r.harnessFailed.length > 0 || r.inspectorFailed.length > 0 || r.calls === 0;
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return bad ? 1 : 0;
  } finally {
    await sim.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench-mcp: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
