/**
 * Confluence writes, one path for the REST gateway (v2 and v1 create) and the MCP tools: ids are allocated the same
 * way and the change is visible to both surfaces at once.
 */
import type { ConfPage } from '../render/confluence.ts';
import { updateWorld } from '../state/world.ts';
import { nextId } from './ids.ts';

export type NewPage = Pick<ConfPage, 'spaceId' | 'title' | 'body' | 'parentId' | 'authorAccountId'>;

/** A new page, version 1, no comments; `missing` is thrown when the site has no product data. */
export function createPage(cloudId: string, fields: NewPage, missing: () => Error): ConfPage {
  let page: ConfPage | undefined;
  updateWorld((w) => {
    const d = w.data[cloudId];
    if (!d) throw missing();
    page = {
      ...fields,
      id: nextId(d.confluence.pages.map((p) => p.id)),
      version: 1,
      footerComments: [],
      inlineComments: [],
      attachments: [],
      properties: [],
    };
    d.confluence.pages.push(page);
  });
  return page!;
}
