/**
 * One CPU's TLB: a small first level and a larger second level, each set-associative with LRU
 * replacement, entries tagged with a PCID and a global bit (Intel SDM vol. 3A §4.10). An entry
 * stays until this CPU drops it — INVLPG, a CR3 write, eviction — so a translation the kernel
 * changed without a shootdown keeps reading the old frame, as on hardware.
 *
 * Default sizes are Skylake's data TLB (64 entries, 4-way) and STLB (1536 entries, 12-way),
 * Intel 64 and IA-32 Architectures Optimization Reference Manual §2.2 (Skylake), overridable in
 * the topology. A walk fills both levels; a second-level hit is copied into the first.
 *
 * A one-entry cache of the last hit sits in front, so a loop over one page pays one compare: it
 * is the first level's most recently used entry, so LRU order is the same with or without it,
 * and every flush and fill clears it.
 */
import { assert } from '../engine/assert.ts';
import { PTE_D, PTE_G, PTE_RW } from './page-table.ts';

export interface TlbSpec {
  l1Entries: number;
  l1Ways: number;
  l2Entries: number;
  l2Ways: number;
}

export const TLB_DEFAULTS: Readonly<TlbSpec> = { l1Entries: 64, l1Ways: 4, l2Entries: 1536, l2Ways: 12 };

const EMPTY = -1;
const WRITE_OK = PTE_RW | PTE_D;
/**
 * A software-only tag on an entry (bit 9, one the SDM leaves to software in a PTE): the frame it
 * maps was freed while the entry lived. Hardware has no such bit; the simulator sets it to see
 * a use-after-unmap, which on hardware reads whatever the frame holds now.
 */
export const TLB_STALE = 1 << 9;

/** A read or write through a stale entry: the CPU's TLB reports it here (see TLB_STALE). */
export type StaleHit = (vpn: number, pcid: number, frame: number, write: boolean) => void;

/**
 * Classes of page numbers a TLB keeps live counts of: vpn & MASK. An enum member, which the
 * bundle writes as its value at each use (a module-level const would be a context load on the
 * fill path; event-calendar.ts says why).
 */
enum Classes {
  COUNT = 32,
  MASK = 31,
}

/**
 * How many live entries of each page class (vpn mod 32) a TLB holds, both levels together, and
 * the classes with any as a bit mask: an INVLPG of a page whose class has none drops nothing and
 * need not look at the sets. A shootdown INVLPGs on every CPU of an address space's set, where
 * most TLBs hold a handful of entries (issue 14: 256-CPU thread creation spent a tenth of its time
 * reading cold TLB sets to find nothing).
 */
class TlbClasses {
  readonly counts = new Uint16Array(Classes.COUNT);
  mask = 0;

  add(vpn: number): void {
    const c = vpn & Classes.MASK;
    if (this.counts[c]!++ === 0) this.mask |= 1 << c;
  }

  remove(vpn: number): void {
    const c = vpn & Classes.MASK;
    if (--this.counts[c]! === 0) this.mask &= ~(1 << c);
  }

  has(vpn: number): boolean {
    return (this.mask & (1 << (vpn & Classes.MASK))) !== 0;
  }
}

/** One set-associative level: parallel arrays, `sets * ways` slots. */
class TlbLevel {
  readonly sets: number;
  readonly ways: number;
  readonly vpn: Float64Array;
  readonly pcid: Int32Array;
  readonly frame: Float64Array;
  readonly flags: Int32Array;
  readonly used: Float64Array;
  /** sets - 1 when sets is a power of two, else -1 (see #base). */
  readonly #setMask: number;
  readonly #classes: TlbClasses;

  constructor(entries: number, ways: number, classes: TlbClasses) {
    this.#classes = classes;
    assert(entries >= ways && ways >= 1 && entries % ways === 0, 'tlb: entries must be a multiple of ways');
    this.sets = entries / ways;
    this.ways = ways;
    this.vpn = new Float64Array(entries).fill(EMPTY);
    this.pcid = new Int32Array(entries);
    this.frame = new Float64Array(entries);
    this.flags = new Int32Array(entries);
    this.used = new Float64Array(entries);
    this.#setMask = (this.sets & (this.sets - 1)) === 0 ? this.sets - 1 : -1;
  }

  /**
   * The first slot of vpn's set. User page numbers reach 2^35 (48-bit addresses), where `%` is a
   * floating-point remainder; for a power-of-two set count the low bits give the same set, and
   * `&` keeps the low 32 bits of any integer below 2^53.
   */
  #base(vpn: number): number {
    return (this.#setMask >= 0 ? vpn & this.#setMask : vpn % this.sets) * this.ways;
  }

  /** The slot holding (vpn, pcid) — or a global entry for vpn — or -1. */
  find(vpn: number, pcid: number): number {
    const base = this.#base(vpn);
    for (let s = base; s < base + this.ways; s++) {
      if (this.vpn[s] === vpn && (this.pcid[s] === pcid || (this.flags[s]! & PTE_G) !== 0)) return s;
    }
    return -1;
  }

  /** Puts the entry in its set: over the same (vpn, pcid), else an empty slot, else the LRU one. */
  fill(vpn: number, pcid: number, frame: number, flags: number, stamp: number): void {
    const base = this.#base(vpn);
    let victim = -1;
    for (let s = base; s < base + this.ways; s++) {
      if (this.vpn[s] === vpn && this.pcid[s] === pcid) {
        victim = s; // the same translation again: replace it, never hold two
        break;
      }
      if (victim >= 0 && this.vpn[victim] === EMPTY) continue; // keep the first empty slot
      if (this.vpn[s] === EMPTY || victim < 0 || this.used[s]! < this.used[victim]!) victim = s;
    }
    if (this.vpn[victim] !== EMPTY) this.#classes.remove(this.vpn[victim]!);
    this.#classes.add(vpn);
    this.vpn[victim] = vpn;
    this.pcid[victim] = pcid;
    this.frame[victim] = frame;
    this.flags[victim] = flags;
    this.used[victim] = stamp;
  }

  /** Drops every entry `drop(slot)` selects; returns how many. */
  drop(select: (slot: number) => boolean): number {
    let n = 0;
    for (let s = 0; s < this.vpn.length; s++) {
      if (this.vpn[s] !== EMPTY && select(s)) {
        this.#classes.remove(this.vpn[s]!);
        this.vpn[s] = EMPTY;
        n++;
      }
    }
    return n;
  }

  /** Drops the entry for (vpn, pcid) and a global one for vpn (INVLPG); returns how many. */
  dropPage(vpn: number, pcid: number): number {
    const base = this.#base(vpn);
    let n = 0;
    for (let s = base; s < base + this.ways; s++) {
      if (this.vpn[s] === vpn && (this.pcid[s] === pcid || (this.flags[s]! & PTE_G) !== 0)) {
        this.#classes.remove(vpn);
        this.vpn[s] = EMPTY;
        n++;
      }
    }
    return n;
  }
}

/** A live entry, as a test or an invariant check sees it. */
export interface TlbEntry {
  level: 1 | 2;
  vpn: number;
  pcid: number;
  frame: number;
  flags: number;
}

export class Tlb {
  readonly #classes = new TlbClasses();
  readonly #l1: TlbLevel;
  readonly #l2: TlbLevel;
  #stamp = 0;
  #lastVpn = EMPTY;
  #lastPcid = 0;
  #lastFrame = 0;
  #lastFlags = 0;
  hits = 0;
  misses = 0;
  /** Called on every hit of a stale entry (never on the one-entry cache: stale entries skip it). */
  onStale: StaleHit | null = null;

  constructor(spec: TlbSpec = TLB_DEFAULTS) {
    this.#l1 = new TlbLevel(spec.l1Entries, spec.l1Ways, this.#classes);
    this.#l2 = new TlbLevel(spec.l2Entries, spec.l2Ways, this.#classes);
  }

  /**
   * The frame (vpn, pcid) maps to, when an entry allows the access; else -1 (the MMU walks: a
   * miss, or a write through an entry not yet dirty or not writable, which the walk settles).
   */
  lookup(vpn: number, pcid: number, write: boolean): number {
    if (
      vpn === this.#lastVpn &&
      pcid === this.#lastPcid &&
      (!write || (this.#lastFlags & WRITE_OK) === WRITE_OK)
    ) {
      this.hits++;
      return this.#lastFrame;
    }
    return this.#lookupSets(vpn, pcid, write);
  }

  #lookupSets(vpn: number, pcid: number, write: boolean): number {
    const l1 = this.#l1;
    let s = l1.find(vpn, pcid);
    if (s < 0) {
      const l2 = this.#l2;
      const s2 = l2.find(vpn, pcid);
      if (s2 < 0) return -1;
      l2.used[s2] = ++this.#stamp;
      l1.fill(vpn, l2.pcid[s2]!, l2.frame[s2]!, l2.flags[s2]!, this.#stamp);
      s = l1.find(vpn, pcid);
    }
    const flags = l1.flags[s]!;
    if (write && (flags & WRITE_OK) !== WRITE_OK) return -1;
    l1.used[s] = ++this.#stamp;
    this.hits++;
    if ((flags & TLB_STALE) !== 0) {
      this.onStale?.(vpn, pcid, l1.frame[s]!, write);
      return l1.frame[s]!;
    }
    this.#lastVpn = vpn;
    this.#lastPcid = pcid;
    this.#lastFrame = l1.frame[s]!;
    this.#lastFlags = flags;
    return this.#lastFrame;
  }

  /** Caches a walk's answer in both levels (`flags`: the leaf entry's low-word flags). */
  fill(vpn: number, pcid: number, frame: number, flags: number): void {
    this.#lastVpn = EMPTY;
    this.misses++;
    const stamp = ++this.#stamp;
    this.#l1.fill(vpn, pcid, frame, flags, stamp);
    this.#l2.fill(vpn, pcid, frame, flags, stamp);
  }

  /** Tags the entries of (vpn, pcid) that map `frame` as stale (TLB_STALE); returns how many. */
  markStale(vpn: number, pcid: number, frame: number): number {
    let n = 0;
    for (const level of [this.#l1, this.#l2]) {
      const s = level.find(vpn, pcid);
      if (s >= 0 && level.frame[s] === frame) {
        level.flags[s] = level.flags[s]! | TLB_STALE;
        n++;
      }
    }
    if (n > 0) this.#lastVpn = EMPTY;
    return n;
  }

  /** INVLPG: drops the page's entries for `pcid` and its global ones; returns entries dropped. */
  invlpg(vpn: number, pcid: number): number {
    this.#lastVpn = EMPTY;
    if (!this.#classes.has(vpn)) return 0;
    return this.#l1.dropPage(vpn, pcid) + this.#l2.dropPage(vpn, pcid);
  }

  /** A CR3 write without PCID (or INVPCID single-context): every non-global entry of `pcid`. */
  flushPcid(pcid: number): number {
    this.#lastVpn = EMPTY;
    const drop = (level: TlbLevel) =>
      level.drop((s) => level.pcid[s] === pcid && (level.flags[s]! & PTE_G) === 0);
    return drop(this.#l1) + drop(this.#l2);
  }

  /** A CR3 write with PCID off: every non-global entry, whatever its tag. */
  flushNonGlobal(): number {
    this.#lastVpn = EMPTY;
    const drop = (level: TlbLevel) => level.drop((s) => (level.flags[s]! & PTE_G) === 0);
    return drop(this.#l1) + drop(this.#l2);
  }

  /** Everything, globals included (CR4.PGE toggled). */
  flushAll(): number {
    this.#lastVpn = EMPTY;
    return this.#l1.drop(() => true) + this.#l2.drop(() => true);
  }

  /** The live entries of both levels (an entry in both appears twice), for checks and tests. */
  entries(): TlbEntry[] {
    const out: TlbEntry[] = [];
    for (const [n, level] of [this.#l1, this.#l2].entries()) {
      for (let s = 0; s < level.vpn.length; s++) {
        if (level.vpn[s] === EMPTY) continue;
        out.push({
          level: n === 0 ? 1 : 2,
          vpn: level.vpn[s]!,
          pcid: level.pcid[s]!,
          frame: level.frame[s]!,
          flags: level.flags[s]!,
        });
      }
    }
    return out;
  }
}
