/**
 * The kernel's per-CPU switch and preemption state, one slot per CPU id, owned by the kernel
 * and written by the switch path (sched/switch.ts) and the tick (tick.ts). The need-resched
 * flags stay on the kernel itself: they are the scheduler interface's (`SchedHost`).
 */
export class KernelCpuState {
  /**
   * The cache warm-up the context just switched in still has to pay (SCHED-5). It is spent
   * after the switch lock is released: the misses happen as the context runs, not inside the
   * switch.
   */
  readonly pendingWarmNs: Float64Array;
  /** The address space loaded in the CPU's CR3 (the switch accounting, sched/switch.ts). */
  readonly loadedAsid: Int32Array;
  /** A tick wanted to preempt while preempt locks were held (tick.ts). */
  readonly preemptDeferred: Uint8Array;

  constructor(cpus: number) {
    this.pendingWarmNs = new Float64Array(cpus);
    this.loadedAsid = new Int32Array(cpus);
    this.preemptDeferred = new Uint8Array(cpus);
  }
}
