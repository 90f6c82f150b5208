/**
 * A spinlock as the hardware sees it: one cache line that CPUs compare-and-swap. When several
 * CPUs spin on a released lock, which CAS lands is a choice of the run's decider (LockRace).
 */

export class SpinLock {
  readonly name: string;
  /** The CPU holding it, or -1. */
  holder = -1;
  /** The CPU that last held it: the cache line lives there. */
  lastHolder = -1;
  /** CPUs spinning on it, in arrival order. */
  readonly spinners: number[] = [];
  acquisitions = 0;
  contended = 0;
  spinNs = 0;

  constructor(name: string) {
    this.name = name;
  }

  get held(): boolean {
    return this.holder >= 0;
  }
}
