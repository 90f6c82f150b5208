/**
 * src/workloads/common.ts: publish keeps other programs' outputs and replaces its own; the
 * latency summary's keys and nearest-rank values (percentile.ts: rank ceil(p/100 * n)); the
 * programs that take `chunk_cycles` share the one descriptor.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Guest } from '../../src/abi/guest.ts';
import { AFFINITY } from '../../src/workloads/affinity.ts';
import { CHUNK_CYCLES_PARAM, latencySummary, publish } from '../../src/workloads/common.ts';
import { CPUHOG } from '../../src/workloads/cpuhog.ts';
import { NUMAMEM } from '../../src/workloads/numamem.ts';

test('publish adds a program output beside the others and replaces only its own', () => {
  const t = { data: {} } as unknown as Guest;
  publish(t, 'a', { x: 1 });
  publish(t, 'b', { y: 2 });
  publish(t, 'a', { x: 3 });
  assert.deepEqual(t.data.output, { a: { x: 3 }, b: { y: 2 } });
});

test('latencySummary: samples, min when asked, nearest-rank percentiles, max, in that order', () => {
  // 1..1000 in reverse: rank ceil(p * 10) of the sorted list, so p50 = 500, p99 = 990, p99.9 = 999.
  const values = Array.from({ length: 1000 }, (_, i) => 1000 - i);
  const withMin = latencySummary(values, [50, 99], true);
  assert.deepEqual(Object.keys(withMin), ['samples', 'minNs', 'p50Ns', 'p99Ns', 'maxNs']);
  assert.deepEqual(withMin, { samples: 1000, minNs: 1, p50Ns: 500, p99Ns: 990, maxNs: 1000 });
  const noMin = latencySummary(values, [75, 90], false);
  assert.deepEqual(noMin, { samples: 1000, p75Ns: 750, p90Ns: 900, maxNs: 1000 });
  // 99.9 is keyed p999Ns. (Its value is left unchecked: 99.9 / 100 * n is just above the whole
  // rank in floating point for most n, e.g. 999.0000000000001 for 1000, so percentile.ts
  // answers one rank higher than nearest-rank; reported, not changed here.)
  assert.ok('p999Ns' in latencySummary(values, [99.9], false));
  assert.deepEqual(latencySummary([], [50], true), { samples: 0, minNs: 0, p50Ns: 0, maxNs: 0 });
  assert.deepEqual(values[0], 1000, 'the input is not sorted in place');
});

test('cpuhog, affinity and numamem take chunk_cycles through the one shared descriptor', () => {
  for (const program of [CPUHOG, AFFINITY, NUMAMEM]) {
    assert.equal(
      program.params.find((p) => p.name === 'chunk_cycles'),
      CHUNK_CYCLES_PARAM,
      program.image.name,
    );
  }
});
