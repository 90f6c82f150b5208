// The strategies against programs whose interleavings are counted by hand: two threads of two
// steps each have C(4,2) = 6 orders; DPOR explores one per Mazurkiewicz trace, which is 6 when
// every pair of steps conflicts, 1 when none does, and 2 when only one word is shared (the two
// stores to it in either order).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dporSearch } from '../../src/explore/dpor.ts';
import { estimateSpace } from '../../src/explore/estimate.ts';
import { setupFor } from '../../src/explore/explore.ts';
import { newPrng, pctRunProbability, randomChooser } from '../../src/explore/random-walk.ts';
import { runOnce } from '../../src/explore/run.ts';
import { twoByTwo } from './small-models.ts';

const X = 0x10;
const Y = 0x14;
const Z = 0x18;
const W = 0x1c;

const allShared = twoByTwo('shared', [
  [X, X],
  [X, X],
]);
const disjoint = twoByTwo('disjoint', [
  [X, Y],
  [Z, W],
]);
const oneShared = twoByTwo('one', [
  [X, Y],
  [Y, Z],
]);

const dpor = (m: typeof allShared, bound = -1) =>
  dporSearch(setupFor(m, 2, 'sc'), { executionsMax: 1000, preemptionBound: bound, stop: () => false });

test('random walk sees exactly the 6 orders of two threads of two steps', () => {
  const setup = setupFor(allShared, 2, 'sc');
  const prng = newPrng(7);
  const seen = new Set<string>();
  for (let i = 0; i < 400; i++) seen.add(runOnce(setup, randomChooser(prng)).schedule.join(''));
  assert.deepEqual([...seen].sort(), ['0011', '0101', '0110', '1001', '1010', '1100']);
});

test('DPOR explores 6 executions when every step conflicts, exhaustively', () => {
  const r = dpor(allShared);
  assert.equal(r.executions, 6);
  assert.equal(r.exhaustive, true);
});

test('DPOR explores 1 execution when no step conflicts, and 2 with one shared word', () => {
  assert.equal(dpor(disjoint).executions, 1);
  assert.equal(dpor(oneShared).executions, 2);
});

test('a preemption bound of 0 leaves only the 2 non-preemptive orders, and says it was bounded', () => {
  // 0011 and 1100: each thread runs to its end before the other starts.
  const r = dpor(allShared, 0);
  assert.equal(r.executions, 2);
  assert.equal(r.bounded, true);
  assert.equal(dpor(allShared, 1).executions, 4); // + 0110 and 1001 (one switch away from a runnable thread)
});

test("Knuth's estimate of the 2x2 space averages to 6: every walk's product is 4 or 8", () => {
  // Walks that finish one thread first (0011, 1100) see branching 2,2,1,1 (product 4); the four
  // others 2,2,2,1 (8): the mean over the six orders is (2*4 + 4*8)/6 = 6.67 by order count, and
  // Knuth's walk picks them with probabilities 1/4 (products 4) and 1/8 (products 8): mean 6.
  const e = estimateSpace(setupFor(allShared, 2, 'sc'), newPrng(3), 4000);
  assert.ok(Math.abs(e.schedules - 6) < 0.25, `estimate ${e.schedules}`);
  assert.equal(e.stepsMax, 4);
});

test("PCT's bound is 1/(n*k^(d-1))", () => {
  assert.equal(pctRunProbability(2, 10, 1), 1 / 2);
  assert.equal(pctRunProbability(4, 10, 3), 1 / 400);
});
