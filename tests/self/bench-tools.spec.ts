/**
 * The benchmark's measuring tools (scripts/bench-main.ts), not its targets: the process-tree sample reads this
 * process's memory from /proc, the per-kind summary groups and sums, and CPU by kind counts only what a process used
 * after the job started. Linux only (/proc).
 */
import { existsSync } from 'node:fs';
import { expect, test } from '../../fixtures/index.ts';
import { CpuByKind, processTree, sampleTree, topLine } from '../../scripts/bench-main.ts';

test.skip(!existsSync('/proc/self/smaps_rollup'), 'the benchmark reads /proc (Linux)');

test('a sample of this process tree has its memory, RSS above PSS, and names the kind of each process', () => {
  expect(processTree([process.pid])).toContain(process.pid);
  const s = sampleTree([process.pid]);
  expect(s.processes).toBeGreaterThanOrEqual(1);
  expect(s.rssMb).toBeGreaterThan(10);
  expect(s.pssMb).toBeGreaterThan(0);
  expect(s.pssMb).toBeLessThanOrEqual(s.rssMb);
  expect(s.top?.some((t) => t.what === 'playwright worker')).toBe(true);
});

test('the per-kind line groups processes of one kind and sums them, largest first', () => {
  const line = topLine([
    { what: 'chromium', rssMb: 100, pssMb: 40 },
    { what: 'playwright worker', rssMb: 150, pssMb: 100 },
    { what: 'chromium', rssMb: 80, pssMb: 30 },
  ]);
  expect(line).toBe('chromium ×2 180 MB (PSS 70), playwright worker 150 MB (PSS 100)');
  expect(topLine([])).toBe('—');
});

test('CPU by kind counts only what a running process used after the job started', () => {
  const cpu = new CpuByKind([process.pid]);
  // burn 0.3 s of this process's CPU (CPU time, not wall time: a loaded machine only stretches the wait)
  const start = process.cpuUsage();
  const used = () => {
    const d = process.cpuUsage(start);
    return (d.user + d.system) / 1e6;
  };
  while (used() < 0.3) Math.sqrt(Math.random());
  cpu.observe(process.pid, 'this test');
  const m = /^this test ([\d.]+) s$/.exec(cpu.line());
  expect(m, cpu.line()).not.toBeNull();
  // the worker's CPU before the job (its start-up, earlier tests) is not counted
  expect(Number(m![1])).toBeGreaterThanOrEqual(0.1);
  expect(Number(m![1])).toBeLessThan(2);
});
