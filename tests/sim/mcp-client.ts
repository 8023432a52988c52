/**
 * A plain MCP SDK client for the simulator's own MCP tests (tests/sim/mcp-*.spec.ts): connect with an Authorization
 * header, call a tool and read its text, expect success (parsed JSON) or a tool error (its message).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { SimHandle } from '../../fixtures/core/simulator.ts';
import { expect } from '../../fixtures/index.ts';

/** The default world's member, personal API token (Basic email:token). */
export const MEMBER = `Basic ${Buffer.from('member@sim.example:ATATT3xSIMCANARY-member-scoped-token').toString('base64')}`;

export async function connect(sim: SimHandle, path: string, authorization = MEMBER, name = 'sim-mcp-self'): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(sim.urls.mcp + path), {
    requestInit: { headers: { Authorization: authorization } },
  });
  const client = new Client({ name, version: '0' });
  await client.connect(transport);
  return client;
}

export async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<{ isError: boolean; text: string }> {
  const r = await client.callTool({ name, arguments: args });
  const content = 'content' in r ? (r.content as Array<{ text?: string }>) : [];
  return { isError: r.isError === true, text: content.map((c) => c.text ?? '').join('') };
}

export async function ok<T = Record<string, unknown>>(client: Client, name: string, args: Record<string, unknown> = {}): Promise<T> {
  const r = await call(client, name, args);
  expect(r.isError, `${name} failed: ${r.text}`).toBe(false);
  return JSON.parse(r.text) as T;
}

/** The tool must fail; returns the `message` of its `{ error: true, message }` body. */
export async function errorMessage(client: Client, name: string, args: Record<string, unknown>): Promise<string> {
  const r = await call(client, name, args);
  expect(r.isError, `${name} should fail: ${r.text}`).toBe(true);
  const body = JSON.parse(r.text) as { error?: boolean; message: string };
  expect(body.error, `${name}: a tool error body carries error: true`).toBe(true);
  return body.message;
}
