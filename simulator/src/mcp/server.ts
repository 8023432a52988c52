/**
 * One McpServer per session (mcp-sdk.md §2 "One McpServer per transport"), built for one endpoint mode:
 *  - 'v1'     : the v1 catalogue flat (/v1/mcp, /v1/mcp/authv2)
 *  - 'v2'     : the primary set + discover / execute / getToolDescription (/v2/mcp; atlassian-mcp.md §4 "v2")
 *  - 'v2-all' : /v2/mcp?tools=all, every tool flat (§1 [S1]; the real list is paginated, this one is not)
 * Tool visibility follows the caller (scopes, admin permissions) and is re-synced on every request, so an admin
 * change shows up mid-session (with notifications/tools/list_changed on an open GET stream).
 */
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { McpServer, type RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { Bases, Ctx } from '../http.ts';
import { count } from '../state.ts';
import { WorldError } from '../world.ts';
import { BY_NAME, V1_TOOLS, V2_PRIMARY } from './catalog.ts';
import { blockedBy, isVisible } from './gate.ts';
import type { Principal } from './principal.ts';
import { errorResult, okResult, TEXT, ToolError, type ToolResult } from './texts.ts';
import type { ToolEnv, ToolSpec } from './tools/common.ts';

export type Mode = 'v1' | 'v2' | 'v2-all';

/** what one HTTP request hands to the tools (through req.auth → extra.authInfo.extra) */
export interface RequestEnv {
  principal: Principal;
  bases: Bases;
  ip: string;
  note: Ctx['note'];
}

/** server identity: registry name com.atlassian/atlassian-mcp-server, version 1.1.3 (§1 [S5]) */
export const SERVER_INFO = { name: 'atlassian-mcp-server', version: '1.1.3' } as const;

export function authInfoFor(env: RequestEnv): AuthInfo {
  return {
    token: env.principal.key,
    clientId: env.principal.clientId ?? env.principal.email,
    scopes: env.principal.scopes ?? [],
    extra: { env },
  };
}

function envOf(extra: { authInfo?: AuthInfo; sessionId?: string }): { renv: RequestEnv; tenv: ToolEnv } {
  const renv = extra.authInfo?.extra?.env as RequestEnv | undefined;
  if (!renv) throw new Error('MCP request without caller (req.auth not set)');
  return { renv, tenv: { principal: renv.principal, bases: renv.bases, sessionId: extra.sessionId } };
}

/** Run one tool for one caller: count, log, gate, run, map errors to `{"error":true,"message":…}` results. */
export async function runTool(spec: ToolSpec, args: Record<string, unknown>, renv: RequestEnv, tenv: ToolEnv): Promise<ToolResult> {
  count('toolCalls');
  renv.note({ account: renv.principal.email, ...(renv.principal.clientId ? { clientId: renv.principal.clientId } : {}) });
  const blocked = blockedBy(spec, renv.principal, renv.ip);
  if (blocked) return errorResult(blocked);
  try {
    return okResult(await spec.run(args, tenv));
  } catch (e) {
    if (e instanceof ToolError) return errorResult(e.message);
    if (e instanceof WorldError) return errorResult(`The change was rejected: ${e.message}`);
    process.stderr.write(`simulator mcp: tool ${spec.name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return errorResult(TEXT.trouble);
  }
}

const META_SPEC = (name: string): ToolSpec => ({
  name,
  title: name,
  description: '',
  group: null,
  product: 'platform',
  scopes: [],
  unscoped: true,
  input: {},
  run: () => null,
});

function describeTool(spec: ToolSpec): Record<string, unknown> {
  return {
    name: spec.name,
    description: spec.description,
    readOnly: spec.group !== 'write',
    product: spec.product,
    inputSchema: z.toJSONSchema(z.object(spec.input), { io: 'input', unrepresentable: 'any' }),
  };
}

export function buildServer(mode: Mode): { server: McpServer; sync(p: Principal): void } {
  const server = new McpServer(SERVER_INFO, {
    instructions: 'Atlassian Rovo MCP server (simulator). Call getAccessibleAtlassianResources first to find the cloudId of your site.',
  });
  // A tool the caller may not see is removed, not disabled: calling it then answers "Tool <name> not found", as real
  // does for filtered tools (§5 [S47] "tools are filtered, not denied"); it is registered again when it becomes visible.
  const registered = new Map<string, RegisteredTool>();
  const listed = mode === 'v2' ? V1_TOOLS.filter((t) => V2_PRIMARY.includes(t.name)) : V1_TOOLS;
  const add = (spec: ToolSpec) =>
    server.registerTool(
      spec.name,
      {
        title: spec.title,
        description: spec.description,
        inputSchema: spec.input,
        annotations: { title: spec.title, readOnlyHint: spec.group !== 'write', openWorldHint: true },
      },
      async (args: Record<string, unknown>, extra) => {
        const { renv, tenv } = envOf(extra);
        return runTool(spec, args, renv, tenv);
      },
    );

  // Installs the tools/list and tools/call handlers and the tools capability before connect, even when the caller
  // can see no tool yet (capabilities cannot be registered after connecting).
  server.registerTool('__sim_init__', { description: 'placeholder' }, async () => ({ content: [] })).remove();

  if (mode === 'v2') {
    const hidden = (p: Principal) => V1_TOOLS.filter((t) => !V2_PRIMARY.includes(t.name) && isVisible(t, p));
    const meta = async (
      name: string,
      extra: { authInfo?: AuthInfo; sessionId?: string },
      body: (renv: RequestEnv, tenv: ToolEnv) => unknown | Promise<unknown>,
    ) => {
      const { renv, tenv } = envOf(extra);
      return runTool({ ...META_SPEC(name), run: () => body(renv, tenv) }, {}, renv, tenv);
    };
    server.registerTool(
      'discover',
      {
        title: 'Discover operations',
        description: 'List the operations you can run with execute (Jira, Confluence, …), optionally filtered by a query or product.',
        inputSchema: { query: z.string().optional(), product: z.enum(['jira', 'confluence', 'platform', 'twg']).optional() },
        annotations: { readOnlyHint: true },
      },
      async (a, extra) =>
        meta('discover', extra, (renv) => {
          const q = a.query?.toLowerCase();
          const ops = hidden(renv.principal).filter(
            (t) => (!a.product || t.product === a.product) && (!q || `${t.name} ${t.description}`.toLowerCase().includes(q)),
          );
          return {
            operations: ops.map((t) => ({ name: t.name, description: t.description, readOnly: t.group !== 'write', product: t.product })),
          };
        }),
    );
    server.registerTool(
      'getToolDescription',
      {
        title: 'Get tool description',
        description: 'Get the description and JSON input schema of an operation or tool.',
        inputSchema: { toolName: z.string().min(1) },
        annotations: { readOnlyHint: true },
      },
      async (a, extra) =>
        meta('getToolDescription', extra, (renv) => {
          const spec = BY_NAME.get(a.toolName);
          if (!spec || !isVisible(spec, renv.principal)) throw new ToolError(`Tool ${a.toolName} not found`);
          return describeTool(spec);
        }),
    );
    server.registerTool(
      'execute',
      {
        title: 'Execute an operation',
        description: 'Run an operation found with discover, with its arguments.',
        inputSchema: { operation: z.string().min(1), arguments: z.record(z.string(), z.unknown()).optional() },
        annotations: { readOnlyHint: false, openWorldHint: true },
      },
      async (a, extra) => {
        const { renv, tenv } = envOf(extra);
        const spec = BY_NAME.get(a.operation);
        if (!spec || !isVisible(spec, renv.principal))
          return runTool(
            {
              ...META_SPEC('execute'),
              run: () => {
                throw new ToolError(`Operation ${a.operation} not found`);
              },
            },
            {},
            renv,
            tenv,
          );
        const parsed = z.object(spec.input).safeParse(a.arguments ?? {});
        if (!parsed.success) {
          const i = parsed.error.issues[0]!;
          return runTool(
            {
              ...spec,
              run: () => {
                throw new ToolError(`Input validation error: ${i.path.join('.') || '(arguments)'}: ${i.message}`);
              },
            },
            {},
            renv,
            tenv,
          );
        }
        return runTool(spec, parsed.data as Record<string, unknown>, renv, tenv);
      },
    );
  }

  return {
    server,
    sync(p: Principal) {
      for (const spec of listed) {
        const want = isVisible(spec, p);
        const handle = registered.get(spec.name);
        if (want && !handle) registered.set(spec.name, add(spec));
        else if (!want && handle) {
          handle.remove();
          registered.delete(spec.name);
        }
      }
    },
  };
}
