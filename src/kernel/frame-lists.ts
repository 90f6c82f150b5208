/**
 * The frame lists of an address space's regions (regions.ts `Region.frames`), cut as views from
 * shared chunks instead of each owning an ArrayBuffer: a thread stack's list is a few dozen
 * bytes of entries, and its own ArrayBuffer cost ~90 bytes of host heap on top, per thread
 * (issue 14: memory per idle thread). A list is never written in place after it is filled
 * (regions split it by views, madvise replaces it whole), so views of one chunk never clash; a
 * chunk lives while any of its lists does. Chunks grow from CHUNK_MIN_ENTRIES to
 * CHUNK_MAX_ENTRIES, so a process with one small mapping does not hold a large one; a list
 * longer than a quarter of the largest chunk gets its own array.
 * @module
 */

const CHUNK_MIN_ENTRIES = 64;
const CHUNK_MAX_ENTRIES = 4096;

export class FrameLists {
  #chunk = new Int32Array(0);
  #used = 0;

  /** A zeroed list of `pages` entries. */
  take(pages: number): Int32Array {
    if (pages > CHUNK_MAX_ENTRIES / 4) return new Int32Array(pages);
    if (this.#used + pages > this.#chunk.length) {
      // At least `pages` (at most a quarter of the largest chunk, so the cap keeps it).
      const size = Math.min(CHUNK_MAX_ENTRIES, Math.max(CHUNK_MIN_ENTRIES, this.#chunk.length * 2, pages));
      this.#chunk = new Int32Array(size);
      this.#used = 0;
    }
    const list = this.#chunk.subarray(this.#used, this.#used + pages);
    this.#used += pages;
    return list;
  }
}
