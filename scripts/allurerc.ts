/**
 * Allure 3 configuration (loaded by the `allure` CLI through jiti, so it may import the shared categories table).
 * scripts/report.ts runs `allure generate --config scripts/allurerc.ts` and passes the per-run values through
 * HARNESS_ALLURE_* variables; run by hand, it falls back to the paths under reports/:
 *
 *   npx allure generate --config scripts/allurerc.ts reports/allure-results
 *
 * docs/reference/allure-playwright.md §1: allowed keys only (unknown keys are an error); history = one JSONL file at historyPath,
 * capped by historyLimit; categories: first match wins; Awesome `singleFile: true` gives one self-contained HTML.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AllureConfig, defineConfig } from 'allure';
import { CATEGORIES, type CategoryInfo } from '../fixtures/core/categories.ts';
import { reportsDir } from '../fixtures/core/config.ts';
import { type CausesFile, causeFingerprint } from './lib/cause-fingerprint.ts';

type CategoryRules = Extract<NonNullable<AllureConfig['categories']>, unknown[]>;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const reports = reportsDir(process.env, root);
const env = (name: string): string | undefined => {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
};

const SURFACE_LABEL: Record<CategoryInfo['surface'], string> = {
  consent: 'Consent',
  token: 'Tokens',
  rest: 'REST',
  sites: 'Sites',
  mcp: 'MCP',
  config: 'Config',
};

function readCauses(file: string | undefined): CausesFile | undefined {
  if (!file) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as CausesFile;
  } catch {
    return undefined; // no causes file: the per-code categories below still group every failure
  }
}

/**
 * One Allure category per cause (scripts/lib/causes.ts: category, account, site, family), named with the cause and
 * its cell count, in the order report.ts found them (largest first); Allure's category view shows each with its
 * tests. The remediation is in the name's category title and in the gate table.
 */
export function causeCategories(file = env('HARNESS_ALLURE_CAUSES')): CategoryRules {
  const causes = readCauses(file);
  if (!causes) return [];
  return causes.causes.map((c) => ({
    id: c.id,
    name: `${c.name}. Fix: ${c.remediation}`,
    matchers: (d) => causes.byFingerprint[causeFingerprint(d.status, d.labels, d.message)] === c.id,
    groupBy: ['transition'],
  }));
}

/** One Allure category per failure code of the shared table; a test lands in it through its `outcome` label. */
export function harnessCategories(): CategoryRules {
  const rules: CategoryRules = [
    ...causeCategories(),
    {
      id: 'drift-from-expectations',
      name: 'Drift from expectations (outcome ≠ expected)',
      // the gate fails on these too; grouped by what was observed
      matchers: (d) => {
        const expected = d.labels.find((l) => l.name === 'expected')?.value;
        const outcome = d.labels.find((l) => l.name === 'outcome')?.value;
        return expected !== undefined && outcome !== undefined && !expected.split('|').includes(outcome);
      },
      groupBy: [{ label: 'expected' }, { label: 'outcome' }],
      expand: true,
    },
  ];
  for (const [code, info] of Object.entries(CATEGORIES) as Array<[string, CategoryInfo]>) {
    if (info.ok) continue;
    rules.push({
      id: `outcome-${code}`,
      name: `${SURFACE_LABEL[info.surface]} · ${code}: ${info.title}`,
      matchers: { labels: { outcome: code }, statuses: ['failed', 'broken'] },
      groupBy: ['transition'],
    });
  }
  rules.push(
    { id: 'regressed-unclassified', name: 'Regressed (passed last run, no outcome code)', matchers: { transitions: ['regressed'] } },
    { id: 'product-unclassified', name: 'Failed without an outcome code', matchers: { statuses: ['failed'] } },
    { id: 'test-errors', name: 'Test errors (broken: the harness itself threw)', matchers: { statuses: ['broken'] } },
  );
  return rules;
}

function variables(): Record<string, string> {
  const raw = env('HARNESS_ALLURE_VARIABLES');
  if (!raw) return {};
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (parsed && typeof parsed === 'object') {
      return Object.fromEntries(Object.entries(parsed as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    }
  } catch {
    // a malformed value only loses the environment block; report.ts always writes valid JSON
  }
  return {};
}

const historyLimit = Number(env('HARNESS_ALLURE_HISTORY_LIMIT') ?? 12);
/** a JSON array of files, or one file */
function globalAttachments(): string[] {
  const raw = env('HARNESS_ALLURE_GLOBAL_ATTACHMENTS');
  if (!raw) return [];
  if (!raw.startsWith('[')) return [raw];
  try {
    return (JSON.parse(raw) as unknown[]).filter((x): x is string => typeof x === 'string');
  } catch {
    return [];
  }
}

export default defineConfig({
  name: env('HARNESS_ALLURE_REPORT_NAME') ?? 'Atlassian integration harness',
  output: env('HARNESS_ALLURE_OUTPUT') ?? path.join(reports, 'allure-report'),
  historyPath: env('HARNESS_ALLURE_HISTORY') ?? path.join(reports, 'history', 'allure-history.jsonl'),
  historyLimit: Number.isInteger(historyLimit) && historyLimit > 0 ? historyLimit : 12,
  appendHistory: env('HARNESS_ALLURE_APPEND') !== '0',
  variables: variables(),
  categories: { rules: harnessCategories() },
  globalAttachments: globalAttachments(),
  plugins: {
    awesome: {
      options: {
        singleFile: true,
        reportName: env('HARNESS_ALLURE_REPORT_NAME') ?? 'Atlassian integration harness',
        reportLanguage: 'en',
        groupBy: ['epic', 'feature', 'story'],
      },
    },
  },
});
