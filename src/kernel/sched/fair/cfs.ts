/**
 * CFS-style weighted vruntime for the `fair` policy (SCHED-2, SCHED-3; Linux ≤6.5 fair.c,
 * models.md §4.2): run time is charged to vruntime scaled by NICE_0_WEIGHT / weight, the
 * smallest vruntime runs, a slice is a weight-proportional share of the latency target, new
 * contexts start one virtual slice after the queue's minimum (START_DEBIT), waking ones no
 * earlier than the minimum minus half the latency target (GENTLE_FAIR_SLEEPERS).
 */
import { assert } from '../../../engine/assert.ts';
import type { Thread } from '../../thread.ts';
import { NICE_0_WEIGHT } from '../weights.ts';
import { weightOf } from './balance.ts';
import { CLASS_FAIR, CLASS_RT, entity } from './entity.ts';
import type { RunQueue } from './runqueue.ts';
import type { FairState } from './state.ts';

/** CFS tunables before scaling (fair.c, Linux ≤6.5). */
export const LATENCY_NS = 6_000_000;
export const MIN_GRANULARITY_NS = 750_000;
export const WAKEUP_GRANULARITY_NS = 1_000_000;

/**
 * Charges curr's runtime since it last started (update_curr): into its vruntime when fair, the
 * RT queue's run time and its RR quantum when RT (update_curr_rt), its server's runtime when a
 * deadline context (update_curr_dl; a PI-boosted one is never charged).
 */
export function updateCurr(s: FairState, rq: RunQueue): void {
  const curr = rq.curr;
  if (curr === null) return;
  const e = entity(curr);
  assert(e.onRq && e.rq === rq.cpuId, 'fair: curr is not on its run queue');
  const now = s.nowNs();
  const deltaNs = now - e.execStartNs;
  if (deltaNs <= 0) return;
  e.execStartNs = now;
  if (e.klass === CLASS_FAIR) {
    e.vruntime += (deltaNs * NICE_0_WEIGHT) / weightOf(curr);
    rq.updateMin();
  } else if (e.klass === CLASS_RT) {
    rq.rt.charge(now, deltaNs); // rt_time, and the throttle past the runtime
    e.rrLeftNs -= deltaNs;
  } else if (!e.dlBoosted) {
    e.dlRuntimeLeftNs -= deltaNs;
  }
}

/**
 * The scheduling period and a context's share of it (sched_slice). A context not yet on the
 * queue counts as if it were, as Linux's sched_vslice does for a forked task.
 */
export function slice(s: FairState, rq: RunQueue, t: Thread): number {
  const queued = entity(t).onRq;
  const nr = rq.fairRunning + (queued ? 0 : 1);
  const load = rq.loadWeight + (queued ? 0 : weightOf(t));
  const latency = LATENCY_NS * s.scale;
  const minGran = MIN_GRANULARITY_NS * s.scale;
  const period = nr > 8 ? nr * minGran : latency;
  assert(load > 0, 'fair: a slice of a queue with no load');
  return (period * weightOf(t)) / load;
}

/** place_entity for a new context: one virtual slice after the minimum (START_DEBIT). */
export function placeStarting(s: FairState, rq: RunQueue, t: Thread): void {
  entity(t).vruntime = rq.minVruntime + (slice(s, rq, t) * NICE_0_WEIGHT) / weightOf(t);
}

/** The earliest vruntime a sleeper may wake at: half a latency period behind the minimum. */
export function sleeperFloor(s: FairState, rq: RunQueue): number {
  return rq.minVruntime - (LATENCY_NS * s.scale) / 2;
}

/**
 * check_preempt_tick: curr (fair, with others queued) is preempted once its slice is used up,
 * never before the minimum granularity, and otherwise when it is a slice ahead of the leftmost.
 */
export function tickPreempts(s: FairState, rq: RunQueue, curr: Thread): boolean {
  const e = entity(curr);
  const ranNs = s.nowNs() - e.sliceStartNs;
  const sliceNs = slice(s, rq, curr);
  if (ranNs >= sliceNs) return true;
  if (ranNs < MIN_GRANULARITY_NS * s.scale) return false;
  return e.vruntime - entity(rq.queue[0]!).vruntime > sliceNs;
}

/** check_preempt_wakeup: woken fair `t` preempts fair `curr` when a wakeup granularity behind. */
export function wakeupPreempts(s: FairState, curr: Thread, t: Thread): boolean {
  const gran = (WAKEUP_GRANULARITY_NS * s.scale * NICE_0_WEIGHT) / weightOf(t);
  return entity(curr).vruntime - entity(t).vruntime > gran;
}

/**
 * After the balancer pulled contexts to `rq`: one well behind curr in virtual time preempts at
 * once, as a wakeup would.
 */
export function pulledPreempts(s: FairState, rq: RunQueue, curr: Thread): boolean {
  const e = entity(curr);
  updateCurr(s, rq);
  const head = rq.queue[0];
  return head !== undefined && e.vruntime - entity(head).vruntime > slice(s, rq, curr);
}
