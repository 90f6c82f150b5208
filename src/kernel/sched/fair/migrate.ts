/**
 * Moving fair contexts between run queues (SCHED-4..6, SCHED-8): `balance.ts` decides what
 * moves where; this file takes the locks and moves them. An idle CPU steals from another queue
 * (try-lock only, as Redox HEAD steals), every CPU pulls from a busier queue every 100 ms
 * taking both run-queue locks in CPU-id order (Linux double_rq_lock), and an affinity change
 * moves a context off a CPU its new mask excludes.
 */
import { TraceKind } from '../../../abi/trace.ts';
import { assert } from '../../../engine/assert.ts';
import type { Cpu } from '../../../hw/cpu.ts';
import { type KernelGen, lock, sendIpi, spend, tryLock, unlock } from '../../../hw/effects.ts';
import { VEC_IPI_SWITCH } from '../../../hw/vectors.ts';
import { type Thread, ThreadState } from '../../thread.ts';
import { bestCpu, type Candidate, MIGRATE_MAX, nextToMove } from './balance.ts';
import { pulledPreempts } from './cfs.ts';
import { dequeueQueued, enqueue } from './classes.ts';
import { entity } from './entity.ts';
import { kick } from './preempt.ts';
import type { RunQueue } from './runqueue.ts';
import type { FairState } from './state.ts';
import { lockAllowed, PLACE_PUSH } from './wakeup.ts';

/**
 * Moves queued `t` from `src` to `dst`, both locked: its vruntime keeps its distance to the
 * queue's minimum (Linux rebases on migration).
 */
export function migrate(s: FairState, src: RunQueue, dst: RunQueue, t: Thread): void {
  assert(t.allowedOn(dst.cpuId), `fair: moving context ${t.id} to CPU ${dst.cpuId} outside its mask`);
  const e = entity(t);
  dequeueQueued(s, src, t);
  src.unweigh(e);
  e.onRq = false;
  e.vruntime += dst.minVruntime - src.minVruntime;
  enqueue(s, dst, dst.cpuId, t);
}

/**
 * Idle stealing (SCHED-4): this CPU has nothing queued. `candidate` is the queue `bestPull`
 * named to take from (select asks it first, so a steal with nowhere to go makes no generator) (the own node's first with NUMA awareness, SCHED-6); its lock is only tried, never
 * waited for (Redox HEAD), and under it contexts move while each move still gains, so one
 * steal can even out a queue that holds many. Returns what this CPU now runs, or null.
 */
export function* steal(s: FairState, rq: RunQueue, candidate: Candidate): KernelGen<Thread | null> {
  const victim = s.rq(candidate.src);
  const got = (yield tryLock(victim.lock)) as boolean;
  if (!got) {
    s.counts.stealLockBusy++;
    return null;
  }
  const moved = pullFrom(s, victim, rq, true);
  if (moved > 0) {
    s.counts.steals++;
    s.counts.stolen += moved;
  }
  yield unlock(victim.lock);
  return rq.pickAllowed();
}

/**
 * Moves contexts from `src` to `dst` (both locked) while it pays; returns how many, and counts
 * those that changed NUMA node.
 */
function pullFrom(s: FairState, src: RunQueue, dst: RunQueue, stealing: boolean): number {
  const topology = s.host.topology;
  const crossNode = topology.nodeOf(src.cpuId) !== topology.nodeOf(dst.cpuId);
  let moved = 0;
  while (moved < MIGRATE_MAX) {
    const t = nextToMove(s.env, src, dst);
    if (t === null) break;
    migrate(s, src, dst, t);
    s.host.traceDecision(TraceKind.FairPull, src.cpuId, t.id);
    moved++;
  }
  if (crossNode && stealing) s.counts.stolenCrossNode += moved;
  else if (crossNode) s.counts.balanceMovesCrossNode += moved;
  return moved;
}

/**
 * Periodic balancing (SCHED-4): every 100 ms each CPU, from its tick, pulls from the queue
 * `bestPull` names. Both run-queue locks are taken, lowest CPU id first (Linux
 * double_rq_lock), and waited for: the spin shows in the report as `lock.rq<n>.spin_ns`.
 * What was pulled runs when the tick's preemption check or the idle loop next picks.
 */
export function* periodicBalance(s: FairState, cpu: Cpu): KernelGen<void> {
  const costs = s.host.board.costs;
  s.counts.balanceRuns++;
  yield spend(s.rqs.length * costs.schedScanPerContextNs);
  const candidate = s.pullCandidate(cpu.id);
  if (candidate === null) return;
  const dst = s.rq(cpu.id);
  const src = s.rq(candidate.src);
  const [first, second] = src.cpuId < dst.cpuId ? [src, dst] : [dst, src];
  yield lock(first.lock);
  yield lock(second.lock);
  const moved = pullFrom(s, src, dst, false);
  yield spend(costs.schedPickNs * Math.max(1, moved));
  yield unlock(second.lock);
  yield unlock(first.lock);
  s.counts.balanceMoves += moved;
  if (moved > 0 && dst.curr !== null && pulledPreempts(s, dst, dst.curr)) s.host.needResched[cpu.id] = 1;
}

/**
 * After a switch on `cpu` (its run-queue lock released): the context switched out because
 * its mask excluded this CPU is queued on the best CPU it is allowed on, and kicked there.
 */
export function* afterSwitch(s: FairState, cpu: Cpu): KernelGen<void> {
  const rq = s.rq(cpu.id);
  const t = rq.pushPending;
  if (t === null) return;
  rq.pushPending = null;
  if (t.state !== ThreadState.Runnable) return; // killed meanwhile
  const target = yield* lockAllowed(s, t, cpu.id, PLACE_PUSH);
  entity(t).vruntime += target.minVruntime - rq.minVruntime;
  enqueue(s, target, target.cpuId, t);
  yield spend(s.host.board.costs.schedPickNs);
  yield unlock(target.lock);
  s.counts.affinityMoves++;
  s.host.traceDecision(TraceKind.FairAffinityMove, target.cpuId, t.id);
  yield* kick(s, cpu, target.cpuId, t);
}

/**
 * sched_setaffinity (SCHED-8): the mask is written under the lock of the run queue `t` is on,
 * as Linux writes it under task_rq_lock, so no pick, steal or balance sees it change midway.
 * Queued on a CPU the new mask excludes, `t` moves at once (the target's lock taken in CPU-id
 * order); running on one, its CPU is told to reschedule, and the switch queues it elsewhere
 * (`putPrev`, then `afterSwitch`). A context on no queue (blocked, new, or being pushed) gets
 * its mask at once; wakeup and start check it again under the target's lock.
 */
export function* setAffinity(s: FairState, cpu: Cpu, t: Thread, mask: Uint8Array | null): KernelGen<void> {
  const e = entity(t);
  for (;;) {
    if (!e.onRq) {
      t.affinity = mask;
      // Still current while it blocks or is pushed away: it is leaving its CPU anyway.
      if (t.running && !t.allowedOn(t.lastCpu)) t.affinityMovePending = true;
      return;
    }
    const src = s.rq(e.rq);
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
      yield* moveRunning(s, cpu, t, src, mask);
      return;
    }
    if (yield* moveQueued(s, cpu, t, src, mask)) return;
  }
}

/** `t` runs on `src` (locked), which `mask` excludes: its CPU reschedules and the switch moves it. */
function* moveRunning(s: FairState, cpu: Cpu, t: Thread, src: RunQueue, mask: Uint8Array): KernelGen<void> {
  t.affinity = mask;
  t.affinityMovePending = true;
  s.host.needResched[src.cpuId] = 1;
  yield unlock(src.lock);
  if (src.cpuId !== cpu.id) yield sendIpi(src.cpuId, VEC_IPI_SWITCH);
}

/**
 * `t` is queued on `src` (locked), which `mask` excludes: moves it to the best CPU the mask
 * allows. The mask is written only once both locks are held, so the context is never queued
 * outside its mask with a lock free. False when `t` changed place while the locks were
 * re-taken in order (the caller starts over); both locks are then released.
 */
function* moveQueued(s: FairState, cpu: Cpu, t: Thread, src: RunQueue, mask: Uint8Array): KernelGen<boolean> {
  const e = entity(t);
  const old = t.affinity;
  t.affinity = mask;
  const dst = s.rq(bestCpu(s.env, s.rqs, t, src.cpuId));
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
      return false;
    }
  }
  t.affinity = mask;
  migrate(s, src, dst, t);
  s.counts.affinityMoves++;
  s.host.traceDecision(TraceKind.FairAffinityMove, dst.cpuId, t.id);
  yield spend(s.host.board.costs.schedPickNs);
  yield unlock(src.lock);
  yield unlock(dst.lock);
  yield* kick(s, cpu, dst.cpuId, t);
  return true;
}
