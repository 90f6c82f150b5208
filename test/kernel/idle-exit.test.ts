// Leaving a deep idle on a VM (kernel/idle-exit.ts, issue 23): wakeFromIdleNs delays the thread a
// CPU leaves a long idle for, coldAfterIdleNs the first system call on it, both only after an
// idle of idleDeepAfterNs. schbench 1 x 1 shows both: its messenger sleeps, stamps the time and
// wakes the worker; the latency is the stamp to the worker running.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { simProgram } from '../../src/report/fidelity/program-sim.ts';

const latency = (cpus: number, sleepUs: number, costs: Record<string, number> = {}) => {
  const params = { messages: 1, workers: 1, rounds: 40, sleep_us: sleepUs, think_cycles: 30_000, hogs: 0 };
  const m = simProgram('schbench', params, cpus, costs);
  return [m['workload.schbench.p50_ns']!, m['workload.schbench.p99_ns']!];
};

test('2 CPUs: the worker woken onto a CPU idle for 2 ms runs wakeFromIdleNs later, every round', () => {
  const [p50, p99] = latency(2, 2000);
  assert.deepEqual(latency(2, 2000, { wakeFromIdleNs: 30_000 }), [p50! + 30_000, p99! + 30_000]);
  // The messenger's FUTEX_WAKE is its first call after its own 2 ms idle: the cold start is in
  // the latency (the worker's first call, its next FUTEX_WAIT, comes after its stamp).
  assert.deepEqual(latency(2, 2000, { coldAfterIdleNs: 5000 }), [p50! + 5000, p99! + 5000]);
});

test('an idle shorter than idleDeepAfterNs (the halt-polling window) pays neither', () => {
  const costs = { wakeFromIdleNs: 30_000, coldAfterIdleNs: 5000 };
  for (const cpus of [1, 2]) assert.deepEqual(latency(cpus, 20, costs), latency(cpus, 20));
  // With the window below the 20 us sleep the same run pays both (within the 100 ns by which the
  // later timeline moves the messenger's timer interrupt).
  const [p50] = latency(2, 20);
  const [deep] = latency(2, 20, { ...costs, idleDeepAfterNs: 10_000 });
  assert.ok(Math.abs(deep! - p50! - 35_000) <= 100, `deep idle ${deep! - p50!} ns`);
});

test('1 CPU: the CPU leaves idle for the messenger, before its stamp; only the cold call shows', () => {
  const [p50] = latency(1, 2000);
  assert.equal(latency(1, 2000, { wakeFromIdleNs: 30_000 })[0], p50);
  // The 5 us cold start moves the worker's start by 5 us less the 83 ns the shifted timeline
  // moves the messenger's tick-aligned timer by: bounded, not exact.
  const cold = latency(1, 2000, { coldAfterIdleNs: 5000 })[0]! - p50!;
  assert.ok(cold >= 4800 && cold <= 5000, `cold start ${cold} ns`);
});
