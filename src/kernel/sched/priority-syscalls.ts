/**
 * setpriority and getpriority (kernel/sys.c): the nice scale of one thread (PRIO_PROCESS, which
 * here names a tid, as Linux's does for a thread) or of every thread of a user (PRIO_USER);
 * PRIO_PGRP is EINVAL, since there are no process groups. The sched_* calls are syscalls.ts.
 */
import { EACCES, EINVAL, EPERM, ESRCH } from '../../abi/errno.ts';
import { MAX_NICE, MIN_NICE, PRIO_PROCESS, PRIO_USER } from '../../abi/sched.ts';
import { SYS_GETPRIORITY, SYS_SETPRIORITY } from '../../abi/syscalls.ts';
import { TraceKind } from '../../abi/trace.ts';
import type { Cpu } from '../../hw/cpu.ts';
import type { KernelGen } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { argNum as num, type SyscallTable } from '../syscall-types.ts';
import { PRIO_DEFAULT, type Thread, ThreadState } from '../thread.ts';
import { findThread, isFairPolicy, niceOf, privileged } from './syscalls.ts';

/** The threads `which`/`who` name for setpriority/getpriority, or null for a bad `which`. */
function priorityTargets(k: Kernel, caller: Thread, which: number, who: number): Thread[] | null {
  if (which === PRIO_PROCESS) {
    const t = findThread(k, caller, who);
    return t === null ? [] : [t];
  }
  if (which === PRIO_USER) {
    const uid = who === 0 ? caller.process.uid : who;
    return [...k.threads.values()].filter((t) => t.state !== ThreadState.Dead && t.process.uid === uid);
  }
  return null; // PRIO_PGRP: no process groups here
}

/** setpriority: set_one_prio on each target; ESRCH when none matched. */
function* sysSetPriority(
  k: Kernel,
  cpu: Cpu,
  caller: Thread,
  which: number,
  who: number,
  niceval: number,
): KernelGen<number> {
  const targets = priorityTargets(k, caller, which, who);
  if (targets === null) return -EINVAL;
  const nice = Math.min(MAX_NICE, Math.max(MIN_NICE, niceval));
  let error = -ESRCH;
  for (const t of targets) {
    if (!privileged(caller) && caller.process.uid !== t.process.uid) {
      error = -EPERM;
      continue;
    }
    if (nice < niceOf(t) && !privileged(caller)) {
      error = -EACCES;
      continue;
    }
    if (error === -ESRCH) error = 0;
    if (nice === niceOf(t)) continue;
    t.prio = nice + PRIO_DEFAULT;
    k.board.trace.mix(TraceKind.SetNice, t.id, t.prio);
    // set_user_nice: an RT or deadline context only records it; a normal one is reweighted.
    if (isFairPolicy(t.policy)) yield* k.policy.prioChanged(cpu, t);
  }
  return error;
}

/** getpriority: the best (20 - nice) of the targets, Linux's biased return; ESRCH if none. */
function* sysGetPriority(k: Kernel, caller: Thread, which: number, who: number): KernelGen<number> {
  const targets = priorityTargets(k, caller, which, who);
  if (targets === null) return -EINVAL;
  let result = -ESRCH;
  for (const t of targets) result = Math.max(result, 20 - niceOf(t));
  return result;
}

export const PRIORITY_SYSCALLS: SyscallTable = {
  [SYS_SETPRIORITY]: (k, cpu, t, a) => sysSetPriority(k, cpu, t, num(a[0], -1), num(a[1], -1), num(a[2])),
  [SYS_GETPRIORITY]: (k, _cpu, t, a) => sysGetPriority(k, t, num(a[0], -1), num(a[1], -1)),
};
