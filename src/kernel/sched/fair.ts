/**
 * `fair`: the improved scheduler's first form (SCHED-2, SCHED-3, part of SCHED-4).
 *
 * Per-CPU run queues, each with its own lock, which is also that CPU's switch lock: no global
 * lock on the switch path. CFS-style weighted vruntime (Linux ≤6.5 fair.c, models.md §4.2):
 * pick the smallest, new contexts start at the queue's minimum plus one virtual slice, waking
 * ones no earlier than the minimum minus half the latency target. Where fair contexts go is
 * decided in `balance.ts` (SCHED-4..6, SCHED-8): new ones on the least-loaded allowed CPU, woken
 * ones on their last or the waker's CPU when idle, else the best allowed one; an idle CPU steals
 * from another queue (try-lock only, as Redox HEAD steals), and every CPU pulls from a busier
 * queue every 100 ms, taking both run-queue locks in CPU-id order. This file takes the locks and
 * moves the contexts.
 *
 * Scheduling classes (SCHED-7): each run queue also holds an RT queue (SCHED_FIFO/SCHED_RR,
 * `rt.ts`) and a deadline queue (SCHED_DEADLINE, `deadline.ts`). A pick takes the earliest
 * deadline, else the most important RT context (unless RT is throttled), else the smallest
 * vruntime. A context is scheduled in the class of its effective priority (`effectivePrio`), so
 * a PI boost into the RT range moves a normal context into the RT queue until the boost ends.
 * RT and deadline contexts wake on a CPU that runs less important work (Linux's
 * select_task_rq_rt / select_task_rq_dl), a CPU about to run less important work pulls them
 * from the other run queues (pull_rt_task / pull_dl_task), and a preempted one is pushed by
 * asking such a CPU to reschedule (and so to pull it).
 */
import { MAX_RT_PRIO, SCHED_DEADLINE, SCHED_FIFO, SCHED_OTHER, SCHED_RR } from '../../abi/sched.ts';
import { assert } from '../../engine/assert.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, lock, sendIpi, spend, tryLock, unlock } from '../../hw/effects.ts';
import { SpinLock } from '../../hw/spinlock.ts';
import { VEC_IPI_SWITCH } from '../../hw/vectors.ts';
import { type Context, effectivePrio, isThread, normalPrio, type Thread, ThreadState } from '../thread.ts';
import {
  BALANCE_INTERVAL_NS,
  bestCpu,
  bestPull,
  MIGRATE_MAX,
  nextToMove,
  type PlacementEnv,
  placeNew,
  selectWakeCpu,
  weightOf,
} from './balance.ts';
import { type DlEntity, DlRunQueue, dlOnWakeup, dlReplenish, dlReplenishAtNs } from './deadline.ts';
import type { SchedHost, SchedPolicy } from './policy.ts';
import { RR_TIMESLICE_NS, RT_PERIOD_NS, RT_RUNTIME_NS, RtRunQueue } from './rt.ts';
import { NICE_0_WEIGHT } from './weights.ts';

/** CFS tunables before scaling (fair.c, Linux ≤6.5). */
const LATENCY_NS = 6_000_000;
const MIN_GRANULARITY_NS = 750_000;
const WAKEUP_GRANULARITY_NS = 1_000_000;

/** Scheduling classes in the order they outrank each other (higher wins). */
export const CLASS_FAIR = 0;
export const CLASS_RT = 1;
export const CLASS_DL = 2;

/** The class a context is scheduled in: that of its effective priority (PI boosts included). */
export function classOf(t: Thread): number {
  const p = effectivePrio(t);
  return p < 0 ? CLASS_DL : p < MAX_RT_PRIO ? CLASS_RT : CLASS_FAIR;
}

export interface FairOptions {
  /** NUMA awareness (SCHED-6): prefer the own node when stealing, count SLIT costs. */
  numa: boolean;
}

/** Per-context state of this policy. */
export interface FairEntity extends DlEntity {
  vruntime: number;
  /** The run queue (CPU) it belongs to while on one; -1 otherwise. */
  rq: number;
  /** On a run queue: queued, or the queue's current context (Linux `on_rq`). */
  onRq: boolean;
  /** When it last started running, for vruntime accounting. */
  execStartNs: number;
  /** When its current slice began. */
  sliceStartNs: number;
  /** The class it is queued or running in (CLASS_*), fixed at enqueue and by prioChanged. */
  klass: number;
  /** The effective priority it is queued or running at (its RT level for CLASS_RT). */
  prio: number;
  /**
   * The weight it added to its run queue's load while in the fair class (Linux se->load): a
   * priority change while queued is applied by prioChanged, so the load stays the sum of what
   * was added.
   */
  weight: number;
  /** When it last stopped running, for cache hotness; -1 before its first run. */
  lastRanNs: number;
  /** SCHED_RR: run time left in its quantum (Linux rt.time_slice). */
  rrLeftNs: number;
  /** An RT context goes back to the tail of its level when switched out (yield, RR expiry). */
  putBackTail: boolean;
  /** Lifted into the deadline class by a PI boost: never throttled, queued first. */
  dlBoosted: boolean;
  /** The deadline parameters its server was set up with (new ones restart the server). */
  dlParams: string;
}

class RunQueue {
  readonly cpuId: number;
  readonly lock: SpinLock;
  /** Queued (not running) contexts ordered by (vruntime, tid). */
  readonly queue: Thread[] = [];
  curr: Thread | null = null;
  minVruntime = 0;
  /** Sum of the weights of queued contexts and curr. */
  loadWeight = 0;
  /**
   * Timed blocks armed on this CPU, ordered by deadline. An entry goes stale when its context
   * is woken first or re-armed (a realtime clock jump); `at` tells a live entry from a stale one.
   */
  readonly timers: { t: Thread; at: number }[] = [];
  readonly rt = new RtRunQueue();
  readonly dl = new DlRunQueue(dlKey);
  /** Switched out runnable on a CPU its mask no longer allows: queued elsewhere after the switch. */
  pushPending: Thread | null = null;

  constructor(cpuId: number) {
    this.cpuId = cpuId;
    this.lock = new SpinLock(`rq${cpuId}`);
  }

  /** Runnable contexts of every class on this queue, curr included (throttled ones not). */
  get nrRunning(): number {
    return this.queue.length + this.rt.count + this.dl.count + (this.curr === null ? 0 : 1);
  }

  /** Contexts of the fair class, curr included (Linux cfs_rq->nr_running). */
  get fairRunning(): number {
    return this.queue.length + (this.curr !== null && entity(this.curr).klass === CLASS_FAIR ? 1 : 0);
  }
}

function entity(t: Thread): FairEntity {
  if (t.sched === null) {
    t.sched = {
      vruntime: 0,
      rq: -1,
      onRq: false,
      execStartNs: 0,
      sliceStartNs: 0,
      lastRanNs: -1,
      klass: CLASS_FAIR,
      prio: 0,
      weight: 0,
      rrLeftNs: RR_TIMESLICE_NS,
      putBackTail: false,
      dlBoosted: false,
      dlParams: '',
      dlRuntimeLeftNs: 0,
      dlDeadlineAbsNs: 0,
      dlNew: true,
      dlThrottled: false,
      dlYielded: false,
    } satisfies FairEntity;
  }
  return t.sched as FairEntity;
}

/** Order of the deadline queue: the server's absolute deadline; a boosted context first. */
function dlKey(t: Thread): number {
  const e = entity(t);
  return e.dlBoosted ? Number.NEGATIVE_INFINITY : e.dlDeadlineAbsNs;
}

function dlReplenishAt(t: Thread): number {
  return dlReplenishAtNs(entity(t), t);
}

/** True when `a` should run before `b` and they are not both fair (then CFS decides). */
function outranks(a: Thread, b: Thread): boolean {
  const ea = entity(a);
  const eb = entity(b);
  if (ea.klass !== eb.klass) return ea.klass > eb.klass;
  if (ea.klass === CLASS_RT) return ea.prio < eb.prio;
  if (ea.klass === CLASS_DL) return dlKey(a) < dlKey(b);
  return false;
}

/**
 * How important the work of a run queue is, on the kernel's priority scale (lower = more
 * important): -1 with deadline work, the best RT level with RT work that may run, 100 with
 * normal work only, 141 idle (Linux cpupri's view of a CPU).
 */
function rqPrio(rq: RunQueue): number {
  const curr = rq.curr;
  const ec = curr === null ? null : entity(curr);
  if (rq.dl.count > 0 || ec?.klass === CLASS_DL) return -1;
  let p = rq.rt.throttled ? MAX_RT_PRIO : rq.rt.highest();
  if (ec !== null && ec.klass === CLASS_RT && ec.prio < p) p = ec.prio;
  if (p < MAX_RT_PRIO) return p;
  return curr !== null || rq.queue.length > 0 ? MAX_RT_PRIO : MAX_RT_PRIO + 41;
}

export class FairPolicy implements SchedPolicy {
  readonly name = 'fair';
  readonly keepsBlockedQueued = false;
  readonly schedHandles = true;
  readonly classes: readonly number[] = [SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_DEADLINE];
  readonly #host: SchedHost;
  readonly #rqs: RunQueue[];
  /** 1 + ilog2(min(ncpus, 8)): Linux's SCHED_TUNABLESCALING_LOG factor. */
  readonly #scale: number;
  readonly #env: PlacementEnv;
  /** Per CPU: when its next periodic balance is due. */
  readonly #nextBalanceNs: Float64Array;
  /** RT and deadline contexts queued (not running, not throttled) on all run queues. */
  #classQueued = 0;
  readonly #counts = {
    /** Idle steals that took something, and the contexts they took. */
    steals: 0,
    stolen: 0,
    /** Of the contexts stolen or pulled by the balancer, those that changed NUMA node (SCHED-6). */
    stolenCrossNode: 0,
    balanceMovesCrossNode: 0,
    /** Steals abandoned because the victim's lock was busy (try-lock). */
    stealLockBusy: 0,
    /** Periodic balance passes run, and the contexts they moved. */
    balanceRuns: 0,
    balanceMoves: 0,
    /** Contexts moved because an affinity change excluded their CPU (SCHED-8). */
    affinityMoves: 0,
    wakeIpis: 0,
    /** RT and deadline contexts pulled by a CPU about to run less important work, and pushes. */
    rtPulls: 0,
    rtPushes: 0,
  };

  constructor(host: SchedHost, options: FairOptions = { numa: true }) {
    this.#host = host;
    const cpus = host.board.cpus.length;
    this.#rqs = Array.from({ length: cpus }, (_, id) => new RunQueue(id));
    this.#scale = 1 + Math.floor(Math.log2(Math.min(cpus, 8)));
    this.#nextBalanceNs = new Float64Array(cpus).fill(BALANCE_INTERVAL_NS);
    const board = host.board;
    this.#env = {
      topology: board.topology,
      costs: board.costs,
      numa: options.numa,
      get nowNs() {
        return board.engine.nowNs;
      },
      lastRanNs: (t) => entity(t).lastRanNs,
    };
  }

  switchLock(cpuId: number): SpinLock {
    return this.#rqs[cpuId]!.lock;
  }

  #now(): number {
    return this.#host.board.engine.nowNs;
  }

  /** Charges curr's runtime since it last started into its vruntime (update_curr). */
  #updateCurr(rq: RunQueue): void {
    const curr = rq.curr;
    if (curr === null) return;
    const e = entity(curr);
    const now = this.#now();
    const deltaNs = now - e.execStartNs;
    if (deltaNs <= 0) return;
    e.execStartNs = now;
    if (e.klass === CLASS_FAIR) {
      e.vruntime += (deltaNs * NICE_0_WEIGHT) / weightOf(curr);
      this.#updateMin(rq);
    } else if (e.klass === CLASS_RT) {
      rq.rt.charge(now, deltaNs); // update_curr_rt: rt_time, and the throttle past the runtime
      e.rrLeftNs -= deltaNs;
    } else if (!e.dlBoosted) {
      e.dlRuntimeLeftNs -= deltaNs; // update_curr_dl
    }
  }

  /** min_vruntime = max(old, min(curr, leftmost)): monotonic. */
  #updateMin(rq: RunQueue): void {
    let candidate = Number.POSITIVE_INFINITY;
    if (rq.curr !== null && entity(rq.curr).klass === CLASS_FAIR) candidate = entity(rq.curr).vruntime;
    const first = rq.queue[0];
    if (first !== undefined) candidate = Math.min(candidate, entity(first).vruntime);
    if (candidate !== Number.POSITIVE_INFINITY && candidate > rq.minVruntime) rq.minVruntime = candidate;
  }

  /**
   * The scheduling period and a context's share of it (sched_slice). A context not yet on the
   * queue counts as if it were, as Linux's sched_vslice does for a forked task.
   */
  #slice(rq: RunQueue, t: Thread): number {
    const queued = entity(t).onRq;
    const nr = rq.fairRunning + (queued ? 0 : 1);
    const load = rq.loadWeight + (queued ? 0 : weightOf(t));
    const latency = LATENCY_NS * this.#scale;
    const minGran = MIN_GRANULARITY_NS * this.#scale;
    const period = nr > 8 ? nr * minGran : latency;
    return (period * weightOf(t)) / load;
  }

  #insert(rq: RunQueue, t: Thread): void {
    const e = entity(t);
    const q = rq.queue;
    let lo = 0;
    let hi = q.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = entity(q[mid]!);
      if (m.vruntime < e.vruntime || (m.vruntime === e.vruntime && q[mid]!.id < t.id)) lo = mid + 1;
      else hi = mid;
    }
    q.splice(lo, 0, t);
  }

  #removeQueued(rq: RunQueue, t: Thread): void {
    const index = rq.queue.indexOf(t);
    assert(index >= 0, 'fair: context not in its run queue');
    rq.queue.splice(index, 1);
  }

  /** Puts a runnable, not-running context on `rq` (enqueue_task of its class, a wakeup). */
  #enqueue(rq: RunQueue, cpuId: number, t: Thread): void {
    const e = entity(t);
    assert(!e.onRq, 'fair: enqueue of a context already on a run queue');
    e.rq = cpuId;
    e.onRq = true;
    this.#setClass(rq, t, true);
    if (e.klass === CLASS_FAIR) this.#insert(rq, t);
    else this.#classInsert(rq, t, false);
  }

  /**
   * Moves queued `t` from `src` to `dst`, both locked: its vruntime keeps its distance to the
   * queue's minimum (Linux rebases on migration).
   */
  #migrate(src: RunQueue, dst: RunQueue, t: Thread): void {
    assert(t.allowedOn(dst.cpuId), `fair: moving context ${t.id} to CPU ${dst.cpuId} outside its mask`);
    const e = entity(t);
    this.#dequeueQueued(src, t);
    src.loadWeight -= e.weight;
    e.weight = 0;
    e.onRq = false;
    e.vruntime += dst.minVruntime - src.minVruntime;
    this.#enqueue(dst, dst.cpuId, t);
  }

  /**
   * Gives an on-queue context the class and priority of its effective priority: moves its
   * weight in or out of the fair load, and starts its deadline server when it enters that
   * class (at `wakeup`: the CBS wakeup rule). It is in no class queue while this runs.
   */
  #setClass(rq: RunQueue, t: Thread, wakeup: boolean): void {
    const e = entity(t);
    const wasFair = e.onRq && e.klass === CLASS_FAIR && e.weight > 0;
    const klass = classOf(t);
    if (wasFair) rq.loadWeight -= e.weight;
    e.weight = 0;
    if (klass === CLASS_FAIR) {
      e.weight = weightOf(t);
      rq.loadWeight += e.weight;
      if (!wakeup && e.klass !== CLASS_FAIR) {
        // Back from another class: placed as a waking sleeper would be.
        e.vruntime = Math.max(e.vruntime, rq.minVruntime - (LATENCY_NS * this.#scale) / 2);
      }
    } else if (klass === CLASS_DL) {
      this.#syncDl(t, wakeup || e.klass !== CLASS_DL);
    }
    e.klass = klass;
    e.prio = effectivePrio(t);
  }

  /**
   * A deadline context's server: boosted or not, restarted when its parameters changed, and
   * the CBS wakeup rule at an activation (idempotent at one instant, so placement may apply it
   * before the enqueue does).
   */
  #syncDl(t: Thread, activation: boolean): void {
    const e = entity(t);
    e.dlBoosted = effectivePrio(t) < normalPrio(t);
    if (t.policy !== SCHED_DEADLINE) return;
    const params = `${t.dlRuntimeNs}/${t.dlDeadlineNs}/${t.dlPeriodNs}`;
    if (params !== e.dlParams) {
      e.dlParams = params;
      e.dlNew = true;
    }
    if (activation || e.dlNew) dlOnWakeup(e, t, this.#now());
  }

  /** Queues an RT or deadline context (not running) in its class queue on `rq`. */
  #classInsert(rq: RunQueue, t: Thread, head: boolean): void {
    const e = entity(t);
    if (e.klass === CLASS_RT) rq.rt.enqueue(t, e.prio, head);
    else rq.dl.insert(t);
    this.#classQueued++;
  }

  /** Takes a queued context out of whichever queue of `rq` holds it. */
  #dequeueQueued(rq: RunQueue, t: Thread): void {
    const e = entity(t);
    if (e.klass === CLASS_FAIR) {
      this.#removeQueued(rq, t);
      return;
    }
    if (e.klass === CLASS_DL && rq.dl.unthrottle(t)) return;
    if (e.klass === CLASS_RT) rq.rt.remove(t, e.prio);
    else rq.dl.remove(t);
    this.#classQueued--;
  }

  *tick(cpu: Cpu, _periods: number): KernelGen<boolean> {
    const rq = this.#rqs[cpu.id]!;
    yield* this.#expireTimers(cpu, rq);
    if (this.#now() >= this.#nextBalanceNs[cpu.id]!) {
      this.#nextBalanceNs[cpu.id] = this.#now() + BALANCE_INTERVAL_NS;
      yield* this.#periodicBalance(cpu);
    }
    const classes = yield* this.#tickClasses(cpu, rq);
    if (classes !== null) return classes;
    const curr = rq.curr;
    if (curr === null || rq.queue.length === 0) return false;
    this.#updateCurr(rq);
    const e = entity(curr);
    const ranNs = this.#now() - e.sliceStartNs;
    const slice = this.#slice(rq, curr);
    if (ranNs >= slice) return true;
    // check_preempt_tick: never before min granularity; then if curr is a slice ahead.
    if (ranNs < MIN_GRANULARITY_NS * this.#scale) return false;
    return e.vruntime - entity(rq.queue[0]!).vruntime > slice;
  }

  /**
   * The RT and deadline part of a tick: the RT period timer, due deadline replenishments, and
   * the accounting of an RT or deadline curr (throttling, RR quantum, exhausted runtime).
   * Returns the tick's verdict, or null when curr is a fair context (CFS decides).
   */
  *#tickClasses(cpu: Cpu, rq: RunQueue): KernelGen<boolean | null> {
    const now = this.#now();
    let resched = rq.rt.advance(now) && rq.rt.count > 0;
    if (rq.dl.throttled.length > 0) yield* this.#replenishDue(cpu, rq);
    // A CPU without RT or deadline work retries a pull that lost a try-lock race.
    if (
      this.#classQueued > rq.rt.count + rq.dl.count &&
      rqPrio(rq) >= MAX_RT_PRIO &&
      this.#pullable(cpu.id)
    ) {
      resched = true;
    }
    const curr = rq.curr;
    if (curr === null) return resched;
    const e = entity(curr);
    if (e.klass === CLASS_FAIR) return resched ? true : null;
    this.#updateCurr(rq);
    if (e.klass === CLASS_RT) {
      if (rq.rt.throttled) return true;
      // task_tick_rt: a spent RR quantum is refilled, and requeued only behind a peer.
      if (curr.policy === SCHED_RR && e.rrLeftNs <= 0) {
        e.rrLeftNs = RR_TIMESLICE_NS;
        if (rq.rt.levelLength(e.prio) > 0) {
          e.putBackTail = true;
          resched = true;
        }
      }
      return resched;
    }
    if (!e.dlBoosted && e.dlRuntimeLeftNs <= 0) {
      this.#dlThrottle(curr);
      return true;
    }
    return resched;
  }

  /** Another run queue holds a queued RT or deadline context that may run on `cpuId`. */
  #pullable(cpuId: number): boolean {
    const allowed = (t: Thread) => t.allowedOn(cpuId);
    for (let id = 0; id < this.#rqs.length; id++) {
      const other = this.#rqs[id]!;
      if (id === cpuId || other.dl.count + other.rt.count === 0) continue;
      if (other.dl.queue.some(allowed) || other.rt.find(allowed) !== null) return true;
    }
    return false;
  }

  /** A deadline curr used up its runtime (or yielded): throttle it, or replenish at once. */
  #dlThrottle(t: Thread): void {
    const e = entity(t);
    if (dlReplenishAtNs(e, t) <= this.#now()) dlReplenish(e, t, this.#now());
    else e.dlThrottled = true; // the switch parks it on the throttled list
  }

  /** Replenishes the throttled servers of `rq` whose next period has begun and queues them. */
  *#replenishDue(cpu: Cpu, rq: RunQueue): KernelGen<void> {
    const now = this.#now();
    while (rq.dl.throttled.length > 0 && dlReplenishAt(rq.dl.throttled[0]!) <= now) {
      const t = rq.dl.throttled.shift()!;
      const e = entity(t);
      dlReplenish(e, t, now);
      e.onRq = false; // re-activated below, on the CPU the placement picks
      e.rq = -1;
      const target = this.#classTarget(t, cpu.id, false) ?? cpu.id;
      const to = this.#rqs[target]!;
      yield lock(to.lock);
      e.rq = target;
      e.onRq = true;
      this.#classInsert(to, t, false);
      yield spend(this.#host.board.costs.schedPickNs);
      yield unlock(to.lock);
      yield* this.#kick(cpu, target, t);
    }
  }

  /**
   * Tickless (HW-12): the earliest timer armed on this CPU, and, while a context runs, the end
   * of its slice (as Linux's hrtick programs it), or one period from now once that has passed.
   */
  nextTickNs(cpu: Cpu, periodNs: number): number {
    const rq = this.#rqs[cpu.id]!;
    let next = rq.timers.length > 0 ? rq.timers[0]!.at : Number.POSITIVE_INFINITY;
    // RT and deadline classes (SCHED-7): the next replenishment and the RT period timer.
    if (rq.dl.throttled.length > 0) next = Math.min(next, dlReplenishAt(rq.dl.throttled[0]!));
    if (rq.rt.periodActive) next = Math.min(next, rq.rt.periodStartNs + RT_PERIOD_NS);
    if (rq.curr !== null) {
      const nowNs = this.#now();
      const sliceEndNs = this.#currEndNs(rq, rq.curr, nowNs);
      next = Math.min(next, sliceEndNs > nowNs ? sliceEndNs : nowNs + periodNs);
    }
    return next;
  }

  /**
   * When curr's turn ends if nothing else happens: a fair slice; an RT context's RR quantum or
   * the moment its CPU's RT runtime runs out; a deadline server's runtime.
   */
  #currEndNs(rq: RunQueue, curr: Thread, nowNs: number): number {
    const e = entity(curr);
    if (e.klass === CLASS_FAIR) return e.sliceStartNs + this.#slice(rq, curr);
    const ranNs = nowNs - e.execStartNs; // not yet charged
    if (e.klass === CLASS_DL)
      return e.dlBoosted ? Number.POSITIVE_INFINITY : nowNs + e.dlRuntimeLeftNs - ranNs;
    let end = rq.rt.throttled ? Number.POSITIVE_INFINITY : nowNs + RT_RUNTIME_NS - rq.rt.rtTimeNs - ranNs + 1;
    if (curr.policy === SCHED_RR) end = Math.min(end, nowNs + e.rrLeftNs - ranNs);
    return end;
  }

  /**
   * With hrtimers (kernel/hrtimer.ts): the next replenishment of a throttled deadline server
   * (dl_task_timer, an hrtimer at the exact start of its next period) and the RT period timer
   * (sched_rt_period_timer) on this CPU. Throttling when the runtime runs out stays at the tick,
   * as in Linux, whose HRTICK_DL is off by default (kernel/sched/features.h).
   */
  hrtimerNextNs(cpu: Cpu): number {
    const rq = this.#rqs[cpu.id]!;
    let next = Number.POSITIVE_INFINITY;
    if (rq.dl.throttled.length > 0) next = dlReplenishAt(rq.dl.throttled[0]!);
    if (rq.rt.periodActive) next = Math.min(next, rq.rt.periodStartNs + RT_PERIOD_NS);
    return next;
  }

  /** The hrtimer interrupt's part for this policy: the RT period and due replenishments. */
  *runHrtimers(cpu: Cpu): KernelGen<boolean> {
    const rq = this.#rqs[cpu.id]!;
    const resched = rq.rt.advance(this.#now()) && rq.rt.count > 0;
    if (rq.dl.throttled.length > 0) yield* this.#replenishDue(cpu, rq);
    return resched;
  }

  *#expireTimers(cpu: Cpu, rq: RunQueue): KernelGen<void> {
    const now = this.#now();
    while (rq.timers.length > 0 && rq.timers[0]!.at <= now) {
      const { t, at } = rq.timers.shift()!;
      if (t.state !== ThreadState.Blocked || t.wakeNs !== at) continue;
      this.#host.expireTimeout(t);
      yield* this.wake(cpu, t);
    }
  }

  armTimeout(cpu: Cpu, t: Thread, deadlineNs: number): void {
    t.wakeNs = deadlineNs;
    const timers = this.#rqs[cpu.id]!.timers;
    let i = timers.length;
    while (i > 0 && timers[i - 1]!.at > deadlineNs) i--;
    timers.splice(i, 0, { t, at: deadlineNs });
  }

  /**
   * Locks the run queue `choose` names and returns it, choosing again if `t`'s mask changed to
   * exclude it while this CPU waited for the lock (masks are written under the lock of the
   * queue a context is on, so once held the choice stays valid).
   */
  *#lockAllowed(t: Thread, choose: () => number): KernelGen<RunQueue> {
    for (;;) {
      const rq = this.#rqs[choose()]!;
      yield lock(rq.lock);
      if (t.allowedOn(rq.cpuId)) return rq;
      yield unlock(rq.lock);
    }
  }

  *start(cpu: Cpu, t: Thread): KernelGen<void> {
    const rq = yield* this.#lockAllowed(
      t,
      () => this.#classTarget(t, cpu.id, true) ?? placeNew(this.#env, this.#rqs, t, cpu.id),
    );
    const target = rq.cpuId;
    // place_entity for a new context: one virtual slice after the minimum (START_DEBIT).
    entity(t).vruntime = rq.minVruntime + (this.#slice(rq, t) * NICE_0_WEIGHT) / weightOf(t);
    t.state = ThreadState.Runnable;
    this.#enqueue(rq, target, t);
    yield spend(this.#host.board.costs.schedPickNs);
    yield unlock(rq.lock);
    yield* this.#kick(cpu, target, t);
  }

  *wake(cpu: Cpu, t: Thread): KernelGen<void> {
    const e = entity(t);
    if (e.onRq) return; // still current on its CPU, not yet switched out: it just keeps running
    const rq = yield* this.#lockAllowed(
      t,
      () => this.#classTarget(t, cpu.id, true) ?? selectWakeCpu(this.#env, this.#rqs, t, cpu.id),
    );
    const target = rq.cpuId;
    // enqueue_entity's update_curr: the target's curr and min_vruntime are brought up to now
    // before the woken context is placed against them and check_preempt_wakeup compares.
    this.#updateCurr(rq);
    if (e.rq >= 0 && e.rq !== target) e.vruntime += rq.minVruntime - this.#rqs[e.rq]!.minVruntime;
    // Sleeper credit (GENTLE_FAIR_SLEEPERS): at most half a latency period behind the minimum.
    e.vruntime = Math.max(e.vruntime, rq.minVruntime - (LATENCY_NS * this.#scale) / 2);
    this.#enqueue(rq, target, t);
    yield spend(this.#host.board.costs.schedPickNs);
    yield unlock(rq.lock);
    yield* this.#kick(cpu, target, t);
  }

  /** Reschedules `target` if it is idle or `t` should preempt its current context. */
  *#kick(cpu: Cpu, target: number, t: Thread): KernelGen<void> {
    const rq = this.#rqs[target]!;
    const curr = rq.curr;
    let preempt = curr === null;
    if (curr !== null && (entity(t).klass !== CLASS_FAIR || entity(curr).klass !== CLASS_FAIR)) {
      preempt = outranks(t, curr); // check_preempt_curr across classes, RT levels, deadlines
    } else if (curr !== null) {
      const gran = (WAKEUP_GRANULARITY_NS * this.#scale * NICE_0_WEIGHT) / weightOf(t);
      preempt = entity(curr).vruntime - entity(t).vruntime > gran;
    }
    if (preempt) yield* this.#reschedCpu(cpu, target);
  }

  /** The allowed CPU with the fewest runnable contexts; ties go to `preferCpu`, then the lowest id. */
  #leastLoaded(t: Thread, preferCpu: number): number {
    let best = -1;
    let bestLoad = Number.POSITIVE_INFINITY;
    if (t.allowedOn(preferCpu)) {
      best = preferCpu;
      bestLoad = this.#rqs[preferCpu]!.nrRunning;
    }
    for (let id = 0; id < this.#rqs.length; id++) {
      const load = this.#rqs[id]!.nrRunning;
      if (t.allowedOn(id) && load < bestLoad) {
        best = id;
        bestLoad = load;
      }
    }
    assert(best >= 0, 'fair: context allowed on no CPU');
    return best;
  }

  *select(cpu: Cpu, prev: Context): KernelGen<Context | null> {
    const rq = this.#rqs[cpu.id]!;
    if (isThread(prev) && rq.curr === prev) {
      this.#updateCurr(rq);
      rq.curr = null;
      const e = entity(prev);
      e.lastRanNs = this.#now();
      if (prev.state === ThreadState.Runnable && prev.allowedOn(cpu.id)) {
        if (e.klass === CLASS_FAIR)
          this.#insert(rq, prev); // put_prev_task: back in the tree, still on_rq
        else this.#putPrevClass(rq, prev);
      } else if (prev.state === ThreadState.Runnable) {
        // Its mask no longer has this CPU (SCHED-8). It runs on this stack until the switch is
        // done, so it is queued elsewhere only then (afterSwitch), as Linux defers such a push
        // to a balance callback after the switch.
        e.onRq = false;
        e.rq = -1;
        rq.loadWeight -= e.weight;
        e.weight = 0;
        e.putBackTail = false;
        rq.pushPending = prev;
      } else if (e.onRq) {
        e.onRq = false; // deactivate: blocked or dead
        e.rq = -1;
        rq.loadWeight -= e.weight;
        e.weight = 0;
      }
    }
    let next: Thread | null = this.#classQueued > 0 ? yield* this.#pickClass(cpu, rq) : null;
    if (next === null) next = this.#pickAllowed(rq, cpu.id);
    let costNs = this.#host.board.costs.schedPickNs;
    if (next === null) {
      next = yield* this.#steal(cpu, rq);
      costNs += this.#host.board.costs.schedPickNs;
    }
    yield spend(costNs);
    this.#host.traceDecision(0x52, cpu.id, next === null ? -1 : next.id);
    if (next !== null) {
      const e = entity(next);
      rq.curr = next;
      e.execStartNs = this.#now();
      if (next !== prev) e.sliceStartNs = e.execStartNs;
      this.#updateMin(rq);
      if (next !== prev && isThread(prev) && prev.state === ThreadState.Runnable && rq.pushPending !== prev)
        yield* this.#push(cpu, prev);
      return next;
    }
    const idle = this.#host.idle[cpu.id]!;
    return prev === idle ? null : idle;
  }

  /**
   * put_prev_task of the RT and deadline classes: a preempted RT context goes back to the head
   * of its level (the tail after a yield or a spent RR quantum); a throttled deadline server is
   * parked until its replenishment.
   */
  #putPrevClass(rq: RunQueue, prev: Thread): void {
    const e = entity(prev);
    if (e.klass === CLASS_DL && e.dlThrottled) {
      rq.dl.throttle(prev, dlReplenishAt(prev), dlReplenishAt);
      return;
    }
    const tail = e.putBackTail;
    e.putBackTail = false;
    this.#classInsert(rq, prev, !tail);
  }

  /**
   * The most important deadline or RT context for `cpu`: its own queues' best, or a queued one
   * pulled from another run queue when that one outranks it (pull_dl_task, pull_rt_task). The
   * pull takes the other queue's lock with a try-lock, as idle stealing does.
   */
  *#pickClass(cpu: Cpu, rq: RunQueue): KernelGen<Thread | null> {
    let best = rq.dl.first() ?? (rq.rt.throttled ? null : rq.rt.first());
    let from = rq;
    const localQueued = rq.dl.count + rq.rt.count;
    if (this.#classQueued > localQueued) {
      let victim: RunQueue | null = null;
      let candidate: Thread | null = null;
      for (const other of this.#rqs) {
        if (other === rq || other.dl.count + other.rt.count === 0) continue;
        const allowed = (t: Thread) => t.allowedOn(cpu.id);
        let c: Thread | null = other.dl.queue.find(allowed) ?? null;
        if (c === null && !rq.rt.throttled) c = other.rt.find(allowed);
        if (c === null) continue;
        const target = candidate ?? best;
        if (target === null || outranks(c, target)) {
          candidate = c;
          victim = other;
        }
      }
      if (victim !== null && candidate !== null) {
        const got = (yield tryLock(victim.lock)) as boolean;
        if (got) {
          const e = entity(candidate);
          if (e.onRq && e.rq === this.#rqs.indexOf(victim) && victim.curr !== candidate) {
            best = candidate;
            from = victim;
            this.#counts.rtPulls++;
            this.#host.traceDecision(0x5c, e.rq, candidate.id);
          }
          if (from !== victim) yield unlock(victim.lock);
        }
      }
    }
    if (best === null) return null;
    this.#dequeueQueued(from, best);
    if (from !== rq) {
      entity(best).rq = cpu.id;
      yield unlock(from.lock);
    }
    return best;
  }

  /**
   * An RT or deadline context just lost its CPU while still runnable: if another CPU runs
   * less important work, ask it to reschedule, and it pulls the context (push_rt_task's effect,
   * carried out as Linux's RT_PUSH_IPI does, by the CPU that gains it).
   */
  *#push(cpu: Cpu, t: Thread): KernelGen<void> {
    const e = entity(t);
    if (e.klass === CLASS_FAIR || (e.klass === CLASS_RT && this.#rqs[cpu.id]!.rt.throttled)) return;
    if (e.klass === CLASS_DL && e.dlThrottled) return;
    const target = this.#lowerCpu(t, cpu.id);
    if (target < 0) return;
    this.#counts.rtPushes++;
    yield* this.#reschedCpu(cpu, target);
  }

  /** Asks `target` to reschedule: its flag, and an IPI when it is another CPU. */
  *#reschedCpu(cpu: Cpu, target: number): KernelGen<void> {
    if (target === cpu.id) {
      this.#host.needResched[target] = 1;
    } else if (this.#host.needResched[target] === 0) {
      this.#host.needResched[target] = 1;
      this.#counts.wakeIpis++;
      yield sendIpi(target, VEC_IPI_SWITCH);
    }
  }

  /**
   * The allowed CPU other than `exceptCpu` whose work `t` outranks most clearly (the lowest
   * cpupri; idle lowest of all; for a deadline context a CPU without deadline work, else the
   * latest deadline), or -1 when `t` outranks nothing anywhere. Ties go to `t`'s last CPU, then
   * the lowest id.
   */
  #lowerCpu(t: Thread, exceptCpu: number): number {
    const e = entity(t);
    let best = -1;
    let bestPrio = e.klass === CLASS_DL ? -1 : e.prio;
    let bestDeadline = dlKey(t);
    const consider = (id: number) => {
      if (id === exceptCpu || !t.allowedOn(id)) return;
      const rq = this.#rqs[id]!;
      const p = rqPrio(rq);
      if (p > bestPrio) {
        best = id;
        bestPrio = p;
        bestDeadline = dlKey(t);
      } else if (p === -1 && bestPrio === -1 && e.klass === CLASS_DL) {
        // Both run deadline work: the later earliest deadline loses the CPU (cpudl).
        const d = this.#earliestDeadline(rq);
        if (d > bestDeadline) {
          best = id;
          bestDeadline = d;
        }
      }
    };
    if (t.lastCpu >= 0) consider(t.lastCpu);
    for (let id = 0; id < this.#rqs.length; id++) if (id !== t.lastCpu) consider(id);
    return best;
  }

  /** The earliest deadline a run queue runs or holds (Infinity when none). */
  #earliestDeadline(rq: RunQueue): number {
    let d = Number.POSITIVE_INFINITY;
    if (rq.curr !== null && entity(rq.curr).klass === CLASS_DL) d = dlKey(rq.curr);
    const first = rq.dl.first();
    if (first !== null) d = Math.min(d, dlKey(first));
    return d;
  }

  /**
   * Wakeup placement of RT and deadline contexts (select_task_rq_rt / select_task_rq_dl): stay
   * on the last CPU unless it runs something at least as important, else take the CPU with the
   * least important work that `t` outranks. Null for a fair context (the fair placement decides).
   */
  #classTarget(t: Thread, wakerCpu: number, wakeup: boolean): number | null {
    const klass = classOf(t);
    if (klass === CLASS_FAIR) return null;
    const e = entity(t);
    e.klass = klass; // for the comparisons below; enqueue sets it for good
    e.prio = effectivePrio(t);
    if (klass === CLASS_DL) this.#syncDl(t, wakeup); // rank by the deadline the wakeup gives it
    const home = t.lastCpu >= 0 && t.allowedOn(t.lastCpu) ? t.lastCpu : wakerCpu;
    if (t.allowedOn(home)) {
      const curr = this.#rqs[home]!.curr;
      const blocked = curr !== null && entity(curr).klass !== CLASS_FAIR && !outranks(t, curr);
      if (!blocked) return home;
    }
    const lower = this.#lowerCpu(t, -1);
    if (lower >= 0) return lower;
    return t.allowedOn(home) ? home : this.#leastLoaded(t, wakerCpu);
  }

  /** sched_yield from the running `t` (Linux yield_task): RT to the tail, deadline gives up q. */
  yieldCurrent(cpu: Cpu, t: Thread): void {
    const rq = this.#rqs[cpu.id]!;
    if (rq.curr !== t) return;
    const e = entity(t);
    if (e.klass === CLASS_RT) {
      e.putBackTail = true;
    } else if (e.klass === CLASS_DL && !e.dlBoosted) {
      this.#updateCurr(rq);
      e.dlYielded = true; // dl_yield: the rest of this period's runtime is given up
      this.#dlThrottle(t);
    }
  }

  /**
   * sched_rr_get_interval: RR's quantum, 0 for FIFO and deadline, a fair context's slice of its
   * queue's period (get_rr_interval_fair; 0 when its queue carries no load).
   */
  rrIntervalNs(t: Thread): number {
    const klass = classOf(t);
    if (klass === CLASS_RT) return t.policy === SCHED_RR ? RR_TIMESLICE_NS : 0;
    if (klass === CLASS_DL) return 0;
    const e = entity(t);
    const rq = this.#rqs[e.onRq ? e.rq : Math.max(t.lastCpu, 0)]!;
    if (rq.loadWeight === 0 && !e.onRq) return 0;
    return this.#slice(rq, t);
  }

  /**
   * Takes the leftmost queued context allowed here. Only a context whose mask changed a moment
   * ago can be queued on a CPU it is not allowed on; it waits for `affinityChanged` to move it.
   */
  #pickAllowed(rq: RunQueue, cpuId: number): Thread | null {
    const q = rq.queue;
    for (let i = 0; i < q.length; i++) {
      const t = q[i]!;
      if (t.allowedOn(cpuId)) {
        q.splice(i, 1);
        return t;
      }
    }
    return null;
  }

  /**
   * After a switch on `cpu` (its run-queue lock released): the context switched out because
   * its mask excluded this CPU is queued on the best CPU it is allowed on, and kicked there.
   */
  *afterSwitch(cpu: Cpu): KernelGen<void> {
    const rq = this.#rqs[cpu.id]!;
    const t = rq.pushPending;
    if (t === null) return;
    rq.pushPending = null;
    if (t.state !== ThreadState.Runnable) return; // killed meanwhile
    const target = yield* this.#lockAllowed(t, () => bestCpu(this.#env, this.#rqs, t, cpu.id));
    entity(t).vruntime += target.minVruntime - rq.minVruntime;
    this.#enqueue(target, target.cpuId, t);
    yield spend(this.#host.board.costs.schedPickNs);
    yield unlock(target.lock);
    this.#counts.affinityMoves++;
    this.#host.traceDecision(0x54, target.cpuId, t.id);
    yield* this.#kick(cpu, target.cpuId, t);
  }

  /**
   * Idle stealing (SCHED-4): this CPU has nothing queued. `bestPull` names the queue to take
   * from (the own node's first with NUMA awareness, SCHED-6); its lock is only tried, never
   * waited for (Redox HEAD), and under it contexts move while each move still gains, so one
   * steal can even out a queue that holds many.
   */
  *#steal(cpu: Cpu, rq: RunQueue): KernelGen<Thread | null> {
    const candidate = bestPull(this.#env, this.#rqs, cpu.id);
    if (candidate === null) return null;
    const victim = this.#rqs[candidate.src]!;
    const got = (yield tryLock(victim.lock)) as boolean;
    if (!got) {
      this.#counts.stealLockBusy++;
      return null;
    }
    const moved = this.#pullFrom(victim, rq, true);
    if (moved > 0) {
      this.#counts.steals++;
      this.#counts.stolen += moved;
    }
    yield unlock(victim.lock);
    return this.#pickAllowed(rq, cpu.id);
  }

  /**
   * Moves contexts from `src` to `dst` (both locked) while it pays; returns how many, and counts
   * those that changed NUMA node.
   */
  #pullFrom(src: RunQueue, dst: RunQueue, steal: boolean): number {
    const topology = this.#host.board.topology;
    const crossNode = topology.nodeOf(src.cpuId) !== topology.nodeOf(dst.cpuId);
    let moved = 0;
    while (moved < MIGRATE_MAX) {
      const t = nextToMove(this.#env, src, dst);
      if (t === null) break;
      this.#migrate(src, dst, t);
      this.#host.traceDecision(0x53, src.cpuId, t.id);
      moved++;
    }
    if (crossNode && steal) this.#counts.stolenCrossNode += moved;
    else if (crossNode) this.#counts.balanceMovesCrossNode += moved;
    return moved;
  }

  /**
   * Periodic balancing (SCHED-4): every 100 ms each CPU, from its tick, pulls from the queue
   * `bestPull` names. Both run-queue locks are taken, lowest CPU id first (Linux
   * double_rq_lock), and waited for: the spin shows in the report as `lock.rq<n>.spin_ns`.
   * What was pulled runs when the tick's preemption check or the idle loop next picks.
   */
  *#periodicBalance(cpu: Cpu): KernelGen<void> {
    const costs = this.#host.board.costs;
    this.#counts.balanceRuns++;
    yield spend(this.#rqs.length * costs.schedScanPerContextNs);
    const candidate = bestPull(this.#env, this.#rqs, cpu.id);
    if (candidate === null) return;
    const dst = this.#rqs[cpu.id]!;
    const src = this.#rqs[candidate.src]!;
    const [first, second] = src.cpuId < dst.cpuId ? [src, dst] : [dst, src];
    yield lock(first.lock);
    yield lock(second.lock);
    const moved = this.#pullFrom(src, dst, false);
    yield spend(costs.schedPickNs * Math.max(1, moved));
    yield unlock(second.lock);
    yield unlock(first.lock);
    this.#counts.balanceMoves += moved;
    if (moved > 0 && dst.curr !== null) {
      const e = entity(dst.curr);
      this.#updateCurr(dst);
      // A pulled context well behind in virtual time preempts at once, as a wakeup would.
      const head = dst.queue[0];
      if (head !== undefined && e.vruntime - entity(head).vruntime > this.#slice(dst, dst.curr)) {
        this.#host.needResched[cpu.id] = 1;
      }
    }
  }

  /**
   * sched_setaffinity (SCHED-8): the mask is written under the lock of the run queue `t` is on,
   * as Linux writes it under task_rq_lock, so no pick, steal or balance sees it change midway.
   * Queued on a CPU the new mask excludes, `t` moves at once (the target's lock taken in CPU-id
   * order); running on one, its CPU is told to reschedule, and the switch queues it elsewhere
   * (`select`, then `afterSwitch`). A context on no queue (blocked, new, or being pushed) gets
   * its mask at once; wakeup and start check it again under the target's lock.
   */
  *setAffinity(cpu: Cpu, t: Thread, mask: Uint8Array | null): KernelGen<void> {
    const e = entity(t);
    for (;;) {
      if (!e.onRq) {
        t.affinity = mask;
        // Still current while it blocks or is pushed away: it is leaving its CPU anyway.
        if (t.running && !t.allowedOn(t.lastCpu)) t.affinityMovePending = true;
        return;
      }
      const src = this.#rqs[e.rq]!;
      yield lock(src.lock);
      if (!e.onRq || e.rq !== src.cpuId) {
        yield unlock(src.lock); // it moved while this CPU waited: follow it
        continue;
      }
      if (mask === null || mask[src.cpuId] === 1) {
        t.affinity = mask;
        yield unlock(src.lock);
        return;
      }
      if (src.curr === t) {
        t.affinity = mask;
        t.affinityMovePending = true;
        this.#host.needResched[src.cpuId] = 1;
        yield unlock(src.lock);
        if (src.cpuId !== cpu.id) yield sendIpi(src.cpuId, VEC_IPI_SWITCH);
        return;
      }
      // Queued here, and the new mask excludes this CPU: the mask is written only once both
      // locks are held, so the context is never queued outside its mask with a lock free.
      const old = t.affinity;
      t.affinity = mask;
      const dst = this.#rqs[bestCpu(this.#env, this.#rqs, t, src.cpuId)]!;
      t.affinity = old;
      if (dst.cpuId > src.cpuId) {
        yield lock(dst.lock);
      } else if (!((yield tryLock(dst.lock)) as boolean)) {
        // Keep the lock order: drop src, take both lowest first, and check `t` is still there.
        yield unlock(src.lock);
        yield lock(dst.lock);
        yield lock(src.lock);
        if (!e.onRq || e.rq !== src.cpuId || src.curr === t) {
          yield unlock(src.lock);
          yield unlock(dst.lock);
          continue;
        }
      }
      t.affinity = mask;
      this.#migrate(src, dst, t);
      this.#counts.affinityMoves++;
      this.#host.traceDecision(0x54, dst.cpuId, t.id);
      yield spend(this.#host.board.costs.schedPickNs);
      yield unlock(src.lock);
      yield unlock(dst.lock);
      yield* this.#kick(cpu, dst.cpuId, t);
      return;
    }
  }

  /**
   * `t`'s effective priority, class, nice or deadline parameters changed (sched_setscheduler,
   * setpriority, a PI boost beginning or ending). A queued context moves to the queue of its
   * new class and priority: to the head of an RT level when its priority fell, the tail when it
   * rose (__sched_setscheduler's ENQUEUE_HEAD rule). A fair context is reweighted. The CPU is
   * rescheduled when `t` now outranks what runs there, or when the running `t` lost its rank.
   * A context not on a run queue (blocked, not started) takes its new class when it wakes.
   */
  *prioChanged(cpu: Cpu, t: Thread): KernelGen<void> {
    const e = entity(t);
    if (!e.onRq) return;
    const rqId = e.rq;
    const rq = this.#rqs[rqId]!;
    yield lock(rq.lock);
    if (!e.onRq || e.rq !== rqId) {
      yield unlock(rq.lock); // it moved or blocked meanwhile; the new priority applies from there
      return;
    }
    const oldPrio = e.prio;
    const oldKlass = e.klass;
    const oldWeight = e.weight;
    const newPrio = effectivePrio(t);
    let resched = false;
    if (rq.curr === t) {
      this.#updateCurr(rq); // charge the time so far to the old class
      this.#setClass(rq, t, false);
      if (e.klass === CLASS_RT && oldKlass === CLASS_RT && newPrio !== oldPrio)
        e.putBackTail = newPrio < oldPrio;
      const best = rq.dl.first() ?? (rq.rt.throttled ? null : rq.rt.first()) ?? rq.queue[0] ?? null;
      if (best !== null) {
        resched =
          e.klass === CLASS_FAIR && entity(best).klass === CLASS_FAIR
            ? e.weight < oldWeight
            : outranks(best, t);
      }
    } else {
      const throttled = e.klass === CLASS_DL && e.dlThrottled;
      this.#dequeueQueued(rq, t);
      if (e.klass === CLASS_FAIR) {
        rq.loadWeight -= e.weight;
        e.weight = 0;
      }
      e.onRq = false; // #setClass sees a context in no queue
      this.#setClass(rq, t, false);
      e.onRq = true;
      if (throttled && e.klass === CLASS_DL && !e.dlBoosted) {
        rq.dl.throttle(t, dlReplenishAt(t), dlReplenishAt); // still waiting for its period
      } else {
        e.dlThrottled = false;
        if (e.klass === CLASS_FAIR) this.#insert(rq, t);
        else this.#classInsert(rq, t, oldKlass === e.klass && newPrio > oldPrio);
        const curr = rq.curr;
        if (curr === null) resched = true;
        else if (e.klass === CLASS_FAIR && entity(curr).klass === CLASS_FAIR) resched = e.weight > oldWeight;
        else resched = outranks(t, curr);
      }
    }
    yield spend(this.#host.board.costs.schedPickNs);
    yield unlock(rq.lock);
    this.#host.traceDecision(0x5d, t.id, newPrio);
    if (resched) yield* this.#reschedCpu(cpu, rqId);
  }

  remove(t: Thread): void {
    const e = entity(t);
    if (!e.onRq) return;
    const rq = this.#rqs[e.rq]!;
    if (rq.curr === t) return; // the switch path deactivates the running context
    this.#dequeueQueued(rq, t);
    rq.loadWeight -= e.weight;
    e.weight = 0;
    e.onRq = false;
    e.rq = -1;
  }

  queued(): Thread[] {
    return this.#rqs.flatMap((rq) => [...rq.queue, ...rq.rt.all(), ...rq.dl.queue, ...rq.dl.throttled]);
  }

  locks(): SpinLock[] {
    return this.#rqs.map((rq) => rq.lock);
  }

  stats(): Record<string, number> {
    const sum = (f: (rq: RunQueue) => number) => this.#rqs.reduce((n, rq) => n + f(rq), 0);
    const c = this.#counts;
    return {
      steals: c.steals,
      stolen: c.stolen,
      stolen_cross_node: c.stolenCrossNode,
      steal_lock_busy: c.stealLockBusy,
      balance_runs: c.balanceRuns,
      balance_moves: c.balanceMoves,
      balance_moves_cross_node: c.balanceMovesCrossNode,
      affinity_moves: c.affinityMoves,
      wake_ipis: c.wakeIpis,
      rq_lock_spin_ns: sum((rq) => rq.lock.spinNs),
      rt_pulls: c.rtPulls,
      rt_pushes: c.rtPushes,
      rt_throttles: sum((rq) => rq.rt.throttles),
      dl_throttles: sum((rq) => rq.dl.throttles),
    };
  }
  /**
   * The policy's own invariants (run after every event in tests): every queue whose lock is free
   * is consistent (its contexts runnable, not running, on it by their own record, and allowed
   * on its CPU unless their mask changed a moment ago; its load the sum of their weights); and
   * when no queue's lock is held, no scheduling operation is half done, so every runnable
   * context that is not running is in exactly one queue.
   */
  checkInvariants(threads: Iterable<Thread>): void {
    let allFree = true;
    const where = new Map<Thread, number>();
    for (const rq of this.#rqs) {
      if (rq.lock.held) {
        allFree = false;
        continue;
      }
      let load = rq.curr === null ? 0 : entity(rq.curr).weight;
      // RT and deadline contexts (SCHED-7) sit in their class queues and add no fair load.
      for (const [klass, list] of [
        [CLASS_RT, rq.rt.all()],
        [CLASS_DL, [...rq.dl.queue, ...rq.dl.throttled]],
      ] as const) {
        for (const t of list) {
          assert(entity(t).klass === klass, `invariant: context ${t.id} queued in the wrong class`);
          assert(entity(t).weight === 0, `invariant: ${t.id} in class ${klass} carries fair load`);
        }
      }
      for (const t of [...rq.queue, ...rq.rt.all(), ...rq.dl.queue, ...rq.dl.throttled]) {
        assert(!where.has(t), `invariant: context ${t.id} queued on CPUs ${where.get(t)} and ${rq.cpuId}`);
        where.set(t, rq.cpuId);
        const e = entity(t);
        assert(t.state === ThreadState.Runnable, `invariant: queued context ${t.id} is not runnable`);
        assert(!t.running, `invariant: queued context ${t.id} is running`);
        assert(e.onRq && e.rq === rq.cpuId, `invariant: context ${t.id} queued on ${rq.cpuId} says ${e.rq}`);
        assert(
          t.allowedOn(rq.cpuId),
          `invariant: context ${t.id} queued on CPU ${rq.cpuId} outside its mask`,
        );
        if (e.klass === CLASS_FAIR) load += e.weight;
      }
      assert(
        load === rq.loadWeight,
        `invariant: rq${rq.cpuId} load ${rq.loadWeight}, contexts weigh ${load}`,
      );
      assert(rq.pushPending === null, `invariant: rq${rq.cpuId} has a push pending with its lock free`);
    }
    if (!allFree) return;
    for (const t of threads) {
      if (t.state !== ThreadState.Runnable || t.running) continue;
      assert(where.has(t), `invariant: runnable context ${t.id} is in no run queue`);
    }
  }
}
