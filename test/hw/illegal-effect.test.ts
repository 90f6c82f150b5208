// The CPU refuses what a user frame must not run (issue 11): a yield that is not an effect, an
// unknown or malformed one, or a kernel-only effect is a guest fault with SIGILL whose message
// names what was yielded; the process dies, its parent reaps it, the simulator keeps running.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Op, type Program } from '../../src/abi/effects.ts';
import type { ProgramImage } from '../../src/abi/guest.ts';
import { SIGABRT, SIGILL } from '../../src/abi/signal.ts';
import {
  describeYield,
  HALT,
  IPI_ALL,
  IRQ_WINDOW,
  KernelOp,
  lock,
  sendIpi,
  spend,
  tryLock,
  unlock,
} from '../../src/hw/effects.ts';
import { SpinLock } from '../../src/hw/spinlock.ts';
import { VEC_IPI_SWITCH } from '../../src/hw/vectors.ts';
import { spawn, waitpid } from '../../src/libc/process.ts';
import { runGuest } from '../support/guest.ts';

interface Refused {
  status: number;
  message: string;
  faults: number;
  reachedAfter: boolean;
  interrupts: number;
  finished: boolean;
}

/** Runs a child that yields `yielded` once, under a parent that reaps it. */
function yieldInChild(yielded: unknown): Refused {
  let status = -1;
  let reachedAfter = false;
  const child: ProgramImage = {
    name: 'bad-yield',
    main: function* (t) {
      yield t.compute(1000);
      yield yielded as never;
      reachedAfter = true;
      return 0;
    },
  };
  const run = runGuest(
    function* (t) {
      const pid = yield* spawn(t, child, null);
      [, status] = yield* waitpid(t, pid);
      return 0;
    },
    null,
    { expectFaults: [{ signal: 'SIGILL' }] },
  );
  const k = run.kernel;
  return {
    status,
    message: k.faults[0]?.message ?? '',
    faults: k.faults.length,
    reachedAfter,
    interrupts: k.stats.interrupts,
    finished: k.finished,
  };
}

function assertRefused(yielded: unknown, message: string): Refused {
  const r = yieldInChild(yielded);
  assert.equal(r.finished, true, 'the parent reaped the child and exited');
  assert.equal(r.faults, 1);
  assert.equal(r.status & 0x7f, SIGILL, `killed by SIGILL (status ${r.status})`);
  assert.equal(r.message, `illegal effect: user code yielded ${message}`);
  assert.equal(r.reachedAfter, false, 'the guest does not resume after a refused effect');
  return r;
}

test('a yield of something that is not an effect is SIGILL, naming what it was', () => {
  assertRefused(undefined, 'undefined (undefined), not an effect');
  assertRefused(null, 'null (object), not an effect');
  assertRefused(42, '42 (number), not an effect');
  assertRefused('compute', '"compute" (string), not an effect');
  assertRefused({}, 'an object without an op, not an effect');
});

test('each kernel-only effect yielded from a user frame is SIGILL naming it, with no side effect', () => {
  const l = new SpinLock('guest-grabbed');
  assertRefused(spend(1_000_000), 'the kernel-only effect Spend (op 16)');
  assertRefused(lock(l), 'the kernel-only effect Lock (op 17)');
  assertRefused(unlock(l), 'the kernel-only effect Unlock (op 18)');
  assertRefused(tryLock(l), 'the kernel-only effect TryLock (op 19)');
  assertRefused(HALT, 'the kernel-only effect Halt (op 21)');
  assertRefused({ op: KernelOp.Switch, next: null, finish: null }, 'the kernel-only effect Switch (op 22)');
  // A guest cannot reach the queued locks' words (hw/lock-words.ts): they are kernel-private.
  assertRefused({ op: KernelOp.Word, kind: 1, addr: 0, a: 1, b: 0 }, 'the kernel-only effect Word (op 24)');
  assertRefused(IRQ_WINDOW, 'the kernel-only effect IrqWindow (op 23)');
  assert.equal(l.holder, -1, 'the refused Lock and TryLock took nothing');
  assert.equal(l.acquisitions, 0);
});

test('a refused SendIpi sends nothing: the run takes exactly the interrupts of a refused Spend', () => {
  const viaIpi = assertRefused(sendIpi(IPI_ALL, VEC_IPI_SWITCH), 'the kernel-only effect SendIpi (op 20)');
  const viaSpend = assertRefused(spend(1), 'the kernel-only effect Spend (op 16)');
  assert.equal(viaIpi.interrupts, viaSpend.interrupts);
});

test('unknown ops and malformed guest effects are SIGILL too', () => {
  assertRefused({ op: 99 }, 'an effect with unknown op 99');
  assertRefused({ op: -1 }, 'an effect with unknown op -1');
  assertRefused({ op: 1.5 }, 'an effect with unknown op 1.5');
  assertRefused({ op: '0' }, 'an effect with unknown op "0"');
  assertRefused({ op: Op.Compute, cycles: Number.NaN }, 'a malformed Compute effect (op 0)');
  assertRefused({ op: Op.Compute, cycles: -5 }, 'a malformed Compute effect (op 0)');
  assertRefused({ op: Op.Syscall, nr: 1 }, 'a malformed Syscall effect (op 1)');
  assertRefused({ op: Op.Call, program: 42 }, 'a malformed Call effect (op 3)');
});

test('a guest that throws still gets SIGABRT: only refused effects are SIGILL', () => {
  let status = -1;
  const child: ProgramImage = {
    name: 'thrower',
    main: function* (t): Program<number> {
      yield t.compute(10);
      throw new Error('guest bug');
    },
  };
  const run = runGuest(
    function* (t) {
      const pid = yield* spawn(t, child, null);
      [, status] = yield* waitpid(t, pid);
      return 0;
    },
    null,
    { expectFaults: [{ signal: 'SIGABRT', message: 'guest bug' }] },
  );
  assert.equal(status & 0x7f, SIGABRT);
  assert.equal(run.kernel.faults[0]!.message, 'guest bug');
});

test('describeYield names guest ops, kernel ops and the rest', () => {
  assert.equal(describeYield({ op: Op.Atomic }), 'a malformed Atomic effect (op 2)');
  assert.equal(describeYield({ op: KernelOp.Halt }), 'the kernel-only effect Halt (op 21)');
  assert.equal(describeYield({ op: KernelOp.Word }), 'the kernel-only effect Word (op 24)');
  assert.equal(describeYield({ op: 26 }), 'an effect with unknown op 26');
  assert.equal(describeYield(Symbol.iterator), 'Symbol(Symbol.iterator) (symbol), not an effect');
});
