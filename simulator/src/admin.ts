/**
 * Admin API for tests (`/__admin/*` on the admin port only; simulator/README.md documents it). Never faulted. The
 * Host, Origin and Content-Type checks run before these handlers (http.ts dispatchAdmin). Admin calls are not written
 * to the request log (unless refused or unrecognised), so the log shows only what a client did.
 */
import { z } from 'zod';
import { clearFaults, currentFaults, FaultProfileSchema, profileCatalog, setFaults } from './faults.ts';
import type { Ctx, SimRouter } from './http.ts';
import { clearLog, requestsSince, unrecognised } from './requestlog.ts';
import { revokeGrantSite } from './state/grants.ts';
import { getStats, patchWorld, replaceWorld, resetState, revokeGrant, WorldError, world } from './state.ts';

function worldError(ctx: Ctx, e: unknown): void {
  if (e instanceof WorldError) {
    ctx.json(400, { error: e.message, path: e.path });
    return;
  }
  throw e;
}

async function jsonBody(ctx: Ctx): Promise<unknown> {
  const raw = (await ctx.rawBody()).toString('utf8');
  try {
    return JSON.parse(raw);
  } catch {
    ctx.json(400, { error: 'request body is not valid JSON', path: '' });
    return undefined;
  }
}

export function registerAdmin(r: SimRouter): void {
  r.route('POST', '/reset', (ctx) => {
    const t0 = process.hrtime.bigint();
    resetState();
    clearFaults();
    clearLog();
    // server-side duration, so tests can hold reset to its budget (< 5 ms) without counting HTTP overhead
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    ctx.res.writeHead(204, { 'x-sim-reset-ms': ms.toFixed(3) });
    ctx.res.end();
  });

  r.route('GET', '/world', (ctx) => ctx.json(200, world()));

  r.route('PUT', '/world', async (ctx) => {
    const body = await jsonBody(ctx);
    if (body === undefined) return;
    try {
      replaceWorld(body);
      ctx.json(200, world());
    } catch (e) {
      worldError(ctx, e);
    }
  });

  // RFC 7396 JSON merge patch, validated after merging; on error the world is unchanged
  r.route('PATCH', '/world', async (ctx) => {
    const body = await jsonBody(ctx);
    if (body === undefined) return;
    try {
      patchWorld(body);
      ctx.json(200, world());
    } catch (e) {
      worldError(ctx, e);
    }
  });

  r.route('POST', '/grants/revoke', async (ctx) => {
    const b = await ctx.parse(
      z.object({ email: z.string().min(1), clientId: z.string().min(1), cloudId: z.string().min(1).optional() }).strict(),
      'json',
    );
    // with cloudId: revoked on that site only (the site leaves the grant); without: the whole grant and its tokens
    ctx.json(200, { revoked: b.cloudId ? revokeGrantSite(b.email, b.clientId, b.cloudId) : revokeGrant(b.email, b.clientId) });
  });

  r.route('GET', '/faults', (ctx) => ctx.json(200, { rules: currentFaults() }));
  // the named profiles and the rule each stands for (README "Faults")
  r.route('GET', '/faults/profiles', (ctx) => ctx.json(200, { profiles: profileCatalog() }));
  r.route('POST', '/faults', async (ctx) => {
    const profile = await ctx.parse(FaultProfileSchema, 'json');
    setFaults(profile.rules);
    ctx.json(200, { rules: currentFaults() });
  });
  r.route('DELETE', '/faults', (ctx) => {
    clearFaults();
    ctx.json(200, { rules: [] });
  });

  r.route('GET', '/requests', async (ctx) => {
    const q = await ctx.parse(z.object({ since: z.coerce.number().int().nonnegative().default(0) }), 'query');
    ctx.json(200, requestsSince(q.since));
  });
  r.route('GET', '/unrecognised', (ctx) => ctx.json(200, unrecognised()));
  r.route('GET', '/stats', (ctx) => ctx.json(200, getStats()));
}
