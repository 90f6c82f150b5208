// Limits at scale (issue 14): the thread limit a run may ask for goes far past the default 4096,
// simulated memory grows with it, the machine honours a large limit, and the limit, when hit,
// is a counted EAGAIN rather than a crash. Bad limits are one-line errors naming the field.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildMachine } from '../../src/machine/build.ts';
import {
  defaultMemoryBytes,
  defaultRunConfig,
  MEMORY_BYTES_DEFAULT,
  MEMORY_BYTES_PER_THREAD,
  THREADS_LIMIT_MAX,
  THREADS_MAX,
} from '../../src/machine/defaults.ts';
import { runConfig } from '../../src/report/run.ts';
import { ScenarioError } from '../../src/scenario/errors.ts';
import { parseScenario } from '../../src/scenario/load.ts';

function herd(threads: number, threadsMax: number) {
  const config = defaultRunConfig('fair', 2);
  config.limits.threadsMax = threadsMax;
  config.workloads = [
    { kind: 'program', program: 'threadherd', params: { threads, stack_kib: 16, cycles: 1000, hold_us: 0 } },
  ];
  return config;
}

test('limits: memory is 1 GiB for the default thread limit and 72 KiB more per thread past it', () => {
  assert.equal(defaultMemoryBytes(THREADS_MAX), MEMORY_BYTES_DEFAULT);
  assert.equal(defaultMemoryBytes(100), MEMORY_BYTES_DEFAULT);
  assert.equal(defaultMemoryBytes(100_000), (1 << 30) + (100_000 - 4096) * 72 * 1024);
  const machine = buildMachine(herd(1, 200_000));
  const frames = Math.floor(
    (MEMORY_BYTES_DEFAULT + (200_000 - THREADS_MAX) * MEMORY_BYTES_PER_THREAD) / 4096,
  );
  assert.equal(machine.board.memory.frameCount, frames);
});

test('limits: a run past the default thread count honours its raised limit', () => {
  const report = runConfig(herd(5000, 5010), {});
  assert.equal(report.error, undefined);
  assert.equal(report.metrics['workload.threadherd.created'], 5000);
  assert.equal(report.metrics['workload.threadherd.parked'], 5000, 'all 5000 were live at once');
  assert.equal(report.metrics['kernel.thread_limit_hits'], 0);
});

test('limits: the thread limit, when hit, refuses creation (EAGAIN) and is counted', () => {
  // init and the herd's main thread are live too: 10 allowed leaves room for 8 herd threads.
  const report = runConfig(herd(9, 10), {});
  assert.equal(report.metrics['kernel.thread_limit_hits'], 1);
  assert.equal(report.metrics['kernel.threads_created'], 10, 'init, the herd main and 8 herd threads');
  assert.equal(report.metrics['workload.threadherd.completed'], 0, 'the herd aborted on EAGAIN');
});

test('limits: threads_max past the most a run may ask for is a one-line error naming the field', () => {
  const text = `name = "x"\n[limits]\nthreads_max = ${THREADS_LIMIT_MAX + 1}\n[[workload]]\nkind = "spin"\niterations = 10\ncycles = 100\n`;
  assert.throws(
    () => parseScenario(text, 'x.toml'),
    (e: unknown) =>
      e instanceof ScenarioError && /limits\.threads_max/.test(e.message) && !/\n/.test(e.message),
  );
  const ok = parseScenario(text.replace(String(THREADS_LIMIT_MAX + 1), '100000'), 'x.toml');
  assert.equal(ok.limits.threadsMax, 100_000);
});
