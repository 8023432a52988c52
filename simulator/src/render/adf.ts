/**
 * Rich text, one way for REST and MCP. The world stores plain text (Jira descriptions and comments) or Confluence
 * storage format (page and comment bodies); responses render it as Atlassian Document Format (Jira REST v3,
 * Confluence `atlas_doc_format`), as storage, or as plain text where an MCP caller asks for markdown. Paragraphs are
 * separated by a blank line in plain text and are one `paragraph` node each in ADF, so text → ADF → text round-trips.
 */

export interface AdfDoc {
  type: 'doc';
  version: 1;
  content: Array<{ type: 'paragraph'; content: Array<{ type: 'text'; text: string }> }>;
}

/** Plain text → ADF: one paragraph per blank-line-separated block; empty text is one empty paragraph. */
export function adf(text: string): AdfDoc {
  const blocks = text === '' ? [''] : text.split(/\n{2,}/);
  return {
    type: 'doc',
    version: 1,
    content: blocks.map((p) => ({ type: 'paragraph', content: p === '' ? [] : [{ type: 'text', text: p }] })),
  };
}

/** ADF node → plain text: text nodes concatenated, a blank line after each paragraph (trimmed at the end). */
export function adfToText(node: unknown): string {
  const parts: string[] = [];
  const walk = (n: unknown): void => {
    if (!n || typeof n !== 'object') return;
    const o = n as { text?: unknown; content?: unknown; type?: unknown };
    if (typeof o.text === 'string') parts.push(o.text);
    if (Array.isArray(o.content)) {
      for (const c of o.content) walk(c);
      if (o.type === 'paragraph') parts.push('\n\n');
    }
  };
  walk(node);
  return parts.join('').trim();
}

/** A request's rich-text body → the plain text the world stores: an ADF object, ADF as a JSON string, or plain/markdown. */
export function bodyText(body: unknown): string {
  if (typeof body === 'string') {
    const t = body.trim();
    if (t.startsWith('{')) {
      try {
        return adfToText(JSON.parse(t));
      } catch {
        return body;
      }
    }
    return body;
  }
  return adfToText(body);
}

/** Storage format (XHTML) → plain text. */
export function stripTags(html: string): string {
  return html.replace(/<[^>]+>/g, '').trim();
}

/** Plain text → storage format: one `<p>` per blank-line-separated block, HTML-escaped. */
export function toStorage(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((p) => `<p>${p.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</p>`)
    .join('');
}

/** Which representation a caller asked for: ADF (REST v3 default), storage, plain text (MCP "markdown"), or none. */
export type BodyFormat = 'adf' | 'storage' | 'markdown' | 'none';

/** A Confluence body (storage in the world) in the v2 `body` object shape, or plain text for markdown. */
export function confluenceBody(storage: string, format: BodyFormat): unknown {
  switch (format) {
    case 'storage':
      return { storage: { representation: 'storage', value: storage } };
    case 'adf':
      return { atlas_doc_format: { representation: 'atlas_doc_format', value: JSON.stringify(adf(stripTags(storage))) } };
    case 'markdown':
      return stripTags(storage);
    case 'none':
      return {};
  }
}
