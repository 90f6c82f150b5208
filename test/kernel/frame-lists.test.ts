// Regions' frame lists cut from shared chunks (issue 14, memory per idle thread): each is zeroed,
// as long as asked, and independent of every other list, however the requests fall.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FrameLists } from '../../src/kernel/frame-lists.ts';

test('every list is zeroed, as long as asked, and writing one leaves every other as written', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 60 }), (sizes) => {
      const pool = new FrameLists();
      const lists: Int32Array[] = [];
      sizes.forEach((pages, n) => {
        const list = pool.take(pages);
        assert.equal(list.length, pages);
        assert.ok(
          list.every((x) => x === 0),
          `list ${n} is not zeroed`,
        );
        list.fill(n + 1);
        lists.push(list);
      });
      lists.forEach((list, n) => {
        assert.ok(
          list.every((x) => x === n + 1),
          `list ${n} was overwritten`,
        );
      });
    }),
    { numRuns: 200, seed: 14 },
  );
});

test('small lists share chunks; a long one gets its own array', () => {
  const pool = new FrameLists();
  const a = pool.take(16);
  const b = pool.take(16);
  assert.equal(a.buffer, b.buffer, 'two thread stacks share one buffer');
  const long = pool.take(2000);
  assert.equal(long.byteOffset, 0);
  assert.equal(long.buffer.byteLength, 2000 * 4);
});
