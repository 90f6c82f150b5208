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

/** Nice values (include/linux/sched/prio.h): Thread.prio = nice + 20. */
export const MIN_NICE = -20;
export const MAX_NICE = 19;

/** setpriority/getpriority `which` (include/uapi/linux/resource.h). */
export const PRIO_PROCESS = 0;
export const PRIO_PGRP = 1;
export const PRIO_USER = 2;

/**
 * struct sched_param (one int) and struct sched_attr (include/uapi/linux/sched/types.h) as they
 * lie in guest memory: byte offsets, little-endian; each u64 is two 32-bit words, low first.
 */
export const SCHED_PARAM_SIZE = 4;
export const SCHED_ATTR_SIZE_VER0 = 48;
export const SCHED_ATTR_SIZE_VER1 = 56;
export const SCHED_ATTR = {
  size: 0,
  policy: 4,
  flags: 8,
  nice: 16,
  priority: 20,
  runtime: 24,
  deadline: 32,
  period: 40,
  utilMin: 48,
  utilMax: 52,
} as const;

/** struct timespec (64-bit): tv_sec then tv_nsec, each an s64 (two words, low first). */
export const TIMESPEC_SIZE = 16;

/** The parameters of a scheduling class, as sched_setattr carries them (times in ns). */
export interface SchedAttr {
  policy: number;
  flags: number;
  nice: number;
  priority: number;
  runtimeNs: number;
  deadlineNs: number;
  periodNs: number;
}
