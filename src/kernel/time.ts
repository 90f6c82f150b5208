/**
 * Clocks: clock_gettime and clock_settime through struct timespec in guest memory, the exact
 * realtime clock, and sched_yield. Sleeping is nanosleep.ts's.
 *
 * CLOCK_REALTIME is CLOCK_MONOTONIC plus an offset kept exactly as a bigint of nanoseconds: the
 * machine boots at a real date, REALTIME_BOOT_NS (2026-01-01T00:00:00Z), where a JS number has
 * a resolution of 256 ns, so realtime values cross the ABI only as seconds + nanoseconds.
 */
import { EFAULT, EINVAL, EPERM } from '../abi/errno.ts';
import {
  CLOCK_MONOTONIC,
  CLOCK_PROCESS_CPUTIME_ID,
  CLOCK_REALTIME,
  CLOCK_THREAD_CPUTIME_ID,
  SYS_CLOCK_GETTIME,
  SYS_CLOCK_SETTIME,
} from '../abi/syscalls.ts';
import type { Cpu } from '../hw/cpu.ts';
import type { KernelGen } from '../hw/effects.ts';
import { retrigger } from './clockevent.ts';
import type { Kernel } from './kernel.ts';
import { schedule } from './sched/switch.ts';
import { argNum, type SyscallTable } from './syscall-types.ts';
import type { Process } from './process.ts';
import { isThread, type Thread, ThreadState } from './thread.ts';
import { TraceKind } from '../abi/trace.ts';
import { copyTimespecIn, copyTimespecOut, nsToNumber, timespecNs, timespecValid } from './timespec.ts';

/** CLOCK_REALTIME at boot: 2026-01-01T00:00:00Z, 1,767,225,600 s after the epoch. */
export const REALTIME_BOOT_NS = 1_767_225_600n * 1_000_000_000n;

/** CLOCK_REALTIME now, exactly. */
export function realtimeNs(k: Kernel): bigint {
  return k.realtimeOffsetNs + BigInt(k.nowNs);
}

/**
 * A clock's value in ns, or -EINVAL for an unknown clock. Besides REALTIME and MONOTONIC: the
 * caller's CPU-time clocks (CLOCK_THREAD_CPUTIME_ID,
 * CLOCK_PROCESS_CPUTIME_ID) and Linux's CPU-clock ids (LIBC-6, pthread_getcpuclockid and
 * clock_getcpuclockid): negative numbers `(~id << 3) | which`, with bit 2 set for a thread's
 * clock (include/linux/posix-timers.h MAKE_THREAD_CPUCLOCK / MAKE_PROCESS_CPUCLOCK). As
 * kernel/time/posix-cpu-timers.c lookup_task: id 0 is the caller (its process), a thread clock
 * names a live thread of the caller's process, and anything else is EINVAL (a dead thread's
 * clock too). Only CPUCLOCK_SCHED (the run time) is modelled: PROF and VIRT need per-thread
 * user/system tick accounting the model lacks, so they are refused (EINVAL) rather than faked.
 */
export function clockNs(k: Kernel, t: Thread, clockId: number): bigint | number {
  switch (clockId) {
    case CLOCK_REALTIME:
      return realtimeNs(k);
    case CLOCK_MONOTONIC:
      return BigInt(k.nowNs);
    case CLOCK_THREAD_CPUTIME_ID:
      return BigInt(threadCpuNs(k, t));
    case CLOCK_PROCESS_CPUTIME_ID:
      return BigInt(processCpuNs(k, t.process));
    default: {
      const ns = clockId < 0 ? cpuClockGettime(k, t, clockId) : -EINVAL;
      return ns < 0 ? ns : BigInt(ns);
    }
  }
}

/** clock_gettime(clockid, tp): 0 with the time at `tp`, -EINVAL for a bad clock, -EFAULT. */
function sysClockGettime(k: Kernel, t: Thread, clockId: number, tp: number): number {
  const ns = clockNs(k, t, clockId);
  if (typeof ns === 'number') return ns;
  return copyTimespecOut(t, tp, ns) ? 0 : -EFAULT;
}

/** CPUCLOCK_WHICH, CPUCLOCK_PERTHREAD_MASK and CPUCLOCK_SCHED (include/linux/posix-timers.h). */
const CPUCLOCK_CLOCK_MASK = 3;
const CPUCLOCK_PERTHREAD_MASK = 4;
const CPUCLOCK_SCHED = 2;

function cpuClockGettime(k: Kernel, caller: Thread, clockId: number): number {
  if ((clockId & CPUCLOCK_CLOCK_MASK) !== CPUCLOCK_SCHED) return -EINVAL;
  const id = ~(clockId >> 3); // CPUCLOCK_PID
  if ((clockId & CPUCLOCK_PERTHREAD_MASK) !== 0) {
    if (id === 0) return threadCpuNs(k, caller);
    const target = k.threads.get(id);
    if (target === undefined || target.state === ThreadState.Dead || target.process !== caller.process) {
      return -EINVAL;
    }
    return threadCpuNs(k, target);
  }
  const process = id === 0 ? caller.process : k.processes.get(id);
  return process === undefined ? -EINVAL : processCpuNs(k, process);
}

/**
 * A thread's CPU time so far (Linux's sum_exec_runtime with the running slice included, as
 * task_sched_runtime adds it): the CPU charges a compute burst when it starts, so the part of
 * a burst still running on its CPU is taken off.
 */
export function threadCpuNs(k: Kernel, t: Thread): number {
  if (!t.running) return t.cpuTimeNs;
  const cpu = k.cpus[t.lastCpu];
  return cpu !== undefined && cpu.current === t ? t.cpuTimeNs - cpu.computeAheadNs : t.cpuTimeNs;
}

/** The CPU time of all a process's threads, the exited ones included (released ones in a sum). */
function processCpuNs(k: Kernel, p: Process): number {
  let sum = p.releasedCpuNs;
  for (const th of p.threads) sum += threadCpuNs(k, th);
  return sum;
}

/**
 * clock_settime(CLOCK_REALTIME, tp) (kernel/time/posix-timers.c, do_settimeofday64): EPERM
 * without CAP_SYS_TIME (root here), EINVAL for another clock or a timespec that is not a time
 * (timespec64_valid_settod: negative, tv_nsec out of range), EFAULT. Then clock_was_set: every
 * wait with an absolute CLOCK_REALTIME deadline (FUTEX_WAIT_BITSET with FUTEX_CLOCK_REALTIME,
 * FUTEX_LOCK_PI, clock_nanosleep TIMER_ABSTIME on REALTIME) follows the step both ways, ending
 * at once when its time has come, waiting longer when the clock went back; relative and
 * monotonic waits do not move (FUTEX-8, LIBC-3). Each CPU's one-shot is re-armed
 * (retrigger_next_event, the IPI folded into the call).
 */
function* sysClockSettime(k: Kernel, cpu: Cpu, t: Thread, clockId: number, tp: number): KernelGen<number> {
  if (t.process.uid !== 0) return -EPERM;
  if (clockId !== CLOCK_REALTIME) return -EINVAL;
  const ts = copyTimespecIn(t, tp);
  if (ts === null) return -EFAULT;
  if (!timespecValid(ts)) return -EINVAL;
  const ns = timespecNs(ts);
  k.realtimeOffsetNs = ns - BigInt(k.nowNs);
  k.board.trace.mix(TraceKind.RealtimeSet, Number(ts.sec & 0xffff_ffffn), Number(ts.nsec));
  const moved = new Set<number>();
  for (const w of [...k.realtimeWaiters]) {
    if (w.state !== ThreadState.Blocked) {
      k.realtimeWaiters.delete(w);
      continue;
    }
    const deadlineNs = nsToNumber(w.realtimeDeadlineNs - k.realtimeOffsetNs);
    if (deadlineNs <= k.nowNs) {
      k.expireTimeout(w);
      yield* k.policy.wake(cpu, w);
    } else {
      moved.add(k.rearmTimeout(w, deadlineNs));
    }
  }
  for (const cpuId of moved) retrigger(k, cpuId);
  return 0;
}

export const TIME_SYSCALLS: SyscallTable = {
  [SYS_CLOCK_GETTIME]: function* (k, _cpu, t, a) {
    return sysClockGettime(k, t, argNum(a[0], -1), argNum(a[1]));
  },
  [SYS_CLOCK_SETTIME]: (k, cpu, t, a) => sysClockSettime(k, cpu, t, argNum(a[0], -1), argNum(a[1])),
};

/** sched_yield: Redox calls switch() directly; a policy with classes requeues first (SCHED-7). */
export function* sysSchedYield(k: Kernel, cpu: Cpu): KernelGen<number> {
  const current = cpu.current;
  if (isThread(current)) k.policy.yieldCurrent?.(cpu, current);
  yield* schedule(k, cpu);
  return 0;
}
