// RING-6's harness check catches the ring owner (issue 20): a run on several CPUs in which some
// cap_enter wait queued behind a process ring's one waiter is rejected with that reason; the same
// on one CPU, or with no queued wait, is accepted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scalePointOf } from '../../src/report/scale.ts';
import type { RunReport } from '../../src/report/types.ts';

function report(metrics: Record<string, number>): RunReport {
  return { failure: null, metrics, sim_ns: 1, trace_hash: 'h' } as unknown as RunReport;
}

const OK = {
  'workload.primes.elapsed_ns': 1000,
  'workload.primes.checksum_ok': 1,
  'workload.primes.serialised': 0,
};

test('scale: a wait queued behind the process ring owner rejects a multi-CPU run (RING-2, RING-6)', () => {
  const point = scalePointOf(
    2,
    [1, 2],
    [report({ ...OK, 'capring.owner_queued': 3 }), report({ ...OK, 'capring.owner_queued': 0 })],
    'workload.primes.elapsed_ns',
  );
  assert.equal(
    point.runs[0]!.rejected,
    "ring owner: 3 cap_enter waits queued behind the process's one waiter (RING-2)",
  );
  assert.equal(point.runs[0]!.serialised, true);
  assert.equal(point.runs[1]!.rejected, null);
  assert.deepEqual(point.times_ns, [1000]);
});

test('scale: on one CPU the ring owner is no reason to reject', () => {
  const point = scalePointOf(
    1,
    [1],
    [report({ ...OK, 'capring.owner_queued': 3 })],
    'workload.primes.elapsed_ns',
  );
  assert.equal(point.runs[0]!.rejected, null);
});
