/** Clocks and sleeping: clock_gettime, nanosleep, sched_yield. */
import { EINVAL } from '../abi/errno.ts';
import {
  CLOCK_MONOTONIC,
  CLOCK_PROCESS_CPUTIME_ID,
  CLOCK_REALTIME,
  CLOCK_THREAD_CPUTIME_ID,
} from '../abi/syscalls.ts';
import type { Cpu } from '../hw/cpu.ts';
import type { KernelGen } from '../hw/effects.ts';
import type { Kernel } from './kernel.ts';
import { schedule } from './sched/switch.ts';
import { isThread, type Thread } from './thread.ts';

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

/** nanosleep: blocks until the deadline; a spurious wakeup sleeps again. */
export function* sysNanosleep(k: Kernel, cpuAtEntry: Cpu, t: Thread, durationNs: number): KernelGen<number> {
  let cpu = cpuAtEntry;
  if (!(durationNs >= 0)) return -EINVAL;
  const deadlineNs = k.nowNs + durationNs;
  while (k.nowNs < deadlineNs && !t.killPending) {
    k.blockCurrent(cpu, t, 'nanosleep', deadlineNs);
    yield* schedule(k, cpu);
    cpu = k.cpuOf(t);
  }
  return 0;
}

/** sched_yield: Redox calls switch() directly; a policy with classes requeues first (SCHED-7). */
export function* sysSchedYield(k: Kernel, cpu: Cpu): KernelGen<number> {
  const current = cpu.current;
  if (isThread(current)) k.policy.yieldCurrent?.(cpu, current);
  yield* schedule(k, cpu);
  return 0;
}
