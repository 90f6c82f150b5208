/**
 * The x86-64 page-table format and the hardware page walk (Intel SDM vol. 3A §4.5, 4-level
 * paging): 48-bit canonical virtual addresses, four levels of 512 eight-byte entries (PML4,
 * PDPT, PD, PT), each entry present / writable / user / accessed / dirty / global bits in its
 * low word and NX in bit 63. The format lives in hw because the walk reads it (hw may not
 * import the kernel); the kernel's vm.ts writes the entries.
 *
 * An entry is two 32-bit words, as it sits in memory: low = flags | frame bits 0..19 << 12,
 * high = frame bits 20..39 | NX << 31. Table pages are kept in this store, not in the frames of
 * PhysicalMemory: the simulated system sees frame numbers (futex keys hash them), and taking
 * table pages from the same allocator would renumber every data frame of every scenario. Their
 * count is reported (tablePages) so the memory they would cost is visible.
 */
import { assert } from '../engine/assert.ts';

export const PTE_P = 1 << 0;
export const PTE_RW = 1 << 1;
export const PTE_US = 1 << 2;
export const PTE_A = 1 << 5;
export const PTE_D = 1 << 6;
export const PTE_G = 1 << 8;
/** NX is bit 63: bit 31 of the entry's high word. */
export const PTE_HI_NX = 1 << 31;

export const PT_LEVELS = 4;
const ENTRIES = 512;
const WORDS = 2 * ENTRIES;
/** The lowest non-canonical address of the lower half: 2^47. */
export const CANONICAL_TOP = 2 ** 47;
const FRAME_LO_BITS = 20;
const FRAME_LO_MASK = (1 << FRAME_LO_BITS) - 1;

/** The index into the level-`level` table (3 = PML4 ... 0 = PT) of virtual address `vaddr`. */
export function ptIndex(vaddr: number, level: number): number {
  // 48-bit addresses exceed 32-bit bit operations: divide for the upper levels.
  if (level === 0) return (vaddr >>> 12) & 511;
  if (level === 1) return (vaddr >>> 21) & 511;
  return Math.floor(vaddr / 2 ** (12 + 9 * level)) % ENTRIES;
}

/** The frame an entry points to. */
export function pteFrame(lo: number, hi: number): number {
  return (lo >>> 12) + (hi & FRAME_LO_MASK) * 2 ** FRAME_LO_BITS;
}

/** The low word of an entry for `frame` with `flags` (the PTE_* bits below 12). */
export function pteLow(frame: number, flags: number): number {
  return ((frame & FRAME_LO_MASK) << 12) | (flags & 0xfff) | 0;
}

/** The high word of an entry for `frame`, NX set when `nx`. */
export function pteHigh(frame: number, nx: boolean): number {
  return (Math.floor(frame / 2 ** FRAME_LO_BITS) & FRAME_LO_MASK) | (nx ? PTE_HI_NX : 0);
}

/** A walk's answer when the address does not translate: which level had no present entry. */
export const WALK_NOT_PRESENT = -1;
/** A walk's answer for a present entry that refuses the access (write to read-only, or user). */
export const WALK_PROTECTION = -2;
/** A non-canonical address (bits 47..63 not all equal): a #GP, not a page fault. */
export const WALK_NONCANONICAL = -3;

/** The table pages of every address space, and the walk over them. */
export class PageTableStore {
  readonly #tables: (Int32Array | undefined)[] = [undefined]; // table 0 is never a table
  readonly #freeIds: number[] = [];
  /** Table pages in use (what the tables would take from physical memory). */
  tablePages = 0;
  /** The last walk's answer: the entry's flags (low word) and the levels it read. */
  lastFlags = 0;
  lastHigh = 0;
  lastLevels = 0;

  /** A new, empty table page; returns its id (a CR3 value for a PML4). */
  allocTable(): number {
    const id = this.#freeIds.pop() ?? this.#tables.length;
    this.#tables[id] = new Int32Array(WORDS);
    this.tablePages++;
    return id;
  }

  freeTable(id: number): void {
    assert(this.#tables[id] !== undefined, 'page table: freeing a free table');
    this.#tables[id] = undefined;
    this.#freeIds.push(id);
    this.tablePages--;
  }

  #table(id: number): Int32Array {
    const t = this.#tables[id];
    assert(t !== undefined, 'page table: a table entry points to no table');
    return t;
  }

  /**
   * The leaf table (level 0) holding `vaddr`'s entry under `root`, made on the way when `make`
   * (pte_alloc: the upper entries get present, writable and user, as Linux's do); or 0.
   */
  leafTable(root: number, vaddr: number, make: boolean): number {
    if (root === 0) return 0; // a torn-down space: nothing maps
    let id = root;
    for (let level = PT_LEVELS - 1; level > 0; level--) {
      const table = this.#table(id);
      const i = 2 * ptIndex(vaddr, level);
      if ((table[i]! & PTE_P) === 0) {
        if (!make) return 0;
        const next = this.allocTable();
        table[i] = pteLow(next, PTE_P | PTE_RW | PTE_US);
        table[i + 1] = pteHigh(next, false);
      }
      id = pteFrame(table[i]!, table[i + 1]!);
    }
    return id;
  }

  /** Writes the leaf entry of `vaddr` (both words; lo 0 clears it). */
  setPte(root: number, vaddr: number, lo: number, hi: number): void {
    assert(root !== 0 || lo === 0, 'page table: mapping into a torn-down space');
    const leaf = this.leafTable(root, vaddr, lo !== 0);
    if (leaf === 0) return; // clearing an entry no table holds
    const table = this.#table(leaf);
    const i = 2 * ptIndex(vaddr, 0);
    table[i] = lo;
    table[i + 1] = hi;
  }

  /**
   * Writes the leaf entries of `count` pages from page-aligned `vaddr`: page i maps `frames[i]`
   * with `flags` (NX when `nx`), or is cleared when `flags` is 0. One upper-level walk per leaf
   * table the run crosses, not one per page.
   */
  setPteRun(
    root: number,
    vaddr: number,
    count: number,
    frames: Int32Array,
    flags: number,
    nx: boolean,
  ): void {
    assert(root !== 0 || flags === 0, 'page table: mapping into a torn-down space');
    for (let i = 0; i < count; ) {
      const va = vaddr + i * 4096;
      const first = ptIndex(va, 0);
      const n = Math.min(count - i, ENTRIES - first);
      const leaf = this.leafTable(root, va, flags !== 0);
      if (leaf !== 0) {
        const table = this.#table(leaf);
        for (let j = 0; j < n; j++) {
          const frame = frames[i + j]!;
          table[2 * (first + j)] = flags === 0 ? 0 : pteLow(frame, flags);
          table[2 * (first + j) + 1] = flags === 0 ? 0 : pteHigh(frame, nx);
        }
      }
      i += n;
    }
  }

  /** The leaf entry of `vaddr` as [lo, hi], [0, 0] when no table holds it. */
  pte(root: number, vaddr: number): [number, number] {
    const leaf = this.leafTable(root, vaddr, false);
    if (leaf === 0) return [0, 0];
    const table = this.#table(leaf);
    const i = 2 * ptIndex(vaddr, 0);
    return [table[i]!, table[i + 1]!];
  }

  /**
   * The hardware walk of a user access: the frame, or a WALK_* answer. Sets the accessed bit on
   * every entry it passes and dirty on a written leaf, as the MMU does. `lastFlags`,
   * `lastHigh` and `lastLevels` describe the walk (levels read count toward its cost).
   */
  walk(root: number, vaddr: number, write: boolean): number {
    if (vaddr < 0 || vaddr >= CANONICAL_TOP) return WALK_NONCANONICAL;
    this.lastLevels = 0;
    if (root === 0) return WALK_NOT_PRESENT; // a torn-down space: nothing maps
    let id = root;
    for (let level = PT_LEVELS - 1; level >= 0; level--) {
      const table = this.#table(id);
      const i = 2 * ptIndex(vaddr, level);
      const lo = table[i]!;
      this.lastLevels = PT_LEVELS - level;
      if ((lo & PTE_P) === 0) return WALK_NOT_PRESENT;
      if ((lo & PTE_US) === 0 || (write && (lo & PTE_RW) === 0)) {
        this.lastFlags = lo & 0xfff;
        return WALK_PROTECTION;
      }
      table[i] = lo | PTE_A | (level === 0 && write ? PTE_D : 0);
      if (level === 0) {
        this.lastFlags = table[i]! & 0xfff;
        this.lastHigh = table[i + 1]!;
        return pteFrame(lo, table[i + 1]!);
      }
      id = pteFrame(lo, table[i + 1]!);
    }
    return WALK_NOT_PRESENT; // not reached: level 0 returns
  }

  /**
   * Frees every table page under `root` (and `root` itself): an address space's teardown
   * (free_pgtables). The frames the leaves point to are the caller's to free.
   */
  freeTree(root: number, level = PT_LEVELS - 1): void {
    if (level > 0) {
      const table = this.#table(root);
      for (let i = 0; i < WORDS; i += 2) {
        if ((table[i]! & PTE_P) !== 0) this.freeTree(pteFrame(table[i]!, table[i + 1]!), level - 1);
      }
    }
    this.freeTable(root);
  }
}
