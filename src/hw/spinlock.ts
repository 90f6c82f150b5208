/**
 * A spinlock as the hardware sees it: one cache line that CPUs compare-and-swap. When several
 * CPUs spin on a released lock, which CAS lands is a choice of the run's decider (LockRace).
 *
 * Each lock also carries its place in the kernel's lock order (kernel/lock-order.ts): a rank,
 * and a subclass that orders locks of one rank (a CPU id, a shard index). The CPU asks
 * `orderCheck`, when one is installed (tests), before it spins for a lock; with none installed
 * the check costs one null test per blocking acquisition.
 */

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
}
