/**
 * Bits only one thread ever changes (a model's declaration, checked on every write), which lets
 * DPOR skip a reversal no schedule can make. FG-DPOR's race step (dpor.ts `analyseRaces`), when
 * a thread's pending Await was not enabled before the step that last wrote its word, adds every
 * agent enabled there: some other agent might make the wait true first (Flanagan and Godefroid,
 * POPL 2005, the case of a disabled process). When every bit the Await reads is owned by the
 * writer of that step, nothing else can change them, and the writer's next step is that very
 * write: from the state before it the Await stays disabled until it, so no agent need be added.
 * On the real bring-up code this is each AP's start word (the BSP's SIPI), its callin and online
 * bits (the AP's own) and its callout bit (the BSP's): without it, each AP's start makes DPOR try
 * every other agent before it and the search is sleep-blocked thousands of times (k1-fixed with 5
 * APs: 2,693 executions for 120 orders of the fetch-adds).
 *
 * A write by another thread that changes an owned bit breaks the declaration: the run ends with
 * an assertion naming the word, so the reduction can never hide it.
 */
import type { AwaitEffect } from './model.ts';

export interface OwnedBits {
  addr: number;
  bits: number;
  /** The thread (index) that alone changes `bits` of `addr`. */
  writer: number;
}

const ALL_BITS = 0xffff_ffff;

export class Ownership {
  readonly #byAddr = new Map<number, OwnedBits[]>();

  constructor(owned: readonly OwnedBits[]) {
    for (const o of owned) {
      const list = this.#byAddr.get(o.addr) ?? [];
      list.push({ ...o, bits: o.bits >>> 0 });
      this.#byAddr.set(o.addr, list);
    }
  }

  /** The owner of bits `old ^ value` of `addr` that `thread` changed without owning them, or -1. */
  trespass(thread: number, addr: number, old: number, value: number): number {
    const list = this.#byAddr.get(addr);
    if (list === undefined) return -1;
    const changed = (old ^ value) >>> 0;
    for (const o of list) if (o.writer !== thread && (o.bits & changed) !== 0) return o.writer;
    return -1;
  }

  /** Whether every bit `e` reads is owned by `writer`. */
  ownsAwait(e: AwaitEffect, writer: number): boolean {
    return e.addrs.every((addr, k) => {
      const want = (e.masks?.[k] ?? ALL_BITS) >>> 0;
      let covered = 0;
      for (const o of this.#byAddr.get(addr) ?? []) if (o.writer === writer) covered |= o.bits;
      return (covered & want) >>> 0 === want;
    });
  }
}
