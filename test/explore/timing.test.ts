// `--timing model` on the built-in models' engine (src/explore/timing.ts): a random or PCT
// chooser is offered only the agents within the jitter window of the earliest. A thread that
// spends 1 ms before its store can never be read by a thread that loads at once; time
// abstracted, it can. Two threads with no spends are within the window of each other, so both
// orders stay possible; DPOR refuses the mode.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemOrder } from '../../src/abi/effects.ts';
import { explore } from '../../src/explore/explore.ts';
import type { Model, XProgram } from '../../src/explore/model.ts';
import type { XThread } from '../../src/explore/xthread.ts';
import { spend } from '../../src/hw/effects.ts';

const X = 0x100;

function model(delayNs: number, seen: Set<number>): Model {
  function* writer(t: XThread): XProgram<void> {
    if (delayNs > 0) yield spend(delayNs);
    yield t.store(X, 1, MemOrder.SeqCst);
  }
  function* reader(t: XThread): XProgram<void> {
    seen.add((yield t.load(X, MemOrder.SeqCst)) as number);
  }
  return {
    name: 'late-writer',
    description: 'a writer that spends before its store, a reader that loads at once',
    claims: '',
    buggy: false,
    memory: 'sc',
    cpus: 2,
    cpusMin: 2,
    cpusMax: 2,
    source: 'test',
    build: () => ({
      threads: [
        { name: 'writer', run: writer },
        { name: 'reader', run: reader },
      ],
    }),
  };
}

function values(delayNs: number, timing: 'any' | 'model', strategy: 'random' | 'pct'): number[] {
  const seen = new Set<number>();
  explore({
    model: model(delayNs, seen),
    cpus: 2,
    memory: 'sc',
    strategy,
    timing,
    depth: 2,
    budget: 200,
    seed: 1,
    preemptionBound: -1,
    shrink: false,
  });
  return [...seen].sort();
}

test('a store 1 ms late is never read under --timing model; time abstracted, it can be', () => {
  for (const strategy of ['random', 'pct'] as const) {
    assert.deepEqual(values(1_000_000, 'model', strategy), [0], strategy);
    assert.deepEqual(values(1_000_000, 'any', strategy), [0, 1], strategy);
    // No spend: the two accesses are within the jitter window, both orders happen.
    assert.deepEqual(values(0, 'model', strategy), [0, 1], strategy);
  }
});

test('DPOR is refused under --timing model (its footprints say nothing of time)', () => {
  assert.throws(
    () =>
      explore({
        model: model(0, new Set()),
        cpus: 2,
        memory: 'sc',
        strategy: 'dpor',
        timing: 'model',
        depth: 2,
        budget: 10,
        seed: 1,
        preemptionBound: -1,
        shrink: false,
      }),
    /DPOR's footprints say nothing of time/,
  );
});
