// cap_enter and the capability calls (issue 20, RING-1..RING-4): errors as CQEs, timeouts, CQ
// overflow and drops, park words on private and shared keys, joins by generation-checked
// references, and the process ring's one waiter.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AtomicOp, type Program } from '../../../src/abi/effects.ts';
import { EAGAIN, EBADF, EBADR, EINVAL, ENOSYS, EPERM, ESRCH, ETIME } from '../../../src/abi/errno.ts';
import type { Guest } from '../../../src/abi/guest.ts';
import {
  CQ_ENTRIES,
  CapOp,
  CapSlot,
  RING_CQ_OVERFLOW,
  RING_SQ_CQ_OVERFLOW,
  RING_SQ_FLAGS,
  RING_VADDR,
  SQ_ENTRIES,
  SYS_CAP_ENTER,
} from '../../../src/abi/capring.ts';
import { capringIfAny } from '../../../src/kernel/capring/state.ts';
import { capCall, capEnter, capSetup, capSubmit } from '../../../src/libc/capring/call.ts';
import { capPark, capUnpark, parkArgs } from '../../../src/libc/capring/mutex.ts';
import { cqReady, pushSqe, reapCqe } from '../../../src/libc/capring/ring.ts';
import {
  capEndpointCall,
  capEndpointCreate,
  capEndpointRecv,
  capEndpointReturn,
  capMap,
  capSpawn,
  capThreadCreate,
  capThreadJoin,
  capWait,
} from '../../../src/libc/capring/thread.ts';
import { runGuest } from '../../support/guest.ts';

const THREAD = { capring: { rings: 'thread' as const } };

test('cap_enter is ENOSYS on the redox personality', () => {
  let got = 0;
  runGuest(function* (t) {
    got = (yield t.syscall(SYS_CAP_ENTER, 0, 0)) as number;
    return 0;
  }, null);
  assert.equal(got, -ENOSYS);
});

test('a wrong capability slot is -EBADF and an unknown opcode -EINVAL, both as CQEs; the clock reads now', () => {
  const got: number[] = [];
  let clock = -1;
  const run = runGuest(
    function* (t) {
      yield* capSetup(t);
      got.push((yield* capCall(t, CapOp.ClockRead, CapSlot.Memory, [])).result);
      got.push((yield* capCall(t, 1399, CapSlot.Timer, [])).result);
      clock = (yield* capCall(t, CapOp.ClockRead, CapSlot.Timer, [])).value;
      return 0;
    },
    null,
    THREAD,
  );
  assert.deepEqual(got, [-EBADF, -EINVAL]);
  assert.ok(clock > 0 && clock <= run.board.engine.nowNs);
  assert.equal(capringIfAny(run.kernel)!.counts.badCap, 1);
});

test('a wait with nothing to come times out with -ETIME after its timeout', () => {
  let r = 0;
  let waitedNs = 0;
  const run = runGuest(
    function* (t) {
      yield* capSetup(t);
      const before = yield* clock(t);
      r = yield* capEnter(t, 1, 200_000);
      waitedNs = (yield* clock(t)) - before;
      return 0;
    },
    null,
    THREAD,
  );
  assert.equal(r, -ETIME);
  assert.ok(waitedNs >= 200_000 && waitedNs < 400_000, `waited ${waitedNs} ns`);
  assert.equal(run.kernel.finished, true);
});

function* clock(t: Guest): Program<number> {
  return (yield* capCall(t, CapOp.ClockRead, CapSlot.Timer, [])).value;
}

/** Submits `n` NOPs in batches of a full SQ, entering with min_complete 0 after each batch. */
function* nops(t: Guest, n: number): Program<void> {
  for (let i = 0; i < n; i++) {
    if (!pushSqe(t, RING_VADDR, CapOp.Nop, CapSlot.Timer, [], 1000 + i)) {
      yield* capEnter(t, 0, 0);
      pushSqe(t, RING_VADDR, CapOp.Nop, CapSlot.Timer, [], 1000 + i);
    }
  }
  yield* capEnter(t, 0, 0);
}

test('CQEs past the CQ wait on the overflow list, flag set, and flush in order as the user reaps', () => {
  const seen: number[] = [];
  const flags: number[] = [];
  runGuest(
    function* (t) {
      yield* capSetup(t);
      yield* nops(t, CQ_ENTRIES + SQ_ENTRIES);
      flags.push(t.load32(RING_VADDR + RING_SQ_FLAGS) & RING_SQ_CQ_OVERFLOW);
      for (;;) {
        for (let c = reapCqe(t, RING_VADDR); c !== null; c = reapCqe(t, RING_VADDR)) seen.push(c.userData);
        if ((yield* capEnter(t, 0, 0)) === 0) break; // flushes the list into the freed slots
      }
      flags.push(t.load32(RING_VADDR + RING_SQ_FLAGS) & RING_SQ_CQ_OVERFLOW);
      return 0;
    },
    null,
    THREAD,
  );
  assert.deepEqual(
    seen,
    Array.from({ length: CQ_ENTRIES + SQ_ENTRIES }, (_, i) => 1000 + i),
  );
  assert.deepEqual(flags, [RING_SQ_CQ_OVERFLOW, 0]);
});

test('past the overflow list a CQE is dropped and counted, and the next wait says -EBADR once', () => {
  const results: number[] = [];
  let overflowWord = -1;
  const run = runGuest(
    function* (t) {
      yield* capSetup(t);
      yield* nops(t, CQ_ENTRIES + 4 + 3); // 4 on the list, 3 dropped
      overflowWord = t.load32(RING_VADDR + RING_CQ_OVERFLOW);
      while (reapCqe(t, RING_VADDR) !== null);
      results.push(yield* capEnter(t, 100, 1000)); // the list flushes: 4 ready, then the drop
      while (reapCqe(t, RING_VADDR) !== null);
      results.push(yield* capEnter(t, 1, 1000));
      return 0;
    },
    null,
    { capring: { rings: 'thread', overflowCapacity: 4 } },
  );
  assert.equal(overflowWord, 3);
  assert.deepEqual(results, [-EBADR, -ETIME]);
  assert.equal(capringIfAny(run.kernel)!.counts.dropped, 3);
});

test('park words: private keys stay in their process, shared keys meet across processes (RING-4)', () => {
  const log: string[] = [];
  function* child(t: Guest, raw: unknown): Program<number> {
    const word = raw as number;
    yield* capSetup(t);
    yield t.atomic(AtomicOp.Store, word + 4, 1); // arrived
    const r = yield* capPark(t, word, 0, true);
    log.push(`child woke ${r}`);
    return 0;
  }
  runGuest(
    function* (t) {
      yield* capSetup(t);
      const page = yield* capMap(t, 4096, true);
      log.push(`eagain ${(yield* capPark(t, page, 7, true)) === -EAGAIN}`);
      const pid = yield* capSpawn(t, 'child', child, page);
      while (t.load32(page + 4) === 0) yield t.compute(3_000);
      yield t.compute(30_000); // the child's PARK is in
      log.push(`private unpark ${yield* capUnpark(t, page, 1, false)}`);
      yield t.atomic(AtomicOp.Store, page, 1);
      log.push(`shared unpark ${yield* capUnpark(t, page, 1, true)}`);
      yield* capWait(t, pid);
      return 0;
    },
    null,
    THREAD,
  );
  assert.deepEqual(log, ['eagain true', 'private unpark 0', 'shared unpark 1', 'child woke 0']);
});

test('a join by a reference whose slot was reused finds the old exit code, a never-issued one ESRCH', () => {
  const got: [number, number][] = [];
  runGuest(
    function* (t) {
      yield* capSetup(t);
      const a = yield* capThreadCreate(
        t,
        function* () {
          return 7;
        },
        null,
      );
      assert.ok(typeof a !== 'number');
      got.push(yield* capThreadJoin(t, a));
      const b = yield* capThreadCreate(
        t,
        function* (tt) {
          yield tt.compute(100_000);
          return 9;
        },
        null,
      );
      assert.ok(typeof b !== 'number');
      assert.equal(b.slot, a.slot);
      assert.equal(b.generation, a.generation + 1);
      got.push(yield* capThreadJoin(t, a)); // the old generation: its code, not b's
      got.push(yield* capThreadJoin(t, b));
      got.push(yield* capThreadJoin(t, { slot: a.slot, generation: 99 }));
      return 0;
    },
    null,
    THREAD,
  );
  assert.deepEqual(got, [
    [0, 7],
    [0, 7],
    [0, 9],
    [-ESRCH, 0],
  ]);
});

test('process rings admit one blocked waiter: a second thread that must wait queues behind it (RING-2)', () => {
  const run = runGuest(
    function* (t) {
      yield* capSetup(t);
      const page = yield* capMap(t, 4096, false);
      const sleeper = yield* capThreadCreate(
        t,
        function* (tt, w) {
          return yield* capPark(tt, w as number, 0);
        },
        page,
      );
      assert.ok(typeof sleeper !== 'number');
      yield t.compute(60_000); // the sleeper is now the ring's blocked waiter
      const ud = yield* capSubmit(t, CapOp.Park, CapSlot.ParkSpace, parkArgs(page + 4, 0));
      void ud;
      const other = yield* capThreadCreate(
        t,
        function* (tt, w) {
          yield tt.compute(30_000);
          yield tt.atomic(AtomicOp.Store, w as number, 1);
          return yield* capUnpark(tt, w as number, 10);
        },
        page,
      );
      assert.ok(typeof other !== 'number');
      yield* capThreadJoin(t, sleeper); // main must wait: the sleeper holds the waiter slot
      yield* capThreadJoin(t, other);
      return 0;
    },
    null,
    { cpus: 2, capring: { rings: 'process' } },
  );
  const counts = capringIfAny(run.kernel)!.counts;
  assert.ok(counts.ownerQueued >= 1, `owner_queued ${counts.ownerQueued}`);
  assert.equal(run.kernel.finished, true);
  void cqReady;
});

test('endpoints: a server process answers its child’s calls in order; others cannot serve or call', () => {
  const answers: [number, number][] = [];
  const served: number[] = [];
  let refused: [number, number, number] = [0, 0, 0];
  let strangerCall = 0;
  function* client(t: Guest, raw: unknown): Program<number> {
    const ep = raw as number;
    yield* capSetup(t);
    refused = yield* capEndpointRecv(t, ep); // not its endpoint to serve
    for (const word of [3, 5, 7]) answers.push(yield* capEndpointCall(t, ep, word));
    return 0;
  }
  function* stranger(t: Guest): Program<number> {
    yield* capSetup(t);
    strangerCall = (yield* capEndpointCall(t, 1, 1))[0]; // endpoint 1 exists, but was never granted here
    return 0;
  }
  runGuest(
    function* (t) {
      yield* capSetup(t);
      const other = yield* capSpawn(t, 'stranger', stranger, null); // spawned before the endpoint
      yield* capWait(t, other);
      const ep = yield* capEndpointCreate(t);
      const pid = yield* capSpawn(t, 'client', client, ep);
      for (let i = 0; i < 3; i++) {
        const [callId, word] = yield* capEndpointRecv(t, ep);
        served.push(word);
        assert.equal(yield* capEndpointReturn(t, callId, word * 2, word * 100), 0);
      }
      assert.equal(yield* capEndpointReturn(t, 999, 0, 0), -ESRCH);
      yield* capWait(t, pid);
      return 0;
    },
    null,
    { cpus: 2, capring: { rings: 'thread' } },
  );
  assert.deepEqual(refused, [-EPERM, 0, 0]);
  assert.equal(strangerCall, -EBADF);
  assert.deepEqual(served, [3, 5, 7]);
  assert.deepEqual(answers, [
    [6, 300],
    [10, 500],
    [14, 700],
  ]);
});
