/**
 * Physical memory in 4 KiB frames, allocated lazily, and the page tables (MMU) that map a
 * process's virtual pages to frames with protection bits.
 */
import { assert } from '../engine/assert.ts';

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;
const WORDS_PER_PAGE = PAGE_SIZE / 4;

export class PhysicalMemory {
  readonly frameCount: number;
  /** Frame contents as 32-bit words, created on first allocation. */
  readonly #frames: (Int32Array | undefined)[] = [];
  readonly #free: number[] = [];
  #nextFresh = 1; // frame 0 is never handed out, so a physical address of 0 is always invalid
  framesInUse = 0;

  constructor(bytes: number) {
    this.frameCount = Math.floor(bytes / PAGE_SIZE);
    assert(this.frameCount > 1, 'memory: too small');
  }

  /** Allocates a zeroed frame; returns its number, or -1 when memory is exhausted. */
  allocFrame(): number {
    let frame = this.#free.pop();
    if (frame === undefined) {
      if (this.#nextFresh >= this.frameCount) return -1;
      frame = this.#nextFresh++;
    }
    this.#frames[frame] = new Int32Array(WORDS_PER_PAGE);
    this.framesInUse++;
    return frame;
  }

  freeFrame(frame: number): void {
    assert(this.#frames[frame] !== undefined, 'memory: freeing a free frame');
    this.#frames[frame] = undefined;
    this.#free.push(frame);
    this.framesInUse--;
  }

  /** The words of an allocated frame. */
  words(frame: number): Int32Array {
    const words = this.#frames[frame];
    assert(words !== undefined, 'memory: access to an unallocated frame');
    return words;
  }
}

export const PTE_READ = 1;
export const PTE_WRITE = 2;
export const PTE_USER = 4;

/** A page-table entry: the frame and its protection bits. */
export interface Pte {
  frame: number;
  flags: number;
}

/** One address space's page table (a map, not a radix tree: the walk's cost is charged elsewhere). */
export class PageTable {
  readonly #entries = new Map<number, Pte>();

  lookup(vpn: number): Pte | undefined {
    return this.#entries.get(vpn);
  }

  map(vpn: number, frame: number, flags: number): void {
    assert(!this.#entries.has(vpn), 'mmu: page already mapped');
    this.#entries.set(vpn, { frame, flags });
  }

  unmap(vpn: number): Pte | undefined {
    const pte = this.#entries.get(vpn);
    this.#entries.delete(vpn);
    return pte;
  }

  get size(): number {
    return this.#entries.size;
  }

  *entries(): IterableIterator<[number, Pte]> {
    yield* this.#entries;
  }
}
