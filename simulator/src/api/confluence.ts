/**
 * Confluence through the gateway: v2 `/ex/confluence/{cloudId}/wiki/api/v2/…` (granular scopes only, atlassian-oauth.md
 * §6 [34]) and v1 `/ex/confluence/{cloudId}/wiki/rest/api/…` (classic scopes, 2022 spec [35]; the removed list
 * endpoints answer 410, §5 row 4). One handler per endpoint; the gateway checks (gate.ts) run first.
 */
import { z } from 'zod';
import type { Router } from '../http.ts';
import { CqlError, searchPages } from '../query/cql.ts';
import type { BodyFormat } from '../render/adf.ts';
import { ConfluenceRender, CREATED, type ConfPage as Page } from '../render/confluence.ts';
import { userAvatar } from '../render/user.ts';
import { createPage } from '../write/confluence.ts';
import { fieldErrors, readJson, validate, validateQuery } from './body.ts';
import { invalidBody, notFound } from './errors.ts';
import { type ProductCall, productEndpoint } from './gate.ts';

const render = (call: ProductCall) => new ConfluenceRender(call.ctx.bases.api, call.site.cloudId, call.site.site.url, call.site.data);

/** `body-format` query parameter → the serializer's body format */
const bodyFormat = (f: 'storage' | 'atlas_doc_format' | undefined): BodyFormat =>
  f === 'storage' ? 'storage' : f === 'atlas_doc_format' ? 'adf' : 'none';

/** Store a new page (both create endpoints, v2 and v1, and the MCP tool end in write/confluence.ts); 404 without product data. */
function addPage(call: ProductCall, fields: Pick<Page, 'spaceId' | 'title' | 'body' | 'parentId'>): Page {
  return createPage(call.site.cloudId, { ...fields, authorAccountId: call.principal.user.accountId }, () =>
    notFound('No product data for this site'),
  );
}

const wiki = (call: ProductCall) => render(call).wiki;
/** `_links.base` is the site's own wiki URL in real responses. */
const siteWiki = (call: ProductCall) => render(call).siteWiki;

// ── v2 helpers ──────────────────────────────────────────────────────────────────────────────────────────────────
const V2_REQUIRED: Record<string, string> = {
  spaceId: 'spaceId is required: the numeric id of the space to create the page in',
  title: 'title is required and must not be empty',
  body: 'body is required: {"representation":"storage","value":"…"}',
};
const v2Invalid = (issues: z.core.$ZodIssue[]) =>
  invalidBody(
    '',
    fieldErrors(
      issues.map((i) =>
        i.code === 'invalid_type' && i.path.length === 1 ? { ...i, message: V2_REQUIRED[String(i.path[0])] ?? i.message } : i,
      ),
    ),
  );

/** v2 cursor pagination: `limit` (1-250, default 25) and an opaque `cursor`. */
const V2Paging = z.object({
  limit: z.coerce.number().int().min(1).max(250).default(25),
  cursor: z.string().optional(),
});

function v2Page<T>(
  call: ProductCall,
  path: string,
  items: T[],
  q: z.infer<typeof V2Paging>,
  extra: URLSearchParams = new URLSearchParams(),
) {
  const start = q.cursor ? Number(Buffer.from(q.cursor, 'base64url').toString('utf8')) : 0;
  if (!Number.isInteger(start) || start < 0) throw invalidBody('', { cursor: 'Invalid cursor' });
  const results = items.slice(start, start + q.limit);
  const links: Record<string, string> = { base: siteWiki(call) };
  if (start + results.length < items.length) {
    const next = new URLSearchParams(extra);
    next.set('limit', String(q.limit));
    next.set('cursor', Buffer.from(String(start + results.length)).toString('base64url'));
    links['next'] = `/wiki/api/v2/${path}?${next}`;
  }
  return { results, _links: links };
}

function findPage(call: ProductCall, id: string): Page {
  const p = call.site.data.confluence.pages.find((x) => x.id === id);
  if (!p) throw notFound(`No content found with id: ContentId{id=${id}}`);
  return p;
}

export function registerConfluence(router: Router): void {
  registerV2(router);
  registerV1(router);
}

function registerV2(router: Router): void {
  // §6 read:page:confluence probe: GET /wiki/api/v2/pages?limit=1
  const PagesQuery = V2Paging.extend({
    'space-id': z.string().optional(),
    title: z.string().optional(),
    'body-format': z.enum(['storage', 'atlas_doc_format']).optional(),
  });
  productEndpoint(router, 'confPages', (call) => {
    const q = validateQuery(call.ctx, PagesQuery, v2Invalid);
    const spaceIds = q['space-id']?.split(',');
    const pages = call.site.data.confluence.pages.filter(
      (p) => (!spaceIds || spaceIds.includes(p.spaceId)) && (!q.title || p.title === q.title),
    );
    const extra = new URLSearchParams();
    if (q['space-id']) extra.set('space-id', q['space-id']);
    call.ctx.json(
      200,
      v2Page(
        call,
        'pages',
        pages.map((p) => render(call).page(p, bodyFormat(q['body-format']))),
        q,
        extra,
      ),
    );
  });

  productEndpoint(router, 'confPage', (call) => {
    const q = validateQuery(call.ctx, z.object({ 'body-format': z.enum(['storage', 'atlas_doc_format']).optional() }), v2Invalid);
    call.ctx.json(200, render(call).page(findPage(call, call.ctx.params['id'] ?? ''), bodyFormat(q['body-format'])));
  });

  // GET /pages/{id}/footer-comments: one page's footer comments (404 for an unknown page)
  productEndpoint(router, 'confPageFooterComments', (call) => {
    const q = validateQuery(call.ctx, V2Paging.extend({ 'body-format': z.enum(['storage', 'atlas_doc_format']).optional() }), v2Invalid);
    const p = findPage(call, call.ctx.params['id'] ?? '');
    const r = render(call);
    const format = bodyFormat(q['body-format']);
    const comments = p.footerComments.map((c) => r.comment(p, c, 'footer', format));
    call.ctx.json(200, v2Page(call, `pages/${p.id}/footer-comments`, comments, q));
  });

  // §6 read:space:confluence probe
  productEndpoint(router, 'confSpaces', (call) => {
    const q = validateQuery(call.ctx, V2Paging.extend({ keys: z.string().optional() }), v2Invalid);
    const keys = q.keys?.split(',');
    const r = render(call);
    const spaces = call.site.data.confluence.spaces.filter((s) => !keys || keys.includes(s.key)).map((s) => r.space(s));
    call.ctx.json(200, v2Page(call, 'spaces', spaces, q));
  });

  // §6 read:attachment:confluence probe
  productEndpoint(router, 'confAttachments', (call) => {
    const q = validateQuery(call.ctx, V2Paging, v2Invalid);
    const r = render(call);
    const atts = call.site.data.confluence.pages.flatMap((p) => p.attachments.map((a) => r.attachment(p, a)));
    call.ctx.json(200, v2Page(call, 'attachments', atts, q));
  });

  // §6 read:comment:confluence probe
  productEndpoint(router, 'confFooterComments', (call) => {
    const q = validateQuery(call.ctx, V2Paging.extend({ 'body-format': z.enum(['storage', 'atlas_doc_format']).optional() }), v2Invalid);
    const r = render(call);
    const format = bodyFormat(q['body-format']);
    const comments = call.site.data.confluence.pages.flatMap((p) => p.footerComments.map((c) => r.comment(p, c, 'footer', format)));
    call.ctx.json(200, v2Page(call, 'footer-comments', comments, q));
  });

  // POST /wiki/api/v2/pages — write:page:confluence. Invalid body → 400 v2 error list; valid → 200 created page.
  const CreatePage = z.object({
    spaceId: z.string().regex(/^\d+$/, 'spaceId must be a numeric space id'),
    status: z.enum(['current', 'draft']).default('current'),
    title: z.string().trim().min(1, 'Title cannot be empty'),
    parentId: z.string().optional(),
    body: z.object({ representation: z.enum(['storage', 'atlas_doc_format', 'wiki']), value: z.string() }),
  });
  productEndpoint(router, 'confCreatePage', async (call) => {
    const b = validate(CreatePage, (await readJson(call.ctx)) ?? {}, v2Invalid);
    const space = call.site.data.confluence.spaces.find((s) => s.id === b.spaceId);
    if (!space) throw invalidBody('', { spaceId: `No space with id ${b.spaceId}` });
    if (call.site.data.confluence.pages.some((p) => p.spaceId === b.spaceId && p.title === b.title)) {
      throw invalidBody('', { title: 'A page with this title already exists: A page already exists with the same TITLE in this space' });
    }
    const page = addPage(call, { spaceId: b.spaceId, title: b.title, body: b.body.value, parentId: b.parentId ?? null });
    call.ctx.json(200, render(call).page(page, 'storage'));
  });
}

// ── v1 ──────────────────────────────────────────────────────────────────────────────────────────────────────────
const v1Invalid = (issues: z.core.$ZodIssue[]) => {
  const f = fieldErrors(issues);
  const [k, v] = Object.entries(f)[0] ?? ['body', 'invalid'];
  return invalidBody(`com.atlassian.confluence.api.service.exceptions.BadRequestException: ${k}: ${v}`);
};

const V1Paging = z.object({
  start: z.coerce.number().int().nonnegative().default(0),
  limit: z.coerce.number().int().positive().max(1000).default(25),
});

function v1Page<T>(call: ProductCall, path: string, items: T[], start: number, limit: number) {
  const results = items.slice(start, start + limit);
  const links: Record<string, string> = { base: siteWiki(call), context: '/wiki', self: `${wiki(call)}/rest/api/${path}` };
  if (start + results.length < items.length) links['next'] = `/rest/api/${path}?start=${start + limit}&limit=${limit}`;
  return { results, start, limit, size: results.length, _links: links };
}

function registerV1(router: Router): void {
  // §5 row 4: removed list endpoints → 410 after the scope check (gate.ts, `gone`); the handlers never run.
  productEndpoint(router, 'confV1ContentList', () => undefined);
  productEndpoint(router, 'confV1SpaceList', () => undefined);

  productEndpoint(router, 'confV1Content', (call) => {
    call.ctx.json(200, render(call).content(findPage(call, call.ctx.params['id'] ?? '')));
  });

  // §6 read:confluence-content.all probe
  productEndpoint(router, 'confV1Restriction', (call) => {
    const p = findPage(call, call.ctx.params['id'] ?? '');
    const empty = { results: [], start: 0, limit: 200, size: 0 };
    const op = (operation: string) => ({
      operation,
      restrictions: { user: empty, group: empty },
      _expandable: { content: `/rest/api/content/${p.id}` },
      _links: { self: `${wiki(call)}/rest/api/content/${p.id}/restriction/byOperation/${operation}` },
    });
    call.ctx.json(200, {
      results: [op('read'), op('update')],
      start: 0,
      limit: 100,
      size: 2,
      restrictionsHash: `${p.id}-${p.version}`,
      _links: { base: siteWiki(call), context: '/wiki', self: `${wiki(call)}/rest/api/content/${p.id}/restriction` },
    });
  });

  // §6 read:confluence-props probe
  productEndpoint(router, 'confV1Property', (call) => {
    const q = validateQuery(call.ctx, V1Paging.extend({ limit: z.coerce.number().int().positive().max(200).default(10) }), v1Invalid);
    const p = findPage(call, call.ctx.params['id'] ?? '');
    const props = p.properties.map((x) => ({
      id: x.id,
      key: x.key,
      value: x.value,
      version: { when: CREATED, message: '', number: 1, minorEdit: false },
      _links: { self: `${wiki(call)}/rest/api/content/${p.id}/property/${encodeURIComponent(x.key)}` },
    }));
    call.ctx.json(200, v1Page(call, `content/${p.id}/property`, props, q.start, q.limit));
  });

  // §6 search:confluence probe: /wiki/rest/api/search?cql=type=page&limit=1
  productEndpoint(router, 'confV1Search', (call) => {
    const q = validateQuery(
      call.ctx,
      V1Paging.extend({ cql: z.string().trim().min(1, 'CQL query parameter is required but was empty') }),
      (issues) =>
        invalidBody(`com.atlassian.confluence.api.service.exceptions.BadRequestException: ${issues[0]?.message ?? 'invalid query'}`),
    );
    const started = Date.now();
    let hits: Page[];
    try {
      hits = searchPages(call.site.data.confluence, q.cql);
    } catch (e) {
      if (e instanceof CqlError) throw invalidBody(`com.atlassian.confluence.api.service.exceptions.BadRequestException: ${e.message}`);
      throw e;
    }
    const r = render(call);
    const results = hits.slice(q.start, q.start + q.limit).map((p) => r.searchResult(p));
    call.ctx.json(200, {
      results,
      start: q.start,
      limit: q.limit,
      size: results.length,
      totalSize: hits.length,
      cqlQuery: q.cql,
      searchDuration: Date.now() - started,
      _links: { base: siteWiki(call), context: '/wiki' },
    });
  });

  // §6 read:confluence-user probe
  productEndpoint(router, 'confV1UserCurrent', (call) => {
    const u = call.principal.user;
    call.ctx.json(200, {
      type: 'known',
      accountId: u.accountId,
      accountType: 'atlassian',
      email: call.principal.email,
      publicName: u.name,
      profilePicture: { path: userAvatar(u.accountId), width: 48, height: 48, isDefault: false },
      displayName: u.name,
      isExternalCollaborator: false,
      _expandable: { operations: '', personalSpace: '' },
      _links: { self: `${wiki(call)}/rest/api/user?accountId=${encodeURIComponent(u.accountId)}`, base: siteWiki(call), context: '/wiki' },
    });
  });

  // §6 read:confluence-groups probe
  productEndpoint(router, 'confV1Groups', (call) => {
    const q = validateQuery(call.ctx, V1Paging.extend({ limit: z.coerce.number().int().positive().max(1000).default(200) }), v1Invalid);
    const groups = call.site.data.confluence.groups.map((g) => ({
      type: 'group',
      name: g.name,
      id: g.id,
      _links: { self: `${wiki(call)}/rest/api/group/by-id?id=${g.id}` },
    }));
    call.ctx.json(200, v1Page(call, 'group', groups, q.start, q.limit));
  });

  // §6 manage:confluence-configuration probe (admin)
  productEndpoint(router, 'confV1SystemInfo', (call) => {
    call.ctx.json(200, {
      cloudId: call.site.cloudId,
      commitHash: 'sim0000000000000000000000000000000000000',
      baseUrl: siteWiki(call),
      edition: 'standard',
      siteTitle: call.site.site.name,
      defaultLocale: 'en_US',
      defaultTimeZone: 'Etc/UTC',
    });
  });

  // POST /wiki/rest/api/content — write:confluence-content. Invalid body → 400 BadRequestException; valid → 200.
  const CreateContent = z.object({
    type: z.enum(['page', 'blogpost']),
    title: z.string().trim().min(1),
    space: z.object({ key: z.string().min(1) }),
    ancestors: z.array(z.object({ id: z.string() })).optional(),
    body: z.object({ storage: z.object({ value: z.string(), representation: z.literal('storage') }) }),
  });
  productEndpoint(router, 'confV1CreateContent', async (call) => {
    const b = validate(CreateContent, (await readJson(call.ctx)) ?? {}, v1Invalid);
    const space = call.site.data.confluence.spaces.find((s) => s.key === b.space.key);
    if (!space)
      throw invalidBody(
        `com.atlassian.confluence.api.service.exceptions.BadRequestException: Could not find space with key : ${b.space.key}`,
      );
    if (call.site.data.confluence.pages.some((p) => p.spaceId === space.id && p.title === b.title)) {
      throw invalidBody(
        'com.atlassian.confluence.api.service.exceptions.BadRequestException: A page with this title already exists: A page already exists with the same TITLE in this space',
      );
    }
    const page = addPage(call, {
      spaceId: space.id,
      title: b.title,
      body: b.body.storage.value,
      parentId: b.ancestors?.[b.ancestors.length - 1]?.id ?? null,
    });
    call.ctx.json(200, render(call).content(page));
  });
}
