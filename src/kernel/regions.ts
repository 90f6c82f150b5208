/**
 * The regions of an address space (Linux's VMAs): non-overlapping page ranges, each with its
 * protection, sharing and the frames behind its pages, kept sorted so that the region holding an
 * address is found by binary search (and the last one found is tried first). Translation asks
 * this on every guest access, and a process with 100,000 thread stacks has 200,000 regions, so a
 * linear scan would make each access O(threads) (issue 14).
 *
 * Sorted by start address *descending*: mmap hands out addresses downward (vm.ts), so a new
 * mapping is the lowest and goes at the end of the array, an O(1) push.
 */
import { PAGE_SIZE } from '../hw/memory.ts';

export interface Region {
  start: number;
  pages: number;
  prot: number;
  shared: boolean;
  /** The frame behind each page, lowest page first (never written in place: split by views, replaced whole by madvise). */
  frames: Int32Array;
}

export function regionEnd(r: Region): number {
  return r.start + r.pages * PAGE_SIZE;
}

export class RegionList {
  readonly #list: Region[] = [];
  /** The region `find` returned last: most accesses fall in the same one as the one before. */
  #hit: Region | undefined = undefined;

  /** The regions, highest address first. */
  get all(): readonly Region[] {
    return this.#list;
  }

  get length(): number {
    return this.#list.length;
  }

  /** Index of the first region (in list order) whose start is at or below `addr`. */
  #firstAtOrBelow(addr: number): number {
    const list = this.#list;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]!.start > addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The region holding `addr` (a 48-bit address, never truncated), or undefined. */
  find(a: number): Region | undefined {
    const hit = this.#hit;
    if (hit !== undefined && a >= hit.start && a < regionEnd(hit)) return hit;
    const r = this.#list[this.#firstAtOrBelow(a)];
    if (r === undefined || a >= regionEnd(r)) return undefined;
    this.#hit = r;
    return r;
  }

  /** Adds a region that overlaps none of the others. */
  insert(region: Region): void {
    const i = this.#firstAtOrBelow(region.start);
    if (i === this.#list.length) this.#list.push(region);
    else this.#list.splice(i, 0, region);
  }

  /**
   * The regions overlapping [start, end) after splitting the ones that straddle either end, so
   * that each returned region lies inside the range (highest first). They stay in the list.
   */
  carve(start: number, end: number): Region[] {
    this.#splitAt(start);
    this.#splitAt(end);
    const out: Region[] = [];
    for (let i = this.#firstAtOrBelow(end - 1); i < this.#list.length; i++) {
      const r = this.#list[i]!;
      if (regionEnd(r) <= start) break;
      out.push(r);
    }
    return out;
  }

  /** Removes every part of every region inside [start, end); returns the removed parts. */
  cut(start: number, end: number): Region[] {
    this.#hit = undefined;
    const inside = this.carve(start, end);
    if (inside.length > 0) {
      this.#list.splice(this.#firstAtOrBelow(end - 1), inside.length);
    }
    return inside;
  }

  /** True when some region has a page in [start, end). */
  overlaps(start: number, end: number): boolean {
    const r = this.#list[this.#firstAtOrBelow(end - 1)];
    return r !== undefined && regionEnd(r) > start;
  }

  /** The highest region with a page in [start, end), or undefined. */
  highestIn(start: number, end: number): Region | undefined {
    const r = this.#list[this.#firstAtOrBelow(end - 1)];
    return r !== undefined && regionEnd(r) > start ? r : undefined;
  }

  /** True when every page of [start, end) lies in some region. */
  covers(start: number, end: number): boolean {
    let addr = end;
    // Walk down from the top of the range through adjacent regions.
    for (let i = this.#firstAtOrBelow(end - 1); addr > start; i++) {
      const r = this.#list[i];
      if (r === undefined || regionEnd(r) < addr) return false;
      addr = r.start;
    }
    return true;
  }

  /** Splits the region holding `addr` in two at `addr` (a page boundary), if one straddles it. */
  #splitAt(addr: number): void {
    const i = this.#firstAtOrBelow(addr - 1);
    const r = this.#list[i];
    if (r === undefined || r.start >= addr || regionEnd(r) <= addr) return;
    const lowPages = (addr - r.start) / PAGE_SIZE;
    const high: Region = {
      ...r,
      start: addr,
      pages: r.pages - lowPages,
      frames: r.frames.subarray(lowPages),
    };
    r.pages = lowPages;
    r.frames = r.frames.subarray(0, lowPages);
    this.#list.splice(i, 0, high);
  }

  clear(): void {
    this.#hit = undefined;
    this.#list.length = 0;
  }
}
