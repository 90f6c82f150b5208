// The IOVA allocator (kernel/dma/iova.ts): top-down placement below the limit, size alignment,
// and a property test over random alloc/free sequences (issue 18): ranges never overlap, stay
// inside [start, limit], are aligned when asked, and freeing everything lets the whole domain
// be taken again in one range (frees coalesce).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { IovaAllocator } from '../../src/kernel/dma/iova.ts';

test('top-down below the limit, aligned to the size when asked, null when nothing fits', () => {
  const a = new IovaAllocator(1, 0xff);
  assert.deepEqual(a.alloc(4, 0xff, false), { pfnLo: 0xfc, pfnHi: 0xff });
  assert.deepEqual(a.alloc(3, 0xff, true), { pfnLo: 0xf8, pfnHi: 0xfa }); // 4-aligned below 0xfc
  assert.deepEqual(a.alloc(1, 0xff, false), { pfnLo: 0xfb, pfnHi: 0xfb }); // fills the hole above
  assert.deepEqual(a.alloc(2, 0x0f, false), { pfnLo: 0x0e, pfnHi: 0x0f }); // a 32-bit-style limit
  assert.equal(a.alloc(0x100, 0xff, false), null);
  assert.equal(a.free(0xf8), true);
  assert.equal(a.free(0xf8), false);
  assert.deepEqual(a.find(0xfd), { pfnLo: 0xfc, pfnHi: 0xff });
});

type Op = { alloc: number; limit: number; aligned: boolean } | { free: number };

test('property: no overlap, inside the limits, aligned; everything freed coalesces', () => {
  const END = 1023;
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      alloc: fc.integer({ min: 1, max: 64 }),
      limit: fc.integer({ min: 1, max: END }),
      aligned: fc.boolean(),
    }),
    fc.record({ free: fc.nat(40) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 150 }), (ops) => {
      const a = new IovaAllocator(1, END);
      const live: { pfnLo: number; pfnHi: number }[] = [];
      for (const o of ops) {
        if ('free' in o) {
          const r = live.splice(o.free % Math.max(1, live.length), 1)[0];
          if (r) assert.equal(a.free(r.pfnLo), true);
          continue;
        }
        const r = a.alloc(o.alloc, o.limit, o.aligned);
        if (!r) continue;
        assert.equal(r.pfnHi - r.pfnLo + 1, o.alloc);
        assert.ok(r.pfnLo >= 1 && r.pfnHi <= o.limit);
        if (o.aligned) assert.equal(r.pfnLo % 2 ** Math.ceil(Math.log2(o.alloc)), 0);
        for (const x of live) assert.ok(r.pfnHi < x.pfnLo || r.pfnLo > x.pfnHi, 'overlap');
        live.push(r);
      }
      for (const r of live) a.free(r.pfnLo);
      assert.deepEqual(a.alloc(END, END, false), { pfnLo: 1, pfnHi: END });
    }),
    { numRuns: 300 },
  );
});

test('with unaligned allocations a gap is found below a higher full one (the search goes on down)', () => {
  const a = new IovaAllocator(1, 20);
  a.alloc(5, 20, false); // 16..20
  a.alloc(5, 20, false); // 11..15
  a.free(16);
  assert.deepEqual(a.alloc(6, 20, false), { pfnLo: 5, pfnHi: 10 }); // 16..20 holds only 5
});
