// Timeouts as ring operations (issue 20, RING-2; io_uring's IORING_OP_TIMEOUT, io_uring/timeout.c):
// -ETIME after the time, absolute and relative, refused flags and counts, expiry order, and on a
// process ring a sibling's timeout fired by the thread blocked there.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../../src/abi/effects.ts';
import { EINVAL, ETIME } from '../../../src/abi/errno.ts';
import type { Guest } from '../../../src/abi/guest.ts';
import { CAP_NO_TIMEOUT, CAP_TIMEOUT_ABS, CapOp, CapSlot, RING_VADDR } from '../../../src/abi/capring.ts';
import { capringIfAny } from '../../../src/kernel/capring/state.ts';
import { capCall, capEnter, capSetup, capSubmit } from '../../../src/libc/capring/call.ts';
import { pushSqe, reapCqe } from '../../../src/libc/capring/ring.ts';
import { capClockNs, capSleepNs, capThreadCreate, capThreadJoin } from '../../../src/libc/capring/thread.ts';
import { runGuest } from '../../support/guest.ts';

const THREAD = { capring: { rings: 'thread' as const } };
const PROCESS = { capring: { rings: 'process' as const } };

test('a Timeout completes with -ETIME no sooner than its time; a relative 0 at once', () => {
  const slept: number[] = [];
  let zero = 0;
  const run = runGuest(
    function* (t) {
      yield* capSetup(t);
      for (const ns of [50_000, 300_000]) {
        const before = yield* capClockNs(t);
        assert.equal(yield* capSleepNs(t, ns), 0);
        slept.push((yield* capClockNs(t)) - before);
      }
      zero = (yield* capCall(t, CapOp.Timeout, CapSlot.Timer, [0, 0, 0, 0])).result;
      return 0;
    },
    null,
    THREAD,
  );
  assert.equal(zero, -ETIME);
  // No sooner than asked; no later than the wait's timer slack (50 us) plus the ring's costs.
  assert.ok(slept[0]! >= 50_000 && slept[0]! < 50_000 + 80_000, `slept ${slept[0]} ns`);
  assert.ok(slept[1]! >= 300_000 && slept[1]! < 300_000 + 80_000, `slept ${slept[1]} ns`);
  const counts = capringIfAny(run.kernel)!.counts;
  assert.equal(counts.timeoutsArmed, 3);
  assert.equal(counts.timeoutsFired, 3);
});

test('IORING_TIMEOUT_ABS: an absolute CLOCK_MONOTONIC instant; unknown flags and counts are -EINVAL', () => {
  let woke = 0;
  let target = 0;
  const refused: number[] = [];
  runGuest(
    function* (t) {
      yield* capSetup(t);
      target = (yield* capClockNs(t)) + 400_000;
      const r = yield* capCall(t, CapOp.Timeout, CapSlot.Timer, [
        target % 2 ** 32,
        Math.floor(target / 2 ** 32),
        0,
        CAP_TIMEOUT_ABS,
      ]);
      assert.equal(r.result, -ETIME);
      woke = yield* capClockNs(t);
      refused.push((yield* capCall(t, CapOp.Timeout, CapSlot.Timer, [1000, 0, 0, 1 << 4])).result);
      refused.push((yield* capCall(t, CapOp.Timeout, CapSlot.Timer, [1000, 0, 2, 0])).result);
      return 0;
    },
    null,
    THREAD,
  );
  assert.ok(woke >= target && woke < target + 80_000, `woke at ${woke}, target ${target}`);
  assert.deepEqual(refused, [-EINVAL, -EINVAL]);
});

test('timeouts submitted together complete earliest first, each CQE carrying its own user_data', () => {
  const order: number[] = [];
  runGuest(
    function* (t) {
      yield* capSetup(t);
      const ns = [300_000, 100_000, 200_000];
      for (const [i, n] of ns.entries())
        pushSqe(t, RING_VADDR, CapOp.Timeout, CapSlot.Timer, [n, 0, 0, 0], 500 + i);
      while (order.length < 3) {
        yield* capEnter(t, 1, CAP_NO_TIMEOUT);
        for (let c = reapCqe(t, RING_VADDR); c !== null; c = reapCqe(t, RING_VADDR)) {
          assert.equal(c.result, -ETIME);
          order.push(ns[c.userData - 500]!);
        }
      }
      return 0;
    },
    null,
    THREAD,
  );
  assert.deepEqual(order, [100_000, 200_000, 300_000]);
});

test('process ring: a sibling blocked behind the ring’s waiter still wakes on time (the waiter fires its timeout)', () => {
  const sleptNs: number[] = [];
  let queued = 0;
  const run = runGuest(
    function* (t) {
      yield* capSetup(t);
      const sleeper = function* (g: Guest, raw: unknown): Program<number> {
        const ns = raw as number;
        const before = yield* capClockNs(g);
        assert.equal(yield* capSleepNs(g, ns), 0);
        sleptNs.push((yield* capClockNs(g)) - before);
        return 0;
      };
      const a = yield* capThreadCreate(t, sleeper, 2_000_000);
      const b = yield* capThreadCreate(t, sleeper, 500_000);
      for (const ref of [a, b]) {
        if (typeof ref === 'number') throw new Error(`create failed ${ref}`);
        assert.deepEqual(yield* capThreadJoin(t, ref), [0, 0]);
      }
      return 0;
    },
    null,
    { ...PROCESS, cpus: 2 },
  );
  queued = capringIfAny(run.kernel)!.counts.ownerQueued;
  assert.ok(queued > 0, 'some wait queued behind the one waiter');
  // The short sleep ends first and on time, though its thread was not the ring's waiter.
  assert.equal(sleptNs.length, 2);
  assert.ok(sleptNs[0]! >= 500_000 && sleptNs[0]! < 500_000 + 100_000, `short sleep ${sleptNs[0]} ns`);
  assert.ok(sleptNs[1]! >= 2_000_000 && sleptNs[1]! < 2_000_000 + 100_000, `long sleep ${sleptNs[1]} ns`);
});

test('a thread ring’s armed timeouts go with its thread: rejected as stale, never posted to the slot’s next owner', () => {
  let stale = 0;
  const run = runGuest(
    function* (t) {
      yield* capSetup(t);
      const leaver = function* (g: Guest): Program<number> {
        yield* capSubmit(g, CapOp.Timeout, CapSlot.Timer, [5_000_000, 0, 0, 0]);
        yield* capEnter(g, 0, 0); // armed; the thread exits before it fires
        return 7;
      };
      const ref = yield* capThreadCreate(t, leaver, null);
      if (typeof ref === 'number') throw new Error(`create failed ${ref}`);
      assert.deepEqual(yield* capThreadJoin(t, ref), [0, 7]);
      return 0;
    },
    null,
    THREAD,
  );
  const counts = capringIfAny(run.kernel)!.counts;
  stale = counts.staleRejected;
  assert.equal(stale, 1);
  assert.equal(counts.timeoutsFired, 0);
});
