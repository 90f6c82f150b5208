/**
 * Where RT and deadline contexts run in the `fair` policy (SCHED-7), as Linux spreads them: a
 * waking one goes to a CPU that runs less important work (select_task_rq_rt /
 * select_task_rq_dl), a CPU about to run less important work pulls one queued elsewhere
 * (pull_rt_task / pull_dl_task), and a preempted one is pushed by asking such a CPU to
 * reschedule, and so to pull it (push_rt_task carried out as RT_PUSH_IPI does, by the CPU that
 * gains it). The pull takes the other queue's lock with a try-lock, as idle stealing does.
 */
import { TraceKind } from '../../../abi/trace.ts';
import { assert } from '../../../engine/assert.ts';
import type { Cpu } from '../../../hw/cpu.ts';
import { type KernelGen, tryLock, unlock } from '../../../hw/effects.ts';
import { effectivePrio, type Thread } from '../../thread.ts';
import { dequeueQueued, syncDl } from './classes.ts';
import { CLASS_DL, CLASS_FAIR, CLASS_RT, classOf, dlKey, entity, outranks } from './entity.ts';
import { reschedCpu } from './preempt.ts';
import type { RunQueue } from './runqueue.ts';
import type { FairState } from './state.ts';

/** Another run queue holds a queued RT or deadline context that may run on `cpuId`. */
export function pullable(s: FairState, cpuId: number): boolean {
  for (let id = 0; id < s.rqs.length; id++) {
    const other = s.rq(id);
    if (id === cpuId || other.dl.count + other.rt.count === 0) continue;
    if (other.firstDlAllowed(cpuId) !== null || other.rt.findAllowed(cpuId) !== null) return true;
  }
  return false;
}

/**
 * The most important deadline or RT context for `cpu` (its run queue `rq` locked): its own
 * queues' best, or a queued one pulled from another run queue when that one outranks it. The
 * context is taken off its queue; null when there is none.
 */
export function* pickClass(s: FairState, cpu: Cpu, rq: RunQueue): KernelGen<Thread | null> {
  let best = rq.dl.first() ?? (rq.rt.throttled ? null : rq.rt.first());
  let from = rq;
  const candidate = s.classQueued > rq.dl.count + rq.rt.count ? bestRemote(s, rq, best) : null;
  if (candidate !== null) {
    const victim = s.rq(entity(candidate).rq);
    const got = (yield tryLock(victim.lock)) as boolean;
    if (got) {
      const e = entity(candidate);
      if (e.onRq && e.rq === victim.cpuId && victim.curr !== candidate) {
        best = candidate;
        from = victim;
        s.counts.rtPulls++;
        s.host.traceDecision(TraceKind.FairRtPull, e.rq, candidate.id);
      }
      if (from !== victim) yield unlock(victim.lock);
    }
  }
  if (best === null) return null;
  dequeueQueued(s, from, best);
  if (from !== rq) {
    entity(best).rq = cpu.id;
    yield unlock(from.lock);
  }
  return best;
}

/**
 * The queued RT or deadline context of another run queue that may run on `rq`'s CPU and
 * outranks `localBest` (and every other such candidate), or null. Read without the other
 * queues' locks: the pull checks it again under the victim's lock.
 */
function bestRemote(s: FairState, rq: RunQueue, localBest: Thread | null): Thread | null {
  let candidate: Thread | null = null;
  for (const other of s.rqs) {
    if (other === rq || other.dl.count + other.rt.count === 0) continue;
    let c = other.firstDlAllowed(rq.cpuId);
    if (c === null && !rq.rt.throttled) c = other.rt.findAllowed(rq.cpuId);
    if (c === null) continue;
    const target = candidate ?? localBest;
    if (target === null || outranks(c, target)) candidate = c;
  }
  return candidate;
}

/**
 * An RT or deadline context just lost `cpu` while still runnable: if another CPU runs less
 * important work, ask it to reschedule, and it pulls the context.
 */
export function* push(s: FairState, cpu: Cpu, t: Thread): KernelGen<void> {
  const e = entity(t);
  if (e.klass === CLASS_FAIR || (e.klass === CLASS_RT && s.rq(cpu.id).rt.throttled)) return;
  if (e.klass === CLASS_DL && e.dlThrottled) return;
  const target = lowerCpu(s, t, cpu.id);
  if (target < 0) return;
  s.counts.rtPushes++;
  yield* reschedCpu(s, cpu, target);
}

/**
 * The allowed CPU other than `exceptCpu` whose work `t` outranks most clearly (the lowest
 * cpupri; idle lowest of all; for a deadline context a CPU without deadline work, else the
 * latest deadline), or -1 when `t` outranks nothing anywhere. Ties go to `t`'s last CPU, then
 * the lowest id.
 */
export function lowerCpu(s: FairState, t: Thread, exceptCpu: number): number {
  const search = s.lower;
  search.best = -1;
  search.bestPrio = entity(t).klass === CLASS_DL ? -1 : entity(t).prio;
  search.bestDeadline = dlKey(t);
  if (t.lastCpu >= 0) considerLower(s, t, t.lastCpu, exceptCpu);
  for (let id = 0; id < s.rqs.length; id++) if (id !== t.lastCpu) considerLower(s, t, id, exceptCpu);
  return search.best;
}

/** One step of `lowerCpu`: CPU `id` replaces the best so far when `t` outranks its work more. */
function considerLower(s: FairState, t: Thread, id: number, exceptCpu: number): void {
  if (id === exceptCpu || !t.allowedOn(id)) return;
  const search = s.lower;
  const rq = s.rq(id);
  const p = rq.prio();
  if (p > search.bestPrio) {
    search.best = id;
    search.bestPrio = p;
    search.bestDeadline = dlKey(t);
  } else if (p === -1 && search.bestPrio === -1 && entity(t).klass === CLASS_DL) {
    // Both run deadline work: the later earliest deadline loses the CPU (cpudl).
    const d = rq.earliestDeadline();
    if (d > search.bestDeadline) {
      search.best = id;
      search.bestDeadline = d;
    }
  }
}

/**
 * Wakeup placement of RT and deadline contexts (select_task_rq_rt / select_task_rq_dl): stay
 * on the last CPU unless it runs something at least as important, else take the CPU with the
 * least important work that `t` outranks. Null for a fair context (the fair placement decides).
 */
export function classTarget(s: FairState, t: Thread, wakerCpu: number, wakeup: boolean): number | null {
  const klass = classOf(t);
  if (klass === CLASS_FAIR) return null;
  const e = entity(t);
  e.klass = klass; // for the comparisons below; enqueue sets it for good
  e.prio = effectivePrio(t);
  if (klass === CLASS_DL) syncDl(s, t, wakeup); // rank by the deadline the wakeup gives it
  const home = t.lastCpu >= 0 && t.allowedOn(t.lastCpu) ? t.lastCpu : wakerCpu;
  if (t.allowedOn(home)) {
    const curr = s.rq(home).curr;
    const blocked = curr !== null && entity(curr).klass !== CLASS_FAIR && !outranks(t, curr);
    if (!blocked) return home;
  }
  const lower = lowerCpu(s, t, -1);
  if (lower >= 0) return lower;
  return t.allowedOn(home) ? home : leastLoaded(s, t, wakerCpu);
}

/** The allowed CPU with the fewest runnable contexts; ties go to `preferCpu`, then the lowest id. */
function leastLoaded(s: FairState, t: Thread, preferCpu: number): number {
  let best = -1;
  let bestLoad = Number.POSITIVE_INFINITY;
  if (t.allowedOn(preferCpu)) {
    best = preferCpu;
    bestLoad = s.rq(preferCpu).nrRunning;
  }
  for (let id = 0; id < s.rqs.length; id++) {
    const load = s.rq(id).nrRunning;
    if (t.allowedOn(id) && load < bestLoad) {
      best = id;
      bestLoad = load;
    }
  }
  assert(best >= 0, 'fair: context allowed on no CPU');
  return best;
}
