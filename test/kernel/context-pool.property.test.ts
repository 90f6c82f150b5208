/** The per-CPU context pool (issue 24, kernel/context-pool.ts) against a plain model of it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CONTEXT_POOL_ENTRY_BYTES, ContextPool } from '../../src/kernel/context-pool.ts';

const op = fc.record({ take: fc.boolean(), cpu: fc.integer({ min: 0, max: 3 }) });

test('takes and idle refills keep each CPU between 0 and its target, with exact counts and bytes', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 8 }), fc.array(op, { maxLength: 200 }), (target, ops) => {
      const pool = new ContextPool(4, target);
      const ready = [0, 0, 0, 0];
      let hits = 0;
      let misses = 0;
      let peak = 0;
      for (const { take, cpu } of ops) {
        if (take) {
          const got = pool.take(cpu);
          assert.equal(got, ready[cpu]! > 0);
          if (got) {
            ready[cpu]!--;
            hits++;
          } else if (target > 0) misses++;
        } else if (pool.wantsRefill(cpu)) {
          assert.ok(ready[cpu]! < target);
          pool.refill(cpu);
          ready[cpu]!++;
        } else {
          assert.equal(ready[cpu], target, 'a full pool wants no refill');
        }
        const held = ready.reduce((a, b) => a + b, 0) * CONTEXT_POOL_ENTRY_BYTES;
        peak = Math.max(peak, held);
        assert.equal(pool.bytesHeld(), held);
        for (let c = 0; c < 4; c++) assert.equal(pool.ready(c), ready[c]);
      }
      assert.equal(pool.hits, hits);
      assert.equal(pool.misses, misses);
      assert.equal(pool.peakBytesHeld, peak);
    }),
  );
});
