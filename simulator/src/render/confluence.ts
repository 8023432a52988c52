/**
 * Confluence REST v2 and v1 JSON of the world's product data — the one serializer per object for the REST gateway
 * and the MCP Confluence tools. Field names follow the Confluence OpenAPI documents (docs/reference/atlassian-oauth.md
 * [34][35]); `_links.base` is the site's own wiki URL, API `self` links point at the gateway.
 */
import type { SiteData } from '../world.ts';
import { type BodyFormat, confluenceBody, stripTags } from './adf.ts';

export type ConfPage = SiteData['confluence']['pages'][number];
export type ConfSpace = SiteData['confluence']['spaces'][number];
export type ConfComment = ConfPage['footerComments'][number];
export type CommentKind = 'footer' | 'inline';

/** Fixed timestamps: the world has none, and stable values keep responses diffable. */
export const CREATED = '2025-01-06T09:00:00.000Z';

export class ConfluenceRender {
  constructor(
    /** the gateway's public base URL */
    readonly base: string,
    readonly cloudId: string,
    /** the site URL (`https://acme.atlassian.net`) */
    readonly siteUrl: string,
    readonly data: SiteData,
  ) {}

  /** `<api>/ex/confluence/<cloudId>/wiki`: where API `self` links point */
  get wiki(): string {
    return `${this.base}/ex/confluence/${this.cloudId}/wiki`;
  }

  /** `_links.base` of real responses: the site's own wiki */
  get siteWiki(): string {
    return `${this.siteUrl.replace(/\/$/, '')}/wiki`;
  }

  spaceKey(spaceId: string): string {
    return this.data.confluence.spaces.find((s) => s.id === spaceId)?.key ?? spaceId;
  }

  homepageId(s: ConfSpace): string | null {
    return this.data.confluence.pages.find((p) => p.spaceId === s.id && p.parentId === null)?.id ?? null;
  }

  /** v2 page; `format` picks the body representation ('none' = `body: {}` as without `body-format`). */
  page(p: ConfPage, format: BodyFormat = 'none'): Record<string, unknown> {
    return {
      id: p.id,
      status: 'current',
      title: p.title,
      spaceId: p.spaceId,
      parentId: p.parentId,
      parentType: p.parentId ? 'page' : null,
      position: 0,
      authorId: p.authorAccountId,
      ownerId: p.authorAccountId,
      lastOwnerId: null,
      createdAt: CREATED,
      version: { createdAt: CREATED, message: '', number: p.version, minorEdit: false, authorId: p.authorAccountId },
      body: confluenceBody(p.body, format),
      _links: {
        webui: `/spaces/${this.spaceKey(p.spaceId)}/pages/${p.id}`,
        editui: `/pages/resumedraft.action?draftId=${p.id}`,
        tinyui: `/x/${p.id}`,
        base: this.siteWiki,
      },
    };
  }

  /**
   * v2 space. The world records no space creator: `authorId` is the homepage's author (the space's first page), and
   * both `authorId` and `homepageId` are left out for a space without pages (the schema allows absent, not null;
   * simulator/docs/rest.md "Contract tests").
   */
  space(s: ConfSpace): Record<string, unknown> {
    const homepageId = this.homepageId(s);
    const author = this.data.confluence.pages.find((p) => p.id === homepageId)?.authorAccountId;
    return {
      id: s.id,
      key: s.key,
      name: s.name,
      type: s.type,
      status: 'current',
      ...(author ? { authorId: author } : {}),
      createdAt: CREATED,
      ...(homepageId ? { homepageId } : {}),
      description: null,
      icon: null,
      _links: { webui: `/spaces/${s.key}` },
    };
  }

  /** v2 footer or inline comment; `parentCommentId` for a reply. */
  comment(p: ConfPage, c: ConfComment, kind: CommentKind, format: BodyFormat = 'none', parentCommentId?: string): Record<string, unknown> {
    return {
      id: c.id,
      status: 'current',
      title: `Re: ${p.title}`,
      pageId: p.id,
      ...(parentCommentId ? { parentCommentId } : {}),
      version: { createdAt: CREATED, message: '', number: 1, minorEdit: false, authorId: c.authorAccountId },
      body: confluenceBody(c.body, format),
      ...(kind === 'inline' ? { resolutionStatus: 'open' } : {}),
      _links: { webui: `/spaces/${this.spaceKey(p.spaceId)}/pages/${p.id}?focusedCommentId=${c.id}` },
    };
  }

  /** v2 attachment */
  attachment(p: ConfPage, a: ConfPage['attachments'][number]): Record<string, unknown> {
    return {
      id: a.id,
      status: 'current',
      title: a.title,
      createdAt: CREATED,
      pageId: p.id,
      mediaType: a.mediaType,
      mediaTypeDescription: a.mediaType,
      comment: '',
      fileId: a.id.replace(/^att/, ''),
      fileSize: a.fileSize,
      webuiLink: `/pages/viewpageattachments.action?pageId=${p.id}`,
      downloadLink: `/download/attachments/${p.id}/${encodeURIComponent(a.title)}`,
      version: { createdAt: CREATED, message: '', number: 1, minorEdit: false, authorId: p.authorAccountId },
      _links: {
        webui: `/pages/viewpageattachments.action?pageId=${p.id}`,
        download: `/download/attachments/${p.id}/${encodeURIComponent(a.title)}`,
      },
    };
  }

  /** v1 content (page) */
  content(p: ConfPage): Record<string, unknown> {
    const space = this.data.confluence.spaces.find((s) => s.id === p.spaceId);
    return {
      id: p.id,
      type: 'page',
      status: 'current',
      title: p.title,
      space: space ? this.v1Space(space) : undefined,
      version: { number: p.version, when: CREATED, minorEdit: false, by: { type: 'known', accountId: p.authorAccountId } },
      _links: { webui: `/spaces/${space?.key ?? ''}/pages/${p.id}`, self: `${this.wiki}/rest/api/content/${p.id}`, tinyui: `/x/${p.id}` },
      _expandable: {
        body: '',
        ancestors: '',
        children: `/rest/api/content/${p.id}/child`,
        restrictions: `/rest/api/content/${p.id}/restriction/byOperation`,
      },
    };
  }

  /** v1 space, as embedded in content (`_expandable` lists what `expand=space.…` would add) */
  v1Space(s: ConfSpace): Record<string, unknown> {
    return {
      id: Number(s.id),
      key: s.key,
      name: s.name,
      type: s.type,
      status: 'current',
      _expandable: {
        settings: `/rest/api/space/${s.key}/settings`,
        metadata: '',
        operations: '',
        lookAndFeel: `/rest/api/settings/lookandfeel?spaceKey=${s.key}`,
        identifiers: '',
        permissions: '',
        icon: '',
        description: '',
        theme: `/rest/api/space/${s.key}/theme`,
        history: '',
        homepage: '',
      },
      _links: { webui: `/spaces/${s.key}`, self: `${this.wiki}/rest/api/space/${s.key}` },
    };
  }

  /** one v1 `/wiki/rest/api/search` result (also what the MCP CQL search returns) */
  searchResult(p: ConfPage): Record<string, unknown> {
    const key = this.spaceKey(p.spaceId);
    return {
      content: this.content(p),
      title: p.title,
      excerpt: stripTags(p.body).slice(0, 200),
      url: `/spaces/${key}/pages/${p.id}`,
      resultGlobalContainer: {
        title: this.data.confluence.spaces.find((s) => s.id === p.spaceId)?.name ?? '',
        displayUrl: `/spaces/${key}`,
      },
      breadcrumbs: [],
      entityType: 'content',
      iconCssClass: 'aui-icon content-type-page',
      lastModified: CREATED,
      friendlyLastModified: 'Jan 06, 2025',
      score: 1,
    };
  }
}
