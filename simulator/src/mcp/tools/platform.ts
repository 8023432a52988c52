/**
 * Identity, Rovo search/fetch and Teamwork Graph tools (atlassian-mcp.md §4). They read the same world the REST
 * gateway serves: users (like GET /me), sites (like accessible-resources), and Jira/Confluence data.
 */
import { z } from 'zod';
import { world } from '../../state.ts';
import { ToolError } from '../texts.ts';
import {
  accessibleCloudIds,
  adf,
  cloudIdArg,
  defineTool,
  issueRef,
  requireProduct,
  resolveCloud,
  siteData,
  stripTags,
  type ToolEnv,
  type ToolSpec,
} from './common.ts';

function me(env: ToolEnv) {
  const u = world().users[env.principal.email];
  if (!u) throw new ToolError('Authentication failed: {"code":401,"message":"Unauthorized"}');
  return u;
}

function resources(env: ToolEnv) {
  const w = world();
  return accessibleCloudIds(env.principal).map((id) => {
    const s = w.sites[id]!;
    return {
      id,
      url: s.url,
      name: s.name,
      scopes: env.principal.scopes ?? [],
      avatarUrl: s.avatarUrl ?? `${s.url.replace(/\/$/, '')}/avatar.png`,
    };
  });
}

interface Hit {
  id: string;
  type: 'issue' | 'page';
  cloudId: string;
  title: string;
  text: string;
  url: string;
}

/** every Jira issue and Confluence page the caller can read, as ARIs (§4: `ari:cloud:jira:<cloudId>:issue/10107`) */
function readable(env: ToolEnv, onlyCloud?: string): Hit[] {
  const out: Hit[] = [];
  const w = world();
  for (const cloudId of accessibleCloudIds(env.principal)) {
    if (onlyCloud && cloudId !== onlyCloud) continue;
    const site = w.sites[cloudId]!;
    const member = w.users[env.principal.email]?.sites[cloudId];
    const base = site.url.replace(/\/$/, '');
    const d = siteData(cloudId);
    if (member && member.jira !== 'none') {
      for (const i of d.jira.issues) {
        out.push({
          id: `ari:cloud:jira:${cloudId}:issue/${i.id}`,
          type: 'issue',
          cloudId,
          title: `${i.key}: ${i.summary}`,
          text: i.description,
          url: `${base}/browse/${i.key}`,
        });
      }
    }
    if (member && member.confluence !== 'none') {
      for (const p of d.confluence.pages) {
        const space = d.confluence.spaces.find((s) => s.id === p.spaceId);
        out.push({
          id: `ari:cloud:confluence:${cloudId}:page/${p.id}`,
          type: 'page',
          cloudId,
          title: p.title,
          text: stripTags(p.body),
          url: `${base}/wiki/spaces/${space?.key}/pages/${p.id}`,
        });
      }
    }
  }
  return out;
}

function byAri(env: ToolEnv, ari: string): Hit & { raw: Record<string, unknown> } {
  const m = /^ari:cloud:(jira|confluence):([0-9a-f-]{36}):(issue|page)\/(\w+)$/i.exec(ari.trim());
  if (!m)
    throw new ToolError(
      `Invalid ARI ${JSON.stringify(ari)}: expected ari:cloud:jira:<cloudId>:issue/<id> or ari:cloud:confluence:<cloudId>:page/<id>`,
    );
  const [, product, cloudId, kind, id] = m;
  const r = resolveCloud(env, cloudId!);
  requireProduct(env, r, product === 'jira' ? 'jira' : 'confluence');
  const hit = readable(env, r.cloudId).find((h) => h.id.toLowerCase() === ari.trim().toLowerCase());
  if (!hit || (kind === 'issue') !== (product === 'jira')) throw new ToolError(`No ${kind} found with id: ${id}`);
  const d = siteData(r.cloudId);
  const raw =
    hit.type === 'issue'
      ? (() => {
          const i = d.jira.issues.find((x) => x.id === id)!;
          return {
            key: i.key,
            status: i.status,
            issueType: i.issueType,
            self: issueRef(env, r.cloudId, i.id),
            description: adf(i.description),
          };
        })()
      : (() => {
          const p = d.confluence.pages.find((x) => x.id === id)!;
          return { spaceId: p.spaceId, version: p.version, parentId: p.parentId };
        })();
  return { ...hit, raw };
}

const FETCH_SCOPES = ['read:jira-work', 'read:page:confluence', 'read:confluence:mcp', 'search:rovo:mcp'] as const;
const TWG_SCOPES = ['read:all:twg'] as const;

export const PLATFORM_TOOLS: ToolSpec[] = [
  defineTool({
    name: 'atlassianUserInfo',
    title: 'Atlassian user info',
    description: 'Get the account of the signed-in user (account id, name, email).',
    group: null,
    product: 'platform',
    scopes: [],
    input: {},
    run(_a, env) {
      const u = me(env);
      return {
        account_id: u.accountId,
        email: env.principal.email,
        name: u.name,
        nickname: u.nickname ?? u.name,
        picture: `https://avatar-management.services.atlassian.com/default/${u.accountId}`,
        account_status: u.status,
        account_type: 'atlassian',
        zoneinfo: u.zoneinfo,
        locale: u.locale,
      };
    },
  }),
  defineTool({
    name: 'getAccessibleAtlassianResources',
    title: 'Get accessible Atlassian resources',
    description: 'List the sites (cloudId, URL, name, scopes) you can use. Use the site hostname as cloudId first; fall back to the id.',
    group: null,
    product: 'platform',
    scopes: [],
    input: {},
    run(_a, env) {
      me(env);
      return resources(env);
    },
  }),
  defineTool({
    name: 'search',
    title: 'Search Jira and Confluence (Rovo Search)',
    description: 'Search Jira issues and Confluence pages across your sites with natural language. Needs no cloudId.',
    group: 'search',
    product: 'platform',
    // the reference names only the permission group (search_atlassian); simulator choice: any search scope shows it
    scopes: ['search:rovo:mcp', 'search:confluence', 'search:jira-work'],
    input: { query: z.string().min(1), cloudId: cloudIdArg.optional() },
    run(a, env) {
      const only = a.cloudId ? resolveCloud(env, a.cloudId).cloudId : undefined;
      const words = a.query.toLowerCase().split(/\s+/).filter(Boolean);
      const hits = readable(env, only).filter((h) => words.every((w) => `${h.title} ${h.text}`.toLowerCase().includes(w)));
      return {
        results: hits.map((h) => ({
          id: h.id,
          title: h.title,
          url: h.url,
          type: h.type,
          cloudId: h.cloudId,
          excerpt: h.text.slice(0, 200),
        })),
      };
    },
  }),
  defineTool({
    name: 'fetch',
    title: 'Fetch a Jira issue or Confluence page by ARI',
    description: 'Fetch one object found by search, by its ARI (e.g. ari:cloud:jira:<cloudId>:issue/10107).',
    group: 'read',
    product: 'platform',
    scopes: FETCH_SCOPES,
    input: { id: z.string().min(1) },
    run(a, env) {
      const h = byAri(env, a.id);
      return { id: h.id, title: h.title, text: h.text, url: h.url, metadata: { type: h.type, cloudId: h.cloudId, ...h.raw } };
    },
  }),
  defineTool({
    name: 'getTeamworkGraphContext',
    title: 'Get Teamwork Graph context',
    description: 'Get work related to you (issues you are assigned or reported, pages you wrote) from the Teamwork Graph.',
    group: 'read',
    product: 'twg',
    scopes: TWG_SCOPES,
    unscoped: true,
    input: { cloudId: cloudIdArg.optional(), query: z.string().optional() },
    run(a, env) {
      const u = me(env);
      const only = a.cloudId ? resolveCloud(env, a.cloudId).cloudId : undefined;
      const q = a.query?.toLowerCase();
      const mine = readable(env, only).filter((h) => {
        const d = siteData(h.cloudId);
        const id = h.id.split('/').pop();
        const own =
          h.type === 'issue'
            ? d.jira.issues.some((i) => i.id === id && (i.assigneeAccountId === u.accountId || i.reporterAccountId === u.accountId))
            : d.confluence.pages.some((p) => p.id === id && p.authorAccountId === u.accountId);
        return own && (!q || `${h.title} ${h.text}`.toLowerCase().includes(q));
      });
      return {
        user: { accountId: u.accountId, name: u.name },
        objects: mine.map((h) => ({ id: h.id, type: h.type, title: h.title, url: h.url })),
      };
    },
  }),
  defineTool({
    name: 'getTeamworkGraphObject',
    title: 'Get a Teamwork Graph object',
    description: 'Get one Teamwork Graph object (issue or page) by ARI.',
    group: 'read',
    product: 'twg',
    scopes: TWG_SCOPES,
    unscoped: true,
    input: { cloudId: cloudIdArg.optional(), id: z.string().optional() },
    run(a, env) {
      if (!a.id) throw new ToolError('id is required: pass the ARI of an object, e.g. ari:cloud:jira:<cloudId>:issue/10107');
      const h = byAri(env, a.id);
      if (a.cloudId && resolveCloud(env, a.cloudId).cloudId !== h.cloudId)
        throw new ToolError('The object is not on the site given by cloudId.');
      return { id: h.id, type: h.type, title: h.title, url: h.url, properties: h.raw };
    },
  }),
];
