/**
 * Where contexts run, for the `fair` policy (SCHED-4, SCHED-5, SCHED-6, SCHED-8): wakeup and
 * initial placement, which run queue an idle CPU steals from and what it takes, and which
 * contexts the periodic balancer pulls. The decisions are pure functions of a view of the run
 * queues, so they can be tested alone; `migrate.ts` and `wakeup.ts` take the locks and move the
 * contexts.
 *
 * One measure drives every decision: the share of a CPU a context can expect on a run queue,
 * its weight over the queue's load once it is there (CFS shares time by weight), divided by how
 * much slower its memory makes it on that CPU (NUMA only). A move is worth making when the share
 * it gains over one balancing interval outweighs the cache warm-up it pays on arrival
 * (hw/migration.ts, SCHED-5). For equal weights and no NUMA this is Linux's rule of thumb:
 * pull from a queue with n runnable to one with m when n >= m + 2; to an idle CPU when n >= 2.
 * SCHED-4's "more than two runnable to idle ones" is the NUMA case of the same rule: a
 * memory-bound context moved off its memory's node (SLIT 20) runs at half speed, so an idle
 * remote CPU is only worth it when it shares its home CPU with two others.
 *
 * Affinity masks (SCHED-8) are a filter on every candidate: no function here ever proposes a
 * CPU a context is not allowed on.
 */
import { assert } from '../../../engine/assert.ts';
import type { CostModel } from '../../../hw/cost-model.ts';
import { migrationWarmNs } from '../../../hw/migration.ts';
import type { Thread } from '../../thread.ts';
import type { KernelTopology } from '../../topology.ts';
import { PRIO_TO_WEIGHT } from '../weights.ts';

/** The periodic balancer's interval on each CPU (SCHED-4; Red Bear's LOAD_BALANCE_INTERVAL_NS). */
export const BALANCE_INTERVAL_NS = 100_000_000;
/**
 * A context that ran this recently is cache-hot and the balancer leaves it while a colder one
 * will do (Linux `task_hot`: sysctl_sched_migration_cost, 0.5 ms).
 */
export const CACHE_HOT_NS = 500_000;
/** At most this many contexts move in one steal or balance pass (Linux sysctl_sched_nr_migrate). */
export const MIGRATE_MAX = 32;

/** What the placement code needs to know of one run queue. */
export interface RqView {
  readonly cpuId: number;
  /** Runnable contexts on it, queued and current. */
  readonly nrRunning: number;
  /** Sum of their weights. */
  readonly loadWeight: number;
  /** Queued (not running) contexts, in pick order. */
  readonly queue: readonly Thread[];
}

export interface PlacementEnv {
  readonly topology: KernelTopology;
  readonly costs: CostModel;
  /** NUMA awareness (the `numa` option of fair): memory slowdown counts in every decision. */
  readonly numa: boolean;
  readonly nowNs: number;
  /** When a queued context last stopped running (for cache hotness), or -1 if it never ran. */
  lastRanNs(t: Thread): number;
}

export function weightOf(t: Thread): number {
  return PRIO_TO_WEIGHT[t.prio]!;
}

/**
 * How much slower `t` runs on `cpuId` because of where its memory is: 1 + (share of its time
 * stalled on memory) × (d / 10 − 1), the model hw/cpu.ts charges. 1 without NUMA awareness.
 */
export function memorySlowdown(env: PlacementEnv, t: Thread, cpuId: number): number {
  if (!env.numa || t.memNode < 0 || t.memPermille === 0) return 1;
  const distance = env.topology.nodeDistance(env.topology.nodeOf(cpuId), t.memNode);
  return 1 + (t.memPermille * (distance - 10)) / 10_000;
}

/**
 * The share of a CPU `t` can expect on `rq`, counting `t` in the load when it is not there yet.
 */
function share(env: PlacementEnv, t: Thread, rq: RqView, onIt: boolean): number {
  const w = weightOf(t);
  const load = rq.loadWeight + (onIt ? 0 : w);
  return w / load / memorySlowdown(env, t, rq.cpuId);
}

/** The warm-up `t` pays moving from `fromCpu` to `toCpu` (its footprint bounds it). */
function warmNs(env: PlacementEnv, t: Thread, fromCpu: number, toCpu: number): number {
  if (fromCpu < 0) return 0;
  return migrationWarmNs(env.topology, env.costs, fromCpu, toCpu, env.numa, t.lastStintNs);
}

/** The warm-up a move costs, scaled for comparison with CPU shares over one interval. */
function warmShare(env: PlacementEnv, t: Thread, fromCpu: number, toCpu: number): number {
  return warmNs(env, t, fromCpu, toCpu) / BALANCE_INTERVAL_NS;
}

/**
 * The net gain of moving queued `t` from `src` to `dst`: the share it gains over a balancing
 * interval, less its warm-up. Positive means the move is worth it.
 */
export function moveGain(env: PlacementEnv, t: Thread, src: RqView, dst: RqView): number {
  return share(env, t, dst, false) - share(env, t, src, true) - warmShare(env, t, src.cpuId, dst.cpuId);
}

/**
 * The CPU a new or woken context should go to, among those it is allowed on: the one where it
 * can expect the largest share of a CPU, ties going to the cheapest move from `fromCpu` (its
 * last CPU, or its creator's), then to the lowest id.
 */
export function bestCpu(env: PlacementEnv, rqs: readonly RqView[], t: Thread, fromCpu: number): number {
  let best = -1;
  let bestShare = -1;
  let bestWarm = 0;
  for (const rq of rqs) {
    const id = rq.cpuId;
    if (!t.allowedOn(id)) continue;
    const s = share(env, t, rq, false);
    // The warm-up only breaks a tie: not computed for a CPU that loses on share (issue 14: at
    // 256 CPUs every placement asked it of each of them).
    if (best >= 0 && s < bestShare) continue;
    const warm = warmNs(env, t, fromCpu, id);
    if (best < 0 || s > bestShare || warm < bestWarm) {
      best = id;
      bestShare = s;
      bestWarm = warm;
    }
  }
  assert(best >= 0, `balance: context ${t.id} is allowed on no CPU`);
  return best;
}

/**
 * Initial placement (SCHED-4): the least-loaded allowed CPU, ties to the creator's CPU, then
 * the nearest.
 */
export function placeNew(env: PlacementEnv, rqs: readonly RqView[], t: Thread, creatorCpu: number): number {
  let best = -1;
  let bestNr = Number.POSITIVE_INFINITY;
  let bestWarm = 0;
  for (const rq of rqs) {
    const id = rq.cpuId;
    if (!t.allowedOn(id)) continue;
    if (rq.nrRunning > bestNr) continue; // the warm-up only breaks a tie (as in bestCpu)
    const warm = warmNs(env, t, creatorCpu, id);
    if (rq.nrRunning < bestNr || warm < bestWarm) {
      best = id;
      bestNr = rq.nrRunning;
      bestWarm = warm;
    }
  }
  assert(best >= 0, `balance: context ${t.id} is allowed on no CPU`);
  return best;
}

/**
 * Wakeup placement (SCHED-4, SCHED-5): the context's last CPU if it is idle, else the waker's if
 * idle (wake-affine: they likely share data), else the best allowed CPU (`bestCpu`). With NUMA
 * awareness an idle waker's CPU on another node than the context's memory is passed over.
 */
export function selectWakeCpu(
  env: PlacementEnv,
  rqs: readonly RqView[],
  t: Thread,
  wakerCpu: number,
): number {
  const last = t.lastCpu;
  if (last >= 0 && idleFor(rqs, t, last)) return last;
  if (idleFor(rqs, t, wakerCpu) && memorySlowdown(env, t, wakerCpu) === 1) return wakerCpu;
  return bestCpu(env, rqs, t, last >= 0 ? last : wakerCpu);
}

/** CPU `id` runs nothing and `t` may run there. (Not a closure: see Cpu#deliverIpi.) */
function idleFor(rqs: readonly RqView[], t: Thread, id: number): boolean {
  return rqs[id]!.nrRunning === 0 && t.allowedOn(id);
}

/** A queued context worth moving, and from where. */
export interface Candidate {
  src: number;
  thread: Thread;
  gain: number;
}

/**
 * The best context to pull to `dst` from the other queues: the largest gain; among contexts of
 * the same queue, cache-cold ones before hot ones. With NUMA awareness the queues of `dst`'s
 * own node are searched first and another node's only when none of them offers a gain
 * (SCHED-6: stealing stays on its node when it can); the gain already counts the SLIT-scaled
 * warm-up and the remote-memory slowdown. Without it every queue is searched alike.
 */
export function bestPull(env: PlacementEnv, rqs: readonly RqView[], dst: number): Candidate | null {
  const dstRq = rqs[dst]!;
  const node = env.topology.nodeOf(dst);
  let best: Candidate | null = null;
  let bestHot = true;
  let bestRemote = true;
  for (const src of rqs) {
    if (src.cpuId === dst || src.queue.length === 0) continue;
    const remote = env.numa && env.topology.nodeOf(src.cpuId) !== node;
    if (best !== null && remote && !bestRemote) continue;
    for (const t of src.queue) {
      if (!t.allowedOn(dst)) continue;
      const gain = moveGain(env, t, src, dstRq);
      if (gain <= 0) continue;
      const ran = env.lastRanNs(t);
      const hot = ran >= 0 && env.nowNs - ran < CACHE_HOT_NS;
      const better =
        best === null ||
        (bestRemote && !remote) ||
        (remote === bestRemote && ((bestHot && !hot) || (hot === bestHot && gain > best.gain)));
      if (better) {
        best = { src: src.cpuId, thread: t, gain };
        bestHot = hot;
        bestRemote = remote;
      }
    }
  }
  return best;
}

/**
 * The next context to move from `src` to `dst` once a pull between them has begun (both locked):
 * a queued context allowed on `dst` whose move still gains, cache-cold ones first, then the
 * largest gain; null when the two queues are balanced. The caller moves it and asks again, up to
 * MIGRATE_MAX times, so one pull evens the pair out as far as gains allow.
 */
export function nextToMove(env: PlacementEnv, src: RqView, dst: RqView): Thread | null {
  let next: Thread | null = null;
  let nextHot = true;
  let nextGain = 0;
  for (const t of src.queue) {
    if (!t.allowedOn(dst.cpuId)) continue;
    const gain = moveGain(env, t, src, dst);
    if (gain <= 0) continue;
    const ran = env.lastRanNs(t);
    const hot = ran >= 0 && env.nowNs - ran < CACHE_HOT_NS;
    if (next === null || (nextHot && !hot) || (hot === nextHot && gain > nextGain)) {
      next = t;
      nextHot = hot;
      nextGain = gain;
    }
  }
  return next;
}
