// The mutex-contention loop (src/workloads/mutexloop.ts, issue 23's fidelity harness): every
// increment happens under the lock on both libcs, one CPU leaves the lock uncontended (no futex
// call), and two CPUs with nothing outside the lock contend (FUTEX_WAITs on the word).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SchedPolicyName } from '../../src/machine/config.ts';
import { defaultRunConfig } from '../../src/machine/defaults.ts';
import { runConfig } from '../../src/report/run.ts';

const THREADS = 4;
const ITERATIONS = 300;
const CS_CYCLES = 100;

function run(policy: SchedPolicyName, cpus: number, outside: number) {
  const params = { threads: THREADS, iterations: ITERATIONS, cs_cycles: CS_CYCLES, outside_cycles: outside };
  return runConfig({
    ...defaultRunConfig(policy, cpus),
    name: 'mutexloop',
    workloads: [{ kind: 'program', program: 'mutexloop', params }],
  }).metrics;
}

for (const policy of ['fair', 'dwrr'] as const) {
  test(`mutexloop on ${policy} (${policy === 'fair' ? 'improved libc' : 'relibc'}): threads × iterations increments, none lost`, () => {
    for (const cpus of [1, 2]) {
      const m = run(policy, cpus, 0);
      assert.equal(m['workload.mutexloop.acquisitions'], THREADS * ITERATIONS, `${cpus} CPUs`);
      const elapsed = m['workload.mutexloop.elapsed_ns']!;
      // Every critical section runs alone: at least their sum, 1200 × 100 cycles at 3 GHz.
      assert.ok(elapsed >= (THREADS * ITERATIONS * CS_CYCLES) / 3, `${elapsed} ns`);
      assert.equal(m['workload.mutexloop.ns_per_acquisition'], elapsed / (THREADS * ITERATIONS));
    }
  });
}

test('mutexloop on fair: one CPU runs the loop without a futex wait; two CPUs contend', () => {
  // One CPU: the loop (1200 × ~70 ns) ends before the first 1 ms tick, so no thread is ever
  // preempted holding the lock; the only waits are the main thread's joins (at most 4).
  const one = run('fair', 1, 0);
  assert.ok(one['futex.wait']! <= THREADS, `${one['futex.wait']} waits`);
  // Two CPUs, nothing outside the lock: the other CPU's thread finds it held, sets state 2 and
  // waits (or finds it changed: EAGAIN), and the unlocks that see state 2 wake.
  const two = run('fair', 2, 0);
  assert.ok(two['futex.wait']! > 100, `${two['futex.wait']} waits`);
  assert.ok(two['futex.wake']! > 100, `${two['futex.wake']} wakes`);
  // 1000 cycles outside, 100 inside: the lock is free most of the time, and two CPUs nearly halve it.
  const far1 = run('fair', 1, 1000)['workload.mutexloop.elapsed_ns']!;
  const far2 = run('fair', 2, 1000)['workload.mutexloop.elapsed_ns']!;
  assert.ok(far1 / far2 > 1.6 && far1 / far2 <= 2, `speedup ${far1 / far2}`);
});
