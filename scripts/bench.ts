/**
 * `npm run bench [-- consent|rest|mcp|report|main|shards ...]`: runs the benchmark scripts (scripts/bench-*.ts) one
 * after the other and prints their tables; the combined, dated output is also written to reports/bench/<date>.md.
 * Speed and memory targets live here, never in timed tests. `main` (the whole main job vs its critical path, and its
 * peak memory) and `shards` (1 vs 2 shards and the merge) each run several whole main jobs: minutes, not seconds.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../fixtures/core/config.ts';

const ALL = ['consent', 'rest', 'mcp', 'report', 'main', 'shards'] as const;
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !(ALL as readonly string[]).includes(w));
if (unknown.length) {
  process.stderr.write(`bench: unknown benchmark(s) ${unknown.join(', ')}. Fix: choose from ${ALL.join(', ')}.\n`);
  process.exit(2);
}
const selected = wanted.length ? wanted : [...ALL];
const header = `# Benchmarks ${new Date().toISOString()}\n\nNode ${process.version}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB\n`;
const sections: string[] = [header];
let failed = 0;
for (const name of selected) {
  const script = path.join(ROOT, 'scripts', `bench-${name}.ts`);
  if (!existsSync(script)) {
    sections.push(`\n## ${name}\n\n(not available: ${path.relative(ROOT, script)} missing)\n`);
    continue;
  }
  process.stderr.write(`\n── bench ${name} ──\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  process.stdout.write(r.stdout);
  sections.push(`\n## ${name}\n\n${r.stdout.trim()}\n`);
  if (r.status !== 0) failed++;
}
const dir = path.join(ROOT, 'reports', 'bench');
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `${new Date().toISOString().slice(0, 10)}.md`);
writeFileSync(file, sections.join(''));
process.stdout.write(`\nWritten: ${path.relative(ROOT, file)}\n`);
process.exit(failed ? 1 : 0);
