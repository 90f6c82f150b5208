/**
 * CPU hotplug for the `fair` policy (kernel/hotplug.ts): Linux's sched_cpu_deactivate /
 * sched_cpu_dying and migrate_tasks (kernel/sched/core.c, the "push" of every task off a dying
 * run queue to a CPU chosen by select_fallback_rq). The CPU is already out of the online mask
 * (`Thread.allowedOn` says no for it), so no placement, steal or balance chooses it again;
 * here every context queued on it moves to the best allowed CPU (`bestCpu`, as an affinity
 * change moves one), the context running there is told to reschedule (its switch pushes it
 * away: `putPrev`, then `afterSwitch`), and the policy's own timed blocks (no hrtimers) move
 * to `toCpu`.
 */
import { TraceKind } from '../../../abi/trace.ts';
import type { Cpu } from '../../../hw/cpu.ts';
import { type KernelGen, lock, sendIpi, spend, unlock } from '../../../hw/effects.ts';
import { VEC_IPI_SWITCH } from '../../../hw/vectors.ts';
import { bestCpu } from './balance.ts';
import { entity } from './entity.ts';
import { migrate } from './migrate.ts';
import { kick } from './preempt.ts';
import type { HotplugMoves } from '../policy.ts';
import type { FairState } from './state.ts';

/** Empties run queue `deadId` (already offline) from `cpu`; policy timers go to `toCpu`. */
export function* fairCpuOffline(
  s: FairState,
  cpu: Cpu,
  deadId: number,
  toCpu: number,
): KernelGen<HotplugMoves> {
  const src = s.rq(deadId);
  const result: HotplugMoves = { migrated: 0, timersMoved: 0, runningKicked: false };
  for (;;) {
    const t = src.allQueued().find((q) => q !== src.curr) ?? null;
    if (t === null) break;
    const dst = s.rq(bestCpu(s.env, s.rqs, t, deadId));
    // double_rq_lock: lowest CPU id first.
    const [first, second] = src.cpuId < dst.cpuId ? [src, dst] : [dst, src];
    yield lock(first.lock);
    yield lock(second.lock);
    const e = entity(t);
    const still = e.onRq && e.rq === src.cpuId && src.curr !== t && t.allowedOn(dst.cpuId);
    if (still) {
      migrate(s, src, dst, t);
      result.migrated++;
      s.host.traceDecision(TraceKind.HotplugMigrate, dst.cpuId, t.id);
    }
    yield spend(s.host.board.costs.schedPickNs);
    yield unlock(second.lock);
    yield unlock(first.lock);
    if (still) yield* kick(s, cpu, dst.cpuId, t);
  }
  yield lock(src.lock);
  const timers = src.timers.splice(0);
  const running = src.curr;
  yield unlock(src.lock);
  if (timers.length > 0) {
    const dst = s.rq(toCpu);
    yield lock(dst.lock);
    for (const timer of timers) dst.addTimer(timer.t, timer.at);
    yield unlock(dst.lock);
    result.timersMoved = timers.length;
  }
  if (running !== null) {
    // The running context leaves at its next switch (putPrev sees its CPU is not allowed).
    result.runningKicked = true;
    running.affinityMovePending = true; // runs outside its (online) mask until that switch
    s.host.needResched[deadId] = 1;
    if (deadId !== cpu.id) yield sendIpi(deadId, VEC_IPI_SWITCH);
  }
  return result;
}
