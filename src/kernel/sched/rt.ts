/**
 * The real-time classes of the improved policy (SCHED-7): SCHED_FIFO and SCHED_RR, as Linux's
 * kernel/sched/rt.c has them (models.md §4.4).
 *
 * - One FIFO per kernel priority 0..99 on each CPU (Linux `rt_prio_array`), 0 most important;
 *   every RT context outranks every normal one.
 * - A waking context goes to the tail of its level; a preempted one goes back to the head; a
 *   yield or an expired RR quantum moves it to the tail (`requeue_task_rt`).
 * - RR's quantum is `sched_rr_timeslice_ms` = 100 ms of run time (`RR_TIMESLICE`); a quantum runs
 *   out only at a tick, and the context is requeued only when its level holds another one
 *   (`task_tick_rt`).
 * - Throttling (`sched_rt_runtime_us` 950000 per `sched_rt_period_us` 1000000): RT run time is
 *   charged to the CPU's `rt_time`; past the runtime the queue is throttled (nothing RT runs
 *   there, normal contexts do) until the period timer pays back one runtime per period elapsed
 *   (`do_sched_rt_period_timer`). RT_RUNTIME_SHARE (borrowing runtime from other CPUs) has been
 *   off by default since Linux 5.10 and is not modelled. The period timer is evaluated at the
 *   CPU's tick (this kernel has no hrtimers; 1 ms at the LAPIC's 1000 Hz).
 */
import { MAX_RT_PRIO } from '../../abi/sched.ts';
import { assert } from '../../engine/assert.ts';
import type { Thread } from '../thread.ts';

/** RR quantum: RR_TIMESLICE = 100 ms (include/linux/sched/rt.h). */
export const RR_TIMESLICE_NS = 100_000_000;
/** sysctl sched_rt_runtime_us = 950000 (kernel/sched/core.c). */
export const RT_RUNTIME_NS = 950_000_000;
/** sysctl sched_rt_period_us = 1000000. */
export const RT_PERIOD_NS = 1_000_000_000;

/** The RT run queue of one CPU: queued (not running) RT contexts and the throttling state. */
export class RtRunQueue {
  readonly #levels: Thread[][] = Array.from({ length: MAX_RT_PRIO }, () => []);
  #count = 0;
  /** RT run time charged in the current period (Linux `rt_time`). */
  rtTimeNs = 0;
  /** Over its runtime: nothing RT runs on this CPU until the period timer refills it. */
  throttled = false;
  /** Start of the current period; the period timer is armed while `periodActive`. */
  periodStartNs = 0;
  periodActive = false;
  /** How many times this queue was throttled (report). */
  throttles = 0;

  get count(): number {
    return this.#count;
  }

  /** Queues `t` at kernel priority `prio` (0..99): at the head (preempted) or the tail. */
  enqueue(t: Thread, prio: number, head: boolean): void {
    assert(prio >= 0 && prio < MAX_RT_PRIO, 'rt: enqueue outside the RT levels');
    const level = this.#levels[prio]!;
    if (head) level.unshift(t);
    else level.push(t);
    this.#count++;
  }

  remove(t: Thread, prio: number): void {
    const level = this.#levels[prio]!;
    const index = level.indexOf(t);
    if (index < 0) throw new Error(`rt: context ${t.id} not queued at priority ${prio}`);
    level.splice(index, 1);
    this.#count--;
  }

  /** The most important queued priority, or MAX_RT_PRIO when none is queued. */
  highest(): number {
    if (this.#count === 0) return MAX_RT_PRIO;
    for (let p = 0; p < MAX_RT_PRIO; p++) if (this.#levels[p]!.length > 0) return p;
    return MAX_RT_PRIO;
  }

  /** The head of the most important level, or null. */
  first(): Thread | null {
    const p = this.highest();
    return p === MAX_RT_PRIO ? null : this.#levels[p]![0]!;
  }

  /** The first queued context allowed on `cpuId`, most important level first (no closure). */
  findAllowed(cpuId: number): Thread | null {
    if (this.#count === 0) return null;
    for (const level of this.#levels) for (const t of level) if (t.allowedOn(cpuId)) return t;
    return null;
  }

  /** How many contexts are queued at `prio`. */
  levelLength(prio: number): number {
    return this.#levels[prio]!.length;
  }

  all(): Thread[] {
    return this.#count === 0 ? [] : this.#levels.flat();
  }

  /** Charges RT run time; true when this makes the queue throttled (sched_rt_runtime_exceeded). */
  charge(nowNs: number, deltaNs: number): boolean {
    if (!this.periodActive) {
      this.periodActive = true; // start_rt_bandwidth: the period timer starts with RT activity
      this.periodStartNs = nowNs - deltaNs;
    }
    assert(deltaNs > 0, 'rt: charging no run time');
    this.rtTimeNs += deltaNs;
    if (this.throttled || this.rtTimeNs <= RT_RUNTIME_NS) return false;
    this.throttled = true;
    this.throttles++;
    return true;
  }

  /**
   * The period timer (do_sched_rt_period_timer), run at the CPU's tick: each elapsed period pays
   * back one runtime. True when this ends a throttle.
   */
  advance(nowNs: number): boolean {
    if (!this.periodActive || nowNs < this.periodStartNs + RT_PERIOD_NS) return false;
    const overrun = Math.floor((nowNs - this.periodStartNs) / RT_PERIOD_NS);
    this.periodStartNs += overrun * RT_PERIOD_NS;
    assert(overrun >= 1, 'rt: a period timer with no period elapsed');
    this.rtTimeNs = Math.max(0, this.rtTimeNs - overrun * RT_RUNTIME_NS);
    if (this.rtTimeNs === 0 && !this.throttled && this.#count === 0) this.periodActive = false; // idle
    if (this.throttled && this.rtTimeNs < RT_RUNTIME_NS) {
      this.throttled = false;
      return true;
    }
    return false;
  }
}
