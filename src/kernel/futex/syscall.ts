/**
 * futex(uaddr, op, val, timeout | val2, uaddr2, val3): decodes the operation in the mode's own
 * ABI and dispatches it. Redox numbers its ops WAIT 0, WAKE 1, REQUEUE 2, WAIT64 3 and answers
 * EINVAL to anything it lacks (models.md §2); Red Bear adds REQUEUE and CMP_REQUEUE 4; Linux
 * numbers them as include/uapi/linux/futex.h does and answers ENOSYS to an unknown op (§5).
 * Timeouts are nanoseconds, -1 meaning none. Linux takes WAIT's as relative and WAIT_BITSET's as
 * absolute (CLOCK_MONOTONIC, or CLOCK_REALTIME with FUTEX_CLOCK_REALTIME) (§5); Redox and Red
 * Bear take WAIT's and WAIT64's as an absolute CLOCK_MONOTONIC deadline, stored straight into
 * `context.wake` (§2), which is what relibc passes (§3).
 */
import { EINVAL, ENOSYS } from '../../abi/errno.ts';
import { FUTEX_CLOCK_REALTIME, FUTEX_CMD_MASK, FUTEX_PRIVATE_FLAG, SYS_FUTEX } from '../../abi/syscalls.ts';
import type { Cpu } from '../../hw/cpu.ts';
import type { KernelGen } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { argNum, type SyscallTable } from '../syscall-types.ts';
import type { Thread } from '../thread.ts';
import { futexLockPi, futexUnlockPi } from './pi.ts';
import { futexRequeue } from './requeue.ts';
import { futexCmpRequeuePi, futexWaitRequeuePi } from './requeue-pi.ts';
import { ROBUST_SYSCALLS } from './robust.ts';
import { FUTEX_BITSET_MATCH_ANY, futexWait, futexWake, resolveTarget } from './wait-wake.ts';
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
  /** The timeout in ns, or val2 for REQUEUE and WAKE_OP; -1 when absent. */
  timeoutOrVal2: number;
  addr2: number;
  val3: number;
}

export function* sysFutex(k: Kernel, cpu: Cpu, t: Thread, a: FutexArgs): KernelGen<number> {
  const mode = k.futex.mode;
  const table = mode === 'linux' ? LINUX_OPS : mode === 'redbear' ? REDBEAR_OPS : REDOX_OPS;
  const op = table[a.op & FUTEX_CMD_MASK];
  if (op === undefined) return mode === 'linux' ? -ENOSYS : -EINVAL;
  const realtime = (a.op & FUTEX_CLOCK_REALTIME) !== 0;
  // FUTEX_CLOCK_REALTIME is only meaningful with an absolute timeout (futex_init_timeout).
  if (mode === 'linux' && realtime && !REALTIME_OK.has(op)) return -ENOSYS;
  const isPrivate = (a.op & FUTEX_PRIVATE_FLAG) !== 0;
  const target = resolveTarget(k, t, a.addr, isPrivate, op === FutexOp.Wait64 ? 8 : 4);
  if (typeof target === 'number') return target;
  switch (op) {
    case FutexOp.Wait:
    case FutexOp.Wait64:
      return yield* futexWait(
        k,
        cpu,
        t,
        a.addr,
        target,
        a.val,
        mode === 'linux' ? relativeDeadline(k, a.timeoutOrVal2) : absoluteDeadline(k, a.timeoutOrVal2, false),
        FUTEX_BITSET_MATCH_ANY,
      );
    case FutexOp.WaitBitset: {
      if (a.val3 >>> 0 === 0) return -EINVAL;
      const deadline = a.timeoutOrVal2 < 0 ? -1 : a.timeoutOrVal2 - (realtime ? k.realtimeOffsetNs : 0);
      const rtDeadline = realtime && a.timeoutOrVal2 >= 0 ? a.timeoutOrVal2 : -1;
      return yield* futexWait(k, cpu, t, a.addr, target, a.val, deadline, a.val3 >>> 0, rtDeadline);
    }
    case FutexOp.Wake:
      return yield* futexWake(k, cpu, t, a.addr, target, a.val, FUTEX_BITSET_MATCH_ANY);
    case FutexOp.WakeBitset:
      if (a.val3 >>> 0 === 0) return -EINVAL;
      return yield* futexWake(k, cpu, t, a.addr, target, a.val, a.val3 >>> 0);
    case FutexOp.Requeue:
    case FutexOp.CmpRequeue: {
      const to = resolveTarget(k, t, a.addr2, isPrivate);
      if (typeof to === 'number') return to;
      if (a.val < 0 || a.timeoutOrVal2 < 0) return -EINVAL;
      const compare = op === FutexOp.CmpRequeue ? a.val3 : null;
      return yield* futexRequeue(k, cpu, t, a.addr, target, to, a.val, a.timeoutOrVal2, compare);
    }
    case FutexOp.LockPi:
    case FutexOp.LockPi2:
    case FutexOp.TrylockPi: {
      // LOCK_PI's timeout is absolute on CLOCK_REALTIME; LOCK_PI2's on MONOTONIC unless the flag.
      const onRealtime = op === FutexOp.LockPi || realtime;
      const deadline = absoluteDeadline(k, a.timeoutOrVal2, onRealtime);
      return yield* futexLockPi(k, cpu, t, a.addr, target, deadline, op === FutexOp.TrylockPi);
    }
    case FutexOp.UnlockPi:
      return yield* futexUnlockPi(k, cpu, t, a.addr, target);
    case FutexOp.WaitRequeuePi: {
      const to = resolveTarget(k, t, a.addr2, isPrivate);
      if (typeof to === 'number') return to;
      const deadline = absoluteDeadline(k, a.timeoutOrVal2, realtime);
      return yield* futexWaitRequeuePi(k, cpu, t, a.addr, target, a.val, a.addr2, to, deadline);
    }
    case FutexOp.CmpRequeuePi: {
      const to = resolveTarget(k, t, a.addr2, isPrivate);
      if (typeof to === 'number') return to;
      return yield* futexCmpRequeuePi(k, cpu, t, a.addr, target, a.addr2, to, a.val, a.timeoutOrVal2, a.val3);
    }
    case FutexOp.WakeOp: {
      const second = resolveTarget(k, t, a.addr2, isPrivate);
      if (typeof second === 'number') return second;
      return yield* futexWakeOp(k, cpu, t, a.addr, target, a.addr2, second, a.val, a.timeoutOrVal2, a.val3);
    }
  }
}

/** An absolute timeout on either clock as a monotonic deadline (-1 for none). */
function absoluteDeadline(k: Kernel, timeoutNs: number, realtime: boolean): number {
  if (timeoutNs < 0) return -1;
  return realtime ? timeoutNs - k.realtimeOffsetNs : timeoutNs;
}

/** A relative timeout as an absolute monotonic deadline (-1 for none). */
function relativeDeadline(k: Kernel, timeoutNs: number): number {
  return timeoutNs < 0 ? -1 : k.nowNs + timeoutNs;
}

export const FUTEX_SYSCALLS: SyscallTable = {
  ...ROBUST_SYSCALLS,
  [SYS_FUTEX]: (k, cpu, t, a) =>
    sysFutex(k, cpu, t, {
      addr: argNum(a[0]),
      op: argNum(a[1]),
      val: argNum(a[2]),
      timeoutOrVal2: argNum(a[3], -1),
      addr2: argNum(a[4]),
      val3: argNum(a[5]),
    }),
};
