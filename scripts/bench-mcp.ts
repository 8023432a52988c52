/**
 * `npm run bench -- mcp` (or `tsx scripts/bench-mcp.ts`): the harness's sweep of every read tool of the catalog
 * next to the same calls through `@modelcontextprotocol/inspector-cli`, one process per call, against a private
 * simulator started here. Prints a Markdown table on stdout (progress on stderr). Target (issue 6): ratio ≥ 10×.
 *
 * Both sides make the same calls with the same arguments (found once, untimed, through the catalog's sources), and
 * every call must succeed on both sides, or the run fails: a fast wrong answer is not a benchmark.
 * Simulator only: inspector-cli takes the Authorization header on its command line, which must never carry a real
 * credential.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { loadConfig, ROOT } from '../fixtures/core/config.ts';
import { startSimulator } from '../fixtures/core/simulator.ts';
import { ArgResolver, ValueNotFound } from '../fixtures/mcp/arguments.ts';
import { interpolate, loadToolCatalog } from '../fixtures/mcp/catalog.ts';
import { pickSweepAccount } from '../fixtures/mcp/fixture.ts';
import { apiTokenCredentials, McpSession, mcpEndpointUrl } from '../fixtures/mcp/session.ts';

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

async function main(): Promise<number> {
  const config = loadConfig({ ...process.env, TARGET: 'sim' });
  const account = pickSweepAccount(config);
  const credentials = apiTokenCredentials(account);
  const catalog = loadToolCatalog();
  const sim = await startSimulator();
  try {
    const url = mcpEndpointUrl(sim.urls.mcp, config.mcp.endpoint);

    // 1. untimed: the tools to sweep and their real arguments
    const setup = await McpSession.open({ url, credentials });
    if (!setup.initialize.ok) throw new Error(`initialize failed: ${setup.initialize.text}`);
    const listed = new Set((await setup.listTools()).tools.map((t) => t.name));
    const resolver = new ArgResolver(catalog, { values: { runId: 'bench' }, site: account.site });
    const plan: Array<{ tool: string; args: Record<string, unknown> }> = [];
    for (const t of catalog.tools.filter((x) => x.kind === 'read' && listed.has(x.name))) {
      try {
        const values = await resolver.resolveFor(t.args, (tool, args) => setup.call(tool, args));
        plan.push({ tool: t.name, args: interpolate(t.args, values) });
      } catch (e) {
        if (!(e instanceof ValueNotFound)) throw e;
        process.stderr.write(`skip ${t.name}: ${e.message}\n`);
      }
    }
    await setup.terminate();

    // 2. harness: one session, every call, terminate
    const h0 = performance.now();
    const s = await McpSession.open({ url, credentials });
    const harnessRecs = [];
    for (const p of plan) harnessRecs.push(await s.call(p.tool, p.args));
    await s.terminate();
    const harnessMs = performance.now() - h0;
    const harnessFailed = harnessRecs.filter((r) => !r.ok);

    // 3. inspector-cli: one process per call (its documented CLI mode), sequential
    const i0 = performance.now();
    const inspectorFailed: string[] = [];
    for (const p of plan) {
      const r = await runInspector(url.href, credentials.authorization!, p.tool, p.args);
      if (r.code !== 0 || !r.stdout.includes('"content"') || r.stdout.includes('"isError": true'))
        inspectorFailed.push(`${p.tool} (exit ${r.code})`);
      process.stderr.write('.');
    }
    process.stderr.write('\n');
    const inspectorMs = performance.now() - i0;

    const ratio = inspectorMs / harnessMs;
    const lines = [
      `MCP sweep, ${config.mcp.endpoint} endpoint, private simulator, account ${account.role} (API token), ${new Date().toISOString()}`,
      '',
      '| tools swept | harness wall time | inspector-cli wall time (1 process/call) | ratio | target |',
      '|---:|---:|---:|---:|---:|',
      `| ${plan.length} | ${(harnessMs / 1000).toFixed(2)} s (${(harnessMs / plan.length).toFixed(0)} ms/call) | ${(inspectorMs / 1000).toFixed(2)} s (${(inspectorMs / plan.length).toFixed(0)} ms/call) | ${ratio.toFixed(1)}× | ≥ 10× ${ratio >= 10 ? 'met' : 'NOT met'} |`,
    ];
    if (harnessFailed.length)
      lines.push('', `harness calls that failed: ${harnessFailed.map((r) => `${r.operation} (${r.category})`).join(', ')}`);
    if (inspectorFailed.length) lines.push('', `inspector-cli calls that failed: ${inspectorFailed.join(', ')}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return harnessFailed.length || inspectorFailed.length || plan.length === 0 ? 1 : 0;
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
