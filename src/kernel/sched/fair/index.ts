/**
 * `fair`: the improved scheduler (SCHED-2..8), the policy glue over its parts.
 *
 * Per-CPU run queues (`runqueue.ts`), each with its own lock, which is also that CPU's switch
 * lock: no global lock on the switch path. CFS-style weighted vruntime (`cfs.ts`); scheduling
 * classes (SCHED-7): a pick takes the earliest deadline, else the most important RT context
 * (unless RT is throttled), else the smallest vruntime (`classes.ts`, `push-pull.ts`). Where
 * fair contexts go is decided in `balance.ts` and carried out in `wakeup.ts` and `migrate.ts`;
 * what a tick does is in `tick.ts`; the policy's invariants in `invariants.ts`.
 */
import { TraceKind } from '../../../abi/trace.ts';
import { SCHED_DEADLINE, SCHED_FIFO, SCHED_OTHER, SCHED_RR } from '../../../abi/sched.ts';
import { assert } from '../../../engine/assert.ts';
import type { Cpu } from '../../../hw/cpu.ts';
import { type KernelGen, spend } from '../../../hw/effects.ts';
import type { SpinLock } from '../../../hw/spinlock.ts';
import { type Context, isThread, type Thread, ThreadState } from '../../thread.ts';
import type { HotplugMoves, SchedHost, SchedPolicy } from '../policy.ts';
import { fairCpuOffline } from './hotplug.ts';
import { RR_TIMESLICE_NS } from '../rt.ts';
import { slice, updateCurr } from './cfs.ts';
import { dequeueQueued, prioChanged, putPrev } from './classes.ts';
import { CLASS_DL, CLASS_RT, classOf, entity } from './entity.ts';
import { checkFairInvariants } from './invariants.ts';
import { afterSwitch, setAffinity, steal } from './migrate.ts';
import { pickClass, push } from './push-pull.ts';
import type { RunQueue } from './runqueue.ts';
import { type FairOptions, FairState } from './state.ts';
import { dlThrottle, hrtimerNextNs, idleFoldUntilNs, nextTickNs, runHrtimers, tick } from './tick.ts';
import { start, wake } from './wakeup.ts';

export { CLASS_DL, CLASS_FAIR, CLASS_RT, classOf, type FairEntity } from './entity.ts';
export type { FairOptions } from './state.ts';

export class FairPolicy implements SchedPolicy {
  readonly name = 'fair';
  readonly keepsBlockedQueued = false;
  readonly schedHandles = true;
  readonly classes: readonly number[] = [SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_DEADLINE];
  readonly #s: FairState;

  constructor(host: SchedHost, options: FairOptions = { numa: true }) {
    this.#s = new FairState(host, options);
  }

  switchLock(cpuId: number): SpinLock {
    return this.#s.rq(cpuId).lock;
  }

  tick(cpu: Cpu, _periods: number): KernelGen<boolean> {
    return tick(this.#s, cpu);
  }

  nextTickNs(cpu: Cpu, periodNs: number): number {
    return nextTickNs(this.#s, cpu, periodNs);
  }

  idleFoldUntilNs(cpu: Cpu, otherCpu: boolean): number {
    return idleFoldUntilNs(this.#s, cpu, otherCpu);
  }

  hrtimerNextNs(cpu: Cpu): number {
    return hrtimerNextNs(this.#s, cpu);
  }

  runHrtimers(cpu: Cpu): KernelGen<boolean> {
    return runHrtimers(this.#s, cpu);
  }

  start(cpu: Cpu, t: Thread): KernelGen<void> {
    return start(this.#s, cpu, t);
  }

  wake(cpu: Cpu, t: Thread): KernelGen<void> {
    return wake(this.#s, cpu, t);
  }

  armTimeout(cpu: Cpu, t: Thread, deadlineNs: number): void {
    t.wakeNs = deadlineNs;
    this.#s.rq(cpu.id).addTimer(t, deadlineNs);
  }

  /**
   * Requeues `prev` (the switch lock, this CPU's run-queue lock, is held) and picks: the
   * deadline and RT classes first (pulling from other CPUs when they hold better), then the
   * leftmost fair context, then an idle steal. A preempted RT or deadline `prev` is pushed.
   */
  *select(cpu: Cpu, prev: Context): KernelGen<Context | null> {
    const s = this.#s;
    const rq = s.rq(cpu.id);
    // curr is what this CPU runs, or nothing; the last switch's push has been done.
    assert(rq.curr === null || rq.curr === prev, 'fair: curr is not the context switching out');
    assert(rq.pushPending === null, 'fair: a push pending from the last switch');
    if (isThread(prev) && rq.curr === prev) putPrev(s, rq, prev);
    let next: Thread | null = s.classQueued > 0 ? yield* pickClass(s, cpu, rq) : null;
    if (next === null) next = rq.pickAllowed();
    const costs = s.host.board.costs;
    let costNs = costs.schedPickNs;
    if (next === null) {
      const candidate = s.pullCandidate(cpu.id);
      if (candidate !== null) next = yield* steal(s, rq, candidate);
      costNs += costs.schedPickNs;
    }
    yield spend(costNs);
    s.host.traceDecision(TraceKind.FairPick, cpu.id, next === null ? -1 : next.id);
    if (next !== null) {
      const e = entity(next);
      rq.curr = next;
      e.execStartNs = s.nowNs();
      if (next !== prev) e.sliceStartNs = e.execStartNs;
      rq.updateMin();
      if (next !== prev && isThread(prev) && prev.state === ThreadState.Runnable && rq.pushPending !== prev)
        yield* push(s, cpu, prev);
      return next;
    }
    const idle = s.host.idle[cpu.id]!;
    return prev === idle ? null : idle;
  }

  afterSwitch(cpu: Cpu): KernelGen<void> {
    return afterSwitch(this.#s, cpu);
  }

  setAffinity(cpu: Cpu, t: Thread, mask: Uint8Array | null): KernelGen<void> {
    return setAffinity(this.#s, cpu, t, mask);
  }

  prioChanged(cpu: Cpu, t: Thread): KernelGen<void> {
    return prioChanged(this.#s, cpu, t);
  }

  /** sched_yield from the running `t` (Linux yield_task): RT to the tail, deadline gives up q. */
  yieldCurrent(cpu: Cpu, t: Thread): void {
    const rq = this.#s.rq(cpu.id);
    if (rq.curr !== t) return;
    const e = entity(t);
    if (e.klass === CLASS_RT) {
      e.putBackTail = true;
    } else if (e.klass === CLASS_DL && !e.dlBoosted) {
      updateCurr(this.#s, rq);
      e.dlYielded = true; // dl_yield: the rest of this period's runtime is given up
      dlThrottle(this.#s, t);
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
    const rq = this.#s.rq(e.onRq ? e.rq : Math.max(t.lastCpu, 0));
    if (rq.loadWeight === 0 && !e.onRq) return 0;
    return slice(this.#s, rq, t);
  }

  cpuOffline(cpu: Cpu, deadId: number, toCpu: number): KernelGen<HotplugMoves> {
    return fairCpuOffline(this.#s, cpu, deadId, toCpu);
  }

  queuedOn(cpuId: number): number {
    const rq = this.#s.rq(cpuId);
    return rq.allQueued().filter((t) => t !== rq.curr).length;
  }

  remove(t: Thread): void {
    const e = entity(t);
    if (!e.onRq) return;
    const rq = this.#s.rq(e.rq);
    if (rq.curr === t) return; // the switch path deactivates the running context
    dequeueQueued(this.#s, rq, t);
    rq.unweigh(e);
    e.onRq = false;
    e.rq = -1;
  }

  queued(): Thread[] {
    return this.#s.rqs.flatMap((rq) => rq.allQueued());
  }

  locks(): SpinLock[] {
    return this.#s.rqs.map((rq) => rq.lock);
  }

  stats(): Record<string, number> {
    const rqs = this.#s.rqs;
    const sum = (f: (rq: RunQueue) => number) => rqs.reduce((n, rq) => n + f(rq), 0);
    const c = this.#s.counts;
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

  checkInvariants(threads: Iterable<Thread>): void {
    checkFairInvariants(this.#s, threads);
  }
}
