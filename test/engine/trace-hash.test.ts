// The trace hash identifies a run: the same records at other times are another run (issue 12).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { NO_CLOCK, TraceHash } from '../../src/engine/trace-hash.ts';
import { runConfig } from '../../src/report/run.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';

function hashOf(records: readonly [number, number, number, number][]): string {
  const clock = { nowNs: 0 };
  const hash = new TraceHash(clock);
  for (const [timeNs, kind, a, b] of records) {
    clock.nowNs = timeNs;
    hash.mix(kind, a, b);
  }
  return hash.hex();
}

test('the same records at different times give different hashes', () => {
  const early = hashOf([
    [100, 1, 2, 3],
    [200, 4, 5, 6],
  ]);
  assert.equal(
    early,
    hashOf([
      [100, 1, 2, 3],
      [200, 4, 5, 6],
    ]),
  );
  assert.notEqual(
    early,
    hashOf([
      [100, 1, 2, 3],
      [201, 4, 5, 6],
    ]),
  );
  // Times 2^32 ns apart have the same low 32 bits: the second lane takes the high bits.
  assert.notEqual(
    early,
    hashOf([
      [100, 1, 2, 3],
      [200 + 2 ** 32, 4, 5, 6],
    ]),
  );
});

test('a hash outside any run (combining others) reads time 0', () => {
  const a = new TraceHash(NO_CLOCK);
  a.mix(1, 2, 3);
  assert.equal(a.hex(), hashOf([[0, 1, 2, 3]]));
});

test('futex-robust under seeds 1 and 3 (same decisions, different times) gets two hashes', () => {
  const file = join(import.meta.dirname, '..', '..', 'scenarios', 'seeds', 'futex-robust.toml');
  const one = runConfig(loadScenarioFile(file, { seed: 1 }));
  const three = runConfig(loadScenarioFile(file, { seed: 3 }));
  assert.notEqual(one.sim_ns, three.sim_ns);
  assert.notEqual(one.trace_hash, three.trace_hash);
});
