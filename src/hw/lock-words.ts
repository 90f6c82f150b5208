/**
 * The memory a queued (MCS) kernel lock's code works on (models-2.md §13.1, SCHED-10): 32-bit
 * words in 64-byte cache lines, each line remembering the CPU that touched it last, so an access
 * costs a local atomic or a line transfer from that CPU (the same figures as SpinLock's line:
 * `atomicNs`, plus `cacheLineNs` within a package or `cacheLineRemoteNs` across). A CPU spinning
 * on a word (`watch`) is told when another CPU writes it, instead of re-reading it every few
 * nanoseconds: the spin loop folded into one wait, as hw/spinlock.ts folds a CAS spin.
 *
 * The machine is sequentially consistent (hw/cpu.ts #ordered): a write is visible to every CPU
 * at once, and the ordering tags of the lock code matter only under the explorer's store
 * buffers (src/explore/store-buffers.ts), which run the same code (explore/models/mcs.ts).
 * These words are kernel-private: no address space maps them and guests cannot reach them.
 */
import { AtomicOp } from '../abi/effects.ts';
import type { CostModel } from './cost-model.ts';
import type { Topology } from './topology.ts';

/** Bytes per cache line, and per lock-word line (a node or a tail gets a line of its own). */
export const LOCK_LINE_BYTES = 64;

/** A CPU waiting on a word: told when it is written (hw/cpu.ts `wordWritten`). */
export interface WordWatcher {
  readonly id: number;
  /** `visibleAfterNs`: the writer's access is still completing for that long. */
  wordWritten(mem: LockWords, addr: number, visibleAfterNs: number): void;
}

export class LockWords {
  readonly #words = new Map<number, number>();
  /** Line index (addr / 64) to the CPU that touched it last; absent: nobody yet. */
  readonly #lastCpu = new Map<number, number>();
  readonly #watchers = new Map<number, WordWatcher[]>();
  #nextLine = 0;
  /** Accesses made, and how many paid a line transfer (a test can check the figures). */
  accesses = 0;
  transfers = 0;

  /** A fresh run of `lines` cache lines; returns its first byte address. */
  allocLines(lines: number): number {
    const base = this.#nextLine * LOCK_LINE_BYTES;
    this.#nextLine += lines;
    return base;
  }

  read(addr: number): number {
    return this.#words.get(addr) ?? 0;
  }

  /**
   * The cost of an access by `cpuId` (the line comes to it), recorded as its touch: a local
   * atomic, or that plus the transfer from the CPU that touched the line last.
   */
  touchNs(cpuId: number, addr: number, topology: Topology, costs: CostModel): number {
    const line = Math.floor(addr / LOCK_LINE_BYTES);
    const last = this.#lastCpu.get(line);
    this.#lastCpu.set(line, cpuId);
    this.accesses++;
    if (last === undefined || last === cpuId) return costs.atomicNs;
    this.transfers++;
    return costs.atomicNs + (topology.samePackage(last, cpuId) ? costs.cacheLineNs : costs.cacheLineRemoteNs);
  }

  /** Whether `cpuId` touched the line of `addr` last (an access costs only a local atomic). */
  lineLocal(cpuId: number, addr: number): boolean {
    const last = this.#lastCpu.get(Math.floor(addr / LOCK_LINE_BYTES));
    return last === undefined || last === cpuId;
  }

  /** Writes a word and tells its watcher, if it has one (after the write: it re-reads). */
  write(addr: number, value: number, visibleAfterNs = 0): void {
    this.#words.set(addr, value);
    const watchers = this.#watchers.get(addr);
    if (watchers === undefined) return;
    // In the order they began to spin; a copy, as a satisfied watcher unwatches itself.
    for (const w of [...watchers]) w.wordWritten(this, addr, visibleAfterNs);
  }

  /**
   * A load, store or read-modify-write of the lock code; returns the word's old value (a load's
   * value). A write that changes nothing still tells the watcher (it re-reads and re-checks).
   */
  apply(kind: AtomicOp, addr: number, a: number, b: number, visibleAfterNs: number): number {
    const old = this.read(addr);
    switch (kind) {
      case AtomicOp.Load:
        return old;
      case AtomicOp.Store:
      case AtomicOp.Exchange:
        this.write(addr, a, visibleAfterNs);
        return old;
      case AtomicOp.CompareExchange:
        if (old === a) this.write(addr, b, visibleAfterNs);
        return old;
      case AtomicOp.FetchAdd:
        this.write(addr, (old + a) | 0, visibleAfterNs);
        return old;
      default:
        throw new Error(`lock words: atomic kind ${kind} is not used by the lock code`);
    }
  }

  /**
   * `w` spins on `addr` until it is written. An MCS node's word has one spinner, its owner; a
   * ticket lock's `owner` word has every waiter, each told of each write (only the one whose
   * ticket comes up goes on: the others' re-reads of the line are not charged).
   */
  watch(addr: number, w: WordWatcher): void {
    const list = this.#watchers.get(addr);
    if (list === undefined) this.#watchers.set(addr, [w]);
    else if (list.includes(w))
      throw new Error(`lock words: cpu ${w.id} already spins on 0x${addr.toString(16)}`);
    else list.push(w);
  }

  unwatch(addr: number, w: WordWatcher): void {
    const list = this.#watchers.get(addr);
    if (list === undefined) return;
    const i = list.indexOf(w);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#watchers.delete(addr);
  }
}
