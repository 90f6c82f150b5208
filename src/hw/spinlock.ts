/**
 * A spinlock as the hardware sees it: one cache line that CPUs compare-and-swap. A CAS costs a
 * local atomic when the line is in this CPU's cache, plus a transfer from the last holder's core
 * otherwise (models.md §7 costs). When several CPUs spin on a released lock, which CAS lands is
 * a choice of the run's decider (LockRace), offered the spinning CPUs.
 *
 * That is a test-and-set lock (`[kernel] locks = "tas"`, the default): not FIFO, and not a
 * ticket lock (a ticket lock hands over in arrival order). `locks = "mcs"` and `locks = "ticket"`
 * install a queued lock (`queued`, below: kernel/locks/) whose code the CPU runs instead.
 *
 * Each lock also carries its place in the kernel's lock order (kernel/lock-order.ts): a rank,
 * and a subclass that orders locks of one rank (a CPU id, a shard index). The CPU asks
 * `orderCheck`, when one is installed (tests), before it spins for a lock; with none installed
 * the check costs one null test per blocking acquisition.
 */
import { type Candidates, ChoiceKind, type Decider } from '../engine/decider.ts';
import { removeAt } from '../engine/sorted-array.ts';
import type { CostModel } from './cost-model.ts';
import type { KernelGen } from './effects.ts';
import type { Topology } from './topology.ts';

/** A lock outside the lock order (the kernel's checker refuses to install on one). */
export const LOCK_UNRANKED = 0;

/** Lockdep's question, asked before `cpuId` waits for `l` (a try-lock never waits: not asked). */
export interface LockOrderCheck {
  beforeLock(cpuId: number, l: SpinLock): void;
}

/**
 * A lock whose acquire and release are code over shared words (the kernel's MCS lock,
 * kernel/locks/mcs-lock.ts) instead of this file's one CAS word: the CPU runs that code as a
 * kernel frame when it meets a Lock, TryLock or Unlock of a SpinLock that has one, and keeps
 * the SpinLock's holder, counts and lock-order check as for the CAS lock.
 */
export interface QueuedLock {
  /** Returns whether it had to wait (the lock was held when it queued). */
  acquire(cpuId: number): KernelGen<boolean>;
  /** Resumes with whether the lock was taken (never waits). */
  tryAcquire(cpuId: number): KernelGen<boolean>;
  release(cpuId: number): KernelGen<void>;
  /** Free, with every word an uncontended acquire by `cpuId` touches on its cache (idle folds). */
  localTo(cpuId: number): boolean;
}

export class SpinLock {
  readonly name: string;
  /** Its class in the lock order: a lock may be waited for only while holding lower ranks. */
  readonly rank: number;
  /** Orders locks of one rank: they nest only in increasing subclass (CPU-id order). */
  readonly subclass: number;
  /** The queued-lock code that replaces the CAS word (`[kernel] locks = "mcs"`), or null. */
  queued: QueuedLock | null = null;
  /** The holder of the lock-order check when one is on (tests), else null. */
  orderCheck: LockOrderCheck | null = null;
  /** The CPU holding it, or -1. */
  holder = -1;
  /** CPUs inside a queued lock's acquire code (queuedLock, queuedTryLock). */
  acquiring = 0;
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

  /**
   * Held, or a queued lock's acquire code is running on some CPU: a CPU that made a context
   * runnable and then takes a run-queue lock is mid-operation from its first word access on, as
   * a CAS lock's one-step acquire makes it at once (the kernel invariants skip held queues).
   */
  get held(): boolean {
    return this.holder >= 0 || this.acquiring > 0;
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
    removeAt(spinners, index);
    return winnerId;
  }
}

/** A Lock of a queued lock, as the CPU runs it: the lock's code, then the holder's bookkeeping. */
export function* queuedLock(l: SpinLock, q: QueuedLock, cpuId: number): KernelGen<void> {
  l.acquiring++;
  if (yield* q.acquire(cpuId)) l.contended++;
  l.acquiring--;
  l.take(cpuId);
}

export function* queuedTryLock(l: SpinLock, q: QueuedLock, cpuId: number): KernelGen<boolean> {
  l.acquiring++;
  const taken = yield* q.tryAcquire(cpuId);
  l.acquiring--;
  if (taken) l.take(cpuId);
  return taken;
}

/** The holder lets go first: a successor may take it while this release is still finishing. */
export function* queuedUnlock(l: SpinLock, q: QueuedLock, cpuId: number): KernelGen<void> {
  l.holder = -1;
  yield* q.release(cpuId);
}
