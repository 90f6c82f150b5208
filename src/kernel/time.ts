/** Clocks and sleeping: clock_gettime, clock_settime, nanosleep, sched_yield. */
import { EINTR, EINVAL } from '../abi/errno.ts';
import {
  CLOCK_MONOTONIC,
  CLOCK_PROCESS_CPUTIME_ID,
  CLOCK_REALTIME,
  CLOCK_THREAD_CPUTIME_ID,
  SYS_CLOCK_SETTIME,
} from '../abi/syscalls.ts';
import type { Cpu } from '../hw/cpu.ts';
import type { KernelGen } from '../hw/effects.ts';
import type { Kernel } from './kernel.ts';
import { schedule } from './sched/switch.ts';
import { signalPending } from './signal.ts';
import { argNum, type SyscallTable } from './syscall-types.ts';
import { type Thread, ThreadState } from './thread.ts';

/** clock_gettime: returns the clock's value in ns (the ABI returns it rather than a timespec). */
export function sysClockGettime(k: Kernel, t: Thread, clockId: number): number {
  switch (clockId) {
    case CLOCK_REALTIME:
      return k.realtimeOffsetNs + k.nowNs;
    case CLOCK_MONOTONIC:
      return k.nowNs;
    case CLOCK_THREAD_CPUTIME_ID:
      return t.cpuTimeNs;
    case CLOCK_PROCESS_CPUTIME_ID:
      return t.process.threads.reduce((sum, th) => sum + th.cpuTimeNs, 0);
    default:
      return -EINVAL;
  }
}

/**
 * nanosleep: blocks until the deadline; a spurious wakeup sleeps again; a signal ends it with
 * EINTR (Linux returns the remaining time through `rem`; here the caller reads the clock).
 */
export function* sysNanosleep(k: Kernel, cpuAtEntry: Cpu, t: Thread, durationNs: number): KernelGen<number> {
  let cpu = cpuAtEntry;
  if (!(durationNs >= 0)) return -EINVAL;
  const deadlineNs = k.nowNs + durationNs;
  while (k.nowNs < deadlineNs) {
    if (signalPending(t)) return -EINTR;
    k.blockCurrent(cpu, t, 'nanosleep', deadlineNs);
    yield* schedule(k, cpu);
    cpu = k.cpuOf(t);
  }
  return 0;
}

/**
 * clock_settime(CLOCK_REALTIME, ns): moves the wall clock. Waits with a realtime deadline (FUTEX
 * WAIT_BITSET with FUTEX_CLOCK_REALTIME) are re-armed against the new time, and end at
 * once if it has passed; monotonic waits do not move (FUTEX-8, LIBC-3).
 */
function* sysClockSettime(k: Kernel, cpu: Cpu, clockId: number, ns: number): KernelGen<number> {
  if (clockId !== CLOCK_REALTIME) return -EINVAL;
  if (!(ns >= 0)) return -EINVAL;
  k.realtimeOffsetNs = ns - k.nowNs;
  k.board.trace.mix(0x43, Math.floor(ns / 0x1_0000_0000), ns >>> 0);
  for (const t of [...k.realtimeWaiters]) {
    if (t.state !== ThreadState.Blocked) {
      k.realtimeWaiters.delete(t);
      continue;
    }
    const deadline = t.realtimeDeadlineNs - k.realtimeOffsetNs;
    if (deadline <= k.nowNs) {
      k.realtimeWaiters.delete(t);
      k.expireTimeout(t);
      yield* k.policy.wake(cpu, t);
    } else {
      k.policy.armTimeout(k.board.cpus[t.lastCpu] ?? cpu, t, deadline);
    }
  }
  return 0;
}

export const TIME_SYSCALLS: SyscallTable = {
  [SYS_CLOCK_SETTIME]: (k, cpu, _t, a) => sysClockSettime(k, cpu, argNum(a[0], -1), argNum(a[1], -1)),
};

/** sched_yield: Redox calls switch() directly. */
export function* sysSchedYield(k: Kernel, cpu: Cpu): KernelGen<number> {
  yield* schedule(k, cpu);
  return 0;
}
