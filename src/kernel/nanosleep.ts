/**
 * nanosleep(req, rem) and clock_nanosleep(clockid, flags, req, rem), with the request a struct
 * timespec in guest memory (kernel/time/hrtimer.c SYSCALL_DEFINE2(nanosleep), hrtimer_nanosleep
 * and do_nanosleep; kernel/time/posix-timers.c SYSCALL_DEFINE4(clock_nanosleep)):
 * - EFAULT for an unreadable request, EINVAL for one that is not a time (timespec64_valid:
 *   negative tv_sec, tv_nsec outside [0, 999,999,999]);
 * - a relative sleep is on CLOCK_MONOTONIC whatever the clock (__hrtimer_init: relative
 *   CLOCK_REALTIME timers use the monotonic base, so a clock step does not move them);
 * - TIMER_ABSTIME sleeps until the clock reads the request; on CLOCK_REALTIME that time follows
 *   clock steps (time.ts clock_settime); a time already past returns 0 at once;
 * - a signal ends the sleep with EINTR and, for a relative sleep with `rem`, writes the time
 *   left there (nanosleep_copyout; clock_nanosleep drops rmtp with TIMER_ABSTIME); a spurious
 *   wakeup sleeps again.
 * The sleep's timer has the thread's timer slack (hrtimer_nanosleep: current->timer_slack_ns).
 */
import { EFAULT, EINTR, EINVAL, ENOTSUP } from '../abi/errno.ts';
import {
  CLOCK_MONOTONIC,
  CLOCK_PROCESS_CPUTIME_ID,
  CLOCK_REALTIME,
  SYS_CLOCK_NANOSLEEP,
  SYS_NANOSLEEP,
} from '../abi/syscalls.ts';
import { TIMER_ABSTIME } from '../abi/time.ts';
import type { Cpu } from '../hw/cpu.ts';
import type { KernelGen } from '../hw/effects.ts';
import type { Kernel } from './kernel.ts';
import { schedule } from './sched/switch.ts';
import { signalPending } from './signal.ts';
import { argNum, type SyscallTable } from './syscall-types.ts';
import type { Thread } from './thread.ts';
import { realtimeNs } from './time.ts';
import { afterNs, atMonotonic, atRealtime, type Timeout } from './timeout.ts';
import { copyTimespecIn, copyTimespecOut, timespecNs, timespecValid } from './timespec.ts';

/** nanosleep(req, rem): 0, -EINTR (the time left at `rem` when given), -EINVAL or -EFAULT. */
function* sysNanosleep(k: Kernel, cpu: Cpu, t: Thread, req: number, rem: number): KernelGen<number> {
  const ts = copyTimespecIn(t, req);
  if (ts === null) return -EFAULT;
  if (!timespecValid(ts)) return -EINVAL;
  return yield* sleepUntil(k, cpu, t, afterNs(k, t, timespecNs(ts)), rem);
}

/**
 * clock_nanosleep(clockid, flags, req, rem): 0 or -errno. REALTIME and MONOTONIC sleep; the
 * thread CPU clock is EINVAL (Linux's thread_cpu_nsleep); a process CPU clock would sleep on
 * CPU time, which this model does not do, so it is ENOTSUP rather than a wrong sleep.
 */
function* sysClockNanosleep(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  clockId: number,
  flags: number,
  req: number,
  rem: number,
): KernelGen<number> {
  if (clockId === CLOCK_PROCESS_CPUTIME_ID || (clockId < 0 && (clockId & 4) === 0)) return -ENOTSUP;
  if (clockId !== CLOCK_REALTIME && clockId !== CLOCK_MONOTONIC) return -EINVAL; // CLOCK_THREAD_CPUTIME_ID too
  const ts = copyTimespecIn(t, req);
  if (ts === null) return -EFAULT;
  if (!timespecValid(ts)) return -EINVAL;
  const ns = timespecNs(ts);
  if ((flags & TIMER_ABSTIME) === 0) return yield* sleepUntil(k, cpu, t, afterNs(k, t, ns), rem);
  const timeout = clockId === CLOCK_REALTIME ? atRealtime(k, t, ns) : atMonotonic(k, t, ns);
  return yield* sleepUntil(k, cpu, t, timeout, 0);
}

/** Has the sleep's time come, on its own clock? */
function expired(k: Kernel, timeout: Timeout): boolean {
  return timeout.realtimeNs === null ? k.nowNs >= timeout.monotonicNs : realtimeNs(k) >= timeout.realtimeNs;
}

/** do_nanosleep: blocks until `timeout`; EINTR on a signal, writing the time left at `rem`. */
function* sleepUntil(
  k: Kernel,
  cpuAtEntry: Cpu,
  t: Thread,
  timeout: Timeout,
  rem: number,
): KernelGen<number> {
  let cpu = cpuAtEntry;
  while (!expired(k, timeout)) {
    if (signalPending(t)) {
      if (rem === 0) return -EINTR;
      const leftNs = timeout.monotonicNs - k.nowNs;
      return copyTimespecOut(t, rem, BigInt(Math.max(0, leftNs))) ? -EINTR : -EFAULT;
    }
    k.blockCurrent(cpu, t, 'nanosleep', timeout);
    yield* schedule(k, cpu);
    cpu = k.cpuOf(t);
  }
  return 0;
}

export const NANOSLEEP_SYSCALLS: SyscallTable = {
  [SYS_NANOSLEEP]: (k, cpu, t, a) => sysNanosleep(k, cpu, t, argNum(a[0]), argNum(a[1])),
  [SYS_CLOCK_NANOSLEEP]: (k, cpu, t, a) =>
    sysClockNanosleep(k, cpu, t, argNum(a[0], -1), argNum(a[1]), argNum(a[2]), argNum(a[3])),
};
