// The explorer as the engine's Decider on a whole machine: with time abstracted, random and PCT
// runs keep the workload's answer (pi(100,000) = 9,592, OEIS A000720), differ from each other,
// and their recorded choices replay to the same trace hash; a wrong schedule is refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ChoiceReplayDecider,
  decodeChoices,
  encodeChoices,
  ExploreDecider,
  ReplayMismatch,
} from '../../src/explore/engine-decider.ts';
import type { RunConfig } from '../../src/machine/config.ts';
import { defaultRunConfig } from '../../src/machine/defaults.ts';
import { runConfig } from '../../src/report/run.ts';

function primes(): RunConfig {
  const config = defaultRunConfig('dwrr', 2);
  config.workloads = [
    {
      kind: 'primes',
      mode: 'thread',
      workers: 2,
      range: [2, 100_000],
      segment: 10_000,
      partition: 'interleaved',
    },
  ];
  return config;
}

for (const strategy of ['random', 'pct'] as const) {
  test(`${strategy} over the whole machine keeps the answer and replays to the same trace hash`, () => {
    const d = new ExploreDecider(strategy, 5, 3, 2000);
    const a = runConfig(primes(), { decider: d });
    assert.equal(a.failure, null);
    assert.equal(a.metrics['workload.primes.count'], 9592);
    assert.ok(d.steps > 0);
    const choices = decodeChoices(encodeChoices(d.choices));
    assert.deepEqual(choices, d.choices);
    const b = runConfig(primes(), { decider: new ChoiceReplayDecider(choices) });
    assert.equal(b.trace_hash, a.trace_hash);
    const other = runConfig(primes(), { decider: new ExploreDecider(strategy, 6, 3, 2000) });
    assert.notEqual(other.trace_hash, a.trace_hash);
  });
}

test('a schedule too short for the run is refused', () => {
  assert.throws(() => runConfig(primes(), { decider: new ChoiceReplayDecider([0, 0]) }), ReplayMismatch);
});
