/**
 * The memory models' store buffers. SC has none: a store writes memory at once. x86-TSO
 * (Sewell et al., "x86-TSO", CACM 2010) gives each CPU one FIFO buffer: a store enters it, a
 * load forwards from the CPU's own newest buffered store to that address, the buffer drains to
 * memory in order at moments the explorer chooses, and MFENCE or a locked instruction waits for
 * it to empty. PSO (SPARC v9's partial store order) keeps one FIFO per address, so stores to
 * different addresses drain in any order, unless a release store or fence orders them: each
 * entry carries the CPU's release epoch, and an entry drains only when no entry of an earlier
 * epoch is still buffered (a release publishes everything before it).
 */
import type { MemoryModelName } from './model.ts';

export interface BufferedStore {
  addr: number;
  value: number;
  epoch: number;
  /** Trace index of the step that buffered it (a drain happens after it). */
  stepIndex: number;
}

export class StoreBuffers {
  readonly model: MemoryModelName;
  /** Per thread, its buffered stores in program order. */
  readonly entries: BufferedStore[][];
  readonly #epoch: number[];

  constructor(model: MemoryModelName, threads: number) {
    this.model = model;
    this.entries = Array.from({ length: threads }, () => []);
    this.#epoch = new Array<number>(threads).fill(0);
  }

  get buffered(): boolean {
    return this.model !== 'sc';
  }

  empty(thread: number): boolean {
    return this.entries[thread]!.length === 0;
  }

  /** The thread's newest buffered value for `addr`, or undefined. */
  forward(thread: number, addr: number): number | undefined {
    const list = this.entries[thread]!;
    for (let i = list.length - 1; i >= 0; i--) if (list[i]!.addr === addr) return list[i]!.value;
    return undefined;
  }

  /** A release store or fence: later stores drain only after everything buffered before it. */
  releaseFence(thread: number): void {
    if (this.model === 'pso') this.#epoch[thread]!++;
  }

  push(thread: number, addr: number, value: number, stepIndex: number): void {
    this.entries[thread]!.push({ addr, value, epoch: this.#epoch[thread]!, stepIndex });
  }

  /**
   * The drainable entries of `thread`: TSO the oldest; PSO the oldest of each address whose
   * epoch is the thread's oldest buffered epoch. Returned as indexes into its list.
   */
  drainable(thread: number): number[] {
    const list = this.entries[thread]!;
    if (list.length === 0) return [];
    if (this.model === 'tso') return [0];
    const minEpoch = list[0]!.epoch;
    const out: number[] = [];
    const seen = new Set<number>();
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      if (seen.has(e.addr)) continue;
      seen.add(e.addr);
      if (e.epoch === minEpoch) out.push(i);
    }
    return out;
  }

  /** Removes and returns the entry at `index` of `thread`'s list. */
  take(thread: number, index: number): BufferedStore {
    return this.entries[thread]!.splice(index, 1)[0]!;
  }
}
