/**
 * Pictures of a run, self-contained (inline SVG and CSS, no script, no external resource, so they open offline from
 * a ticket or a zip):
 *  - `scope-site-matrix.html`: per account, one row per scope and one column per site; each cell coloured by result
 *    (passed, failed, skipped), with the outcome's category letter and a tooltip (SVG <title>) naming the test, the
 *    outcome, the call and its atl-traceid; the cell links to its evidence attachment.
 *  - `mcp-matrix.html`: MCP tool × (endpoint, auth mode), the same cells.
 *  - `trend.svg`: every night of `history/trend.jsonl` (365 and more): pass rate as a line, failures per category as
 *    stacked bars, each red night's top cause on hover.
 *  - `summary.md`: the same matrices as Markdown tables (the CI job summary) and the causes table.
 * scripts/report.ts writes them under `<reportsDir>/pictures/` and attaches them to the Allure report.
 */
import path from 'node:path';
import { CATEGORIES } from '../../fixtures/core/categories.ts';
import type { EvidenceRecord } from '../../fixtures/core/evidence.ts';
import { redact } from '../../fixtures/core/redact.ts';
import { type Cause, type CauseContext, categoryInfoOf } from './causes.ts';
import type { TrendLine } from './history.ts';
import { isFailure, type TestSummary } from './results.ts';

export type CellState = 'pass' | 'fail' | 'skip';
export const CELL_COLOURS: Record<CellState, string> = { pass: '#2e7d32', fail: '#c62828', skip: '#9e9e9e' };

const CODES = Object.keys(CATEGORIES);
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** One letter per category code (its position in fixtures/core/categories.ts); `?` for none or an unknown code. */
export function categoryLetter(code: string | undefined): string {
  const i = code ? CODES.indexOf(code) : -1;
  return i >= 0 && i < LETTERS.length ? LETTERS[i]! : '?';
}

export function stateOf(t: TestSummary): CellState {
  return isFailure(t.status) ? 'fail' : t.status === 'passed' ? 'pass' : 'skip';
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

interface MatrixCell {
  test: TestSummary;
  state: CellState;
  letter: string;
  tooltip: string;
  /** relative link to the evidence attachment (from the pictures folder) */
  href?: string;
}

export interface Matrix {
  title: string;
  rows: string[];
  cols: string[];
  cells: Map<string, MatrixCell>;
}

function cellFor(t: TestSummary, ev: readonly EvidenceRecord[], linkBase: string | undefined): MatrixCell {
  const rec = ev.find((r) => r.category && !categoryInfoOf(r.category)?.ok) ?? ev.at(-1);
  const outcome = t.outcome ?? rec?.category;
  const evidence = t.attachments.find((a) => a.name.startsWith('evidence: '));
  const tooltip = [
    t.fullName,
    `${t.status}; outcome ${outcome ?? '(none)'}${t.expected ? `, expected ${t.expected}` : ''}`,
    rec ? `${rec.operation}${rec.status ? ` → HTTP ${rec.status}` : ''}${rec.traceId ? `, atl-traceid ${rec.traceId}` : ''}` : '',
    evidence ? `evidence: ${path.basename(evidence.file)}` : 'no call evidence recorded',
  ]
    .filter(Boolean)
    .join('\n');
  return {
    test: t,
    state: stateOf(t),
    // a pass that labelled no outcome (most MCP tool calls) is a plain tick, not an unknown
    letter: outcome === undefined && t.status === 'passed' ? '✓' : categoryLetter(outcome),
    tooltip: redact(tooltip),
    href: evidence && linkBase !== undefined ? `${linkBase}/${path.basename(evidence.file)}` : undefined,
  };
}

const key = (r: string, c: string) => `${r}\u0000${c}`;

/** Per account: scope × site, from the REST suites' parameters (account, site, scope). */
export function scopeSiteMatrices(tests: readonly TestSummary[], ctx: CauseContext, linkBase?: string): Matrix[] {
  const byAccount = new Map<string, Matrix>();
  for (const t of tests) {
    const { account, scope } = t.parameters;
    if (!account || !scope) continue;
    const site = t.parameters.site ?? '(account-level)';
    let m = byAccount.get(account);
    if (!m) {
      m = { title: `${account}: scope × site`, rows: [], cols: [], cells: new Map() };
      byAccount.set(account, m);
    }
    if (!m.rows.includes(scope)) m.rows.push(scope);
    if (!m.cols.includes(site)) m.cols.push(site);
    m.cells.set(key(scope, site), cellFor(t, ctx.evidence.get(t) ?? [], linkBase));
  }
  for (const m of byAccount.values()) {
    m.rows.sort();
    m.cols.sort((a, b) => (a.startsWith('(') ? -1 : b.startsWith('(') ? 1 : a.localeCompare(b)));
  }
  return [...byAccount.values()].sort((a, b) => a.title.localeCompare(b.title));
}

function mcpEndpointOf(ev: readonly EvidenceRecord[]): string {
  for (const r of ev) {
    if (r.surface !== 'mcp' || !r.url) continue;
    if (r.url.startsWith('/')) return r.url.split('?')[0]!;
    try {
      return new URL(r.url).pathname;
    } catch {
      // not a URL: try the next record
    }
  }
  return '–';
}

/** MCP tool × (endpoint, auth mode) from the MCP suites' labels (tool, authMode) and the calls' URLs. */
export function mcpMatrix(tests: readonly TestSummary[], ctx: CauseContext, linkBase?: string): Matrix | undefined {
  const m: Matrix = { title: 'MCP tool × endpoint × auth mode', rows: [], cols: [], cells: new Map() };
  for (const t of tests) {
    const tool = t.labels.tool?.[0];
    if (!tool) continue;
    const ev = ctx.evidence.get(t) ?? [];
    const col = `${mcpEndpointOf(ev)} · ${t.labels.authMode?.[0] ?? '–'}${t.labels.account?.[0] ? ` · ${t.labels.account[0]}` : ''}`;
    if (!m.rows.includes(tool)) m.rows.push(tool);
    if (!m.cols.includes(col)) m.cols.push(col);
    m.cells.set(key(tool, col), cellFor(t, ev, linkBase));
  }
  m.rows.sort();
  m.cols.sort();
  return m.rows.length ? m : undefined;
}

function legend(matrices: readonly Matrix[]): string {
  const used = new Set<string>();
  for (const m of matrices) for (const c of m.cells.values()) used.add(c.letter);
  const codes = CODES.filter((c) => used.has(categoryLetter(c)));
  const extra = [
    used.has('✓') ? '<li><b>✓</b> passed, no outcome code recorded</li>' : '',
    used.has('?') ? '<li><b>?</b> no outcome code recorded</li>' : '',
  ];
  return [...codes.map((c) => `<li><b>${categoryLetter(c)}</b> ${esc(c)}: ${esc(categoryInfoOf(c)?.title ?? '')}</li>`), ...extra].join('');
}

const CELL = 22;
function matrixSvg(m: Matrix): string {
  const labelW = Math.min(360, 8 + 7 * Math.max(...m.rows.map((r) => r.length), 4));
  const headH = Math.min(220, 10 + 6.5 * Math.max(...m.cols.map((c) => c.length), 4));
  const w = labelW + CELL * m.cols.length + 90; // room for the last rotated column label
  const h = headH + CELL * m.rows.length + 10;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${esc(m.title)}">`,
  ];
  m.cols.forEach((c, j) => {
    const x = labelW + j * CELL + CELL / 2;
    parts.push(`<text class="col" transform="translate(${x},${headH - 4}) rotate(-60)">${esc(c)}</text>`);
  });
  m.rows.forEach((r, i) => {
    const y = headH + i * CELL;
    parts.push(`<text class="row" x="${labelW - 6}" y="${y + CELL * 0.7}" text-anchor="end">${esc(r)}</text>`);
    m.cols.forEach((c, j) => {
      const cell = m.cells.get(key(r, c));
      const x = labelW + j * CELL;
      if (!cell) {
        parts.push(
          `<rect class="empty" x="${x + 1}" y="${y + 1}" width="${CELL - 2}" height="${CELL - 2}" fill="#ffffff" stroke="#e0e0e0"/>`,
        );
        return;
      }
      const body =
        `<rect class="cell" data-state="${cell.state}" x="${x + 1}" y="${y + 1}" width="${CELL - 2}" height="${CELL - 2}" fill="${CELL_COLOURS[cell.state]}"><title>${esc(cell.tooltip)}</title></rect>` +
        `<text class="letter" x="${x + CELL / 2}" y="${y + CELL * 0.7}" text-anchor="middle">${esc(cell.letter)}</text>`;
      parts.push(cell.href ? `<a href="${esc(cell.href)}" target="_blank">${body}</a>` : body);
    });
  });
  parts.push('</svg>');
  return parts.join('');
}

const STYLE =
  'body{font:13px system-ui,sans-serif;margin:16px;color:#212121}h1{font-size:18px}h2{font-size:15px;margin-top:24px}' +
  'svg text{font:11px system-ui,sans-serif}svg text.letter{fill:#fff;font-weight:600;pointer-events:none}' +
  'ul.legend{columns:2;list-style:none;padding:0}.key span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}';

function page(title: string, matrices: readonly Matrix[], intro: string): string {
  const counts = { pass: 0, fail: 0, skip: 0 };
  for (const m of matrices) for (const c of m.cells.values()) counts[c.state]++;
  const key = (['pass', 'fail', 'skip'] as const)
    .map(
      (s) =>
        `<span style="background:${CELL_COLOURS[s]}"></span>${s === 'pass' ? 'passed' : s === 'fail' ? 'failed' : 'skipped'} <b data-count="${s}">${counts[s]}</b>`,
    )
    .join('');
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>${esc(title)}</title><style>${STYLE}</style></head><body>`,
    `<h1>${esc(title)}</h1><p>${esc(intro)}</p><p class="key">${key}</p>`,
    ...matrices.map((m) => `<h2>${esc(m.title)}</h2>${matrixSvg(m)}`),
    matrices.length ? `<h2>Category letters</h2><ul class="legend">${legend(matrices)}</ul>` : '<p>No cells in this run.</p>',
    '</body></html>',
  ].join('\n');
}

export function scopeSiteHtml(matrices: readonly Matrix[]): string {
  return page(
    'Scope × site per account',
    matrices,
    'One cell per REST probe: colour = result, letter = outcome category; hover for the test, call and atl-traceid; click for the evidence.',
  );
}

export function mcpHtml(matrix: Matrix | undefined): string {
  return page(
    'MCP tool × endpoint × auth mode',
    matrix ? [matrix] : [],
    'One cell per MCP tool call: colour = result, letter = outcome category; hover for the test, call and atl-traceid.',
  );
}

/** Every night of the trend file; nights recorded before causes were kept show "(not recorded)" as top cause. */
export function trendSvg(lines: readonly TrendLine[]): string {
  const W = 960;
  const H = 320;
  const padL = 44;
  const padB = 36;
  const padT = 24;
  const n = Math.max(lines.length, 1);
  const plotW = W - padL - 16;
  const plotH = H - padT - padB;
  const step = plotW / n;
  const maxFail = Math.max(1, ...lines.map((l) => l.counts.failed + l.counts.broken));
  const palette = ['#c62828', '#ef6c00', '#6a1b9a', '#1565c0', '#00838f', '#558b2f', '#5d4037', '#ad1457'];
  const cats = [...new Set(lines.flatMap((l) => Object.keys(l.categories ?? {})))].sort();
  const colour = (c: string) => palette[cats.indexOf(c) % palette.length]!;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="Long-term trend">`,
    `<style>text{font:11px system-ui,sans-serif;fill:#424242}.night:hover{opacity:.75}</style>`,
    `<text x="${padL}" y="14">Pass rate (line, left axis %) and failures per category (bars) over ${lines.length} night${lines.length === 1 ? '' : 's'}; hover a night for its top cause</text>`,
    `<line x1="${padL}" y1="${padT + plotH}" x2="${W - 16}" y2="${padT + plotH}" stroke="#9e9e9e"/>`,
    `<text x="4" y="${padT + 8}">100%</text><text x="4" y="${padT + plotH}">0%</text>`,
  ];
  const points: string[] = [];
  lines.forEach((l, i) => {
    const x = padL + i * step;
    const failed = l.counts.failed + l.counts.broken;
    const rate = l.counts.total ? l.counts.passed / l.counts.total : 0;
    points.push(`${(x + step / 2).toFixed(1)},${(padT + plotH * (1 - rate)).toFixed(1)}`);
    const tip = [
      `${l.at.slice(0, 16).replace('T', ' ')} UTC${l.commit ? ` (${l.commit})` : ''}`,
      `${l.counts.passed}/${l.counts.total} passed (${(100 * rate).toFixed(1)}%), ${failed} failed`,
      failed ? `top cause: ${l.topCause ?? '(not recorded)'}` : 'green night',
    ].join('\n');
    const red = failed > 0;
    let y = padT + plotH;
    const bars: string[] = [];
    const byCat = Object.entries(l.categories ?? {});
    const unaccounted = failed - byCat.reduce((s, [, v]) => s + v, 0);
    for (const [c, v] of [...byCat, ...(unaccounted > 0 ? [['other', unaccounted] as const] : [])]) {
      const h = (plotH * 0.6 * v) / maxFail;
      y -= h;
      bars.push(
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(step - 0.5, 0.5).toFixed(2)}" height="${h.toFixed(1)}" fill="${c === 'other' ? '#e57373' : colour(c)}"/>`,
      );
    }
    parts.push(
      `<g class="night" data-red="${red}" data-failed="${failed}"><rect x="${x.toFixed(1)}" y="${padT}" width="${Math.max(step, 0.5).toFixed(2)}" height="${plotH}" fill="${red ? '#ffebee' : '#ffffff'}" fill-opacity="${red ? 0.6 : 0}"/>${bars.join('')}<title>${esc(redact(tip))}</title></g>`,
    );
  });
  if (points.length) parts.push(`<polyline fill="none" stroke="#2e7d32" stroke-width="1.5" points="${points.join(' ')}"/>`);
  const first = lines[0];
  const last = lines.at(-1);
  if (first && last)
    parts.push(
      `<text x="${padL}" y="${H - 12}">${esc(first.at.slice(0, 10))}</text><text x="${W - 16}" y="${H - 12}" text-anchor="end">${esc(last.at.slice(0, 10))}</text>`,
    );
  let lx = padL + 150;
  for (const c of cats) {
    parts.push(
      `<rect x="${lx}" y="${H - 22}" width="10" height="10" fill="${colour(c)}"/><text x="${lx + 14}" y="${H - 13}">${esc(c)}</text>`,
    );
    lx += 30 + 6.5 * c.length;
  }
  parts.push(`<text x="${W - 16}" y="${padT + plotH * 0.4 - 4}" text-anchor="end">bars: ${maxFail} failed at full height</text>`);
  parts.push('</svg>');
  return parts.join('');
}

function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function matrixMarkdown(m: Matrix): string[] {
  const mark = (c: MatrixCell | undefined) => (c ? `${c.state === 'pass' ? '✅' : c.state === 'fail' ? '❌' : '⏭️'} ${c.letter}` : '');
  return [
    `#### ${mdCell(m.title)}`,
    '',
    `| | ${m.cols.map(mdCell).join(' | ')} |`,
    `|---|${m.cols.map(() => '---').join('|')}|`,
    ...m.rows.map((r) => `| ${mdCell(r)} | ${m.cols.map((c) => mark(m.cells.get(key(r, c)))).join(' | ')} |`),
    '',
  ];
}

/** The CI job summary: verdict, causes, and the matrices as tables. */
export function summaryMarkdown(opts: {
  verdict: string;
  causes: readonly Cause[];
  scopeSite: readonly Matrix[];
  mcp?: Matrix;
  examples?: number;
}): string {
  const lines = [`### ${mdCell(opts.verdict)}`, ''];
  if (opts.causes.length) {
    lines.push('| # | cause (category · account · site · family) | cells | regressed | new | still failing | drift | remediation | e.g. |');
    lines.push('|---|---|---|---|---|---|---|---|---|');
    opts.causes.forEach((c, i) => {
      const eg = c.cells
        .slice(0, opts.examples ?? 3)
        .map((x) => x.test.name)
        .join('; ');
      lines.push(
        `| ${i + 1} | ${mdCell(c.label)} | ${c.cells.length} | ${c.counts.regressed} | ${c.counts.newFailure} | ${c.counts.stillFailing} | ${c.counts.drift} | ${mdCell(c.remediation)} | ${mdCell(redact(eg))} |`,
      );
    });
    lines.push('');
  }
  for (const m of opts.scopeSite) lines.push(...matrixMarkdown(m));
  if (opts.mcp) lines.push(...matrixMarkdown(opts.mcp));
  const used = new Set<string>();
  for (const m of [...opts.scopeSite, ...(opts.mcp ? [opts.mcp] : [])]) for (const c of m.cells.values()) used.add(c.letter);
  const legendCodes = CODES.filter((c) => used.has(categoryLetter(c)));
  if (legendCodes.length) lines.push(`Letters: ${legendCodes.map((c) => `**${categoryLetter(c)}** ${c}`).join(', ')}`, '');
  return lines.join('\n');
}

/** The cell counts by state over matrices (what the browser test counts by colour). */
export function countStates(matrices: readonly Matrix[]): Record<CellState, number> {
  const counts = { pass: 0, fail: 0, skip: 0 };
  for (const m of matrices) for (const c of m.cells.values()) counts[c.state]++;
  return counts;
}
