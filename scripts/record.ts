/**
 * `npm run record [-- <main job args>]`: runs the suites (scripts/main.ts, default `--suites api,mcp`) with shape
 * recording on (HARNESS_RECORD_DIR, fixtures/core/shape.ts) and writes the recording to `recordings/<target>/`:
 * `rest.json` and `mcp.json`, one entry per call template with every distinct answer, sorted, two-space JSON, meant
 * to be committed and reviewed. Then the secret scanner runs over the recording (exit 1 if it finds anything).
 *
 *   npm run record                          # TARGET from .env (atlassian for a real recording)
 *   npm run record -- --out <dir> -- ...    # another folder; everything after the first `--` goes to the main job
 *
 * The main job's own exit code (a red gate) does not stop the recording: the shapes of failures are shapes too.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { atomicWrite } from '../fixtures/core/atomic.ts';
import { ConfigError, loadConfig, ROOT } from '../fixtures/core/config.ts';
import { foldShapes, type Recording, type ShapeRecord } from '../fixtures/core/shape.ts';
import { scanSecrets } from './scan-secrets.ts';

/** Every shape line under `dir` (the `<pid>.jsonl` files the recorder appends to), folded. */
export function readShapeLines(dir: string): Recording {
  const lines: ShapeRecord[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.jsonl')) continue;
    for (const l of readFileSync(path.join(dir, f), 'utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as ShapeRecord);
  }
  return foldShapes(lines);
}

/** Write a recording as `<out>/rest.json` and `<out>/mcp.json` (atomically). */
export function writeRecording(out: string, rec: Recording): void {
  for (const surface of ['rest', 'mcp'] as const)
    atomicWrite(path.join(out, `${surface}.json`), `${JSON.stringify(rec[surface], null, 2)}\n`);
}

/** Read `<dir>/rest.json` and `<dir>/mcp.json`; throws a message naming the file when one is missing or not a list. */
export function readRecording(dir: string): Recording {
  const out = { rest: [], mcp: [] } as Recording;
  for (const surface of ['rest', 'mcp'] as const) {
    const f = path.join(dir, `${surface}.json`);
    let v: unknown;
    try {
      v = JSON.parse(readFileSync(f, 'utf8'));
    } catch (e) {
      throw new Error(
        `${f}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `is not JSON (${(e as Error).message})`}. Fix: record one with \`npm run record\`, or pass the folder that holds rest.json and mcp.json.`,
      );
    }
    if (!Array.isArray(v)) throw new Error(`${f}: expected a list of recorded calls. Fix: record it again with \`npm run record\`.`);
    out[surface] = v as Recording['rest'];
  }
  return out;
}

/** Run the suites with recording on into a fresh temp folder; returns the folded recording and the main job's exit code. */
export function runRecorded(mainArgs: string[], env: NodeJS.ProcessEnv = process.env): { recording: Recording; exitCode: number } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'harness-record-'));
  try {
    const args = mainArgs.some((a) => a === '--suites') ? mainArgs : ['--suites', 'api,mcp', ...mainArgs];
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'main.ts'), ...args], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...env, HARNESS_RECORD_DIR: dir },
    });
    return { recording: readShapeLines(dir), exitCode: r.status ?? 1 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(argv: string[]): Promise<number> {
  let out: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') out = argv[++i];
    else if (argv[i] === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    } else rest.push(argv[i]!);
  }
  let target: string;
  try {
    target = loadConfig().target;
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
  const dest = path.resolve(ROOT, out ?? path.join('recordings', target));
  const { recording, exitCode } = runRecorded(rest);
  if (!recording.rest.length && !recording.mcp.length) {
    console.error(`record: the run made no REST or MCP call (main job exit code ${exitCode}); nothing written to ${dest}.`);
    return 1;
  }
  writeRecording(dest, recording);
  const scan = await scanSecrets({ roots: [dest], quiet: true });
  console.log(
    `record: ${recording.rest.length} REST and ${recording.mcp.length} MCP call templates → ${path.relative(ROOT, dest) || dest}`,
  );
  if (!scan.ok) {
    for (const f of scan.findings) console.error(`record: secret found in ${f.file}: ${f.kind} (${f.encoding})`);
    return 1;
  }
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then((c) => process.exit(c));
}
