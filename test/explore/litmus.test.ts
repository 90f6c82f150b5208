// The litmus tests' outcome sets under each memory model, exact: SC allows no relaxed outcome;
// x86-TSO only SB's r0=0 r1=0 (a load passes an older store to another address: Sewell et al.,
// CACM 2010, and Intel SDM vol. 3 §8.2.3.4); PSO adds MP's r0=1 r1=0 (stores to different
// addresses drain out of order); none allows LB's r0=1 r1=1 or IRIW's disagreement
// r0=1 r1=0 r2=1 r3=0 (loads do not pass later stores; memory is a single copy).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findModel } from '../../src/explore/registry.ts';
import { litmusOutcomes } from '../../src/explore/outcomes.ts';
import type { MemoryModelName } from '../../src/explore/model.ts';

const TWO = ['r0=0 r1=0', 'r0=0 r1=1', 'r0=1 r1=0', 'r0=1 r1=1'];
const without = (all: string[], ...gone: string[]) => all.filter((o) => !gone.includes(o));

function outcomes(name: string, memory: MemoryModelName): string[] {
  return litmusOutcomes(findModel(`litmus-${name}`)!, memory);
}

test('SB: the relaxed outcome r0=0 r1=0 under TSO and PSO only', () => {
  assert.deepEqual(outcomes('sb', 'sc'), without(TWO, 'r0=0 r1=0'));
  assert.deepEqual(outcomes('sb', 'tso'), TWO);
  assert.deepEqual(outcomes('sb', 'pso'), TWO);
});

test('MP: r0=1 r1=0 (flag seen, data not) under PSO only', () => {
  assert.deepEqual(outcomes('mp', 'sc'), without(TWO, 'r0=1 r1=0'));
  assert.deepEqual(outcomes('mp', 'tso'), without(TWO, 'r0=1 r1=0'));
  assert.deepEqual(outcomes('mp', 'pso'), TWO);
});

test('LB: r0=1 r1=1 under none of them', () => {
  for (const m of ['sc', 'tso', 'pso'] as const)
    assert.deepEqual(outcomes('lb', m), without(TWO, 'r0=1 r1=1'));
});

test('IRIW: the readers never disagree on the order of the writes (15 of the 16 outcomes)', () => {
  const all: string[] = [];
  for (let b = 0; b < 16; b++) all.push([0, 1, 2, 3].map((i) => `r${i}=${(b >> (3 - i)) & 1}`).join(' '));
  for (const m of ['sc', 'tso', 'pso'] as const) {
    assert.deepEqual(outcomes('iriw', m), without(all, 'r0=1 r1=0 r2=1 r3=0').sort());
  }
});
