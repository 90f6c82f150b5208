/**
 * futex(uaddr, op, val, timeout | val2, uaddr2, val3): decodes the operation in the mode's own
 * ABI and dispatches it. Redox numbers its ops WAIT 0, WAKE 1, REQUEUE 2, WAIT64 3 and answers
 * EINVAL to anything it lacks (models.md §2); Red Bear adds REQUEUE and CMP_REQUEUE 4; Linux
 * numbers them as include/uapi/linux/futex.h does and answers ENOSYS to an unknown op (§5).
 * The timeout is a pointer to a struct timespec in guest memory (0: none), read only by the ops
 * that take one (Linux's futex_cmd_has_timeout: WAIT, LOCK_PI, LOCK_PI2, WAIT_BITSET,
 * WAIT_REQUEUE_PI), before anything else, as SYSCALL_DEFINE6(futex) does: EFAULT when it
 * cannot be read, EINVAL when it is not a time (futex_init_timeout: timespec64_valid, so a
 * negative tv_sec too). Linux takes WAIT's as relative and the others' as absolute: LOCK_PI's on
 * CLOCK_REALTIME, WAIT_BITSET's, WAIT_REQUEUE_PI's and LOCK_PI2's on CLOCK_MONOTONIC or, with
 * FUTEX_CLOCK_REALTIME, CLOCK_REALTIME (§5). A deadline already past is a timeout at once,
 * never "no timeout". Redox and Red Bear take WAIT's and WAIT64's as an absolute CLOCK_MONOTONIC
 * deadline, stored straight into `context.wake` without a check (§2), which is what relibc passes
 * (§3); Red Bear's LOCK_PI takes Linux's realtime one. Every other op takes the slot as val2.
 */
import { EFAULT, EINVAL, ENOSYS } from '../../abi/errno.ts';
import { FUTEX_CLOCK_REALTIME, FUTEX_CMD_MASK, FUTEX_PRIVATE_FLAG, SYS_FUTEX } from '../../abi/syscalls.ts';
import type { Cpu } from '../../hw/cpu.ts';
import type { KernelGen } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { argNum, type SyscallTable } from '../syscall-types.ts';
import type { Thread } from '../thread.ts';
import { afterNs, atMonotonic, atRealtime, NO_TIMEOUT, type Timeout } from '../timeout.ts';
import { copyTimespecIn, timespecNs, timespecValid } from '../timespec.ts';
import { futexLockPi, futexUnlockPi } from './pi.ts';
import { futexRequeue } from './requeue.ts';
import { futexCmpRequeuePi, futexWaitRequeuePi } from './requeue-pi.ts';
import { ROBUST_SYSCALLS } from './robust.ts';
import {
  FUTEX_BITSET_MATCH_ANY,
  type FutexTarget,
  type FutexWaitRequest,
  futexWait,
  futexWake,
  resolveTarget,
} from './wait-wake.ts';
import { futexWakeOp } from './wake-op.ts';

/** Operations, whatever number each ABI gives them. */
enum FutexOp {
  Wait,
  Wait64,
  Wake,
  Requeue,
  CmpRequeue,
  WakeOp,
  WaitBitset,
  WakeBitset,
  LockPi,
  LockPi2,
  UnlockPi,
  TrylockPi,
  WaitRequeuePi,
  CmpRequeuePi,
}

const REDOX_OPS: Record<number, FutexOp> = { 0: FutexOp.Wait, 1: FutexOp.Wake, 3: FutexOp.Wait64 };
const REDBEAR_OPS: Record<number, FutexOp> = {
  ...REDOX_OPS,
  2: FutexOp.Requeue,
  4: FutexOp.CmpRequeue,
  6: FutexOp.LockPi,
  7: FutexOp.UnlockPi,
  8: FutexOp.TrylockPi,
};
const LINUX_OPS: Record<number, FutexOp> = {
  0: FutexOp.Wait,
  1: FutexOp.Wake,
  3: FutexOp.Requeue,
  4: FutexOp.CmpRequeue,
  5: FutexOp.WakeOp,
  6: FutexOp.LockPi,
  7: FutexOp.UnlockPi,
  8: FutexOp.TrylockPi,
  9: FutexOp.WaitBitset,
  10: FutexOp.WakeBitset,
  11: FutexOp.WaitRequeuePi,
  12: FutexOp.CmpRequeuePi,
  13: FutexOp.LockPi2,
};

/** Ops that take FUTEX_CLOCK_REALTIME (futex_init_timeout); any other answers ENOSYS. */
const REALTIME_OK = new Set([FutexOp.WaitBitset, FutexOp.WaitRequeuePi, FutexOp.LockPi2]);

export interface FutexArgs {
  addr: number;
  op: number;
  val: number;
  /** The address of the timeout's struct timespec (0: none), or val2 for REQUEUE and WAKE_OP. */
  timeoutOrVal2: number;
  addr2: number;
  val3: number;
}

/**
 * futex(2). A plain function, not a generator: it decodes and checks its arguments at once and
 * hands back the operation's own generator (or one that returns the error), which the caller's
 * `yield*` runs next, so a thread blocked in FUTEX_WAIT holds one suspended generator fewer
 * (issue 14: about 350 bytes of the memory per idle thread). The checks run exactly where the
 * generator's first step ran them: the caller runs the returned generator at once.
 */
export function sysFutex(k: Kernel, cpu: Cpu, t: Thread, a: FutexArgs): KernelGen<number> {
  const mode = k.futex.mode;
  const table = mode === 'linux' ? LINUX_OPS : mode === 'redbear' ? REDBEAR_OPS : REDOX_OPS;
  const op = table[a.op & FUTEX_CMD_MASK];
  if (op === undefined) return returned(mode === 'linux' ? -ENOSYS : -EINVAL);
  const realtime = (a.op & FUTEX_CLOCK_REALTIME) !== 0;
  const timeout = TIMED.has(op) ? readTimeout(k, t, op, realtime, a.timeoutOrVal2) : NO_TIMEOUT;
  if (typeof timeout === 'number') return returned(timeout);
  // FUTEX_CLOCK_REALTIME is only meaningful with an absolute timeout (futex_init_timeout).
  if (mode === 'linux' && realtime && !REALTIME_OK.has(op)) return returned(-ENOSYS);
  const isPrivate = (a.op & FUTEX_PRIVATE_FLAG) !== 0;
  const target = resolveTarget(k, t, a.addr, isPrivate, op === FutexOp.Wait64 ? 8 : 4);
  if (typeof target === 'number') return returned(target);
  switch (op) {
    case FutexOp.Wait:
      return futexWait(k, cpu, t, wait(a, target, timeout, FUTEX_BITSET_MATCH_ANY));
    case FutexOp.Wait64:
      return futexWait(k, cpu, t, { ...wait(a, target, timeout, FUTEX_BITSET_MATCH_ANY), wide: true });
    case FutexOp.WaitBitset:
      if (a.val3 >>> 0 === 0) return returned(-EINVAL);
      return futexWait(k, cpu, t, wait(a, target, timeout, a.val3 >>> 0));
    case FutexOp.Wake:
      return futexWake(k, cpu, t, a.addr, target, a.val, FUTEX_BITSET_MATCH_ANY);
    case FutexOp.WakeBitset:
      if (a.val3 >>> 0 === 0) return returned(-EINVAL);
      return futexWake(k, cpu, t, a.addr, target, a.val, a.val3 >>> 0);
    case FutexOp.Requeue:
    case FutexOp.CmpRequeue: {
      const to = resolveTarget(k, t, a.addr2, isPrivate);
      if (typeof to === 'number') return returned(to);
      if (a.val < 0 || a.timeoutOrVal2 < 0) return returned(-EINVAL);
      const compare = op === FutexOp.CmpRequeue ? a.val3 : null;
      return futexRequeue(k, cpu, t, a.addr, target, to, a.val, a.timeoutOrVal2, compare);
    }
    case FutexOp.LockPi:
    case FutexOp.LockPi2:
    case FutexOp.TrylockPi:
      return futexLockPi(k, cpu, t, a.addr, target, timeout, op === FutexOp.TrylockPi);
    case FutexOp.UnlockPi:
      return futexUnlockPi(k, cpu, t, a.addr, target);
    case FutexOp.WaitRequeuePi: {
      const to = resolveTarget(k, t, a.addr2, isPrivate);
      if (typeof to === 'number') return returned(to);
      return futexWaitRequeuePi(k, cpu, t, a.addr, target, a.val, a.addr2, to, timeout);
    }
    case FutexOp.CmpRequeuePi: {
      const to = resolveTarget(k, t, a.addr2, isPrivate);
      if (typeof to === 'number') return returned(to);
      return futexCmpRequeuePi(k, cpu, t, a.addr, target, a.addr2, to, a.val, a.timeoutOrVal2, a.val3);
    }
    case FutexOp.WakeOp: {
      const second = resolveTarget(k, t, a.addr2, isPrivate);
      if (typeof second === 'number') return returned(second);
      return futexWakeOp(k, cpu, t, a.addr, target, a.addr2, second, a.val, a.timeoutOrVal2, a.val3);
    }
  }
}

/** WAIT's and WAIT_BITSET's request: the word at `uaddr` must still hold `val`. */
function wait(
  a: FutexArgs,
  target: FutexTarget,
  timeout: Timeout,
  bitset: number,
): Omit<FutexWaitRequest, 'requeuePi'> {
  return { vaddr: a.addr, target, expectedValue: a.val, timeout, bitset };
}

/** A system call's result with no work to do: the generator that returns it. */
function* returned(value: number): KernelGen<number> {
  return value;
}

/** The ops whose fourth argument is a timeout (futex_cmd_has_timeout). */
const TIMED = new Set([
  FutexOp.Wait,
  FutexOp.Wait64,
  FutexOp.LockPi,
  FutexOp.LockPi2,
  FutexOp.WaitBitset,
  FutexOp.WaitRequeuePi,
]);

/**
 * The timeout at `addr` as the op takes it, NO_TIMEOUT for none, or -errno. The timer slack is the
 * thread's, except LOCK_PI's and LOCK_PI2's, which Linux sets up with none (futex_lock_pi).
 */
function readTimeout(k: Kernel, t: Thread, op: FutexOp, realtime: boolean, addr: number): Timeout | number {
  if (addr === 0) return NO_TIMEOUT;
  const ts = copyTimespecIn(t, addr);
  if (ts === null) return -EFAULT;
  if (k.futex.mode !== 'linux') {
    // Redox: tv_sec and tv_nsec read as unsigned and summed into `context.wake`, unchecked.
    const ns = BigInt.asUintN(64, ts.sec) * 1_000_000_000n + BigInt.asUintN(64, ts.nsec);
    return op === FutexOp.LockPi ? atRealtime(k, t, ns, false) : atMonotonic(k, t, ns);
  }
  if (!timespecValid(ts)) return -EINVAL;
  const ns = timespecNs(ts);
  switch (op) {
    case FutexOp.Wait:
      return afterNs(k, t, ns);
    case FutexOp.LockPi:
      return atRealtime(k, t, ns, false);
    case FutexOp.LockPi2:
      return realtime ? atRealtime(k, t, ns, false) : atMonotonic(k, t, ns, false);
    default:
      return realtime ? atRealtime(k, t, ns) : atMonotonic(k, t, ns);
  }
}

export const FUTEX_SYSCALLS: SyscallTable = {
  ...ROBUST_SYSCALLS,
  [SYS_FUTEX]: (k, cpu, t, a) =>
    sysFutex(k, cpu, t, {
      addr: argNum(a[0]),
      op: argNum(a[1]),
      val: argNum(a[2]),
      timeoutOrVal2: argNum(a[3]),
      addr2: argNum(a[4]),
      val3: argNum(a[5]),
    }),
};
