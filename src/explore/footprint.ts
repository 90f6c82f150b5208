/**
 * What a step touches, for the partial-order reduction: the shared objects (a word's address;
 * futex queues share their word's address) it reads or writes. Two steps of different agents
 * are dependent when they touch one object and at least one writes it (same address, same lock
 * word, same futex key: DPOR's dependence relation, Flanagan and Godefroid, POPL 2005); a step
 * with no objects (a buffered store, a fence that waits for nothing, a woken return) is local
 * and commutes with everything.
 *
 * A step may touch only some bits of a word (`bits`, a mask per object; absent: all 32). A
 * fetchOr or fetchAnd whose old value its caller never reads (kernel/boot/words.ts `setBit`,
 * Linux's set_bit/cpumask_set_cpu) writes only its bits and reads nothing it hands back; a spin
 * loop folded into an Await whose condition is `(word & mask) !== 0` reads only `mask` and resumes
 * with `word & mask`. Two such steps on disjoint bits commute: either order leaves the same word
 * and gives each the same result, and neither enables or disables the other. Two RMWs whose old
 * values are read (a fetch-add taking an id, a fetchOr testing a bit) never commute this way: the
 * second sees the first's write.
 */
export interface Footprint {
  readonly objs: readonly number[];
  readonly writes: readonly boolean[];
  /** The bits of each object touched; absent: every bit. */
  readonly bits?: readonly number[];
}

const ALL_BITS = 0xffff_ffff;

export const LOCAL: Footprint = { objs: [], writes: [] };

export function reads(...objs: number[]): Footprint {
  return { objs, writes: objs.map(() => false) };
}

export function writes(obj: number): Footprint {
  return { objs: [obj], writes: [true] };
}

/** Writes of `bits` of `obj` only (an RMW whose old value is not read). */
export function writesBits(obj: number, bits: number): Footprint {
  return { objs: [obj], writes: [true], bits: [bits >>> 0] };
}

/** Reads of `bits` of each of `objs` (an Await on masked words). */
export function readsBits(objs: readonly number[], bits: readonly number[]): Footprint {
  return { objs, writes: objs.map(() => false), bits: bits.map((b) => b >>> 0) };
}

export function dependent(a: Footprint, b: Footprint): boolean {
  for (let i = 0; i < a.objs.length; i++) {
    for (let j = 0; j < b.objs.length; j++) {
      if (a.objs[i] !== b.objs[j] || !(a.writes[i] || b.writes[j])) continue;
      const overlap = ((a.bits?.[i] ?? ALL_BITS) & (b.bits?.[j] ?? ALL_BITS)) !== 0;
      if (overlap) return true;
    }
  }
  return false;
}
