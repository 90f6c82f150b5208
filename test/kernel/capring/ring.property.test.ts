// The capability ring (RING-1) against a model: random submit / consume / complete / reap
// sequences over one ring's words, the user side (libc/capring/ring.ts) and the kernel side
// (kernel/capring/ring.ts) both running on them. The model is two FIFO queues, the overflow list
// and its capacity (io_uring FEAT_NODROP, models-2.md §11.5).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  CQ_ENTRIES,
  RING_BYTES,
  RING_CQ_OVERFLOW,
  RING_SQ_CQ_OVERFLOW,
  RING_SQ_FLAGS,
  SQ_ENTRIES,
} from '../../../src/abi/capring.ts';
import { Posted, RingCore } from '../../../src/kernel/capring/ring.ts';
import { cqReady, pushSqe, reapCqe, sqSpace } from '../../../src/libc/capring/ring.ts';

const RING = 0x1000;

function memory() {
  const words = new Uint32Array((RING + RING_BYTES) / 4);
  const user = {
    load32: (a: number) => words[a / 4]!,
    store32: (a: number, v: number) => {
      words[a / 4] = v >>> 0;
    },
  };
  const kernel = {
    load: (o: number) => user.load32(RING + o),
    store: (o: number, v: number) => user.store32(RING + o, v),
  };
  return { user, kernel };
}

type Step =
  | { kind: 'submit'; opcode: number; user: number }
  | { kind: 'consume' }
  | { kind: 'complete'; result: number; value: number }
  | { kind: 'reap'; count: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('submit' as const), opcode: fc.nat(2000), user: fc.nat(0xffff_ffff) }),
  fc.record({ kind: fc.constant('consume' as const) }),
  fc.record({
    kind: fc.constant('complete' as const),
    result: fc.integer({ min: -200, max: 1 << 30 }),
    value: fc.nat(Number.MAX_SAFE_INTEGER),
  }),
  fc.record({ kind: fc.constant('reap' as const), count: fc.integer({ min: 1, max: 40 }) }),
);

test('ring: SQ and CQ with overflow behave as two FIFOs, an overflow list and a drop counter', () => {
  fc.assert(
    fc.property(fc.array(step, { maxLength: 300 }), fc.integer({ min: 0, max: 8 }), (steps, capacity) => {
      const { user, kernel } = memory();
      const core = new RingCore(kernel, capacity);
      core.init();
      const sq: { opcode: number; user: number }[] = [];
      const cq: { result: number; value: number; user: number }[] = [];
      const overflow: typeof cq = [];
      let dropped = 0;
      let seq = 0;
      for (const s of steps) {
        if (s.kind === 'submit') {
          const ok = pushSqe(user, RING, s.opcode, 3, [1, 2, 3, 4], s.user);
          assert.equal(ok, sq.length < SQ_ENTRIES);
          if (ok) sq.push({ opcode: s.opcode, user: s.user });
        } else if (s.kind === 'consume') {
          const got = core.takeSqe();
          const want = sq.shift();
          assert.equal(got?.opcode, want?.opcode);
          assert.equal(got?.userLo, want?.user);
          if (got !== null) assert.deepEqual(got.args, [1, 2, 3, 4]);
        } else if (s.kind === 'complete') {
          const entry = { result: s.result, value: s.value, user: seq++ };
          const how = core.post({
            userLo: entry.user,
            userHi: 0,
            result: s.result,
            flags: 0,
            value: s.value,
          });
          // The model: flush what fits, then the ring, the list, or a drop.
          while (overflow.length > 0 && cq.length < CQ_ENTRIES) cq.push(overflow.shift()!);
          if (overflow.length === 0 && cq.length < CQ_ENTRIES) {
            assert.equal(how, Posted.Ring);
            cq.push(entry);
          } else if (overflow.length < capacity) {
            assert.equal(how, Posted.Overflowed);
            overflow.push(entry);
          } else {
            assert.equal(how, Posted.Dropped);
            dropped++;
          }
        } else {
          core.flush(); // what cap_enter does before the user looks
          while (overflow.length > 0 && cq.length < CQ_ENTRIES) cq.push(overflow.shift()!);
          for (let i = 0; i < s.count; i++) {
            const got = reapCqe(user, RING);
            const want = cq.shift();
            assert.equal(got?.userData, want?.user);
            assert.equal(got?.result, want?.result);
            assert.equal(got?.value, want?.value);
          }
        }
        assert.equal(sqSpace(user, RING), SQ_ENTRIES - sq.length);
        assert.equal(core.sqPending(), sq.length);
        assert.equal(cqReady(user, RING), cq.length);
        assert.equal(core.overflow.length, overflow.length);
        assert.equal(user.load32(RING + RING_CQ_OVERFLOW), dropped);
        assert.equal(core.dropped, dropped);
        const flag = (user.load32(RING + RING_SQ_FLAGS) & RING_SQ_CQ_OVERFLOW) !== 0;
        assert.equal(flag, overflow.length > 0);
      }
    }),
    { numRuns: 300 },
  );
});

test('ring: indexes wrap at 2^32 without losing an entry', () => {
  const { user, kernel } = memory();
  const core = new RingCore(kernel, 0);
  core.init();
  for (const off of [0, 4, 24, 28]) user.store32(RING + off, 0xffff_fffe); // sq/cq head and tail
  for (let i = 0; i < 5; i++) {
    assert.ok(pushSqe(user, RING, 1310 + i, 0, [], i));
    assert.equal(core.takeSqe()?.opcode, 1310 + i);
    assert.equal(core.post({ userLo: i, userHi: 0, result: i, flags: 0, value: 0 }), Posted.Ring);
    assert.equal(reapCqe(user, RING)?.userData, i);
  }
  assert.equal(user.load32(RING + 4), 3); // the tail wrapped past 2^32
});
