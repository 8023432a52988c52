/**
 * `npm run drift [-- <recording dir>] [-- <main job args>]`: runs the same suites against the simulator (TARGET=sim,
 * the embedded simulator, recording on) and prints, per call, where the simulator's shape differs from the recorded
 * one (missing key, extra key, type, status, header, text) at a JSON path, then one line per surface
 * (`REST 142/150 same shape, MCP 61/64 same shape`). Exit 1 on drift, 2 on a missing or unreadable recording.
 *
 *   npm run drift                                   # recordings/atlassian/
 *   npm run drift -- recordings/atlassian
 *   npm run drift -- --observed <dir>               # compare with another recording instead of running the suites
 *
 * The comparison itself is fixtures/core/shape.ts `compareRecordings`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../fixtures/core/config.ts';
import { compareRecordings, type DriftReport, formatDrift, type Recording } from '../fixtures/core/shape.ts';
import { readRecording, runRecorded } from './record.ts';

export function drift(recorded: Recording, observed: Recording): { report: DriftReport; text: string; exitCode: number } {
  const report = compareRecordings(recorded, observed);
  return { report, text: formatDrift(report), exitCode: report.calls.length ? 1 : 0 };
}

/**
 * The suites against the embedded simulator with its own settings only (.env.sim): the team's .env names real
 * accounts and sites, so it is replaced by an empty file for this run (HARNESS_ENV_FILE).
 */
function simulatorRecording(mainArgs: string[]): Recording {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'harness-drift-'));
  try {
    const empty = path.join(dir, 'empty.env');
    writeFileSync(empty, '');
    const env: NodeJS.ProcessEnv = { ...process.env, TARGET: 'sim', HARNESS_ENV_FILE: empty };
    // settings a CI job passes as environment values would override .env.sim too
    for (const k of Object.keys(env)) if (/^(ATLASSIAN_|ACCOUNT_|MCP_|EXPECTATIONS_FILE$|REHEARSAL$)/.test(k)) delete env[k];
    return runRecorded(mainArgs, env).recording;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(argv: string[]): number {
  let dir = path.join(ROOT, 'recordings', 'atlassian');
  let observedDir: string | undefined;
  const mainArgs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--observed') observedDir = argv[++i];
    else if (a === '--') {
      mainArgs.push(...argv.slice(i + 1));
      break;
    } else if (!a.startsWith('-')) dir = path.resolve(ROOT, a);
    else mainArgs.push(a);
  }
  let recorded: Recording;
  let observed: Recording;
  try {
    recorded = readRecording(dir);
    observed = observedDir ? readRecording(path.resolve(ROOT, observedDir)) : simulatorRecording(mainArgs);
  } catch (e) {
    console.error(`drift: ${(e as Error).message}`);
    return 2;
  }
  const r = drift(recorded, observed);
  console.log(r.text);
  return r.exitCode;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exit(main(process.argv.slice(2)));
