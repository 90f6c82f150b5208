/**
 * The `fair` policy's tick and its tickless deadline (HW-12): a tick expires the CPU's timed
 * blocks, runs the periodic balance when due, runs the RT period timer and due deadline
 * replenishments, charges curr and decides whether it is preempted (the class's task_tick);
 * `nextTickNs` is when the next of these is needed, as Linux's hrtick programs a slice's end.
 */
import { MAX_RT_PRIO, SCHED_RR } from '../../../abi/sched.ts';
import { assert } from '../../../engine/assert.ts';
import type { Cpu } from '../../../hw/cpu.ts';
import { type KernelGen, lock, spend, unlock } from '../../../hw/effects.ts';
import { type Thread, ThreadState } from '../../thread.ts';
import { dlReplenish, dlReplenishAtNs } from '../deadline.ts';
import { RR_TIMESLICE_NS, RT_PERIOD_NS, RT_RUNTIME_NS } from '../rt.ts';
import { BALANCE_INTERVAL_NS } from './balance.ts';
import { slice, tickPreempts, updateCurr } from './cfs.ts';
import { classInsert } from './classes.ts';
import { CLASS_DL, CLASS_FAIR, CLASS_RT, dlReplenishAt, entity } from './entity.ts';
import { periodicBalance } from './migrate.ts';
import { kick } from './preempt.ts';
import { classTarget, pullable } from './push-pull.ts';
import type { RunQueue } from './runqueue.ts';
import type { FairState } from './state.ts';
import { wake } from './wakeup.ts';
import { NO_DEADLINE } from '../../../engine/deadline.ts';

/** A timer tick on `cpu`; true when the CPU should switch now. */
export function* tick(s: FairState, cpu: Cpu): KernelGen<boolean> {
  const rq = s.rq(cpu.id);
  // Each part is entered only when it has work: a generator fewer per tick (issue 14).
  if (rq.timers.length > 0 && rq.timers[0]!.at <= s.nowNs()) yield* expireTimers(s, cpu, rq);
  if (s.nowNs() >= s.nextBalanceNs[cpu.id]!) {
    s.nextBalanceNs[cpu.id] = s.nowNs() + BALANCE_INTERVAL_NS;
    yield* periodicBalance(s, cpu);
  }
  const rtResched = rq.rt.advance(s.nowNs()) && rq.rt.count > 0;
  if (rq.dl.throttled.length > 0) yield* replenishDue(s, cpu, rq);
  const classes = tickClasses(s, cpu, rq, rtResched);
  if (classes !== null) return classes;
  const curr = rq.curr;
  if (curr === null || rq.queue.length === 0) return false;
  updateCurr(s, rq);
  return tickPreempts(s, rq, curr);
}

/**
 * Before when `cpu`'s ticks only advance time while it stays idle (kernel/idle-fold.ts, issue
 * 14), or -1 when one may already do more: nothing runs or is queued on it (of any class, nor
 * an RT period or deadline replenishment pending), no class context queued anywhere (the
 * tick's pull retry), nothing an idle select would steal; a tick at or after the next periodic
 * balance or the earliest timed block on it does more, so those bound it (`otherCpu`: asked
 * for a CPU other than the folding one, which only what changes shared state bounds).
 */
export function idleFoldUntilNs(s: FairState, cpu: Cpu, otherCpu: boolean): number {
  const rq = s.rq(cpu.id);
  if (rq.curr !== null || rq.queue.length > 0 || rq.pushPending !== null || s.classQueued > 0) return -1;
  if (rq.rt.count > 0 || rq.rt.periodActive || rq.dl.count > 0 || rq.dl.throttled.length > 0) return -1;
  if (s.pullCandidate(cpu.id) !== null) return -1;
  const timerNs = rq.timers.length > 0 ? rq.timers[0]!.at : NO_DEADLINE;
  // Another CPU's balance, with nothing to pull (bestPull said so, and no queue changes while it
  // is folded), counts and spends only its own: it does not bound the folding CPU.
  return otherCpu ? timerNs : Math.min(s.nextBalanceNs[cpu.id]!, timerNs);
}

/** Wakes the contexts whose timed block on this CPU is due (stale entries are dropped). */
function* expireTimers(s: FairState, cpu: Cpu, rq: RunQueue): KernelGen<void> {
  const now = s.nowNs();
  while (rq.timers.length > 0 && rq.timers[0]!.at <= now) {
    const { t, at } = rq.timers.shift()!;
    if (t.state !== ThreadState.Blocked || t.wakeNs !== at) continue;
    s.host.expireTimeout(t);
    yield* wake(s, cpu, t);
  }
}

/**
 * The RT and deadline part of a tick, after the RT period timer (`rtResched`: it asks for a
 * switch) and the due deadline replenishments: the accounting of an RT or deadline curr
 * (throttling, RR quantum, exhausted runtime). Returns the tick's verdict, or null when curr
 * is a fair context (CFS decides).
 */
function tickClasses(s: FairState, cpu: Cpu, rq: RunQueue, rtResched: boolean): boolean | null {
  let resched = rtResched;
  // A CPU without RT or deadline work retries a pull that lost a try-lock race.
  if (s.classQueued > rq.rt.count + rq.dl.count && rq.prio() >= MAX_RT_PRIO && pullable(s, cpu.id)) {
    resched = true;
  }
  const curr = rq.curr;
  if (curr === null) return resched;
  const e = entity(curr);
  if (e.klass === CLASS_FAIR) return resched ? true : null;
  updateCurr(s, rq);
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
    dlThrottle(s, curr);
    return true;
  }
  return resched;
}

/** A deadline curr used up its runtime (or yielded): throttle it, or replenish at once. */
export function dlThrottle(s: FairState, t: Thread): void {
  const e = entity(t);
  if (dlReplenishAtNs(e, t) <= s.nowNs()) dlReplenish(e, t, s.nowNs());
  else e.dlThrottled = true; // the switch parks it on the throttled list
}

/** Replenishes the throttled servers of `rq` whose next period has begun and queues them. */
function* replenishDue(s: FairState, cpu: Cpu, rq: RunQueue): KernelGen<void> {
  const now = s.nowNs();
  while (rq.dl.throttled.length > 0 && dlReplenishAt(rq.dl.throttled[0]!) <= now) {
    const t = rq.dl.throttled.shift()!;
    const e = entity(t);
    assert(e.klass === CLASS_DL && e.onRq && e.rq === rq.cpuId, 'fair: a parked server not on its queue');
    dlReplenish(e, t, now);
    e.onRq = false; // re-activated below, on the CPU the placement picks
    e.rq = -1;
    const target = classTarget(s, t, cpu.id, false) ?? cpu.id;
    const to = s.rq(target);
    yield lock(to.lock);
    e.rq = target;
    e.onRq = true;
    classInsert(s, to, t, false);
    yield spend(s.host.board.costs.schedPickNs);
    yield unlock(to.lock);
    yield* kick(s, cpu, target, t);
  }
}

/**
 * Tickless (HW-12): the earliest timer armed on this CPU, and, while a context runs, the end
 * of its slice (as Linux's hrtick programs it), or one period from now once that has passed.
 */
export function nextTickNs(s: FairState, cpu: Cpu, periodNs: number): number {
  const rq = s.rq(cpu.id);
  let next = rq.timers.length > 0 ? rq.timers[0]!.at : NO_DEADLINE;
  // RT and deadline classes (SCHED-7): the next replenishment and the RT period timer.
  if (rq.dl.throttled.length > 0) next = Math.min(next, dlReplenishAt(rq.dl.throttled[0]!));
  if (rq.rt.periodActive) next = Math.min(next, rq.rt.periodStartNs + RT_PERIOD_NS);
  if (rq.curr !== null) {
    const nowNs = s.nowNs();
    const sliceEndNs = currEndNs(s, rq, rq.curr, nowNs);
    next = Math.min(next, sliceEndNs > nowNs ? sliceEndNs : nowNs + periodNs);
  }
  return next;
}

/**
 * When curr's turn ends if nothing else happens: a fair slice; an RT context's RR quantum or
 * the moment its CPU's RT runtime runs out; a deadline server's runtime.
 */
function currEndNs(s: FairState, rq: RunQueue, curr: Thread, nowNs: number): number {
  const e = entity(curr);
  if (e.klass === CLASS_FAIR) return e.sliceStartNs + slice(s, rq, curr);
  const ranNs = nowNs - e.execStartNs; // not yet charged
  if (e.klass === CLASS_DL) return e.dlBoosted ? NO_DEADLINE : nowNs + e.dlRuntimeLeftNs - ranNs;
  let end = rq.rt.throttled ? NO_DEADLINE : nowNs + RT_RUNTIME_NS - rq.rt.rtTimeNs - ranNs + 1;
  if (curr.policy === SCHED_RR) end = Math.min(end, nowNs + e.rrLeftNs - ranNs);
  return end;
}

/**
 * With hrtimers (kernel/hrtimer.ts): the next replenishment of a throttled deadline server
 * (dl_task_timer, an hrtimer at the exact start of its next period) and the RT period timer
 * (sched_rt_period_timer) on this CPU. Throttling when the runtime runs out stays at the tick,
 * as in Linux, whose HRTICK_DL is off by default (kernel/sched/features.h).
 */
export function hrtimerNextNs(s: FairState, cpu: Cpu): number {
  const rq = s.rq(cpu.id);
  let next = NO_DEADLINE;
  if (rq.dl.throttled.length > 0) next = dlReplenishAt(rq.dl.throttled[0]!);
  if (rq.rt.periodActive) next = Math.min(next, rq.rt.periodStartNs + RT_PERIOD_NS);
  return next;
}

/** The hrtimer interrupt's part for this policy: the RT period and due replenishments. */
export function* runHrtimers(s: FairState, cpu: Cpu): KernelGen<boolean> {
  const rq = s.rq(cpu.id);
  const resched = rq.rt.advance(s.nowNs()) && rq.rt.count > 0;
  if (rq.dl.throttled.length > 0) yield* replenishDue(s, cpu, rq);
  return resched;
}
