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
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../fixtures/core/config.ts';
import { compareRecordings, type DriftReport, formatDrift, type Recording } from '../fixtures/core/shape.ts';
import { readRecording, runRecorded } from './record.ts';

export function drift(recorded: Recording, observed: Recording): { report: DriftReport; text: string; exitCode: number } {
  const report = compareRecordings(recorded, observed);
  return { report, text: formatDrift(report), exitCode: report.calls.length ? 1 : 0 };
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
    observed = observedDir
      ? readRecording(path.resolve(ROOT, observedDir))
      : runRecorded(mainArgs, { ...process.env, TARGET: 'sim' }).recording;
  } catch (e) {
    console.error(`drift: ${(e as Error).message}`);
    return 2;
  }
  const r = drift(recorded, observed);
  console.log(r.text);
  return r.exitCode;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exit(main(process.argv.slice(2)));
