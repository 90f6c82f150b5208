/**
 * The IOVA allocator of a DMA domain, after Linux drivers/iommu/iova.c (models-2.md §9.4): ranges
 * of page frames [pfnLo, pfnHi] kept sorted; allocation is top-down below a limit (the device's
 * DMA mask), the highest gap that fits, optionally aligned to the size's power of two
 * (`size_aligned`); failure returns null (a mapping error). Free space is the gaps between
 * ranges, so freeing neighbours coalesces by construction: no fragment outlives its neighbours.
 * The per-CPU rcache (magazines) is not modelled: every allocation searches the ranges.
 */

export interface IovaRange {
  readonly pfnLo: number;
  readonly pfnHi: number;
}

export class IovaAllocator {
  /** Lowest allocatable pfn (Linux reserves pfn 0 so that 0 is never a valid IOVA). */
  readonly startPfn: number;
  readonly endPfn: number;
  readonly #ranges: IovaRange[] = [];

  constructor(startPfn: number, endPfn: number) {
    if (!(startPfn >= 1 && endPfn > startPfn)) throw new RangeError(`iova: domain [${startPfn}, ${endPfn}]`);
    this.startPfn = startPfn;
    this.endPfn = endPfn;
  }

  get ranges(): readonly IovaRange[] {
    return this.#ranges;
  }

  /** `pages` frames at or below `limitPfn`, as high as they fit; null when none do. */
  alloc(pages: number, limitPfn: number, sizeAligned: boolean): IovaRange | null {
    if (!(Number.isInteger(pages) && pages >= 1)) throw new RangeError(`iova: ${pages} pages`);
    const align = sizeAligned ? 2 ** Math.ceil(Math.log2(pages)) : 1;
    let ceiling = Math.min(limitPfn, this.endPfn); // highest free pfn of the current gap
    for (let i = this.#ranges.length; i >= 0; i--) {
      const below = i > 0 ? this.#ranges[i - 1]!.pfnHi + 1 : this.startPfn;
      const hi = i < this.#ranges.length ? Math.min(ceiling, this.#ranges[i]!.pfnLo - 1) : ceiling;
      const lo = Math.floor((hi - pages + 1) / align) * align;
      if (lo >= below && lo >= this.startPfn && hi >= lo) {
        const r = { pfnLo: lo, pfnHi: lo + pages - 1 };
        this.#ranges.splice(i, 0, r);
        return r;
      }
      if (i > 0) ceiling = Math.min(ceiling, this.#ranges[i - 1]!.pfnLo - 1);
    }
    return null;
  }

  /** Frees the range starting at `pfnLo` (Linux `free_iova` finds it by pfn). */
  free(pfnLo: number): boolean {
    const i = this.#ranges.findIndex((r) => r.pfnLo === pfnLo);
    if (i < 0) return false;
    this.#ranges.splice(i, 1);
    return true;
  }

  /** The range holding `pfn`, if any. */
  find(pfn: number): IovaRange | null {
    return this.#ranges.find((r) => r.pfnLo <= pfn && pfn <= r.pfnHi) ?? null;
  }
}
