/**
 * Confluence tools of the v1 catalogue (atlassian-mcp.md §4), answering from `world().data[cloudId].confluence`
 * (the data the REST gateway serves) in Confluence REST v2 shapes; write tools mutate it through `updateWorld`.
 */
import { z } from 'zod';
import { CqlError, searchPages } from '../../query/cql.ts';
import { type BodyFormat, toStorage as storageOf } from '../../render/adf.ts';
import { type CommentKind, ConfluenceRender } from '../../render/confluence.ts';
import { updateWorld } from '../../state.ts';
import type { World } from '../../world.ts';
import { createPage } from '../../write/confluence.ts';
import { ToolError } from '../texts.ts';
import {
  bodyText,
  cloudIdArg,
  contentFormatArg,
  defineTool,
  nextId,
  requireProduct,
  resolveCloud,
  siteData,
  stripTags,
  type ToolEnv,
  type ToolSpec,
} from './common.ts';

type ConfData = World['data'][string]['confluence'];
type Page = ConfData['pages'][number];
type Space = ConfData['spaces'][number];
type Comment = Page['footerComments'][number];

/** reply → parent comment id. The world schema has no parent field, so replies are tracked here (cleared on reset). */
const replyParents = new Map<string, string>();
export function clearConfluenceSideTables(): void {
  replyParents.clear();
}

function confOf(
  env: ToolEnv,
  cloudIdInput: string,
  write = false,
): { cloudId: string; conf: ConfData; siteUrl: string; view: ConfluenceRender } {
  const r = resolveCloud(env, cloudIdInput);
  requireProduct(env, r, 'confluence', write);
  const siteUrl = r.site.url.replace(/\/$/, '');
  return { cloudId: r.cloudId, conf: siteData(r.cloudId).confluence, siteUrl, view: render(env, r.cloudId, siteUrl) };
}

function findSpace(conf: ConfData, idOrKey: string): Space {
  const s = conf.spaces.find((x) => x.id === idOrKey || x.key.toUpperCase() === idOrKey.toUpperCase());
  if (!s) throw new ToolError(`No space with id or key '${idOrKey}' was found or you do not have permission to view it.`);
  return s;
}

function findPage(conf: ConfData, id: string): Page {
  const p = conf.pages.find((x) => x.id === id);
  // Confluence REST v2 404 wording
  if (!p) throw new ToolError(`No content found with id: ${id}`);
  return p;
}

type Fmt = 'adf' | 'markdown' | undefined;

/** the REST serializer of this site (Confluence REST v2 shapes) */
function render(env: ToolEnv, cloudId: string, siteUrl: string): ConfluenceRender {
  return new ConfluenceRender(env.bases.api, cloudId, siteUrl, siteData(cloudId));
}

/** `contentFormat`/`responseContentFormat`: ADF unless the caller asked for markdown (plain text) */
function formatOf(fmt: Fmt): BodyFormat {
  return fmt === 'markdown' ? 'markdown' : 'adf';
}

function toStorage(body: string): string {
  return storageOf(bodyText(body));
}

function commentJson(r: ConfluenceRender, p: Page, c: Comment, kind: CommentKind, fmt: Fmt): Record<string, unknown> {
  return r.comment(p, c, kind, formatOf(fmt), replyParents.get(c.id));
}

function mutateConf(cloudId: string, fn: (conf: ConfData) => void): void {
  updateWorld((w) => {
    const d = w.data[cloudId];
    if (!d) throw new ToolError('This site has no Confluence data.');
    fn(d.confluence);
  });
}

function allCommentIds(conf: ConfData): string[] {
  return conf.pages.flatMap((p) => [...p.footerComments, ...p.inlineComments].map((c) => c.id));
}

function findComment(conf: ConfData, id: string): { page: Page; comment: Comment; kind: 'footer' | 'inline' } {
  for (const page of conf.pages) {
    const f = page.footerComments.find((c) => c.id === id);
    if (f) return { page, comment: f, kind: 'footer' };
    const i = page.inlineComments.find((c) => c.id === id);
    if (i) return { page, comment: i, kind: 'inline' };
  }
  throw new ToolError(`No comment found with id: ${id}`);
}

const READ_PAGE = ['read:page:confluence', 'read:confluence:mcp'] as const;
const READ_COMMENT = ['read:comment:confluence', 'read:confluence:mcp'] as const;
const WRITE_PAGE = ['write:page:confluence'] as const;
/** simulator choice (the reference leaves the comment-write scope blank): either scope shows the tool */
const WRITE_COMMENT = ['write:comment:confluence', 'write:page:confluence'] as const;

const listArgs = { limit: z.number().int().min(1).max(250).optional(), cursor: z.string().optional() };

function pageSlice<T>(items: T[], limit: number | undefined, cursor: string | undefined): { results: T[]; next?: string } {
  const start = cursor ? Number(Buffer.from(cursor, 'base64url').toString('utf8')) || 0 : 0;
  const n = limit ?? 25;
  const results = items.slice(start, start + n);
  return start + n < items.length ? { results, next: Buffer.from(String(start + n)).toString('base64url') } : { results };
}

export const CONFLUENCE_TOOLS: ToolSpec[] = [
  defineTool({
    name: 'getConfluenceSpaces',
    title: 'Get Confluence spaces',
    description: 'List Confluence spaces, optionally filtered by ids, keys, type or status.',
    group: 'read',
    product: 'confluence',
    scopes: ['read:space:confluence', 'read:confluence:mcp'],
    input: {
      cloudId: cloudIdArg,
      ids: z.array(z.string()).optional(),
      keys: z.array(z.string()).optional(),
      type: z.enum(['global', 'personal']).optional(),
      status: z.enum(['current', 'archived']).optional(),
      labels: z.array(z.string()).optional(),
      favourite: z.boolean().optional(),
      expand: z.string().optional(),
      start: z.number().int().min(0).optional(),
      limit: z.number().int().min(1).max(250).optional(),
    },
    run(a, env) {
      const { conf, siteUrl, view } = confOf(env, a.cloudId);
      const keys = a.keys?.map((k) => k.toUpperCase());
      const all = conf.spaces.filter(
        (s) =>
          (!a.ids || a.ids.includes(s.id)) &&
          (!keys || keys.includes(s.key.toUpperCase())) &&
          (!a.type || s.type === a.type) &&
          a.status !== 'archived',
      );
      const start = a.start ?? 0;
      const results = all.slice(start, start + (a.limit ?? 25)).map((s) => view.space(s));
      return { results, _links: { base: `${siteUrl}/wiki` } };
    },
  }),
  defineTool({
    name: 'getPagesInConfluenceSpace',
    title: 'Get pages in a Confluence space',
    description: 'List the pages of a space.',
    group: 'read',
    product: 'confluence',
    scopes: READ_PAGE,
    input: {
      cloudId: cloudIdArg,
      spaceId: z.string().min(1),
      contentType: z.enum(['page', 'blogpost']).optional(),
      status: z.enum(['current', 'archived', 'draft', 'trashed']).optional(),
      title: z.string().optional(),
      sort: z.string().optional(),
      ...listArgs,
    },
    run(a, env) {
      const { conf, siteUrl, view } = confOf(env, a.cloudId);
      const space = findSpace(conf, a.spaceId);
      const all =
        a.contentType === 'blogpost' || (a.status && a.status !== 'current')
          ? []
          : conf.pages.filter((p) => p.spaceId === space.id && (!a.title || p.title === a.title));
      if (a.sort === 'title' || a.sort === '-title') all.sort((x, y) => x.title.localeCompare(y.title) * (a.sort === '-title' ? -1 : 1));
      const { results, next } = pageSlice(all, a.limit, a.cursor);
      return {
        results: results.map((p) => view.page(p, 'none')),
        _links: { base: `${siteUrl}/wiki`, ...(next ? { next: `?cursor=${next}` } : {}) },
      };
    },
  }),
  defineTool({
    name: 'getConfluencePage',
    title: 'Get Confluence page',
    description: 'Get a Confluence page (title, version and body).',
    group: 'read',
    product: 'confluence',
    scopes: READ_PAGE,
    input: {
      cloudId: cloudIdArg,
      pageId: z.string().min(1),
      contentType: z.enum(['page', 'blogpost']).optional(),
      contentFormat: contentFormatArg,
    },
    run(a, env) {
      const { conf, view } = confOf(env, a.cloudId);
      return view.page(findPage(conf, a.pageId), formatOf(a.contentFormat));
    },
  }),
  defineTool({
    name: 'getConfluencePageDescendants',
    title: 'Get descendants of a Confluence page',
    description: 'List the child pages of a page, to a given depth.',
    group: 'read',
    product: 'confluence',
    scopes: READ_PAGE,
    input: { cloudId: cloudIdArg, pageId: z.string().min(1), depth: z.number().int().min(1).max(5).optional(), ...listArgs },
    run(a, env) {
      const { conf, siteUrl } = confOf(env, a.cloudId);
      const root = findPage(conf, a.pageId);
      const out: Array<Record<string, unknown>> = [];
      const walk = (id: string, depth: number) => {
        if (depth > (a.depth ?? 5)) return;
        conf.pages
          .filter((p) => p.parentId === id)
          .forEach((p, idx) => {
            out.push({ id: p.id, status: 'current', title: p.title, type: 'page', parentId: id, depth, childPosition: idx });
            walk(p.id, depth + 1);
          });
      };
      walk(root.id, 1);
      const { results, next } = pageSlice(out, a.limit, a.cursor);
      return { results, _links: { base: `${siteUrl}/wiki`, ...(next ? { next: `?cursor=${next}` } : {}) } };
    },
  }),
  ...(['footer', 'inline'] as const).map((kind) =>
    defineTool({
      name: kind === 'footer' ? 'getConfluencePageFooterComments' : 'getConfluencePageInlineComments',
      title: `Get ${kind} comments of a Confluence page`,
      description: `List the ${kind} comments of a page.`,
      group: 'read',
      product: 'confluence',
      scopes: READ_COMMENT,
      input: {
        cloudId: cloudIdArg,
        pageId: z.string().min(1),
        status: z.enum(['current', 'archived', 'trashed', 'deleted', 'historical', 'draft']).optional(),
        sort: z.string().optional(),
        ...listArgs,
      },
      run(a, env) {
        const { conf, siteUrl, view } = confOf(env, a.cloudId);
        const p = findPage(conf, a.pageId);
        const list = (kind === 'footer' ? p.footerComments : p.inlineComments).filter((c) => !replyParents.has(c.id));
        const { results, next } = pageSlice(a.status && a.status !== 'current' ? [] : list, a.limit, a.cursor);
        return {
          results: results.map((c) => commentJson(view, p, c, kind, 'markdown')),
          _links: { base: `${siteUrl}/wiki`, ...(next ? { next: `?cursor=${next}` } : {}) },
        };
      },
    }),
  ),
  defineTool({
    name: 'getConfluenceCommentChildren',
    title: 'Get replies to a Confluence comment',
    description: 'List the replies to a footer or inline comment.',
    group: 'read',
    product: 'confluence',
    scopes: READ_COMMENT,
    input: { cloudId: cloudIdArg, commentId: z.string().min(1), commentType: z.enum(['footer', 'inline']), ...listArgs },
    run(a, env) {
      const { conf, siteUrl, view } = confOf(env, a.cloudId);
      const parent = findComment(conf, a.commentId);
      if (parent.kind !== a.commentType) throw new ToolError(`Comment ${a.commentId} is not a ${a.commentType} comment.`);
      const list = (parent.kind === 'footer' ? parent.page.footerComments : parent.page.inlineComments).filter(
        (c) => replyParents.get(c.id) === a.commentId,
      );
      const { results, next } = pageSlice(list, a.limit, a.cursor);
      return {
        results: results.map((c) => commentJson(view, parent.page, c, parent.kind, 'markdown')),
        _links: { base: `${siteUrl}/wiki`, ...(next ? { next: `?cursor=${next}` } : {}) },
      };
    },
  }),
  defineTool({
    name: 'searchConfluenceUsingCql',
    title: 'Search Confluence with CQL',
    description: 'Search Confluence content using Confluence Query Language (CQL).',
    group: 'search',
    product: 'confluence',
    scopes: ['search:confluence'],
    input: {
      cloudId: cloudIdArg,
      cql: z.string().min(1),
      cqlcontext: z.string().optional(),
      cursor: z.string().optional(),
      expand: z.string().optional(),
      limit: z.number().int().min(1).max(250).optional(),
    },
    run(a, env) {
      const { conf, siteUrl, view } = confOf(env, a.cloudId);
      let hits: Page[];
      try {
        hits = searchPages(conf, a.cql);
      } catch (e) {
        if (e instanceof CqlError) throw new ToolError(e.message);
        throw e;
      }
      const { results, next } = pageSlice(hits, a.limit, a.cursor);
      return {
        results: results.map((p) => view.searchResult(p)),
        start: 0,
        limit: a.limit ?? 25,
        size: results.length,
        totalSize: hits.length,
        cqlQuery: a.cql,
        _links: { base: `${siteUrl}/wiki`, ...(next ? { next: `?cursor=${next}` } : {}) },
      };
    },
  }),
  defineTool({
    name: 'createConfluencePage',
    title: 'Create Confluence page',
    description: 'Create a page in a space (optionally under a parent page).',
    group: 'write',
    product: 'confluence',
    scopes: WRITE_PAGE,
    input: {
      cloudId: cloudIdArg,
      spaceId: z.string().min(1),
      body: z.string(),
      title: z.string().optional(),
      parentId: z.string().optional(),
      contentType: z.enum(['page', 'blogpost']).optional(),
      status: z.enum(['current', 'draft']).optional(),
      contentFormat: contentFormatArg,
      isPrivate: z.boolean().optional(),
      subtype: z.string().optional(),
    },
    run(a, env) {
      const { cloudId, conf, view } = confOf(env, a.cloudId, true);
      const space = findSpace(conf, a.spaceId);
      if (a.parentId) {
        const parent = findPage(conf, a.parentId);
        if (parent.spaceId !== space.id) throw new ToolError(`The parent page ${a.parentId} is not in space ${space.key}.`);
      }
      const title = a.title ?? 'Untitled';
      // Confluence refuses a second page with the same title in one space
      if (conf.pages.some((p) => p.spaceId === space.id && p.title === title))
        throw new ToolError(`A page with this title already exists: A page already exists with the same TITLE in this space`);
      const page = createPage(
        cloudId,
        { spaceId: space.id, title, body: toStorage(a.body), parentId: a.parentId ?? null, authorAccountId: env.principal.accountId },
        () => new ToolError('This site has no Confluence data.'),
      );
      return view.page(page, formatOf(a.contentFormat));
    },
  }),
  defineTool({
    name: 'updateConfluencePage',
    title: 'Update Confluence page',
    description: 'Replace the body (and optionally title, parent) of a page; bumps its version.',
    group: 'write',
    product: 'confluence',
    scopes: WRITE_PAGE,
    input: {
      cloudId: cloudIdArg,
      pageId: z.string().min(1),
      body: z.string(),
      title: z.string().optional(),
      status: z.enum(['current', 'draft']).optional(),
      spaceId: z.string().optional(),
      parentId: z.string().optional(),
      versionMessage: z.string().optional(),
      includeBody: z.boolean().optional(),
      contentFormat: contentFormatArg,
    },
    run(a, env) {
      const { cloudId, siteUrl } = confOf(env, a.cloudId, true);
      const conf = siteData(cloudId).confluence;
      const page = findPage(conf, a.pageId);
      if (a.title && a.title !== page.title && conf.pages.some((p) => p.spaceId === page.spaceId && p.title === a.title)) {
        throw new ToolError(`A page with this title already exists: A page already exists with the same TITLE in this space`);
      }
      if (a.parentId) findPage(conf, a.parentId);
      mutateConf(cloudId, (c) => {
        const p = c.pages.find((x) => x.id === page.id)!;
        p.body = toStorage(a.body);
        if (a.title) p.title = a.title;
        if (a.parentId) p.parentId = a.parentId;
        p.version += 1;
      });
      const fresh = siteData(cloudId).confluence;
      return render(env, cloudId, siteUrl).page(findPage(fresh, page.id), a.includeBody === false ? 'none' : formatOf(a.contentFormat));
    },
  }),
  ...(['footer', 'inline'] as const).map((kind) =>
    defineTool({
      name: kind === 'footer' ? 'createConfluenceFooterComment' : 'createConfluenceInlineComment',
      title: `Create ${kind} comment on a Confluence page`,
      description:
        kind === 'footer'
          ? 'Add a footer comment to a page, or reply to one.'
          : 'Add an inline comment anchored to a text selection, or reply to one.',
      group: 'write',
      product: 'confluence',
      scopes: WRITE_COMMENT,
      input: {
        cloudId: cloudIdArg,
        body: z.string().min(1),
        pageId: z.string().optional(),
        parentCommentId: z.string().optional(),
        contentFormat: contentFormatArg,
        ...(kind === 'inline'
          ? {
              inlineCommentProperties: z
                .object({
                  textSelection: z.string(),
                  textSelectionMatchCount: z.number().int().min(1),
                  textSelectionMatchIndex: z.number().int().min(0),
                })
                .optional(),
            }
          : {}),
      },
      run(a, env) {
        const { cloudId, view } = confOf(env, a.cloudId, true);
        const conf = siteData(cloudId).confluence;
        let page: Page;
        if (a.parentCommentId) {
          const parent = findComment(conf, a.parentCommentId);
          if (parent.kind !== kind) throw new ToolError(`Comment ${a.parentCommentId} is not a ${kind} comment.`);
          page = parent.page;
        } else if (a.pageId) {
          page = findPage(conf, a.pageId);
          if (kind === 'inline') {
            const props = (a as { inlineCommentProperties?: { textSelection: string } }).inlineCommentProperties;
            if (!props) throw new ToolError('inlineCommentProperties is required for a new inline comment.');
            if (!stripTags(page.body).includes(props.textSelection))
              throw new ToolError(`The text selection ${JSON.stringify(props.textSelection)} was not found on the page.`);
          }
        } else throw new ToolError('Provide pageId (new comment) or parentCommentId (reply).');
        const comment: Comment = { id: nextId(allCommentIds(conf)), body: toStorage(a.body), authorAccountId: env.principal.accountId };
        mutateConf(cloudId, (c) => {
          const p = c.pages.find((x) => x.id === page.id)!;
          (kind === 'footer' ? p.footerComments : p.inlineComments).push(comment);
        });
        if (a.parentCommentId) replyParents.set(comment.id, a.parentCommentId);
        return commentJson(view, page, comment, kind, a.contentFormat);
      },
    }),
  ),
];
