/**
 * Scheduling classes and priorities as Linux's uapi has them (include/uapi/linux/sched.h,
 * include/linux/sched/prio.h): the policy numbers guests pass to sched_setscheduler, and the
 * kernel's one priority scale on which RT, deadline and normal contexts (and PI boosts) compare.
 */
export const SCHED_OTHER = 0;
export const SCHED_FIFO = 1;
export const SCHED_RR = 2;
export const SCHED_BATCH = 3;
export const SCHED_IDLE = 5;
export const SCHED_DEADLINE = 6;

export const SCHED_POLICY_NAMES: Readonly<Record<number, string>> = {
  [SCHED_OTHER]: 'other',
  [SCHED_FIFO]: 'fifo',
  [SCHED_RR]: 'rr',
  [SCHED_BATCH]: 'batch',
  [SCHED_IDLE]: 'idle',
  [SCHED_DEADLINE]: 'deadline',
};

/** User-visible RT priorities are 1..99 (sched_get_priority_min/max for FIFO and RR). */
export const RT_PRIO_MIN = 1;
export const RT_PRIO_MAX = 99;
/** Kernel priorities 0..99 are RT (0 most important), 100..139 normal (nice -20..19). */
export const MAX_RT_PRIO = 100;
export const MAX_PRIO = 140;
/** Deadline contexts sit above every RT priority. */
export const DL_PRIO = -1;

export function isRtPolicy(policy: number): boolean {
  return policy === SCHED_FIFO || policy === SCHED_RR;
}
