// insertAt and removeAt (sorted-array.ts) against Array.prototype.splice: any sequence of
// inserts and removals at any valid index, the ends included, leaves the same array.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { insertAt, removeAt } from '../../src/engine/sorted-array.ts';

type Step = { insert: boolean; at: number; value: number };

const steps = fc.array(fc.record({ insert: fc.boolean(), at: fc.nat(), value: fc.integer() }), {
  maxLength: 200,
});

test('insertAt and removeAt leave the array splice leaves, ends and middle alike', () => {
  fc.assert(
    fc.property(steps, (ops: Step[]) => {
      const mine: number[] = [];
      const model: number[] = [];
      for (const op of ops) {
        if (op.insert || model.length === 0) {
          const at = op.at % (model.length + 1); // 0..length: the end is a valid place
          insertAt(mine, at, op.value);
          model.splice(at, 0, op.value);
        } else {
          const at = op.at % model.length;
          removeAt(mine, at);
          model.splice(at, 1);
        }
        assert.deepEqual(mine, model);
      }
    }),
  );
});

test('inserts and removals at both ends and in the middle, worked by hand', () => {
  const list = [2, 3];
  insertAt(list, 2, 4);
  insertAt(list, 0, 1);
  insertAt(list, 2, 9);
  assert.deepEqual(list, [1, 2, 9, 3, 4]);
  removeAt(list, 4);
  removeAt(list, 0);
  removeAt(list, 1);
  assert.deepEqual(list, [2, 3]);
});
