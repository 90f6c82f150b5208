// FutexTable.tidy: the table keeps at most one empty bucket a shard (the one emptied last, so a
// word waited on and woken in turn keeps its bucket), whatever order words fill and empty in.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { FutexWaiter } from '../../../src/kernel/futex/table.ts';
import { FutexTable } from '../../../src/kernel/futex/table.ts';

// tidy and bucket read only a list's length: a stand-in entry is enough.
const ENTRY = {} as FutexWaiter;

test('tidy leaves at most one empty bucket a shard, and no waiter is lost', () => {
  // Five words, so that a kept bucket is often refilled before another word empties (with forty
  // the case that loses a refilled bucket's waiters was not drawn, and a mutant passed).
  const steps = fc.array(fc.record({ key: fc.nat({ max: 4 }), add: fc.boolean() }), { maxLength: 300 });
  fc.assert(
    fc.property(steps, (ops) => {
      const table = new FutexTable({ mode: 'linux', shards: 1 });
      const shard = table.shards[0]!;
      const held = new Map<number, number>();
      for (const { key, add } of ops) {
        const n = held.get(key) ?? 0;
        if (add) {
          table.bucket(shard, key).push(ENTRY);
          held.set(key, n + 1);
        } else if (n > 0) {
          shard.buckets.get(key)!.pop();
          held.set(key, n - 1);
          table.tidy(shard, key);
        }
        const empty = [...shard.buckets.values()].filter((list) => list.length === 0).length;
        assert.ok(empty <= 1, `${empty} empty buckets`);
        for (const [k, count] of held) assert.equal(shard.buckets.get(k)?.length ?? 0, count);
      }
    }),
  );
});

test('a word emptied and refilled in turn keeps its bucket (the same list)', () => {
  const table = new FutexTable({ mode: 'linux', shards: 1 });
  const shard = table.shards[0]!;
  const first = table.bucket(shard, 7);
  first.push(ENTRY);
  first.pop();
  table.tidy(shard, 7);
  assert.equal(table.bucket(shard, 7), first);
  table.bucket(shard, 9).push(ENTRY);
  table.bucket(shard, 9).pop();
  table.tidy(shard, 9); // 9 is now the kept one: 7, still empty, goes
  assert.equal(shard.buckets.has(7), false);
  assert.equal(shard.buckets.get(9)?.length, 0);
});
