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
  MEMORY_MIB_MAX,
  MEMORY_MIB_MIN,
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

test('limits: memory_mib sets simulated memory; absent, memory is sized for threads_max; out of range is one line', () => {
  const spin = '[[workload]]\nkind = "spin"\niterations = 10\ncycles = 100\n';
  const sized = parseScenario(`name = "x"\n[limits]\nthreads_max = 10000\n${spin}`, 'x.toml');
  assert.equal(sized.limits.memoryMib, undefined);
  assert.equal(buildMachine(sized).board.memory.frameCount, defaultMemoryBytes(10_000) / 4096);
  const set = parseScenario(`name = "x"\n[limits]\nmemory_mib = 64\n${spin}`, 'x.toml');
  // 64 MiB of 4 KiB frames.
  assert.equal(buildMachine(set).board.memory.frameCount, 64 * 256);
  assert.equal(runConfig(set).failure, null);
  for (const bad of [MEMORY_MIB_MIN - 1, MEMORY_MIB_MAX + 1]) {
    assert.throws(
      () => parseScenario(`name = "x"\n[limits]\nmemory_mib = ${bad}\n${spin}`, 'x.toml'),
      (e: unknown) =>
        e instanceof ScenarioError &&
        e.message.includes(
          `limits.memory_mib: ${bad} is out of range (allowed: ${MEMORY_MIB_MIN}..${MEMORY_MIB_MAX})`,
        ),
    );
  }
});

test('limits: a run that ran out of simulated memory or threads says which limit, not only the EAGAIN', () => {
  // 20 MiB cannot hold 2000 threads of 16 KiB stacks (31 MiB of stacks alone).
  const memory = herd(2000, 3000);
  memory.limits.memoryMib = 20;
  const starved = runConfig(memory);
  assert.match(
    starved.failure ?? '',
    /; simulated memory ran out \(20 MiB; limits\.memory_mib, up to 262144/,
  );
  const refused = runConfig(herd(9, 10));
  assert.match(
    refused.failure ?? '',
    /; 1 thread creation was refused at limits\.threads_max = 10 \(up to 1000000;/,
  );
  assert.doesNotMatch(refused.failure ?? '', /memory ran out/);
});

test('limits: the simulated-time and event limits name their key and how to raise it', () => {
  const short = herd(4, 100);
  short.limits.simNsMax = 1000;
  assert.match(
    runConfig(short).failure ?? '',
    /^sim-time limit hit \(limits\.sim_ns_max = 1000 ns; raise it with --set limits\.sim_ns_max=N\)$/,
  );
  const few = herd(4, 100);
  few.limits.eventsMax = 10;
  assert.match(
    runConfig(few).failure ?? '',
    /^event limit hit \(limits\.events_max = 10 events; raise it with/,
  );
});

test('limits: a 72-hour run is within the limits a user can set', () => {
  // 72 h = 259,200 s; under the LAPIC tick at 1000 Hz an idle 4-CPU machine takes about 6 events
  // per CPU per tick: 4 x 1000 x 259,200 x 6 = 6.2e9 events, so 2e10 leaves room.
  const text = `name = "idle-72h"\n[machine]\ncpus = 4\n[limits]\nsim_ns_max = 259_200_000_000_000\nevents_max = 20_000_000_000\nwall_s_max = 86400\n[[workload]]\nkind = "spin"\niterations = 10\ncycles = 100\n`;
  const config = parseScenario(text, 'idle-72h.toml');
  assert.equal(config.limits.simNsMax, 72 * 3600 * 1e9);
  assert.equal(config.limits.eventsMax, 2e10);
  assert.equal(config.limits.wallSMax, 86_400);
  // A run under them that ends early is an ordinary run.
  assert.equal(runConfig(config).failure, null);
});
