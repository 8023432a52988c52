/**
 * The bad-input table (README "Bad input"): each row is one bad file or setting given to the main job. Every row must
 * give exit code 2 and one message naming the setting or file and the fix, start nothing (no simulator, no suite),
 * and delete or overwrite nothing: the previous results, report, history and token store are compared byte for byte.
 *
 * Each row runs in a scratch copy of the harness (fixtures/, scripts/, the expectations, .env.sim; node_modules
 * linked), so a broken scope catalog or expectations file never touches the working tree other tests use.
 *
 * "Nothing started" is measured, not read from the output: every process of the run loads a preload (NODE_OPTIONS)
 * that logs each child process it spawns, and the log must name no simulator, no Playwright run and no browser.
 * "Nothing deleted or overwritten": the bytes and modification time of every file under reports/ and the token
 * store are compared before and after. The README table and the rows here are the same cases, checked by the last
 * test: the title of each row is the README's first column, and the README's message (second column, `…` for the
 * parts that vary) must match what the row prints.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, test } from '@playwright/test';
import { ROOT } from '../../fixtures/core/config.ts';
import { acquireReportsLock } from '../../scripts/main.ts';

interface Scratch {
  root: string;
  /** runs `node scripts/main.ts` (or the given command) in the copy */
  run(env?: Record<string, string>, cmd?: string[]): { status: number | null; stdout: string; stderr: string };
  /** sha256 of every file's path, bytes and mtime under the run's output and the token store (not the reports lock) */
  fingerprint(): string;
  /** the child processes the run's Node processes spawned (command and arguments), from the preload's log */
  spawned(): string[];
}

/**
 * Preload for every Node process of a run (NODE_OPTIONS=--import): logs each child process spawned through
 * node:child_process, one JSON line per call. syncBuiltinESMExports makes `import { spawn } from 'node:child_process'`
 * see the wrapped functions too.
 */
const SPAWN_TRACER = `import { appendFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
const cp = createRequire(import.meta.url)('node:child_process');
const log = process.env.BAD_INPUT_SPAWN_LOG;
for (const name of ['spawn', 'spawnSync', 'fork', 'exec', 'execSync', 'execFile', 'execFileSync']) {
  const original = cp[name];
  cp[name] = function (...args) {
    const argv = Array.isArray(args[1]) ? args[1].map(String) : [];
    if (log) appendFileSync(log, JSON.stringify([String(args[0]), ...argv].join(' ')) + '\\n');
    return original.apply(this, args);
  };
}
syncBuiltinESMExports();
`;

/** What a bad start must never spawn: the simulator, a Playwright run, a browser, an install. */
const STARTED =
  /simulator\/src\/main\.ts|@playwright\/test\/cli\.js|chrom(e|ium)|apt-get|npm (ci|install)|scripts\/(report|gate|scan-secrets)\.ts/i;

function scratch(opts: { simulator?: boolean } = {}): Scratch {
  const root = mkdtempSync(path.join(tmpdir(), 'bad-input-'));
  const copy = (p: string) => cpSync(path.join(ROOT, p), path.join(root, p), { recursive: true, preserveTimestamps: true });
  for (const p of ['fixtures', 'scripts', 'tests/expectations', '.env.sim', 'package.json', 'tsconfig.json', 'playwright.config.ts'])
    copy(p);
  if (opts.simulator) copy('simulator');
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  // what a previous run left: must survive every bad start unchanged
  const put = (p: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    writeFileSync(path.join(root, p), text);
  };
  put('reports/allure-results/00000000-previous-result.json', '{"uuid":"00000000","name":"previous","status":"passed"}');
  put('reports/allure-report/index.html', '<html>previous report</html>');
  put('reports/history/trend.jsonl', '{"previous":"run"}\n');
  put('reports/test-results/previous.txt', 'previous');
  put('.auth/tokens/previous.json', '{"token":"previous"}');
  const emptyEnv = path.join(root, 'empty.env');
  writeFileSync(emptyEnv, '');
  const tracer = path.join(root, 'spawn-tracer.mjs');
  writeFileSync(tracer, SPAWN_TRACER);
  const spawnLog = path.join(root, 'spawned.jsonl');
  return {
    root,
    run(env = {}, cmd = [process.execPath, '--import', 'tsx', 'scripts/main.ts']) {
      const r = spawnSync(cmd[0]!, cmd.slice(1), {
        cwd: root,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          HARNESS_ENV_FILE: emptyEnv,
          NODE_OPTIONS: `--import=${pathToFileURL(tracer).href}`,
          BAD_INPUT_SPAWN_LOG: spawnLog,
          ...env,
        },
        encoding: 'utf8',
        timeout: 30_000,
      });
      return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    },
    fingerprint() {
      const h = createHash('sha256');
      const walk = (p: string) => {
        const rel = path.relative(root, p);
        if (!existsSync(p)) return h.update(`${rel}: missing\n`);
        if (rel.startsWith(`reports${path.sep}.main.`)) return h; // the reports lock a row holds on purpose
        const st = statSync(p);
        if (st.isDirectory()) for (const n of readdirSync(p).sort()) walk(path.join(p, n));
        else h.update(`${rel} ${st.mtimeMs} ${st.size}\n`).update(readFileSync(p));
      };
      walk(path.join(root, 'reports'));
      walk(path.join(root, '.auth'));
      return h.digest('hex');
    },
    spawned() {
      if (!existsSync(spawnLog)) return [];
      return readFileSync(spawnLog, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as string);
    },
  };
}

interface Row {
  /** the README table's first column */
  input: string;
  /** what must be named in the message */
  names: RegExp;
  /** breaks the scratch copy; returns extra environment for the run */
  setup(s: Scratch): Record<string, string> | undefined | Promise<Record<string, string> | undefined>;
  simulator?: boolean;
  /** the simulator process is started (to check the world) and must exit before listening; nothing else is spawned */
  startsSimulator?: boolean;
  cmd?: (s: Scratch) => string[];
}

const editJson = (file: string, edit: (j: Record<string, unknown>) => void): undefined => {
  const j = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(j);
  writeFileSync(file, JSON.stringify(j));
  return undefined;
};

const write = (file: string, text: string): undefined => {
  writeFileSync(file, text);
  return undefined;
};

const ROWS: Row[] = [
  {
    input: 'expectations file: malformed JSON',
    names: /Expectations file tests\/expectations\/sim-app\.json is invalid[\s\S]*malformed JSON[\s\S]*Fix:/,
    setup: (s) => write(path.join(s.root, 'tests/expectations/sim-app.json'), '{ "version": 1,'),
  },
  {
    input: 'expectations file: unknown scope',
    names: /tests\/expectations\/sim-app\.json[\s\S]*outcomes\["read:nothing"\]: unknown scope[\s\S]*Fix:/,
    setup: (s) =>
      editJson(path.join(s.root, 'tests/expectations/sim-app.json'), (j) => {
        (j.outcomes as Record<string, string>)['read:nothing'] = 'granted';
      }),
  },
  {
    input: 'EXPECTATIONS_FILE: no such file',
    names: /EXPECTATIONS_FILE: file not found[\s\S]*Fix:/,
    setup: () => ({ EXPECTATIONS_FILE: 'tests/expectations/nope.json' }),
  },
  {
    input: 'scope catalog: an entry without its probe request',
    names: /Scope catalog fixtures\/rest\/scopes\.json is invalid[\s\S]*request[\s\S]*Fix:/,
    setup: (s) =>
      editJson(path.join(s.root, 'fixtures/rest/scopes.json'), (j) => {
        const first = (j.scopes as Array<Record<string, unknown>>).find((e) => e.probe === 'read')!;
        delete first.request;
      }),
  },
  {
    input: 'scope catalog: not JSON',
    names: /Scope catalog fixtures\/rest\/scopes\.json is not readable JSON[\s\S]*Fix:/,
    setup: (s) => write(path.join(s.root, 'fixtures/rest/scopes.json'), 'scopes: [oops'),
  },
  {
    input: 'MCP tool expectations (tests/expectations/tools-sim.json): wrong shape',
    names: /tests\/expectations\/tools-sim\.json[\s\S]*Fix/,
    setup: (s) =>
      editJson(path.join(s.root, 'tests/expectations/tools-sim.json'), (j) => {
        j.target = 'staging';
      }),
  },
  {
    input: 'SIM_WORLD: no such file',
    names: /SIM_WORLD: "worlds\/nope\.json" does not exist\. Fix:/,
    setup: () => ({ SIM_WORLD: 'worlds/nope.json' }),
  },
  {
    input: 'SIM_WORLD: not JSON',
    names: /SIM_WORLD: "bad-world\.json" is not valid JSON[\s\S]*Fix:/,
    setup: (s) => {
      writeFileSync(path.join(s.root, 'bad-world.json'), '{"sites": ');
      return { SIM_WORLD: 'bad-world.json' };
    },
  },
  {
    input: 'SIM_WORLD: JSON, but not a valid world',
    // checked by the simulator, which exits before it listens: the one process a bad start may spawn
    startsSimulator: true,
    names: /SIM_WORLD \(bad-world\.json\) was refused: [\s\S]*Fix:/,
    simulator: true,
    setup: (s) => {
      const world = JSON.parse(readFileSync(path.join(ROOT, 'simulator/worlds/default.json'), 'utf8')) as Record<string, unknown>;
      world.sites = 'not an object';
      writeFileSync(path.join(s.root, 'bad-world.json'), JSON.stringify(world));
      return { SIM_WORLD: 'bad-world.json' };
    },
  },
  {
    input: 'HARNESS_WORKERS: not a number',
    names: /HARNESS_WORKERS: must be a positive whole number[\s\S]*Fix:/,
    setup: () => ({ HARNESS_WORKERS: 'two' }),
  },
  {
    input: 'TARGET: a typo',
    names: /1 problem[\s\S]*TARGET: must be "sim" or "atlassian", got "atlasian" \(did you mean atlassian\?\)/,
    setup: () => ({ TARGET: 'atlasian' }),
  },
  {
    input: 'ATLASSIAN_SITES: a URL instead of a host name',
    names: /ATLASSIAN_SITES: contains "https:\/\/acme\.atlassian\.net\/", not host names\. Fix:/,
    setup: () => ({ ATLASSIAN_SITES: 'https://acme.atlassian.net/' }),
  },
  {
    input: '--accounts: a role not in ATLASSIAN_ACCOUNTS',
    names: /HARNESS_ACCOUNTS: names role\(s\) "nobody"[\s\S]*Fix:/,
    setup: () => undefined,
    cmd: () => [process.execPath, '--import', 'tsx', 'scripts/main.ts', '--accounts', 'member,nobody'],
  },
  {
    input: '--shard: not I/N',
    names: /--shard: "4\/3" is not I\/N[\s\S]*Fix:/,
    setup: () => undefined,
    cmd: () => [process.execPath, '--import', 'tsx', 'scripts/main.ts', '--shard', '4/3'],
  },
  {
    input: "npm run merge -- <folder>: not a shard's output",
    names: /^merge: fixtures has neither allure-results\/ nor blob-report\/, so it is not a shard's output\. Fix:/m,
    setup: () => undefined,
    cmd: () => [process.execPath, '--import', 'tsx', 'scripts/merge.ts', 'fixtures'],
  },
  {
    input: 'CHROMIUM_PATH: no such file',
    names: /CHROMIUM_PATH: "\/nonexistent\/chromium" does not exist\. Fix:/,
    setup: (s) => {
      // an apt-get that records being called
      const bin = path.join(s.root, 'fake-bin');
      mkdirSync(bin);
      writeFileSync(path.join(bin, 'apt-get'), `#!/bin/sh\ntouch "${path.join(s.root, 'apt-get-ran')}"\n`);
      chmodSync(path.join(bin, 'apt-get'), 0o755);
      // and an npm that refuses: the copy links the real node_modules, which no install here may touch
      writeFileSync(path.join(bin, 'npm'), `#!/bin/sh\ntouch "${path.join(s.root, 'npm-ran')}"\nexit 1\n`);
      chmodSync(path.join(bin, 'npm'), 0o755);
      return { CHROMIUM_PATH: '/nonexistent/chromium', PATH: `${bin}:${process.env.PATH}` };
    },
    cmd: (s) => ['bash', path.join(s.root, 'scripts/harness'), 'main'],
  },
  {
    input: 'reports/ is a file',
    names: /HARNESS_REPORTS_DIR: reports is a file, not a folder\. Fix:/,
    setup: (s) => {
      rmSync(path.join(s.root, 'reports'), { recursive: true });
      writeFileSync(path.join(s.root, 'reports'), 'a file where the folder should be');
      return undefined;
    },
  },
  {
    input: 'HARNESS_REPORTS_DIR: not writable',
    names: /HARNESS_REPORTS_DIR: .* (is not writable|is on a read-only file system)\. Fix:/,
    setup: (s) => {
      if (process.getuid?.() === 0) return { HARNESS_REPORTS_DIR: '/sys/harness-reports' }; // root writes through modes: sysfs refuses
      chmodSync(path.join(s.root, 'reports'), 0o500);
      return undefined;
    },
  },
  {
    input: 'SIM_WORLD: a folder',
    names: /SIM_WORLD: "simulator\/worlds" is a folder[\s\S]*Fix:/,
    simulator: true,
    setup: () => ({ SIM_WORLD: 'simulator/worlds' }),
  },
  {
    input: '--suites: an unknown suite',
    names: /--suites: unknown suite\(s\) "rest"\. Fix: pick from consent, api, mcp/,
    setup: () => undefined,
    cmd: () => [process.execPath, '--import', 'tsx', 'scripts/main.ts', '--suites', 'rest'],
  },
  {
    input: 'HARNESS_REPORTS_DIR: a folder under a file',
    names: /HARNESS_REPORTS_DIR: reports\/previous\.txt\/nightly has a file where a parent folder should be\. Fix:/,
    setup: (s) => {
      writeFileSync(path.join(s.root, 'reports', 'previous.txt'), 'a file');
      return { HARNESS_REPORTS_DIR: 'reports/previous.txt/nightly' };
    },
  },
  {
    input: 'HARNESS_AUTH_DIR: a file, not a folder',
    names: /HARNESS_AUTH_DIR: auth-file is a file, not a folder\. Fix:/,
    setup: (s) => {
      writeFileSync(path.join(s.root, 'auth-file'), 'not the token store');
      return { HARNESS_AUTH_DIR: 'auth-file' };
    },
  },
  {
    input: 'a second main job on the same reports folder',
    names: /another job is already running on reports \(main job, pid \d+[^)]*\); this main job was refused[\s\S]*Fix:/,
    setup: async (s) => {
      const lock = await acquireReportsLock(path.join(s.root, 'reports'), 'main job');
      held.set(s.root, lock);
      return undefined;
    },
  },
];

const held = new Map<string, { release(): Promise<void> }>();

/** The README "Bad input" table: first column (backticks dropped) → the message column's first code span. */
function readmeTable(): Map<string, string> {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = /^## Bad input\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';
  const out = new Map<string, string>();
  for (const line of section.split('\n')) {
    if (!line.startsWith('| ') || line.startsWith('| input |')) continue;
    const [input, message] = line.slice(2).split(' | ');
    out.set(input!.replace(/`/g, '').trim(), /`([^`]+)`/.exec(message ?? '')?.[1] ?? '');
  }
  return out;
}

/** A README message as a pattern: `…` stands for any text, a space for any run of white space (line breaks too). */
function messagePattern(message: string): RegExp {
  const source = message
    .split('…')
    .map((part) =>
      part
        .trim()
        .split(/\s+/)
        .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('\\s+'),
    )
    .join('[\\s\\S]*?');
  return new RegExp(source);
}

const README = readmeTable();

for (const row of ROWS) {
  test(`bad input stopped cleanly: ${row.input}`, async () => {
    const s = scratch({ simulator: row.simulator || row.startsSimulator });
    try {
      const env = (await row.setup(s)) ?? {};
      const before = s.fingerprint();
      const r = s.run(env, row.cmd?.(s));
      const out = `${r.stderr}\n${r.stdout}`;
      expect(r.status, out).toBe(2);
      expect(out).toMatch(row.names);
      // the README's row says what this prints
      expect(README.has(row.input), `README "Bad input" has a row "${row.input}"`).toBe(true);
      expect(out).toMatch(messagePattern(README.get(row.input)!));
      expect(out).toMatch(/Fix/);
      expect(out, 'no stack trace').not.toMatch(/\n\s+at .+:\d+:\d+/);
      expect(out).not.toMatch(/ENOTDIR|EACCES|EROFS|REPORT FAILED|Verdict:|Report:/);
      // one message: every line belongs to it (no second error after the first)
      expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(12);
      // nothing started: the preload's log of every child process of the run (and no suite step announced)
      const spawned = s.spawned();
      const started = spawned.filter((c) => STARTED.test(c));
      if (row.startsSimulator) {
        expect(started, 'only the simulator, which refuses the world before it listens').toHaveLength(1);
        expect(started[0]).toMatch(/simulator\/src\/main\.ts/);
      } else expect(started, spawned.join('\n')).toEqual([]);
      expect(out).not.toMatch(/── suites|target: sim \(embedded simulator/);
      expect(existsSync(path.join(s.root, 'apt-get-ran')), 'apt-get must not run').toBe(false);
      expect(existsSync(path.join(s.root, 'npm-ran')), 'nothing is installed').toBe(false);
      expect(s.fingerprint(), 'results, report, history and token store unchanged (bytes and mtimes)').toBe(before);
    } finally {
      await held.get(s.root)?.release();
      if (existsSync(path.join(s.root, 'reports'))) chmodSync(path.join(s.root, 'reports'), 0o700);
      rmSync(s.root, { recursive: true, force: true });
    }
  });
}

test('the README "Bad input" table and this spec list the same cases', () => {
  const readme = [...README.keys()].sort();
  const spec = ROWS.map((r) => r.input).sort();
  expect(readme.length).toBeGreaterThanOrEqual(19);
  expect(spec, 'a row here without a README row, or the other way round').toEqual(readme);
  for (const [input, message] of README) expect(message, `README row "${input}" gives the message`).not.toBe('');
});

test('a report step that fails says REPORT FAILED and prints no Report: line pointing at the previous report', async () => {
  test.setTimeout(120_000);
  const s = scratch({ simulator: true });
  try {
    // the report step of this copy fails the way a broken Allure generation does
    writeFileSync(
      path.join(s.root, 'scripts', 'report.ts'),
      "process.stderr.write('report: allure generate failed\\n');\nprocess.exit(1);\n",
    );
    const r = s.run({}, [process.execPath, '--import', 'tsx', 'scripts/main.ts', '--suites', 'consent', '--', '--list']);
    const out = `${r.stderr}\n${r.stdout}`;
    expect(r.status, out).toBe(1);
    expect(r.stdout).toMatch(/^Verdict: REPORT FAILED: /m);
    expect(out, "the previous report is never shown as this run's").not.toMatch(/^Report: /m);
    expect(readFileSync(path.join(s.root, 'reports', 'allure-report', 'index.html'), 'utf8')).toBe('<html>previous report</html>');
  } finally {
    rmSync(s.root, { recursive: true, force: true });
  }
});

test('a lock left by a killed main job does not block the next one', async () => {
  const s = scratch();
  try {
    // a job that takes the lock and is killed before it can release it
    const holder = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import(${JSON.stringify(path.join(ROOT, 'scripts', 'main.ts'))}).then(async (m) => { await m.acquireReportsLock(${JSON.stringify(path.join(s.root, 'reports'))}, 'main job'); process.kill(process.pid, 'SIGKILL'); })`,
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 20_000 },
    );
    expect(holder.signal).toBe('SIGKILL');
    expect(existsSync(path.join(s.root, 'reports', '.main.lock')), 'the killed job left its lock').toBe(true);
    const r = s.run({}, [process.execPath, '--import', 'tsx', 'scripts/main.ts', '--dry-run']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/taking over the lock on reports left by a job that is gone \(main job, pid \d+/);
    expect(r.stdout).toMatch(/^dry run: /m);
    expect(existsSync(path.join(s.root, 'reports', '.main.lock')), 'released after the run').toBe(false);
  } finally {
    rmSync(s.root, { recursive: true, force: true });
  }
});
