/**
 * The one CQL engine, used by REST `/wiki/rest/api/search` and the MCP `searchConfluenceUsingCql` tool. A small
 * subset (simulator/docs/rest.md "CQL"): clauses joined by AND; fields type, space|space.key, title, text, id,
 * ancestor, parent; operators = != ~ !~; values quoted or bare; ORDER BY is accepted and ignored [sim]. Anything
 * else is a CqlError "Could not parse cql : <query>" (Confluence's wording).
 */

import { stripTags } from '../render/adf.ts';
import type { SiteData } from '../world.ts';

type Conf = SiteData['confluence'];
type Page = Conf['pages'][number];

export class CqlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CqlError';
  }
}

interface CqlClause {
  field: string;
  op: '=' | '!=' | '~' | '!~';
  value: string;
}

const FIELDS = new Set(['type', 'space', 'space.key', 'title', 'text', 'id', 'ancestor', 'parent']);

export function parseCql(cql: string): CqlClause[] {
  const body = cql.replace(/\border\s+by\b[\s\S]*$/i, '').trim();
  if (body === '') return [];
  return body.split(/\s+and\s+/i).map((part) => {
    const m = /^\s*([a-zA-Z.]+)\s*(!=|=|!~|~)\s*(?:"([^"]*)"|'([^']*)'|(\S+))\s*$/.exec(part);
    if (!m) throw new CqlError(`Could not parse cql : ${cql}`);
    const field = m[1]!.toLowerCase();
    if (!FIELDS.has(field)) throw new CqlError(`Could not parse cql : ${cql} (unsupported field '${m[1]}')`);
    return { field, op: m[2] as CqlClause['op'], value: m[3] ?? m[4] ?? m[5] ?? '' };
  });
}

function matches(conf: Conf, p: Page, c: CqlClause): boolean {
  const space = conf.spaces.find((s) => s.id === p.spaceId);
  let have: string[];
  switch (c.field) {
    case 'type':
      have = ['page'];
      break;
    case 'space':
    case 'space.key':
      have = [space?.key ?? '', p.spaceId];
      break;
    case 'title':
      have = [p.title];
      break;
    case 'text':
      have = [`${p.title} ${stripTags(p.body)}`];
      break;
    case 'id':
      have = [p.id];
      break;
    default: {
      // ancestor: every page above; parent: the one directly above
      const chain: string[] = [];
      let cur = p.parentId;
      while (cur) {
        chain.push(cur);
        if (c.field === 'parent') break;
        cur = conf.pages.find((x) => x.id === cur)?.parentId ?? null;
      }
      have = chain;
    }
  }
  const v = c.value.toLowerCase();
  const lower = have.map((h) => h.toLowerCase());
  if (c.op === '=') return lower.includes(v);
  if (c.op === '!=') return !lower.includes(v);
  const contains = lower.some((h) => h.includes(v.replace(/\*/g, '')));
  return c.op === '~' ? contains : !contains;
}

/** The pages a CQL query selects, in world order. Throws CqlError. */
export function searchPages(conf: Conf, cql: string): Page[] {
  const clauses = parseCql(cql);
  return conf.pages.filter((p) => clauses.every((c) => matches(conf, p, c)));
}
