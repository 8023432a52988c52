/**
 * The environment block shown at the top of the report (Allure `variables`): target, app, sites, accounts, MCP
 * endpoint, harness and Node versions, git commit. Read from the config when it loads; a broken config still gets a
 * report (the block says so). Values go through redact() although none of them should be secret.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig, ROOT } from '../../fixtures/core/config.ts';
import { redact } from '../../fixtures/core/redact.ts';
import { readTokenTally, tallyText } from '../../fixtures/tokens/tally.ts';
import type { TestSummary } from './results.ts';

export function gitCommit(cwd = ROOT): string {
  const r = spawnSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd, encoding: 'utf8' });
  if (r.status !== 0) return 'unknown (not a git checkout)';
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8' });
  return `${r.stdout.trim()}${dirty.status === 0 && dirty.stdout.trim() ? ' (uncommitted changes)' : ''}`;
}

export function harnessVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function environmentInfo(tests: readonly TestSummary[], commit = gitCommit()): Record<string, string> {
  const sitesFromResults = new Set<string>();
  for (const t of tests) for (const s of t.labels.site ?? []) sitesFromResults.add(s);
  const info: Record<string, string> = {};
  try {
    const config = loadConfig();
    info.Target = config.rehearsal ? `${config.target} (rehearsal against the simulator)` : config.target;
    info.App = `${config.app.name} (client id ${config.app.clientId})`;
    info.Sites = config.sites?.join(', ') || [...sitesFromResults].join(', ') || 'every site the accounts authorised';
    info.Accounts = config.accounts.map((a) => a.role).join(', ');
    info['MCP endpoint'] = config.mcp.endpoint;
    const tokens = readTokenTally(config.reportsDir);
    if (tokens) info.Tokens = tallyText(tokens);
  } catch (e) {
    info.Target = e instanceof ConfigError ? 'unknown: the configuration is invalid (see the run log)' : `unknown: ${String(e)}`;
    if (sitesFromResults.size) info.Sites = [...sitesFromResults].join(', ');
  }
  info['Harness version'] = harnessVersion();
  info.Node = process.version;
  info['Git commit'] = commit;
  info['Generated (UTC)'] = new Date().toISOString();
  return Object.fromEntries(Object.entries(info).map(([k, v]) => [k, redact(v)]));
}
