/**
 * `fair`: the improved scheduler's first form (SCHED-2, SCHED-3, part of SCHED-4).
 *
 * Per-CPU run queues, each with its own lock, which is also that CPU's switch lock: no global
 * lock on the switch path. CFS-style weighted vruntime (Linux ≤6.5 fair.c, models.md §4.2):
 * pick the smallest, new contexts start at the queue's minimum plus one virtual slice, waking
 * ones no earlier than the minimum minus half the latency target. New contexts go to the
 * least-loaded allowed CPU; an idle CPU steals a queued context from the busiest other CPU
 * (try-lock only, as Redox HEAD steals).
 */
import { assert } from '../../engine/assert.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, lock, sendIpi, spend, tryLock, unlock } from '../../hw/effects.ts';
import { SpinLock } from '../../hw/spinlock.ts';
import { VEC_IPI_SWITCH } from '../../hw/vectors.ts';
import { type Context, isThread, type Thread, ThreadState } from '../thread.ts';
import type { SchedHost, SchedPolicy } from './policy.ts';
import { NICE_0_WEIGHT, PRIO_TO_WEIGHT } from './weights.ts';

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
}

class RunQueue {
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

  constructor(cpuId: number) {
    this.lock = new SpinLock(`rq${cpuId}`);
  }

  get nrRunning(): number {
    return this.queue.length + (this.curr === null ? 0 : 1);
  }
}

function entity(t: Thread): FairEntity {
  if (t.sched === null) {
    t.sched = { vruntime: 0, rq: -1, onRq: false, execStartNs: 0, sliceStartNs: 0 } satisfies FairEntity;
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
  #steals = 0;
  #wakeIpis = 0;

  constructor(host: SchedHost) {
    this.#host = host;
    const cpus = host.board.cpus.length;
    this.#rqs = Array.from({ length: cpus }, (_, id) => new RunQueue(id));
    this.#scale = 1 + Math.floor(Math.log2(Math.min(cpus, 8)));
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
    rq.loadWeight += weightOf(t);
    this.#insert(rq, t);
  }

  *tick(cpu: Cpu): KernelGen<boolean> {
    const rq = this.#rqs[cpu.id]!;
    yield* this.#expireTimers(cpu, rq);
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

  *start(cpu: Cpu, t: Thread): KernelGen<void> {
    const target = this.#leastLoaded(t, cpu.id);
    const rq = this.#rqs[target]!;
    yield lock(rq.lock);
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
    const target = this.#selectWakeCpu(t, cpu.id);
    const rq = this.#rqs[target]!;
    yield lock(rq.lock);
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
      this.#wakeIpis++;
      yield sendIpi(target, VEC_IPI_SWITCH);
    }
  }

  /** Wakeup placement: the last CPU if idle, the waker's if idle, any idle, else the last. */
  #selectWakeCpu(t: Thread, wakerCpu: number): number {
    const idle = (id: number) => this.#rqs[id]!.nrRunning === 0 && t.allowedOn(id);
    if (t.lastCpu >= 0 && idle(t.lastCpu)) return t.lastCpu;
    if (idle(wakerCpu)) return wakerCpu;
    const n = this.#rqs.length;
    const from = Math.max(t.lastCpu, 0);
    for (let k = 1; k < n; k++) {
      const id = (from + k) % n;
      if (idle(id)) return id;
    }
    if (t.lastCpu >= 0 && t.allowedOn(t.lastCpu)) return t.lastCpu;
    return this.#leastLoaded(t, wakerCpu);
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
      if (prev.state === ThreadState.Runnable) {
        this.#insert(rq, prev); // put_prev_task: back in the tree, still on_rq
      } else if (e.onRq) {
        e.onRq = false; // deactivate: blocked or dead
        e.rq = -1;
        rq.loadWeight -= weightOf(prev);
      }
    }
    let next: Thread | null = rq.queue.shift() ?? null;
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

  /** Idle stealing: take the first queued context of the busiest other run queue (try-lock). */
  *#steal(cpu: Cpu, rq: RunQueue): KernelGen<Thread | null> {
    const n = this.#rqs.length;
    let victimId = -1;
    let victimLoad = 0;
    for (let k = 1; k < n; k++) {
      const id = (cpu.id + k) % n;
      const load = this.#rqs[id]!.queue.length;
      if (load > victimLoad && this.#rqs[id]!.queue.some((t) => t.allowedOn(cpu.id))) {
        victimId = id;
        victimLoad = load;
      }
    }
    if (victimId < 0) return null;
    const victim = this.#rqs[victimId]!;
    const got = (yield tryLock(victim.lock)) as boolean;
    if (!got) return null;
    const t = victim.queue.find((c) => c.allowedOn(cpu.id)) ?? null;
    if (t !== null) {
      this.#removeQueued(victim, t);
      victim.loadWeight -= weightOf(t);
      const e = entity(t);
      e.vruntime += rq.minVruntime - victim.minVruntime; // rebase onto this queue
      e.rq = cpu.id;
      rq.loadWeight += weightOf(t);
      this.#steals++;
      this.#host.traceDecision(0x53, victimId, t.id);
    }
    yield unlock(victim.lock);
    return t;
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
    rq.loadWeight -= weightOf(t);
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
    return { steals: this.#steals, wake_ipis: this.#wakeIpis };
  }
}
