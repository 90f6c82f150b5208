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
  /** NUMA nodes; frames are split into equal contiguous ranges, one per node (as SRAT describes). */
  readonly nodeCount: number;
  /** Frame contents as 32-bit words, created on first allocation. */
  readonly #frames: (Int32Array | undefined)[] = [];
  /** Per node: freed frames, and the next never-used frame of its range. */
  readonly #free: number[][];
  readonly #nextFresh: number[];
  readonly #framesPerNode: number;
  /** Per node: the other nodes nearest first (SLIT order), where an exhausted node falls back. */
  readonly #fallback: number[][];
  framesInUse = 0;
  /** Allocations that asked for a node and got another because it was full (HW-14). */
  fallbackAllocations = 0;

  constructor(bytes: number, nodeCount = 1, distance: (a: number, b: number) => number = () => 10) {
    this.frameCount = Math.floor(bytes / PAGE_SIZE);
    assert(this.frameCount > 1, 'memory: too small');
    assert(nodeCount >= 1 && this.frameCount >= 2 * nodeCount, 'memory: too small for its nodes');
    this.nodeCount = nodeCount;
    this.#framesPerNode = Math.floor(this.frameCount / nodeCount);
    this.#free = Array.from({ length: nodeCount }, () => []);
    // Frame 0 is never handed out, so a physical address of 0 is always invalid.
    this.#nextFresh = Array.from({ length: nodeCount }, (_, n) => (n === 0 ? 1 : n * this.#framesPerNode));
    this.#fallback = Array.from({ length: nodeCount }, (_, n) =>
      Array.from({ length: nodeCount }, (_, m) => m)
        .filter((m) => m !== n)
        .sort((a, b) => distance(n, a) - distance(n, b) || a - b),
    );
  }

  /** The node a frame belongs to. */
  nodeOf(frame: number): number {
    return Math.min(Math.floor(frame / this.#framesPerNode), this.nodeCount - 1);
  }

  /**
   * Allocates a zeroed frame, on `node` when it has one free, else on the nearest node that
   * does (HW-14); returns its number, or -1 when memory is exhausted.
   */
  allocFrame(node = 0): number {
    let frame = this.#take(node);
    if (frame < 0) {
      for (const other of this.#fallback[node]!) {
        frame = this.#take(other);
        if (frame >= 0) {
          this.fallbackAllocations++;
          break;
        }
      }
      if (frame < 0) return -1;
    }
    this.#frames[frame] = new Int32Array(WORDS_PER_PAGE);
    this.framesInUse++;
    return frame;
  }

  #take(node: number): number {
    const freed = this.#free[node]!.pop();
    if (freed !== undefined) return freed;
    const end = node === this.nodeCount - 1 ? this.frameCount : (node + 1) * this.#framesPerNode;
    if (this.#nextFresh[node]! >= end) return -1;
    return this.#nextFresh[node]!++;
  }

  freeFrame(frame: number): void {
    assert(this.#frames[frame] !== undefined, 'memory: freeing a free frame');
    this.#frames[frame] = undefined;
    this.#free[this.nodeOf(frame)]!.push(frame);
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
