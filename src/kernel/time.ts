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
import type { Process } from './process.ts';
import { isThread, type Thread, ThreadState } from './thread.ts';
import { TraceKind } from '../abi/trace.ts';

/**
 * clock_gettime: returns the clock's value in ns (the ABI returns it rather than a timespec).
 * Besides REALTIME and MONOTONIC: the caller's CPU-time clocks (CLOCK_THREAD_CPUTIME_ID,
 * CLOCK_PROCESS_CPUTIME_ID) and Linux's CPU-clock ids (LIBC-6, pthread_getcpuclockid and
 * clock_getcpuclockid): negative numbers `(~id << 3) | which`, with bit 2 set for a thread's
 * clock (include/linux/posix-timers.h MAKE_THREAD_CPUCLOCK / MAKE_PROCESS_CPUCLOCK). As
 * kernel/time/posix-cpu-timers.c lookup_task: id 0 is the caller (its process), a thread clock
 * names a live thread of the caller's process, and anything else is EINVAL (a dead thread's
 * clock too). Only CPUCLOCK_SCHED (the run time) is modelled: PROF and VIRT need per-thread
 * user/system tick accounting the model lacks, so they are refused (EINVAL) rather than faked.
 */
export function sysClockGettime(k: Kernel, t: Thread, clockId: number): number {
  switch (clockId) {
    case CLOCK_REALTIME:
      return k.realtimeOffsetNs + k.nowNs;
    case CLOCK_MONOTONIC:
      return k.nowNs;
    case CLOCK_THREAD_CPUTIME_ID:
      return threadCpuNs(k, t);
    case CLOCK_PROCESS_CPUTIME_ID:
      return processCpuNs(k, t.process);
    default:
      return clockId < 0 ? cpuClockGettime(k, t, clockId) : -EINVAL;
  }
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
  const cpu = k.board.cpus[t.lastCpu];
  return cpu !== undefined && cpu.current === t ? t.cpuTimeNs - cpu.computeAheadNs : t.cpuTimeNs;
}

/** The CPU time of all a process's threads, the exited ones included. */
function processCpuNs(k: Kernel, p: Process): number {
  return p.threads.reduce((sum, th) => sum + threadCpuNs(k, th), 0);
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
  k.board.trace.mix(TraceKind.RealtimeSet, Math.floor(ns / 0x1_0000_0000), ns >>> 0);
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

/** sched_yield: Redox calls switch() directly; a policy with classes requeues first (SCHED-7). */
export function* sysSchedYield(k: Kernel, cpu: Cpu): KernelGen<number> {
  const current = cpu.current;
  if (isThread(current)) k.policy.yieldCurrent?.(cpu, current);
  yield* schedule(k, cpu);
  return 0;
}
