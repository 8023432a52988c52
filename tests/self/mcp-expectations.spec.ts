/**
 * Self-test: a target without tool expectations (TARGET=atlassian before anyone wrote tools-atlassian.json), rehearsed
 * offline (REHEARSAL=1: the real host names resolved to a TLS simulator this test owns, fixtures/core/rehearsal.ts).
 * The MCP sweep still runs and is recorded (its `mcp sweep <endpoint> <auth>` summary), its test skips with "no
 * expectations yet: run `npm run expectations -- --write` after this run" instead of failing every operation as
 * unexpected, and scripts/baseline.ts turns that summary into the profile the next run compares with.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { ROOT } from '../../fixtures/core/config.ts';
import { startRehearsal } from '../../fixtures/core/rehearsal.ts';
import { expect, test } from '../../fixtures/index.ts';
import { toolExpectationsFile } from '../../fixtures/mcp/expectations.ts';
import { toolsBaseline } from '../../scripts/baseline.ts';
import { readResults } from '../../scripts/lib/results.ts';
import { digest, readSubrun, runSubrun } from '../support/subrun.ts';

/** nothing listens on port 9 (discard): the plain listeners' URLs are not handed to the sub-run */
const DEAD = 'http://127.0.0.1:9';
const SWEEP = 'every operation the server lists is called, also those the expectations file does not name';

test('no tool expectations for the target: the sweep runs and is recorded, its test skips with the command, and baseline writes the profile', async ({}, testInfo) => {
  test.setTimeout(200_000);
  const rehearsal = await startRehearsal();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'mcp-expectations-'));
  try {
    const emptyEnvFile = path.join(tmp, '.env');
    writeFileSync(emptyEnvFile, '');
    // the tools file of a real target sits next to EXPECTATIONS_FILE: a folder of this test's holds no tools file
    const restFile = path.join(tmp, 'expectations', 'my-app.json');
    mkdirSync(path.dirname(restFile));
    copyFileSync(path.join(ROOT, 'tests', 'expectations', 'sim-app.json'), restFile);
    const env: Record<string, string> = {
      // TARGET=atlassian does not read .env.sim: the simulator's app and accounts, as a team's .env would hold them
      ...parseDotenv(readFileSync(path.join(ROOT, '.env.sim'))),
      HARNESS_ENV_FILE: emptyEnvFile,
      TARGET: 'atlassian',
      REHEARSAL: '1',
      MCP_ENDPOINT: 'v1',
      EXPECTATIONS_FILE: restFile,
      HARNESS_REHEARSAL: JSON.stringify({ ...rehearsal.wire, authDir: path.join(tmp, 'auth') }),
    };
    const toolsFile = toolExpectationsFile('atlassian', { ...process.env, ...env });
    expect(toolsFile).toBe(path.join(tmp, 'expectations', 'tools-atlassian.json'));
    expect(existsSync(toolsFile), 'no tools file yet (the case under test)').toBe(false);
    const reportsDir = path.join(tmp, 'reports');
    const run = await runSubrun({
      sim: { urls: { ...rehearsal.sim.urls, auth: DEAD, id: DEAD, api: DEAD, mcp: DEAD } },
      reportsDir,
      projects: ['mcp'],
      noDeps: true,
      accounts: ['member'],
      workers: 1,
      grep: `v1 · api-token ${SWEEP}`,
      timeoutMs: 150_000,
      extraArgs: ['tests/mcp/tools-call.spec.ts'],
      env,
    });
    await testInfo.attach('sub-run', { body: run.output, contentType: 'text/plain' });
    const rows = readSubrun(reportsDir);
    expect(run.timedOut, 'the sub-run finished within 150 s').toBe(false);
    expect(run.code, `the run does not stop or fail for the missing file\n${digest(rows)}\n${run.output.slice(-3000)}`).toBe(0);

    const sweep = rows.get(SWEEP);
    expect(sweep?.status, digest(rows)).toBe('skipped');
    expect(sweep?.message).toContain('no expectations yet: run `npm run expectations -- --write` after this run');
    expect(sweep?.message).toMatch(/\d+ operations called, 0 failed; \S*tools-atlassian\.json has no v1 · api-token profile\)$/);

    // what the run saw is recorded: the sweep summary with every operation's result
    const att = sweep!.summary.attachments.find((a) => a.name === 'mcp sweep v1 api-token');
    expect(att, 'the sweep summary is attached to the skipped test').toBeDefined();
    const summary = JSON.parse(readFileSync(att!.file, 'utf8')) as {
      listed: string[];
      items: Array<{ operation: string; status: string }>;
    };
    expect(summary.listed.length).toBeGreaterThan(10);
    expect(summary.items.filter((i) => i.status === 'passed').length, 'the operations were really called').toBeGreaterThan(10);

    // `npm run expectations -- --write` writes the profile from it (scripts/baseline.ts)
    const { tests } = readResults(path.join(reportsDir, 'allure-results'));
    const written = toolsBaseline(undefined, tests, 'atlassian');
    const profile = Object.values(written.profiles).find((p) => p.endpoint === 'v1' && p.auth === 'api-token');
    expect(profile, JSON.stringify(written.profiles)).toBeDefined();
    expect(profile!.account).toBe('member');
    expect(profile!.listed).toEqual([...new Set(summary.listed)].sort());
  } finally {
    await rehearsal.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
});
