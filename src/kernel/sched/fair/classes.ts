/**
 * Class dispatch in the `fair` policy (SCHED-7): each run queue holds a CFS queue, an RT queue
 * (SCHED_FIFO/SCHED_RR, `rt.ts`) and a deadline queue (SCHED_DEADLINE, `deadline.ts`). A context
 * is scheduled in the class of its effective priority (`classOf`), so a PI boost into the RT
 * range moves a normal context into the RT queue until the boost ends. This file puts contexts
 * in and takes them out of the queue of their class (enqueue_task, dequeue_task, put_prev_task
 * of each class) and moves them between classes when their priority changes.
 */
import { TraceKind } from '../../../abi/trace.ts';
import { SCHED_DEADLINE } from '../../../abi/sched.ts';
import { assert } from '../../../engine/assert.ts';
import type { Cpu } from '../../../hw/cpu.ts';
import { type KernelGen, lock, spend, unlock } from '../../../hw/effects.ts';
import { effectivePrio, normalPrio, type Thread, ThreadState } from '../../thread.ts';
import { dlOnWakeup } from '../deadline.ts';
import { weightOf } from './balance.ts';
import { sleeperFloor, updateCurr } from './cfs.ts';
import { CLASS_DL, CLASS_FAIR, CLASS_RT, classOf, dlReplenishAt, entity, outranks } from './entity.ts';
import { reschedCpu } from './preempt.ts';
import type { RunQueue } from './runqueue.ts';
import type { FairState } from './state.ts';

/** Puts a runnable, not-running context on `rq` (enqueue_task of its class, a wakeup). */
export function enqueue(s: FairState, rq: RunQueue, cpuId: number, t: Thread): void {
  const e = entity(t);
  assert(!e.onRq, 'fair: enqueue of a context already on a run queue');
  e.rq = cpuId;
  e.onRq = true;
  setClass(s, rq, t, true);
  if (e.klass === CLASS_FAIR) rq.insertFair(t);
  else classInsert(s, rq, t, false);
}

/**
 * Gives an on-queue context the class and priority of its effective priority: moves its
 * weight in or out of the fair load, and starts its deadline server when it enters that
 * class (at `wakeup`: the CBS wakeup rule). It is in no class queue while this runs.
 */
export function setClass(s: FairState, rq: RunQueue, t: Thread, wakeup: boolean): void {
  const e = entity(t);
  const wasFair = e.onRq && e.klass === CLASS_FAIR && e.weight > 0;
  const klass = classOf(t);
  if (wasFair) rq.loadWeight -= e.weight;
  e.weight = 0;
  if (klass === CLASS_FAIR) {
    e.weight = weightOf(t);
    rq.loadWeight += e.weight;
    // Back from another class: placed as a waking sleeper would be.
    if (!wakeup && e.klass !== CLASS_FAIR) e.vruntime = Math.max(e.vruntime, sleeperFloor(s, rq));
  } else if (klass === CLASS_DL) {
    syncDl(s, t, wakeup || e.klass !== CLASS_DL);
  }
  e.klass = klass;
  e.prio = effectivePrio(t);
}

/**
 * A deadline context's server: boosted or not, restarted when its parameters changed, and
 * the CBS wakeup rule at an activation (idempotent at one instant, so placement may apply it
 * before the enqueue does).
 */
export function syncDl(s: FairState, t: Thread, activation: boolean): void {
  const e = entity(t);
  e.dlBoosted = effectivePrio(t) < normalPrio(t);
  if (t.policy !== SCHED_DEADLINE) return;
  const params = `${t.dlRuntimeNs}/${t.dlDeadlineNs}/${t.dlPeriodNs}`;
  if (params !== e.dlParams) {
    e.dlParams = params;
    e.dlNew = true;
  }
  if (activation || e.dlNew) dlOnWakeup(e, t, s.nowNs());
}

/** Queues an RT or deadline context (not running) in its class queue on `rq`. */
export function classInsert(s: FairState, rq: RunQueue, t: Thread, head: boolean): void {
  const e = entity(t);
  if (e.klass === CLASS_RT) rq.rt.enqueue(t, e.prio, head);
  else rq.dl.insert(t);
  s.classQueued++;
}

/** Takes a queued context out of whichever queue of `rq` holds it. */
export function dequeueQueued(s: FairState, rq: RunQueue, t: Thread): void {
  const e = entity(t);
  if (e.klass === CLASS_FAIR) {
    rq.removeFair(t);
    return;
  }
  if (e.klass === CLASS_DL && rq.dl.unthrottle(t)) return;
  if (e.klass === CLASS_RT) rq.rt.remove(t, e.prio);
  else rq.dl.remove(t);
  s.classQueued--;
  assert(s.classQueued >= 0, 'fair: more RT and deadline contexts dequeued than queued');
}

/**
 * The switch-out of `prev`, curr of `rq` (put_prev_task, or deactivate_task when it stopped
 * being runnable). A runnable context whose mask no longer has this CPU (SCHED-8) runs on this
 * stack until the switch is done, so it is queued elsewhere only then (`afterSwitch`), as Linux
 * defers such a push to a balance callback after the switch.
 */
export function putPrev(s: FairState, rq: RunQueue, prev: Thread): void {
  updateCurr(s, rq);
  rq.curr = null;
  const e = entity(prev);
  e.lastRanNs = s.nowNs();
  if (prev.state === ThreadState.Runnable && prev.allowedOn(rq.cpuId)) {
    // Back in its queue, still on_rq.
    if (e.klass === CLASS_FAIR) rq.insertFair(prev);
    else putPrevClass(s, rq, prev);
  } else if (prev.state === ThreadState.Runnable) {
    e.onRq = false;
    e.rq = -1;
    rq.unweigh(e);
    e.putBackTail = false;
    rq.pushPending = prev;
  } else if (e.onRq) {
    e.onRq = false; // deactivate: blocked or dead
    e.rq = -1;
    rq.unweigh(e);
  }
}

/**
 * put_prev_task of the RT and deadline classes: a preempted RT context goes back to the head
 * of its level (the tail after a yield or a spent RR quantum); a throttled deadline server is
 * parked until its replenishment.
 */
function putPrevClass(s: FairState, rq: RunQueue, prev: Thread): void {
  const e = entity(prev);
  if (e.klass === CLASS_DL && e.dlThrottled) {
    rq.dl.throttle(prev, dlReplenishAt(prev), dlReplenishAt);
    return;
  }
  const tail = e.putBackTail;
  e.putBackTail = false;
  classInsert(s, rq, prev, !tail);
}

/**
 * `t`'s effective priority, class, nice or deadline parameters changed (sched_setscheduler,
 * setpriority, a PI boost beginning or ending). A queued context moves to the queue of its
 * new class and priority; a fair context is reweighted. The CPU is rescheduled when `t` now
 * outranks what runs there, or when the running `t` lost its rank. A context not on a run
 * queue (blocked, not started) takes its new class when it wakes.
 */
export function* prioChanged(s: FairState, cpu: Cpu, t: Thread): KernelGen<void> {
  const e = entity(t);
  if (!e.onRq) return;
  const rqId = e.rq;
  const rq = s.rq(rqId);
  yield lock(rq.lock);
  if (!e.onRq || e.rq !== rqId) {
    yield unlock(rq.lock); // it moved or blocked meanwhile; the new priority applies from there
    return;
  }
  const newPrio = effectivePrio(t); // as it is under the lock: it may change once that is free
  const resched = rq.curr === t ? reclassRunning(s, rq, t) : reclassQueued(s, rq, t);
  yield spend(s.host.board.costs.schedPickNs);
  yield unlock(rq.lock);
  s.host.traceDecision(TraceKind.FairPrioChange, t.id, newPrio);
  if (resched) yield* reschedCpu(s, cpu, rqId);
}

/**
 * The running `t` changes class or priority: its time so far is charged to the old class, an
 * RT context whose level changed goes back at the tail when its priority rose (the head when it
 * fell); true when the best queued context now outranks it (or, both fair, it lost weight).
 */
function reclassRunning(s: FairState, rq: RunQueue, t: Thread): boolean {
  const e = entity(t);
  const oldPrio = e.prio;
  const oldKlass = e.klass;
  const oldWeight = e.weight;
  const newPrio = effectivePrio(t);
  updateCurr(s, rq);
  setClass(s, rq, t, false);
  if (e.klass === CLASS_RT && oldKlass === CLASS_RT && newPrio !== oldPrio) e.putBackTail = newPrio < oldPrio;
  const best = rq.dl.first() ?? (rq.rt.throttled ? null : rq.rt.first()) ?? rq.queue[0] ?? null;
  if (best === null) return false;
  if (e.klass === CLASS_FAIR && entity(best).klass === CLASS_FAIR) return e.weight < oldWeight;
  return outranks(best, t);
}

/**
 * Queued `t` changes class or priority: requeued in its new class, to the head of an RT level
 * when its priority fell, the tail when it rose (__sched_setscheduler's ENQUEUE_HEAD rule); a
 * throttled deadline server stays parked. True when it now outranks what runs on its CPU.
 */
function reclassQueued(s: FairState, rq: RunQueue, t: Thread): boolean {
  const e = entity(t);
  const oldPrio = e.prio;
  const oldKlass = e.klass;
  const oldWeight = e.weight;
  const newPrio = effectivePrio(t);
  const throttled = e.klass === CLASS_DL && e.dlThrottled;
  dequeueQueued(s, rq, t);
  if (e.klass === CLASS_FAIR) rq.unweigh(e);
  e.onRq = false; // setClass sees a context in no queue
  setClass(s, rq, t, false);
  e.onRq = true;
  if (throttled && e.klass === CLASS_DL && !e.dlBoosted) {
    rq.dl.throttle(t, dlReplenishAt(t), dlReplenishAt); // still waiting for its period
    return false;
  }
  e.dlThrottled = false;
  if (e.klass === CLASS_FAIR) rq.insertFair(t);
  else classInsert(s, rq, t, oldKlass === e.klass && newPrio > oldPrio);
  const curr = rq.curr;
  if (curr === null) return true;
  if (e.klass === CLASS_FAIR && entity(curr).klass === CLASS_FAIR) return e.weight > oldWeight;
  return outranks(t, curr);
}
