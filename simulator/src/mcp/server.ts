/**
 * One McpServer per session (mcp-sdk.md §2 "One McpServer per transport"), built for one listing mode:
 *  - 'v1'     : the v1 catalogue flat (/v1/mcp, /v1/mcp/authv2)
 *  - 'v2'     : the v2 primary tools + getToolDescription, discover and the execute family (/v2/mcp; v1 endpoints too
 *               when org.mcp.v1ExposesV2Tools). docs/reference/atlassian-mcp.md "The v2 generation" (1P skills:
 *               `executeRead(name=…, cloudId=…, inputs={…})`, or one `execute` on some servers: org.mcp.executeStyle)
 *  - 'v2-all' : /v2/mcp?tools=all, every v2 operation flat, paginated with the MCP cursor (1P README: "a paginated flat
 *               tool list")
 * What is listed follows the caller (scopes, admin permission groups) and the world (renames, extra tools) and is
 * re-synced on every request, so an admin change shows up mid-session (notifications/tools/list_changed on an open GET
 * stream; "New tools become available without the client needing to reconnect", 1P).
 */
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { McpServer, type RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, ListToolsRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Bases, Ctx } from '../http.ts';
import { count, world } from '../state.ts';
import { WorldError } from '../world.ts';
import { blockedBy, isVisible } from './gate.ts';
import { annotationsOf, type Generation, inputSchemaOf, type Operation, operations } from './ops.ts';
import type { Endpoint, Principal } from './principal.ts';
import type { OperationKind } from './settings.ts';
import { errorResult, okResult, TEXT, ToolError, type ToolResult } from './texts.ts';
import { cloudIdArg, type ToolEnv, type ToolSpec } from './tools/common.ts';

export type Mode = 'v1' | 'v2' | 'v2-all';

/** what one HTTP request hands to the tools (through req.auth → extra.authInfo.extra) */
export interface RequestEnv {
  principal: Principal;
  bases: Bases;
  ip: string;
  endpoint: Endpoint;
  note: Ctx['note'];
  /** the request's access token expired and the session's earlier caller stands in (org.mcp.expiredTokenInSession) */
  tokenExpired?: boolean;
}

/** server identity: registry name com.atlassian/atlassian-mcp-server, version 1.1.3 (§1 [S5]) */
export const SERVER_INFO = { name: 'atlassian-mcp-server', version: '1.1.3' } as const;

/** tools per tools/list page on /v2/mcp?tools=all (simulator choice: the real page size is not published) */
export const TOOLS_PAGE_SIZE = 20;

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

/** Run one operation for one caller: count, log, gate, run, map errors to `{"error":true,"message":…}` results. */
export async function runTool(op: Operation, args: Record<string, unknown>, renv: RequestEnv, tenv: ToolEnv): Promise<ToolResult> {
  count('toolCalls');
  renv.note({ account: renv.principal.email, ...(renv.principal.clientId ? { clientId: renv.principal.clientId } : {}) });
  const blocked = blockedBy(op, renv);
  if (blocked) return errorResult(blocked);
  try {
    return okResult(await op.spec.run(args, tenv));
  } catch (e) {
    if (e instanceof ToolError) return errorResult(e.message);
    if (e instanceof WorldError) return errorResult(`The change was rejected: ${e.message}`);
    process.stderr.write(`simulator mcp: tool ${op.name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return errorResult(TEXT.trouble);
  }
}

/** a meta-tool as an Operation, so the call gate applies to it like to any tool */
function metaOp(name: string, run: ToolSpec['run']): Operation {
  return {
    name,
    kind: 'read',
    group: null,
    primary: true,
    spec: { name, title: name, description: '', group: null, product: 'platform', scopes: [], unscoped: true, input: {}, run },
  };
}

const EXECUTE_TOOL: Record<OperationKind, string> = { read: 'executeRead', write: 'executeWrite', destructive: 'executeDestructive' };

const STOP_WORDS = new Set(['a', 'an', 'the', 'of', 'in', 'on', 'to', 'for', 'and', 'or', 'my', 'me', 'i', 'all', 'with', 'by', 'from']);
const words = (s: string) =>
  s
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 1 && !STOP_WORDS.has(w));
/** singular stem, so "issues" finds "Issue" and "projects" finds "Projects" */
const stem = (w: string) => w.replace(/(ies)$/, 'y').replace(/s$/, '');

/**
 * natural-language match (1P: "describe the goal in natural language"): operations ranked by shared words, keeping
 * those with at least half the best score (simulator choice; the real matcher is not documented)
 */
function rank(ops: Operation[], query: string | undefined): Operation[] {
  const q = query ? words(query).map(stem) : [];
  if (q.length === 0) return ops;
  return ops
    .map((op) => {
      const have = new Set(words(`${op.name} ${op.spec.title} ${op.spec.description}`).map(stem));
      return { op, score: q.filter((w) => have.has(w)).length };
    })
    .filter((x) => x.score > 0)
    .sort((a, b) => b.score - a.score)
    .filter((x, _i, all) => x.score * 2 >= all[0]!.score)
    .map((x) => x.op);
}

/** authoring guidance getToolDescription returns (1P skills/v2 "Calling non-primary tools" and per-tool notes) */
function guidanceFor(op: Operation, executeStyle: 'tiered' | 'single'): string[] {
  const tool = executeStyle === 'single' ? 'execute' : EXECUTE_TOOL[op.kind];
  const out = op.primary
    ? [`${op.name} is a primary tool: call it directly with the arguments of inputSchema.`]
    : [
        `${op.name} is not a primary tool: run it with ${tool}(name="${op.name}", ${op.spec.omitCloudId ? '' : 'cloudId="…", '}inputs={…}).`,
        op.spec.omitCloudId
          ? 'It takes no cloudId.'
          : 'cloudId is a top-level argument of the execute tool, a sibling of name and inputs: never put it inside inputs.',
        'inputs is a flat object. Use the exact parameter names of inputSchema: unrecognized parameters are dropped, not reported.',
      ];
  const specific: Record<string, string> = {
    createJiraIssue:
      'issueType is the issue type name (e.g. "Epic"); parent is the parent issue key. Pass native parameters directly — priority is a top-level string, not an additional_fields entry. Reserve additional_fields for custom fields.',
    search:
      'search is Rovo semantic search: it takes natural language, not query syntax. Use searchConfluence (CQL) or searchJiraIssuesUsingJql (JQL) for structured filters.',
    searchConfluence: 'cql is a CQL query, e.g. type = page AND title ~ "release plan".',
    getConfluenceContent:
      'content_id is the page id; content_format is "markdown" (default), "adf" or "html"; the response echoes content_format.',
    addOrEditJiraIssueComment: 'Leave out commentId to add a comment; pass the id of one of your comments to edit it.',
  };
  const extra = specific[op.spec.name];
  return extra ? [...out, extra] : out;
}

function describeOp(op: Operation, executeStyle: 'tiered' | 'single'): Record<string, unknown> {
  return {
    name: op.name,
    description: op.spec.description,
    kind: op.kind,
    primary: op.primary,
    product: op.spec.product,
    annotations: annotationsOf(op),
    inputSchema: inputSchemaOf(op),
    guidance: guidanceFor(op, executeStyle),
  };
}

function inputError(e: z.ZodError): ToolError {
  const i = e.issues[0]!;
  return new ToolError(`Input validation error: ${i.path.join('.') || '(inputs)'}: ${i.message}`);
}

export function buildServer(mode: Mode): { server: McpServer; sync(p: Principal): void } {
  const gen: Generation = mode === 'v1' ? 'v1' : 'v2';
  const server = new McpServer(SERVER_INFO, {
    instructions: 'Atlassian Rovo MCP server (simulator). Call getAccessibleAtlassianResources first to find the cloudId of your site.',
  });
  // A tool the caller may not see is removed, not disabled: calling it then answers "Tool <name> not found", as real
  // does for filtered tools (§5 [S47] "tools are filtered, not denied"); it is registered again when it becomes visible.
  const registered = new Map<string, { handle: RegisteredTool; key: Operation['spec'] | string }>();
  // Installs the tools/list and tools/call handlers and the tools capability before connect, even when the caller
  // can see no tool yet (capabilities cannot be registered after connecting).
  server.registerTool('__sim_init__', { description: 'placeholder' }, async () => ({ content: [] })).remove();

  if (mode === 'v2-all') {
    // the SDK's own listing, cut into pages with an opaque cursor (MCP 2025-06-18 "Pagination")
    const handlers = (server.server as unknown as { _requestHandlers: Map<string, (r: unknown, x: unknown) => Promise<unknown>> })
      ._requestHandlers;
    const sdkList = handlers.get('tools/list');
    if (!sdkList) throw new Error('SDK tools/list handler not installed');
    server.server.setRequestHandler(ListToolsRequestSchema, async (req, extra) => {
      const all = ((await sdkList(req, extra)) as { tools: unknown[] }).tools;
      const cursor = req.params?.cursor;
      const start =
        cursor === undefined
          ? 0
          : Number(
              Buffer.from(cursor, 'base64url')
                .toString('utf8')
                .replace(/^offset:/, ''),
            );
      if (!Number.isInteger(start) || start < 0 || start > all.length)
        throw new McpError(ErrorCode.InvalidParams, `Invalid cursor: ${cursor}`);
      const end = start + TOOLS_PAGE_SIZE;
      return {
        tools: all.slice(start, end),
        ...(end < all.length ? { nextCursor: Buffer.from(`offset:${end}`).toString('base64url') } : {}),
      };
    });
  }

  const visibleOps = (p: Principal) => operations(gen).filter((op) => isVisible(op, p));
  const findOp = (p: Principal, name: string) => visibleOps(p).find((o) => o.name === name);

  const addOp = (op: Operation) =>
    server.registerTool(
      op.name,
      { title: op.spec.title, description: op.spec.description, inputSchema: op.spec.input, annotations: annotationsOf(op) },
      async (args: Record<string, unknown>, extra) => {
        const { renv, tenv } = envOf(extra);
        return runTool(op, args, renv, tenv);
      },
    );

  /** a meta-tool: its body runs behind the call gate like a tool */
  const meta = async (
    name: string,
    extra: { authInfo?: AuthInfo; sessionId?: string },
    body: (renv: RequestEnv, tenv: ToolEnv) => unknown | Promise<unknown>,
  ) => {
    const { renv, tenv } = envOf(extra);
    return runTool(
      metaOp(name, () => body(renv, tenv)),
      {},
      renv,
      tenv,
    );
  };

  const metaTools: Record<string, () => RegisteredTool> = {
    getToolDescription: () =>
      server.registerTool(
        'getToolDescription',
        {
          title: 'Get tool description',
          description: 'Get the description, input schema and authoring guidance of a tool or operation.',
          inputSchema: { toolName: z.string().min(1).describe('Name of a primary tool or of an operation found with discover') },
          annotations: { title: 'Get tool description', readOnlyHint: true, destructiveHint: false, openWorldHint: false },
        },
        async (a, extra) =>
          meta('getToolDescription', extra, (renv) => {
            const op = findOp(renv.principal, a.toolName);
            if (!op) throw new ToolError(`Tool ${a.toolName} not found`);
            return describeOp(op, world().org.mcp.executeStyle);
          }),
      ),
    discover: () =>
      server.registerTool(
        'discover',
        {
          title: 'Discover operations',
          description:
            'Describe what you want to do in natural language; returns the operations (exact name, kind, inputs) to run with the execute tools. Primary tools are not listed: call them directly.',
          inputSchema: {
            query: z.string().optional().describe('The goal in natural language, e.g. "list the issue types of a project"'),
            product: z.enum(['jira', 'confluence', 'platform', 'twg']).optional(),
          },
          annotations: { title: 'Discover operations', readOnlyHint: true, destructiveHint: false, openWorldHint: false },
        },
        async (a, extra) =>
          meta('discover', extra, (renv) => {
            const style = world().org.mcp.executeStyle;
            const candidates = visibleOps(renv.principal).filter((o) => !o.primary && (!a.product || o.spec.product === a.product));
            return {
              operations: rank(candidates, a.query).map((o) => ({
                name: o.name,
                description: o.spec.description,
                kind: o.kind,
                product: o.spec.product,
                executeWith: style === 'single' ? 'execute' : EXECUTE_TOOL[o.kind],
                omitCloudId: o.spec.omitCloudId === true,
                annotations: annotationsOf(o),
                inputSchema: inputSchemaOf(o),
              })),
            };
          }),
      ),
  };

  const executeTool = (tool: string, tier: OperationKind | null) =>
    server.registerTool(
      tool,
      {
        title: tier ? `Execute a ${tier} operation` : 'Execute an operation',
        description: tier
          ? `Run a ${tier} operation found with discover: name, cloudId (top level) and inputs (flat).`
          : 'Run an operation found with discover: name, cloudId (top level) and inputs (flat).',
        inputSchema: {
          name: z.string().min(1).describe('Operation name, exactly as discover returns it'),
          cloudId: cloudIdArg.optional(),
          inputs: z.record(z.string(), z.unknown()).optional().describe('The operation arguments, flat; cloudId does not go here'),
        },
        annotations: {
          title: tool,
          readOnlyHint: tier === 'read',
          destructiveHint: tier === null || tier === 'destructive',
          openWorldHint: true,
        },
      },
      async (a, extra) => {
        const { renv, tenv } = envOf(extra);
        const op = findOp(renv.principal, a.name);
        const refuse = (message: string) =>
          runTool(
            metaOp(tool, () => {
              throw new ToolError(message);
            }),
            {},
            renv,
            tenv,
          );
        if (!op) return refuse(`Operation ${a.name} not found. Run discover to find the operation you need.`);
        if (tier && op.kind !== tier)
          return refuse(`${op.name} is a ${op.kind} operation and cannot be run with ${tool}: use ${EXECUTE_TOOL[op.kind]}.`);
        // 1P: cloudId is top level, never inside inputs; unrecognized inputs are dropped (z.object strips them)
        const { cloudId: _inInputs, ...inputs } = a.inputs ?? {};
        const parsed = z.object(op.spec.input).safeParse(op.spec.omitCloudId ? inputs : { ...inputs, cloudId: a.cloudId });
        if (!parsed.success) {
          const err = inputError(parsed.error);
          return runTool(
            {
              ...op,
              spec: {
                ...op.spec,
                run: () => {
                  throw err;
                },
              },
            },
            {},
            renv,
            tenv,
          );
        }
        return runTool(op, parsed.data as Record<string, unknown>, renv, tenv);
      },
    );

  const wantedMeta = (): Record<string, () => RegisteredTool> => {
    if (mode !== 'v2') return {};
    const tiers: Record<string, () => RegisteredTool> =
      world().org.mcp.executeStyle === 'single'
        ? { execute: () => executeTool('execute', null) }
        : {
            executeRead: () => executeTool('executeRead', 'read'),
            executeWrite: () => executeTool('executeWrite', 'write'),
            executeDestructive: () => executeTool('executeDestructive', 'destructive'),
          };
    return { ...metaTools, ...tiers };
  };

  return {
    server,
    sync(p: Principal) {
      const want = new Map<string, { key: Operation['spec'] | string; add: () => RegisteredTool }>();
      for (const op of visibleOps(p)) {
        if (mode === 'v2' && !op.primary) continue;
        want.set(op.name, { key: op.spec, add: () => addOp(op) });
      }
      for (const [name, add] of Object.entries(wantedMeta())) want.set(name, { key: `meta:${name}`, add });
      for (const [name, r] of registered) {
        if (want.get(name)?.key !== r.key) {
          r.handle.remove();
          registered.delete(name);
        }
      }
      for (const [name, w] of want) if (!registered.has(name)) registered.set(name, { handle: w.add(), key: w.key });
    },
  };
}
