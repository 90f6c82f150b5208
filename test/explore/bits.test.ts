// Bit-level footprints and owned bits (src/explore/footprint.ts, owned.ts): RMWs whose old value
// is not read commute on disjoint bits and not on the same bit; a wait on one bit commutes with
// writes of other bits; a declared owner's bits changed by another thread end the run; and the
// real bring-up code (k1-fixed) then needs exactly one execution per order of its CPU_COUNT
// fetch-adds (N! for N APs), as counted by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { dporSearch } from '../../src/explore/dpor.ts';
import { explore, setupFor } from '../../src/explore/explore.ts';
import { dependent, readsBits, writes, writesBits } from '../../src/explore/footprint.ts';
import type { Model, ModelInstance } from '../../src/explore/model.ts';
import { findModel } from '../../src/explore/registry.ts';

const W = 0x40;

function model(name: string, build: () => ModelInstance): Model {
  return {
    name,
    description: 'test',
    claims: 'test',
    buggy: false,
    memory: 'sc',
    cpus: 2,
    cpusMin: 2,
    cpusMax: 2,
    source: 'test',
    build,
  };
}

const dpor = (m: Model) =>
  dporSearch(setupFor(m, 2, 'sc'), { executionsMax: 100, preemptionBound: -1, stop: () => false });

/** Two threads each set bit `bits[i]` of W twice (two steps each). */
const setters = (bits: [number, number]) =>
  model('setters', () => ({
    threads: bits.map((b, i) => ({
      name: `T${i}`,
      run: function* (t) {
        yield t.bits('or', W, b);
        yield t.bits('or', W, b);
      },
    })),
  }));

test('setBits of disjoint bits commute: 1 execution; of the same bit: the 6 orders of 2x2 steps', () => {
  assert.equal(dpor(setters([1, 2])).executions, 1);
  assert.equal(dpor(setters([4, 4])).executions, 6);
});

test('a wait on bit 0 commutes with sets of bit 1 and resumes with the masked word', () => {
  let seen = -1;
  const m = model('wait', () => ({
    threads: [
      {
        name: 'setter',
        run: function* (t) {
          yield t.bits('or', W, 2);
          yield t.bits('or', W, 1);
        },
      },
      {
        name: 'waiter',
        run: function* (t) {
          const [v] = (yield t.await([W], (w) => w[0] !== 0, undefined, [1])) as number[];
          seen = v!;
        },
      },
    ],
  }));
  const r = dpor(m);
  assert.equal(r.exhaustive, true);
  assert.equal(r.executions, 1); // the wait can only follow the set of bit 0
  assert.equal(seen, 1); // bit 1 is set too, but the wait reads only bit 0
});

test('a thread that changes bits another owns ends the run with an assertion naming the word', () => {
  const m = model('trespass', () => ({
    threads: [
      {
        name: 'owner',
        run: function* (t) {
          yield t.bits('or', W, 1);
        },
      },
      {
        name: 'other',
        run: function* (t) {
          yield t.bits('or', W, 3);
        },
      },
    ],
    names: new Map([[W, 'flags']]),
    owned: [{ addr: W, bits: 1, writer: 0 }],
  }));
  const r = explore({
    model: m,
    cpus: 2,
    memory: 'sc',
    strategy: 'dpor',
    depth: 3,
    budget: 100,
    seed: 1,
    preemptionBound: -1,
    shrink: false,
  });
  assert.equal(r.found, true);
  assert.equal(r.violation!.kind, 'assertion');
  assert.match(r.violation!.message, /changed bits of flags the model declares only owner changes/);
});

test('footprints: dependent iff one object, one write, and overlapping bits', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffff_ffff }),
      fc.integer({ min: 0, max: 0xffff_ffff }),
      (a, b) => {
        const overlap = (a & b) >>> 0 !== 0;
        assert.equal(dependent(writesBits(W, a), writesBits(W, b)), overlap);
        assert.equal(dependent(writesBits(W, a), readsBits([W], [b])), overlap);
        assert.equal(dependent(readsBits([W], [a]), readsBits([W], [b])), false);
        assert.equal(dependent(writes(W), readsBits([W], [b])), b !== 0);
        assert.equal(dependent(writesBits(W, a), writesBits(W + 4, b)), false);
      },
    ),
  );
});

test('k1-fixed on the real bring-up code: N! executions for N APs (the fetch-add orders), N = 1..4', () => {
  const m = findModel('k1-fixed')!;
  for (const [aps, orders] of [
    [1, 1],
    [2, 2],
    [3, 6],
    [4, 24],
  ] as const) {
    const r = dporSearch(setupFor(m, aps + 1, 'sc'), {
      executionsMax: 1000,
      preemptionBound: -1,
      stop: () => false,
    });
    assert.equal(r.violation, null);
    assert.equal(r.exhaustive, true);
    assert.equal(r.executions, orders, `${aps} APs`);
  }
});
