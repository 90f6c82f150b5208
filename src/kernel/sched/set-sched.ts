/**
 * Setting a thread's scheduling class and priorities: the one kernel function the proc handles
 * (`sched-policy`, `priority`, SCHED-11) go through, and that sched_setscheduler should go
 * through too, so both validate and take effect the same way (Linux `__sched_setscheduler`).
 */
import { EINVAL, EPERM } from '../../abi/errno.ts';
import {
  isRtPolicy,
  RT_PRIO_MAX,
  RT_PRIO_MIN,
  SCHED_BATCH,
  SCHED_DEADLINE,
  SCHED_IDLE,
  SCHED_OTHER,
} from '../../abi/sched.ts';
import { assert } from '../../engine/assert.ts';
import type { Cpu } from '../../hw/cpu.ts';
import type { KernelGen } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { PRIO_DEFAULT, PRIO_LEVELS, type Thread } from '../thread.ts';
import { TraceKind } from '../../abi/trace.ts';

export const NICE_MIN = -20;
export const NICE_MAX = 19;

/** Policies this kernel can set without further parameters (DEADLINE needs sched_attr). */
function settable(policy: number): boolean {
  return isRtPolicy(policy) || policy === SCHED_OTHER || policy === SCHED_BATCH || policy === SCHED_IDLE;
}

/** Linux's checks of the parameters alone: -EINVAL or 0. */
export function validateSched(policy: number, rtPriority: number, nice: number): number {
  if (!settable(policy)) return -EINVAL;
  if (!Number.isInteger(rtPriority) || !Number.isInteger(nice)) return -EINVAL;
  if (isRtPolicy(policy) ? rtPriority < RT_PRIO_MIN || rtPriority > RT_PRIO_MAX : rtPriority !== 0) {
    return -EINVAL;
  }
  if (nice < NICE_MIN || nice > NICE_MAX) return -EINVAL;
  return 0;
}

/**
 * Whether `caller` may give `target` these parameters (Linux: same user or CAP_SYS_NICE, here
 * uid 0; RLIMIT_RTPRIO and RLIMIT_NICE at their defaults of 0, so an unprivileged caller may
 * neither choose an RT class nor lower a nice value): -EPERM or 0.
 */
export function checkSchedPermission(caller: Thread, target: Thread, policy: number, nice: number): number {
  const uid = caller.process.uid;
  if (uid === 0) return 0;
  if (uid !== target.process.uid) return -EPERM;
  if (isRtPolicy(policy) && !isRtPolicy(target.policy)) return -EPERM;
  if (nice < target.prio - PRIO_DEFAULT) return -EPERM;
  return 0;
}

/** A deadline context's reservation (sched_attr's runtime, deadline and period). */
export interface DlParams {
  runtimeNs: number;
  deadlineNs: number;
  periodNs: number;
}

/**
 * Makes a validated, permitted change take effect: the class, its RT priority, the static
 * priority (`prio`, null to keep it) and the deadline reservation (null outside SCHED_DEADLINE),
 * then the policy's requeue. Both the sched_* system calls and the proc handles end here.
 */
export function* applySched(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  policy: number,
  rtPriority: number,
  prio: number | null,
  dl: DlParams | null,
): KernelGen<void> {
  // The callers validated: a deadline reservation comes with SCHED_DEADLINE and only with it,
  // and a static priority is one of the 40 Redox levels (nice -20..19).
  assert((policy === SCHED_DEADLINE) === (dl !== null), 'sched: deadline parameters without SCHED_DEADLINE');
  assert(
    prio === null || (Number.isInteger(prio) && prio >= 0 && prio < PRIO_LEVELS),
    'sched: prio out of range',
  );
  assert(dl === null || (dl.runtimeNs > 0 && dl.runtimeNs <= dl.deadlineNs), 'sched: unchecked reservation');
  t.policy = policy;
  t.rtPriority = isRtPolicy(policy) ? rtPriority : 0;
  if (prio !== null) t.prio = prio;
  t.dlRuntimeNs = dl?.runtimeNs ?? 0;
  t.dlDeadlineNs = dl?.deadlineNs ?? 0;
  t.dlPeriodNs = dl?.periodNs ?? 0;
  k.board.trace.mix(TraceKind.SetScheduler, t.id, policy * 256 + t.rtPriority);
  yield* k.policy.prioChanged(cpu, t);
}

/**
 * Gives `target` a class, an RT priority and a nice value through the proc handles. Returns 0
 * or -EINVAL; permission is the caller's to check.
 */
export function* setThreadSched(
  k: Kernel,
  cpu: Cpu,
  target: Thread,
  policy: number,
  rtPriority: number,
  nice: number,
): KernelGen<number> {
  const invalid = validateSched(policy, rtPriority, nice);
  if (invalid !== 0) return invalid;
  yield* applySched(k, cpu, target, policy, rtPriority, nice + PRIO_DEFAULT, null);
  return 0;
}
