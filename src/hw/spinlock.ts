/**
 * A spinlock as the hardware sees it: one cache line that CPUs compare-and-swap. A CAS costs a
 * local atomic when the line is in this CPU's cache, plus a transfer from the last holder's core
 * otherwise (models.md §7 costs). When several CPUs spin on a released lock, which CAS lands is
 * a choice of the run's decider (LockRace), offered the spinning CPUs.
 *
 * Each lock also carries its place in the kernel's lock order (kernel/lock-order.ts): a rank,
 * and a subclass that orders locks of one rank (a CPU id, a shard index). The CPU asks
 * `orderCheck`, when one is installed (tests), before it spins for a lock; with none installed
 * the check costs one null test per blocking acquisition.
 */
import { type Candidates, ChoiceKind, type Decider } from '../engine/decider.ts';
import type { CostModel } from './cost-model.ts';
import type { Topology } from './topology.ts';

/** A lock outside the lock order (the kernel's checker refuses to install on one). */
export const LOCK_UNRANKED = 0;

/** Lockdep's question, asked before `cpuId` waits for `l` (a try-lock never waits: not asked). */
export interface LockOrderCheck {
  beforeLock(cpuId: number, l: SpinLock): void;
}

export class SpinLock {
  readonly name: string;
  /** Its class in the lock order: a lock may be waited for only while holding lower ranks. */
  readonly rank: number;
  /** Orders locks of one rank: they nest only in increasing subclass (CPU-id order). */
  readonly subclass: number;
  /** The holder of the lock-order check when one is on (tests), else null. */
  orderCheck: LockOrderCheck | null = null;
  /** The CPU holding it, or -1. */
  holder = -1;
  /** The CPU that last held it: the cache line lives there. */
  lastHolder = -1;
  /** CPUs spinning on it, in arrival order. */
  readonly spinners: number[] = [];
  acquisitions = 0;
  contended = 0;
  spinNs = 0;

  constructor(name: string, rank = LOCK_UNRANKED, subclass = 0) {
    this.name = name;
    this.rank = rank;
    this.subclass = subclass;
  }

  get held(): boolean {
    return this.holder >= 0;
  }

  /** Cost of a CAS on the lock's line from `cpuId`: local, or fetched from the last holder's CPU. */
  lineCostNs(cpuId: number, topology: Topology, costs: CostModel): number {
    const last = this.lastHolder;
    if (last < 0 || last === cpuId) return costs.atomicNs;
    const remote = !topology.samePackage(last, cpuId);
    return costs.atomicNs + (remote ? costs.cacheLineRemoteNs : costs.cacheLineNs);
  }

  /** The CAS of `cpuId`: takes the lock if it is free. */
  tryAcquire(cpuId: number): boolean {
    if (this.holder >= 0) return false;
    this.take(cpuId);
    return true;
  }

  /** `cpuId` now holds the lock and its line. */
  take(cpuId: number): void {
    this.holder = cpuId;
    this.lastHolder = cpuId;
    this.acquisitions++;
  }

  /**
   * The lock was released with CPUs spinning: the spinner whose CAS lands, removed from the
   * spinners. With one spinner there is nothing to choose; with more, the decider is offered them.
   */
  raceWinner(decider: Decider, candidates: Candidates): number {
    const spinners = this.spinners;
    let index = 0;
    if (spinners.length > 1) {
      candidates.clear();
      for (const cpuId of spinners) candidates.addCpu(cpuId);
      index = decider.choose(ChoiceKind.LockRace, spinners.length, candidates);
    }
    const winnerId = spinners[index]!;
    spinners.splice(index, 1);
    return winnerId;
  }
}
