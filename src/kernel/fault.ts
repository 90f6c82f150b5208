/**
 * Fault injection (SCHED-9): kernel faults raised on purpose inside a switch, so that their
 * unwinding paths are under test, and the plan saying which schedule() calls raise one.
 */
export class InjectedKernelFault extends Error {
  override name = 'InjectedKernelFault';
}

/** The schedule() calls (numbered from 1 over all CPUs) chosen to fault, and the count so far. */
export class SwitchFaultPlan {
  readonly #faultAt: ReadonlySet<number>;
  #calls = 0;

  constructor(ordinals: readonly number[]) {
    this.#faultAt = new Set(ordinals);
  }

  /** schedule() calls so far. */
  get calls(): number {
    return this.#calls;
  }

  /** Whether any fault is planned (then every schedule() call counts: nothing may be folded). */
  get armed(): boolean {
    return this.#faultAt.size > 0;
  }

  /** Counts one schedule() call and returns its ordinal. */
  countCall(): number {
    return ++this.#calls;
  }

  /**
   * Whether the call with this ordinal is one chosen for an injected fault. The ordinal is the
   * call's own: under a global switch lock other CPUs count their calls while this one waits
   * for the lock, so the count at the check is not this call's.
   */
  due(ordinal: number): boolean {
    return this.#faultAt.size > 0 && this.#faultAt.has(ordinal);
  }
}
