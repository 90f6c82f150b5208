// cap_enter's wait mask (issue 20; CAP_ENTER_SIGMASK, io_uring_enter's sigset): set for the wait
// only, restored on the way out, kept until delivery when the wait ends with -EINTR so the
// handler runs under it and the caller's own mask comes back after (io_cqring_wait's
// restore_saved_sigmask_unless(ret == -EINTR)).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../../src/abi/effects.ts';
import { CAP_ENTER_SIGMASK, CapOp, CapSlot } from '../../../src/abi/capring.ts';
import { EFAULT, EINTR, EINVAL, ETIME } from '../../../src/abi/errno.ts';
import type { Guest } from '../../../src/abi/guest.ts';
import { SIG_BLOCK, SIG_SETMASK, SIGUSR1, SIGUSR2, sigBit } from '../../../src/abi/signal.ts';
import { capCall, capEnter, capSetup, capSubmit } from '../../../src/libc/capring/call.ts';
import { capSleepNs, capThreadCreate } from '../../../src/libc/capring/thread.ts';
import { threadScratch } from '../../../src/libc/scratch.ts';
import { pthread_kill, pthread_sigmask, sigaction, sigpending } from '../../../src/libc/signal.ts';
import { runGuest } from '../../support/guest.ts';

const THREAD = { capring: { rings: 'thread' as const } };
const USR1 = sigBit(SIGUSR1);
const WAIT_NS = 200_000;
const SEND_AFTER_NS = 100_000;

function* clock(t: Guest): Program<number> {
  return (yield* capCall(t, CapOp.ClockRead, CapSlot.Timer, [])).value;
}

/** A mask word in the thread's scratch (the call reads it as rt_sigprocmask reads its set). */
function* maskWord(t: Guest, mask: number): Program<number> {
  const addr = (yield* threadScratch(t)) + 64;
  t.store32(addr, mask);
  return addr;
}

interface Seen {
  r: number;
  waitedNs: number;
  /** From just before the sender was made to the wait's end (the send is SEND_AFTER_NS in). */
  sinceSenderNs: number;
  log: string[];
  maskAfter: number;
  pendingAfter: number;
}

/**
 * The main thread blocks `before`, waits WAIT_NS on an empty ring under `during`; `sendDuring`
 * makes a second thread send it SIGUSR1 SEND_AFTER_NS into the wait, else it is sent (to
 * itself) before the wait.
 */
function run(before: number, during: number, sendDuring: boolean): Seen {
  const seen: Seen = { r: 0, waitedNs: 0, sinceSenderNs: 0, log: [], maskAfter: -1, pendingAfter: -1 };
  runGuest(
    function* (t) {
      yield* capSetup(t);
      yield* sigaction(t, SIGUSR1, {
        handler: function* () {
          seen.log.push('handler');
        },
        mask: 0,
        flags: 0,
      });
      yield* pthread_sigmask(t, SIG_SETMASK, before);
      const main = t.tid;
      const armed = yield* clock(t);
      if (sendDuring) {
        const sender = yield* capThreadCreate(
          t,
          function* (tt) {
            yield* capSleepNs(tt, SEND_AFTER_NS);
            yield* pthread_kill(tt, main, SIGUSR1);
            return 0;
          },
          null,
        );
        assert.ok(typeof sender !== 'number');
      } else {
        yield* pthread_kill(t, main, SIGUSR1);
      }
      const addr = yield* maskWord(t, during);
      const start = yield* clock(t);
      seen.r = yield* capEnter(t, 1, WAIT_NS, -1, CAP_ENTER_SIGMASK, addr);
      seen.log.push('returned');
      const end = yield* clock(t);
      seen.waitedNs = end - start;
      seen.sinceSenderNs = end - armed;
      seen.maskAfter = (yield* pthread_sigmask(t, SIG_BLOCK, null))[1];
      seen.pendingAfter = yield* sigpending(t);
      return 0;
    },
    null,
    { ...THREAD, cpus: 2 },
  );
  return seen;
}

test('a pending blocked signal that the wait mask unblocks ends the wait at once with -EINTR; the handler runs and the old mask is back', () => {
  const s = run(USR1, 0, false);
  assert.equal(s.r, -EINTR);
  assert.ok(s.waitedNs < SEND_AFTER_NS, `waited ${s.waitedNs} ns`);
  assert.deepEqual(s.log, ['handler', 'returned']);
  assert.equal(s.maskAfter, USR1);
  assert.equal(s.pendingAfter, 0);
});

test('a signal the wait mask unblocks, sent during the wait, interrupts it with -EINTR before the timeout', () => {
  const s = run(USR1, 0, true);
  assert.equal(s.r, -EINTR);
  assert.ok(s.sinceSenderNs >= SEND_AFTER_NS && s.waitedNs < WAIT_NS, `waited ${s.waitedNs} ns`);
  assert.deepEqual(s.log, ['handler', 'returned']);
  assert.equal(s.maskAfter, USR1, 'the caller blocks SIGUSR1 again after the handler');
  assert.equal(s.pendingAfter, 0);
});

test('a signal the wait mask blocks stays pending for the whole wait (-ETIME) and is delivered once the old mask is back', () => {
  const s = run(0, USR1, true);
  assert.equal(s.r, -ETIME);
  assert.ok(s.waitedNs >= WAIT_NS, `waited ${s.waitedNs} ns`);
  assert.deepEqual(s.log, ['handler', 'returned'], 'delivered on the way out, before the caller resumes');
  assert.equal(s.maskAfter, 0);
  assert.equal(s.pendingAfter, 0);
});

test('blocked both during and after the wait: the signal is still pending after it', () => {
  const s = run(USR1, USR1 | sigBit(SIGUSR2), true);
  assert.equal(s.r, -ETIME);
  assert.deepEqual(s.log, ['returned']);
  assert.equal(s.maskAfter, USR1, 'the wait mask (with SIGUSR2) is gone');
  assert.equal(s.pendingAfter, USR1);
});

test('a bad mask address is -EFAULT, an unknown flag -EINVAL; with CQEs ready the mask is never set', () => {
  const got: number[] = [];
  let maskAfter = -1;
  let log = 0;
  runGuest(
    function* (t) {
      yield* capSetup(t);
      got.push(yield* capEnter(t, 1, WAIT_NS, -1, CAP_ENTER_SIGMASK, 0));
      got.push(yield* capEnter(t, 1, WAIT_NS, -1, 1 << 7));
      yield* sigaction(t, SIGUSR1, {
        handler: function* () {
          log++;
        },
        mask: 0,
        flags: 0,
      });
      yield* pthread_sigmask(t, SIG_SETMASK, USR1);
      yield* pthread_kill(t, t.tid, SIGUSR1);
      yield* capSubmit(t, CapOp.Nop, CapSlot.Memory, []);
      const addr = yield* maskWord(t, 0);
      got.push(yield* capEnter(t, 1, WAIT_NS, -1, CAP_ENTER_SIGMASK, addr));
      maskAfter = (yield* pthread_sigmask(t, SIG_BLOCK, null))[1];
      return 0;
    },
    null,
    THREAD,
  );
  assert.deepEqual(got, [-EFAULT, -EINVAL, 1]);
  assert.equal(log, 0, 'the NOP completed before any wait: SIGUSR1 stayed blocked');
  assert.equal(maskAfter, USR1);
});
