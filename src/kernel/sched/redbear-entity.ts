/**
 * What the Red Bear patches add per context and how they map Linux's classes onto Redox's 40
 * queues (P5-sched-policy-context, P5-sched-rt-policy, P6-vruntime-context; models.md §1.7):
 * the policy discriminants, the RT-priority mapping, the queue a context goes to, and the
 * per-context fields with their invariant check.
 */
import { isRtPolicy, SCHED_FIFO, SCHED_RR } from '../../abi/sched.ts';
import { assert } from '../../engine/assert.ts';
import { PRIO_LEVELS, type Thread } from '../thread.ts';

/** Red Bear's `SchedPolicy` discriminants (P5-sched-policy-context): what its proc handle carries. */
export const RB_POLICY_FIFO = 0;
export const RB_POLICY_RR = 1;
export const RB_POLICY_OTHER = 2;

/** `DEFAULT_SCHED_RR_QUANTUM`: stored on every context, never enforced. */
export const DEFAULT_SCHED_RR_QUANTUM_NS = 100_000_000;

/** Red Bear's policy for a Linux policy number: it knows only Fifo, RoundRobin and Other. */
export function redbearPolicy(linuxPolicy: number): number {
  if (linuxPolicy === SCHED_FIFO) return RB_POLICY_FIFO;
  if (linuxPolicy === SCHED_RR) return RB_POLICY_RR;
  return RB_POLICY_OTHER;
}

/** rt_priority_to_kernel_prio: RT 99 → 0, RT 1 → 39 - 39/99 = 39 (integer division), RT 50 → 20. */
export function rtPriorityToKernelPrio(rtPriority: number): number {
  return PRIO_LEVELS - 1 - Math.floor((Math.min(rtPriority, 99) * (PRIO_LEVELS - 1)) / 99);
}

/**
 * The queue a context goes to (Red Bear's `prio`): its RT mapping or its static prio, or a PI
 * boost's level if lower. `piBoost` is on Linux's scale (RT 0..99, normal 100..139).
 */
export function redbearPrio(t: Thread): number {
  const base = isRtPolicy(t.policy)
    ? rtPriorityToKernelPrio(t.rtPriority)
    : Math.min(t.prio, PRIO_LEVELS - 1);
  if (t.piBoost === Number.POSITIVE_INFINITY) return base;
  const boost = t.piBoost < 100 ? rtPriorityToKernelPrio(99 - t.piBoost) : t.piBoost - 100;
  return Math.min(base, Math.max(0, boost));
}

/** Per-context fields the patches add to `Context`. */
export interface RedbearEntity {
  /** Weighted ns of CPU time (P6-vruntime-context); starts at 0 for every new context. */
  vruntime: number;
  /** When it last started running (`switch_time`). */
  switchInNs: number;
  /** `sched_rr_quantum`: stored, never read by the scheduler. */
  rrQuantumNs: number;
  /** `sched_rr_ticks_consumed`: reset on block and unblock, never incremented. */
  rrTicksConsumed: number;
}

export function redbearEntity(t: Thread): RedbearEntity {
  if (t.sched === null) {
    t.sched = {
      vruntime: 0,
      switchInNs: 0,
      rrQuantumNs: DEFAULT_SCHED_RR_QUANTUM_NS,
      rrTicksConsumed: 0,
    } satisfies RedbearEntity;
  }
  return t.sched as RedbearEntity;
}

/** A queued context's Red Bear fields: present, vruntime a non-negative whole number, RR ticks 0. */
export function checkEntity(t: Thread): void {
  assert(t.sched !== null, `invariant: queued context ${t.id} has no Red Bear fields`);
  const e = t.sched as RedbearEntity;
  assert(
    Number.isInteger(e.vruntime) && e.vruntime >= 0,
    `invariant: context ${t.id} vruntime ${e.vruntime}`,
  );
  assert(e.rrTicksConsumed === 0, `invariant: context ${t.id} counted RR ticks (nothing increments them)`);
}
