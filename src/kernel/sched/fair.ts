/**
 * `fair`: the improved scheduler's first form (SCHED-2, SCHED-3, part of SCHED-4).
 *
 * Per-CPU run queues, each with its own lock, which is also that CPU's switch lock: no global
 * lock on the switch path. CFS-style weighted vruntime (Linux ≤6.5 fair.c, models.md §4.2):
 * pick the smallest, new contexts start at the queue's minimum plus one virtual slice, waking
 * ones no earlier than the minimum minus half the latency target. Where contexts go is decided
 * in `balance.ts` (SCHED-4..6, SCHED-8): new ones on the least-loaded allowed CPU, woken ones on
 * their last or the waker's CPU when idle, else the best allowed one; an idle CPU steals from
 * another queue (try-lock only, as Redox HEAD steals), and every CPU pulls from a busier queue
 * every 100 ms, taking both run-queue locks in CPU-id order. This file takes the locks and moves
 * the contexts.
 */
import { assert } from '../../engine/assert.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, lock, sendIpi, spend, tryLock, unlock } from '../../hw/effects.ts';
import { SpinLock } from '../../hw/spinlock.ts';
import { VEC_IPI_SWITCH } from '../../hw/vectors.ts';
import { type Context, isThread, type Thread, ThreadState } from '../thread.ts';
import {
  BALANCE_INTERVAL_NS,
  bestCpu,
  bestPull,
  MIGRATE_MAX,
  nextToMove,
  type PlacementEnv,
  placeNew,
  selectWakeCpu,
} from './balance.ts';
import type { SchedHost, SchedPolicy } from './policy.ts';
import { NICE_0_WEIGHT, PRIO_TO_WEIGHT } from './weights.ts';

export interface FairOptions {
  /** NUMA awareness (SCHED-6): prefer the own node when stealing, count SLIT costs. */
  numa: boolean;
}

/** CFS tunables before scaling (fair.c, Linux ≤6.5). */
const LATENCY_NS = 6_000_000;
const MIN_GRANULARITY_NS = 750_000;
const WAKEUP_GRANULARITY_NS = 1_000_000;

/** Per-context state of this policy. */
export interface FairEntity {
  vruntime: number;
  /** The run queue (CPU) it belongs to while on one; -1 otherwise. */
  rq: number;
  /** On a run queue: queued, or the queue's current context (Linux `on_rq`). */
  onRq: boolean;
  /** When it last started running, for vruntime accounting. */
  execStartNs: number;
  /** When its current slice began. */
  sliceStartNs: number;
  /** When it last stopped running, for cache hotness; -1 before its first run. */
  lastRanNs: number;
  /**
   * The weight it added to its queue's load when enqueued (Linux se->load): a priority change
   * while queued is picked up at the next enqueue, and the load stays the sum of what was added.
   */
  weight: number;
}

class RunQueue {
  readonly cpuId: number;
  readonly lock: SpinLock;
  /** Queued (not running) contexts ordered by (vruntime, tid). */
  readonly queue: Thread[] = [];
  curr: Thread | null = null;
  /** Switched out runnable on a CPU its mask no longer allows: queued elsewhere after the switch. */
  pushPending: Thread | null = null;
  minVruntime = 0;
  /** Sum of the weights of queued contexts and curr. */
  loadWeight = 0;
  /**
   * Timed blocks armed on this CPU, ordered by deadline. An entry goes stale when its context
   * is woken first or re-armed (a realtime clock jump); `at` tells a live entry from a stale one.
   */
  readonly timers: { t: Thread; at: number }[] = [];

  constructor(cpuId: number) {
    this.cpuId = cpuId;
    this.lock = new SpinLock(`rq${cpuId}`);
  }

  get nrRunning(): number {
    return this.queue.length + (this.curr === null ? 0 : 1);
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
      weight: 0,
    } satisfies FairEntity;
  }
  return t.sched as FairEntity;
}

function weightOf(t: Thread): number {
  return PRIO_TO_WEIGHT[t.prio]!;
}

export class FairPolicy implements SchedPolicy {
  readonly name = 'fair';
  readonly #host: SchedHost;
  readonly #rqs: RunQueue[];
  /** 1 + ilog2(min(ncpus, 8)): Linux's SCHED_TUNABLESCALING_LOG factor. */
  readonly #scale: number;
  readonly #env: PlacementEnv;
  /** Per CPU: when its next periodic balance is due. */
  readonly #nextBalanceNs: Float64Array;
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
    e.vruntime += (deltaNs * NICE_0_WEIGHT) / weightOf(curr);
    this.#updateMin(rq);
  }

  /** min_vruntime = max(old, min(curr, leftmost)): monotonic. */
  #updateMin(rq: RunQueue): void {
    let candidate = Number.POSITIVE_INFINITY;
    if (rq.curr !== null) candidate = entity(rq.curr).vruntime;
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
    const nr = rq.nrRunning + (queued ? 0 : 1);
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

  /** Puts a runnable, not-running context on `rq` (enqueue_entity). */
  #enqueue(rq: RunQueue, cpuId: number, t: Thread): void {
    const e = entity(t);
    assert(!e.onRq, 'fair: enqueue of a context already on a run queue');
    e.rq = cpuId;
    e.onRq = true;
    e.weight = weightOf(t);
    rq.loadWeight += e.weight;
    this.#insert(rq, t);
  }

  /**
   * Moves queued `t` from `src` to `dst`, both locked: its vruntime keeps its distance to the
   * queue's minimum (Linux rebases on migration).
   */
  #migrate(src: RunQueue, dst: RunQueue, t: Thread): void {
    assert(t.allowedOn(dst.cpuId), `fair: moving context ${t.id} to CPU ${dst.cpuId} outside its mask`);
    this.#removeQueued(src, t);
    src.loadWeight -= entity(t).weight;
    const e = entity(t);
    e.onRq = false;
    e.vruntime += dst.minVruntime - src.minVruntime;
    this.#enqueue(dst, dst.cpuId, t);
  }

  *tick(cpu: Cpu, _periods: number): KernelGen<boolean> {
    const rq = this.#rqs[cpu.id]!;
    yield* this.#expireTimers(cpu, rq);
    if (this.#now() >= this.#nextBalanceNs[cpu.id]!) {
      this.#nextBalanceNs[cpu.id] = this.#now() + BALANCE_INTERVAL_NS;
      yield* this.#periodicBalance(cpu);
    }
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
   * Tickless (HW-12): the earliest timer armed on this CPU, and, while a context runs, the end
   * of its slice (as Linux's hrtick programs it), or one period from now once that has passed.
   */
  nextTickNs(cpu: Cpu, periodNs: number): number {
    const rq = this.#rqs[cpu.id]!;
    let next = rq.timers.length > 0 ? rq.timers[0]!.at : Number.POSITIVE_INFINITY;
    if (rq.curr !== null) {
      const nowNs = this.#now();
      const sliceEndNs = entity(rq.curr).sliceStartNs + this.#slice(rq, rq.curr);
      next = Math.min(next, sliceEndNs > nowNs ? sliceEndNs : nowNs + periodNs);
    }
    return next;
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
    const rq = yield* this.#lockAllowed(t, () => placeNew(this.#env, this.#rqs, t, cpu.id));
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
    const rq = yield* this.#lockAllowed(t, () => selectWakeCpu(this.#env, this.#rqs, t, cpu.id));
    const target = rq.cpuId;
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
    if (curr !== null) {
      const gran = (WAKEUP_GRANULARITY_NS * this.#scale * NICE_0_WEIGHT) / weightOf(t);
      preempt = entity(curr).vruntime - entity(t).vruntime > gran;
    }
    if (!preempt) return;
    if (target === cpu.id) {
      this.#host.needResched[target] = 1;
    } else if (this.#host.needResched[target] === 0) {
      this.#host.needResched[target] = 1;
      this.#counts.wakeIpis++;
      yield sendIpi(target, VEC_IPI_SWITCH);
    }
  }

  *select(cpu: Cpu, prev: Context): KernelGen<Context | null> {
    const rq = this.#rqs[cpu.id]!;
    if (isThread(prev) && rq.curr === prev) {
      this.#updateCurr(rq);
      rq.curr = null;
      const e = entity(prev);
      e.lastRanNs = this.#now();
      if (prev.state === ThreadState.Runnable && prev.allowedOn(cpu.id)) {
        this.#insert(rq, prev); // put_prev_task: back in the tree, still on_rq
      } else if (prev.state === ThreadState.Runnable) {
        // Its mask no longer has this CPU (SCHED-8). It runs on this stack until the switch is
        // done, so it is queued elsewhere only then (afterSwitch), as Linux defers such a push
        // to a balance callback after the switch.
        e.onRq = false;
        e.rq = -1;
        rq.loadWeight -= e.weight;
        rq.pushPending = prev;
      } else if (e.onRq) {
        e.onRq = false; // deactivate: blocked or dead
        e.rq = -1;
        rq.loadWeight -= e.weight;
      }
    }
    let next = this.#pickAllowed(rq, cpu.id);
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
      return next;
    }
    const idle = this.#host.idle[cpu.id]!;
    return prev === idle ? null : idle;
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
   * Normal contexts weigh by their static priority, which a PI boost does not change (as in
   * Linux, where boosting within the fair class leaves the load weight alone); RT classes and
   * the preemption a boost causes come with them.
   */
  *prioChanged(): KernelGen<void> {}

  remove(t: Thread): void {
    const e = entity(t);
    if (!e.onRq) return;
    const rq = this.#rqs[e.rq]!;
    if (rq.curr === t) return; // the switch path deactivates the running context
    this.#removeQueued(rq, t);
    rq.loadWeight -= e.weight;
    e.onRq = false;
    e.rq = -1;
  }

  queued(): Thread[] {
    return this.#rqs.flatMap((rq) => rq.queue);
  }

  locks(): SpinLock[] {
    return this.#rqs.map((rq) => rq.lock);
  }

  stats(): Record<string, number> {
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
      rq_lock_spin_ns: this.#rqs.reduce((sum, rq) => sum + rq.lock.spinNs, 0),
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
      for (const t of rq.queue) {
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
        load += e.weight;
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
