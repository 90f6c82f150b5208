/**
 * What the `fair` policy keeps per context (Linux's sched_entity, sched_rt_entity and
 * sched_dl_entity in one record), the scheduling class a context is in (SCHED-7), and how two
 * contexts of different classes rank against each other.
 */
import { MAX_RT_PRIO } from '../../../abi/sched.ts';
import { assert } from '../../../engine/assert.ts';
import { effectivePrio, type Thread } from '../../thread.ts';
import { type DlEntity, dlReplenishAtNs } from '../deadline.ts';
import { RR_TIMESLICE_NS } from '../rt.ts';

/** Scheduling classes in the order they outrank each other (higher wins). */
export const CLASS_FAIR = 0;
export const CLASS_RT = 1;
export const CLASS_DL = 2;

/** The class a context is scheduled in: that of its effective priority (PI boosts included). */
export function classOf(t: Thread): number {
  const p = effectivePrio(t);
  return p < 0 ? CLASS_DL : p < MAX_RT_PRIO ? CLASS_RT : CLASS_FAIR;
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

/** `t`'s record, created on first use (a context is new to the policy until it starts). */
export function entity(t: Thread): FairEntity {
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
export function dlKey(t: Thread): number {
  const e = entity(t);
  return e.dlBoosted ? Number.NEGATIVE_INFINITY : e.dlDeadlineAbsNs;
}

/** When `t`'s throttled server is replenished (the throttled list's order). */
export function dlReplenishAt(t: Thread): number {
  return dlReplenishAtNs(entity(t), t);
}

/** True when `a` should run before `b` and they are not both fair (then CFS decides). */
export function outranks(a: Thread, b: Thread): boolean {
  const ea = entity(a);
  const eb = entity(b);
  if (ea.klass !== eb.klass) return ea.klass > eb.klass;
  if (ea.klass === CLASS_RT) {
    assert(ea.prio < MAX_RT_PRIO && eb.prio < MAX_RT_PRIO, 'fair: an RT context at a normal priority');
    return ea.prio < eb.prio;
  }
  if (ea.klass === CLASS_DL) return dlKey(a) < dlKey(b);
  return false;
}
