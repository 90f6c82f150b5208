/**
 * New and woken contexts in the `fair` policy: the run queue they go to is chosen
 * (`balance.ts` for fair contexts, `push-pull.ts` for RT and deadline ones), locked, and
 * re-chosen if the context's mask changed to exclude it meanwhile; they are placed in virtual
 * time against that queue (`cfs.ts`), queued, and the CPU is kicked if they should preempt.
 */
import { assert } from '../../../engine/assert.ts';
import type { Cpu } from '../../../hw/cpu.ts';
import { type KernelGen, lock, spend, unlock } from '../../../hw/effects.ts';
import { type Thread, ThreadState } from '../../thread.ts';
import { bestCpu, placeNew, selectWakeCpu } from './balance.ts';
import { placeStarting, sleeperFloor, updateCurr } from './cfs.ts';
import { enqueue } from './classes.ts';
import { entity } from './entity.ts';
import { kick } from './preempt.ts';
import { classTarget } from './push-pull.ts';
import type { RunQueue } from './runqueue.ts';
import type { FairState } from './state.ts';

/** Why a context is being placed: it decides which placement rule names the CPU. */
export const PLACE_START = 0;
export const PLACE_WAKE = 1;
/** Pushed off a CPU its new mask excludes (after the switch that took it off). */
export const PLACE_PUSH = 2;

/** The CPU `t` should go to, placed from `cpuId` for the reason `why` (PLACE_*). */
function chooseCpu(s: FairState, t: Thread, cpuId: number, why: number): number {
  if (why === PLACE_PUSH) return bestCpu(s.env, s.rqs, t, cpuId);
  const classCpu = classTarget(s, t, cpuId, true);
  if (classCpu !== null) return classCpu;
  return why === PLACE_START ? placeNew(s.env, s.rqs, t, cpuId) : selectWakeCpu(s.env, s.rqs, t, cpuId);
}

/**
 * Locks the run queue the placement names and returns it, choosing again if `t`'s mask changed
 * to exclude it while this CPU waited for the lock (masks are written under the lock of the
 * queue a context is on, so once held the choice stays valid).
 */
export function* lockAllowed(s: FairState, t: Thread, cpuId: number, why: number): KernelGen<RunQueue> {
  for (;;) {
    const rq = s.rq(chooseCpu(s, t, cpuId, why));
    yield lock(rq.lock);
    if (t.allowedOn(rq.cpuId)) return rq;
    yield unlock(rq.lock);
  }
}

/** A context created through the proc scheme is made runnable for the first time. */
export function* start(s: FairState, cpu: Cpu, t: Thread): KernelGen<void> {
  assert(!entity(t).onRq, 'fair: start of a context already on a run queue');
  const rq = yield* lockAllowed(s, t, cpu.id, PLACE_START);
  const target = rq.cpuId;
  placeStarting(s, rq, t);
  t.state = ThreadState.Runnable;
  enqueue(s, rq, target, t);
  yield spend(s.host.board.costs.schedPickNs);
  yield unlock(rq.lock);
  yield* kick(s, cpu, target, t);
}

/** A blocked context was made runnable by `cpu` (try_to_wake_up). */
export function* wake(s: FairState, cpu: Cpu, t: Thread): KernelGen<void> {
  const e = entity(t);
  if (e.onRq) return; // still current on its CPU, not yet switched out: it just keeps running
  const rq = yield* lockAllowed(s, t, cpu.id, PLACE_WAKE);
  const target = rq.cpuId;
  // enqueue_entity's update_curr: the target's curr and min_vruntime are brought up to now
  // before the woken context is placed against them and check_preempt_wakeup compares.
  updateCurr(s, rq);
  if (e.rq >= 0 && e.rq !== target) e.vruntime += rq.minVruntime - s.rq(e.rq).minVruntime;
  // Sleeper credit (GENTLE_FAIR_SLEEPERS): at most half a latency period behind the minimum.
  e.vruntime = Math.max(e.vruntime, sleeperFloor(s, rq));
  enqueue(s, rq, target, t);
  yield spend(s.host.board.costs.schedPickNs);
  yield unlock(rq.lock);
  yield* kick(s, cpu, target, t);
}
