/**
 * High-resolution timers of the improved kernel (Linux kernel/time/hrtimer.c), which end timed
 * waits at their expiry whatever the periodic tick: each CPU keeps its armed timers in a queue
 * ordered by hard expiry (the timerqueue of its hrtimer_cpu_base), and its one-shot clock event
 * device (the LAPIC in TSC-deadline mode) is programmed for the earliest of them and of the
 * scheduler's own timers (SCHED_DEADLINE replenishment, dl_task_timer; the RT period timer).
 *
 * The interrupt runs the queue as __hrtimer_run_queues does: from the earliest hard expiry on,
 * every timer whose soft expiry has passed fires, and the walk stops at the first that is not
 * due yet, so a timer's slack lets it ride an earlier interrupt (a tick, another expiry). With a
 * periodic tick the tick keeps its own events; Linux in high-resolution mode emulates it with
 * tick_sched_timer on the same device at the same period points, so a tick also runs whatever
 * timers are due. Tickless (TSC-deadline tick) the one device serves both (clockevent.ts).
 *
 * The Redox baseline has none of this: its timeouts are checked in switch() (dwrr, redbear) and
 * end at the first switch or tick after them.
 */
import type { Cpu } from '../hw/cpu.ts';
import type { KernelGen } from '../hw/effects.ts';
import type { TscDeadlineTimer } from '../hw/timer.ts';
import { programTimers } from './clockevent.ts';
import type { Kernel } from './kernel.ts';
import { type Thread, ThreadState } from './thread.ts';
import { NO_DEADLINE } from '../engine/deadline.ts';

interface HrtimerEntry {
  t: Thread;
  cpuId: number;
  softNs: number;
  hardNs: number;
}

export class Hrtimers {
  /** The one-shot device the queue is programmed into (shared with the tick when tickless). */
  readonly device: TscDeadlineTimer;
  /** Whether the device also carries the tick (TSC-deadline tickless): the tick programs it then. */
  readonly sharedWithTick: boolean;
  readonly #queues: HrtimerEntry[][];
  readonly #armed = new Map<Thread, HrtimerEntry>();
  /** Timers fired, and interrupts of the hrtimer device that found nothing due. */
  readonly counts = { fired: 0, emptyInterrupts: 0 };

  constructor(cpus: number, device: TscDeadlineTimer, sharedWithTick: boolean) {
    this.device = device;
    this.sharedWithTick = sharedWithTick;
    this.#queues = Array.from({ length: cpus }, () => []);
  }

  /** hrtimer_start_range_ns: (re)arms `t`'s timer on `cpuId` for [softNs, softNs + slackNs]. */
  arm(cpuId: number, t: Thread, softNs: number, slackNs: number): void {
    this.cancel(t);
    const entry: HrtimerEntry = { t, cpuId, softNs, hardNs: softNs + slackNs };
    const queue = this.#queues[cpuId]!;
    let i = queue.length;
    while (i > 0 && queue[i - 1]!.hardNs > entry.hardNs) i--; // FIFO among equal expiries
    queue.splice(i, 0, entry);
    this.#armed.set(t, entry);
  }

  /** A clock step moved `t`'s expiry: the timer stays on its CPU's queue, re-sorted. */
  rearm(t: Thread, softNs: number, slackNs: number): number {
    const cpuId = this.#armed.get(t)?.cpuId ?? t.lastCpu;
    this.arm(cpuId, t, softNs, slackNs);
    return cpuId;
  }

  /** hrtimer_cancel: takes `t`'s timer off its queue; returns the CPU it was on, or -1. */
  cancel(t: Thread): number {
    const entry = this.#armed.get(t);
    if (entry === undefined) return -1;
    this.#armed.delete(t);
    const queue = this.#queues[entry.cpuId]!;
    queue.splice(queue.indexOf(entry), 1);
    return entry.cpuId;
  }

  /**
   * hrtimers_cpu_dying / migrate_hrtimer_list (kernel/time/hrtimer.c): every timer of the dying
   * `fromCpu` moves to `toCpu`'s queue, keeping its expiries; returns how many moved.
   */
  moveAll(fromCpu: number, toCpu: number): number {
    const moving = this.#queues[fromCpu]!.slice();
    for (const entry of moving) this.arm(toCpu, entry.t, entry.softNs, entry.hardNs - entry.softNs);
    return moving.length;
  }

  /** How many timers are armed on `cpuId` (the hotplug invariants: none on an offline CPU). */
  countOn(cpuId: number): number {
    return this.#queues[cpuId]!.length;
  }

  /** The earliest hard expiry armed on `cpuId`, or NO_DEADLINE. */
  nextHardNs(cpuId: number): number {
    return this.#queues[cpuId]![0]?.hardNs ?? NO_DEADLINE;
  }

  /** The soft expiry of `cpuId`'s earliest timer (what `hasDue` compares), or NO_DEADLINE. */
  nextSoftNs(cpuId: number): number {
    return this.#queues[cpuId]![0]?.softNs ?? NO_DEADLINE;
  }

  /** Whether a timer of `cpuId` is due at `nowNs` (what `popDue` would take): the tick asks first. */
  hasDue(cpuId: number, nowNs: number): boolean {
    const head = this.#queues[cpuId]![0];
    return head !== undefined && head.softNs <= nowNs;
  }

  /** The next timer of `cpuId` to fire now (its soft expiry passed), taken off the queue; or null. */
  popDue(cpuId: number, nowNs: number): Thread | null {
    const head = this.#queues[cpuId]![0];
    if (head === undefined || head.softNs > nowNs) return null;
    this.cancel(head.t);
    return head.t;
  }
}

/** Fires every timer due on `cpu`: each ends its thread's block as timed out and wakes it. */
export function* runDueTimers(k: Kernel, cpu: Cpu): KernelGen<number> {
  const timers = k.hrtimers!;
  let fired = 0;
  for (let t = timers.popDue(cpu.id, k.nowNs); t !== null; t = timers.popDue(cpu.id, k.nowNs)) {
    if (t.state !== ThreadState.Blocked) continue; // woken meanwhile: its cancel raced the expiry
    k.expireTimeout(t);
    fired++;
    yield* k.policy.wake(cpu, t);
  }
  timers.counts.fired += fired;
  return fired;
}

/**
 * hrtimer_interrupt on the hrtimer device's vector: the due thread timers, then the scheduler's
 * (a replenished deadline server, the RT period), then the device is programmed for what is next.
 */
export function* hrtimerInterrupt(k: Kernel, cpu: Cpu): KernelGen<void> {
  const fired = yield* runDueTimers(k, cpu);
  const resched = k.policy.runHrtimers === undefined ? false : yield* k.policy.runHrtimers(cpu);
  if (resched) k.needResched[cpu.id] = 1;
  if (fired === 0 && !resched) k.hrtimers!.counts.emptyInterrupts++;
  yield* programTimers(k, cpu);
}
