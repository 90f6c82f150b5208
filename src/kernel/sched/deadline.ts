/**
 * SCHED_DEADLINE in the improved policy (SCHED-7's "next missing class"): earliest deadline
 * first over constant-bandwidth servers, as Linux's kernel/sched/deadline.c has them.
 *
 * Each context has (runtime Q, relative deadline D, period P). Its server holds a remaining
 * runtime q and an absolute deadline d:
 * - a new server starts with d = now + D, q = Q (`setup_new_dl_entity`);
 * - at a wakeup, if d has passed or the remaining budget would exceed the reserved bandwidth
 *   before d (q / (d - now) > Q / D, `dl_entity_overflow`), the server restarts: d = now + D,
 *   q = Q (`update_dl_entity`); a constrained server (D < P) with an early wakeup keeps d and
 *   cuts q to its density times the laxity (the revised CBS wakeup rule, `update_dl_revised_wakeup`);
 * - run time is charged to q; at q <= 0 (or a sched_yield, which gives up the rest of q) the
 *   server is throttled until the start of its next period, d - D + P (`start_dl_timer`), then
 *   replenished: d += P and q += Q until q > 0, restarting if d is still in the past
 *   (`replenish_dl_entity`). The replenishment timer is evaluated at the CPU's tick: this kernel
 *   has no hrtimers, so a replenishment can be up to one tick late (Linux's is exact).
 * - the earliest d runs first; deadline contexts outrank every RT and normal context.
 *
 * Admission control (`sched_dl_overflow`, `__dl_overflow`): the sum of the bandwidths Q/P of all
 * deadline contexts may not exceed the RT bandwidth times the CPUs, 0.95 × ncpus by default
 * (sched_rt_runtime_us / sched_rt_period_us), computed in Linux's 20-bit fixed point (BW_SHIFT);
 * a set that would exceed it is refused with EBUSY.
 *
 * A context that a PI boost lifts into this class (a deadline waiter blocks on a lock it holds)
 * runs as Linux runs a `dl_boosted` entity: never throttled. Linux gives it the donor's deadline;
 * the boost here carries only a priority, so a boosted context is queued ahead of every deadline
 * (deadline -Infinity) until the boost ends.
 */
import { assert } from '../../engine/assert.ts';
import type { Thread } from '../thread.ts';

/** __checkparam_dl: runtime of at least 2^DL_SCALE ns (DL_SCALE = 10). */
export const DL_RUNTIME_MIN_NS = 1024;
/** sysctl sched_deadline_period_min_us = 100 and _max_us = 1 << 22 (kernel/sched/deadline.c). */
export const DL_PERIOD_MIN_NS = 100_000;
export const DL_PERIOD_MAX_NS = (1 << 22) * 1000;
/** Fixed-point shift of bandwidths (BW_SHIFT, kernel/sched/sched.h). */
export const BW_SHIFT = 20;

/** The run-time state of a context's constant-bandwidth server. */
export interface DlEntity {
  /** Remaining runtime q (ns); may go negative by the overrun of the last charge. */
  dlRuntimeLeftNs: number;
  /** Absolute deadline d (ns). */
  dlDeadlineAbsNs: number;
  /** The server needs setup_new_dl_entity at its next enqueue (fresh parameters). */
  dlNew: boolean;
  /** Out of runtime, waiting for its replenishment (`dl_throttled`). */
  dlThrottled: boolean;
  /** Gave up its runtime with sched_yield (`dl_yielded`). */
  dlYielded: boolean;
}

/** to_ratio(period, runtime): runtime / period in BW_SHIFT fixed point. */
export function toRatio(periodNs: number, runtimeNs: number): number {
  return Math.floor((runtimeNs * 2 ** BW_SHIFT) / periodNs);
}

/** The bandwidth a deadline context reserves: Q/P (fixed point). */
export function dlBandwidth(t: Thread): number {
  return toRatio(t.dlPeriodNs, t.dlRuntimeNs);
}

/**
 * __checkparam_dl: a deadline, a runtime of at least 1024 ns, runtime <= deadline <= period
 * (period 0 means period = deadline), and a period within [100 µs, 2^22 µs].
 */
export function checkDlParams(runtimeNs: number, deadlineNs: number, periodNs: number): boolean {
  if (deadlineNs === 0 || runtimeNs < DL_RUNTIME_MIN_NS) return false;
  const period = periodNs === 0 ? deadlineNs : periodNs;
  if (period < deadlineNs || deadlineNs < runtimeNs) return false;
  return period >= DL_PERIOD_MIN_NS && period <= DL_PERIOD_MAX_NS;
}

/**
 * __dl_overflow: would the total bandwidth, with `oldBw` replaced by `newBw`, exceed the cap of
 * `cpus` CPUs at RT bandwidth `rtRuntimeNs / rtPeriodNs`? cap_scale(bw, cpus × 1024) = bw × cpus.
 */
export function dlOverflow(
  totalBw: number,
  oldBw: number,
  newBw: number,
  cpus: number,
  rtRuntimeNs: number,
  rtPeriodNs: number,
): boolean {
  const cap = toRatio(rtPeriodNs, rtRuntimeNs) * cpus;
  return cap < totalBw - oldBw + newBw;
}

/** setup_new_dl_entity: a fresh server. */
export function dlSetupNew(e: DlEntity, t: Thread, nowNs: number): void {
  assert(
    t.dlRuntimeNs > 0 && t.dlDeadlineNs >= t.dlRuntimeNs,
    'deadline: a server without a valid reservation',
  );
  e.dlDeadlineAbsNs = nowNs + t.dlDeadlineNs;
  e.dlRuntimeLeftNs = t.dlRuntimeNs;
  e.dlNew = false;
  e.dlThrottled = false;
  e.dlYielded = false;
}

/** update_dl_entity: the CBS wakeup rule. */
export function dlOnWakeup(e: DlEntity, t: Thread, nowNs: number): void {
  if (e.dlNew) {
    dlSetupNew(e, t, nowNs);
    return;
  }
  const passed = e.dlDeadlineAbsNs <= nowNs;
  // dl_entity_overflow: q / (d - now) > Q / D, cross-multiplied as Linux does.
  const overflow =
    !passed && (e.dlDeadlineAbsNs - nowNs) * t.dlRuntimeNs < e.dlRuntimeLeftNs * t.dlDeadlineNs;
  if (!passed && !overflow) return;
  if (!passed && t.dlDeadlineNs !== t.dlPeriodNs) {
    // Revised CBS for constrained deadlines: keep d, run at density Q/D until it.
    e.dlRuntimeLeftNs = Math.floor(((e.dlDeadlineAbsNs - nowNs) * t.dlRuntimeNs) / t.dlDeadlineNs);
    return;
  }
  e.dlDeadlineAbsNs = nowNs + t.dlDeadlineNs;
  e.dlRuntimeLeftNs = t.dlRuntimeNs;
}

/** When a throttled server is replenished: the start of its next period (dl_next_period). */
export function dlReplenishAtNs(e: DlEntity, t: Thread): number {
  return e.dlDeadlineAbsNs - t.dlDeadlineNs + t.dlPeriodNs;
}

/** replenish_dl_entity. */
export function dlReplenish(e: DlEntity, t: Thread, nowNs: number): void {
  if (e.dlYielded && e.dlRuntimeLeftNs > 0) e.dlRuntimeLeftNs = 0;
  while (e.dlRuntimeLeftNs <= 0) {
    e.dlDeadlineAbsNs += t.dlPeriodNs;
    e.dlRuntimeLeftNs += t.dlRuntimeNs;
  }
  if (e.dlDeadlineAbsNs < nowNs) {
    // "DL replenish lagged too much": start a new period now.
    e.dlDeadlineAbsNs = nowNs + t.dlDeadlineNs;
    e.dlRuntimeLeftNs = t.dlRuntimeNs;
  }
  e.dlYielded = false;
  e.dlThrottled = false;
  // A replenished server has budget left and a deadline not yet passed (replenish_dl_entity).
  assert(e.dlRuntimeLeftNs > 0 && e.dlDeadlineAbsNs >= nowNs, 'deadline: replenishment left no budget');
}

/** The deadline-ordered queue of one CPU and its throttled servers. */
export class DlRunQueue {
  /** Queued (not running, not throttled) contexts by (deadline, tid). */
  readonly queue: Thread[] = [];
  /** Throttled servers by replenishment time. */
  readonly throttled: Thread[] = [];
  /** Deadline of a queued context, as it was inserted (`key` reads it from the entity). */
  readonly #key: (t: Thread) => number;
  throttles = 0;

  constructor(key: (t: Thread) => number) {
    this.#key = key;
  }

  get count(): number {
    return this.queue.length;
  }

  insert(t: Thread): void {
    const q = this.queue;
    const d = this.#key(t);
    let lo = 0;
    let hi = q.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.#key(q[mid]!);
      if (m < d || (m === d && q[mid]!.id < t.id)) lo = mid + 1;
      else hi = mid;
    }
    q.splice(lo, 0, t);
  }

  remove(t: Thread): void {
    const index = this.queue.indexOf(t);
    if (index < 0) throw new Error(`deadline: context ${t.id} not queued`);
    this.queue.splice(index, 1);
  }

  first(): Thread | null {
    return this.queue[0] ?? null;
  }

  /** Parks a throttled server until `atNs`. */
  throttle(t: Thread, atNs: number, when: (t: Thread) => number): void {
    const list = this.throttled;
    let i = list.length;
    while (i > 0 && when(list[i - 1]!) > atNs) i--;
    list.splice(i, 0, t);
    this.throttles++;
  }

  unthrottle(t: Thread): boolean {
    const index = this.throttled.indexOf(t);
    if (index < 0) return false;
    this.throttled.splice(index, 1);
    return true;
  }
}
