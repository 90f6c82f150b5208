/**
 * The state the parts of the `fair` policy share: the kernel's host interface, the per-CPU run
 * queues, the tunables' CPU-count scale, the view the placement decisions read (`balance.ts`),
 * and the policy's counters. Each part of the policy (`cfs.ts`, `classes.ts`, `push-pull.ts`,
 * `migrate.ts`, `wakeup.ts`, `tick.ts`) is a set of functions over this one record, as Linux's
 * sched/*.c files are functions over the per-CPU `struct rq`s.
 */
import { assert } from '../../../engine/assert.ts';
import type { SchedHost } from '../policy.ts';
import { BALANCE_INTERVAL_NS, bestPull, type Candidate, type PlacementEnv } from './balance.ts';
import { entity } from './entity.ts';
import { QueuedCount, RunQueue } from './runqueue.ts';

export interface FairOptions {
  /** NUMA awareness (SCHED-6): prefer the own node when stealing, count SLIT costs. */
  numa: boolean;
}

/** What the policy counts for the report (`stats()` names them). */
export interface FairCounts {
  /** Idle steals that took something, and the contexts they took. */
  steals: number;
  stolen: number;
  /** Of the contexts stolen or pulled by the balancer, those that changed NUMA node (SCHED-6). */
  stolenCrossNode: number;
  balanceMovesCrossNode: number;
  /** Steals abandoned because the victim's lock was busy (try-lock). */
  stealLockBusy: number;
  /** Periodic balance passes run, and the contexts they moved. */
  balanceRuns: number;
  balanceMoves: number;
  /** Contexts moved because an affinity change excluded their CPU (SCHED-8). */
  affinityMoves: number;
  wakeIpis: number;
  /** RT and deadline contexts pulled by a CPU about to run less important work, and pushes. */
  rtPulls: number;
  rtPushes: number;
}

/**
 * The CPU `lowerCpu` (push-pull.ts) is choosing and what it has seen, kept here so the search
 * allocates nothing per call.
 */
export interface LowerSearch {
  best: number;
  bestPrio: number;
  bestDeadline: number;
}

export class FairState {
  readonly host: SchedHost;
  readonly rqs: RunQueue[];
  /** Fair contexts queued on any of `rqs` (RunQueue's inserts and removals keep it). */
  readonly queuedAll = new QueuedCount();
  /** 1 + ilog2(min(ncpus, 8)): Linux's SCHED_TUNABLESCALING_LOG factor. */
  readonly scale: number;
  readonly env: PlacementEnv;
  /** Per CPU: when its next periodic balance is due. */
  readonly nextBalanceNs: Float64Array;
  /** RT and deadline contexts queued (not running, not throttled) on all run queues. */
  classQueued = 0;
  readonly counts: FairCounts = {
    steals: 0,
    stolen: 0,
    stolenCrossNode: 0,
    balanceMovesCrossNode: 0,
    stealLockBusy: 0,
    balanceRuns: 0,
    balanceMoves: 0,
    affinityMoves: 0,
    wakeIpis: 0,
    rtPulls: 0,
    rtPushes: 0,
  };
  readonly lower: LowerSearch = { best: -1, bestPrio: 0, bestDeadline: 0 };

  constructor(host: SchedHost, options: FairOptions) {
    this.host = host;
    const cpus = host.cpus.length;
    assert(cpus >= 1 && host.needResched.length === cpus, 'fair: a host without CPUs or flags for each');
    this.rqs = Array.from({ length: cpus }, (_, id) => new RunQueue(id, this.queuedAll));
    this.scale = 1 + Math.floor(Math.log2(Math.min(cpus, 8)));
    this.nextBalanceNs = new Float64Array(cpus).fill(BALANCE_INTERVAL_NS);
    const board = host.board;
    this.env = {
      topology: host.topology,
      costs: board.costs,
      numa: options.numa,
      get nowNs() {
        return board.engine.nowNs;
      },
      lastRanNs: (t) => entity(t).lastRanNs,
    };
  }

  nowNs(): number {
    return this.host.board.engine.nowNs;
  }

  /** The run queue of `cpuId`. */
  rq(cpuId: number): RunQueue {
    return this.rqs[cpuId]!;
  }

  /**
   * What `cpuId` would pull (balance.ts bestPull), or null; null at once when no run queue holds
   * a queued context, which bestPull would read every queue to find out.
   */
  pullCandidate(cpuId: number): Candidate | null {
    return this.queuedAll.n === 0 ? null : bestPull(this.env, this.rqs, cpuId);
  }
}
