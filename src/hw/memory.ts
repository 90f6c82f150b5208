/**
 * Physical memory in 4 KiB frames: the frame allocator (per NUMA node, with fallback) and the
 * frames' contents.
 *
 * A frame's number is its physical address, and the simulated system sees it (futex keys hash
 * it, NUMA placement reads it), so numbers are handed out exactly when the kernel allocates. A
 * frame's *contents* are host memory the simulated system cannot see until it writes: a frame
 * gets storage on its first write, and reads zeros until then. Storage is a slot in one of a few
 * large shared buffers (chunks of `CHUNK_SLOTS` pages, created as needed), not an object of its
 * own: a separate 4 KiB Int32Array per frame was a fifth to nearly half of a many-thread run's
 * time and most of its memory (issue 14). A thread's 64 KiB stack thus costs the host the pages
 * its thread writes, not 17.
 */
import { assert } from '../engine/assert.ts';

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;
const WORDS_PER_PAGE = PAGE_SIZE / 4;
const WORD_SHIFT = 10; // log2(WORDS_PER_PAGE)
/** Pages of storage per host buffer: 64 pages, 256 KiB, so a small machine allocates little. */
const CHUNK_SHIFT = 6;
const CHUNK_SLOTS = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK_SLOTS - 1;
/** Frames per page of allocator state (256 KiB of it). */
const STATE_SHIFT = 16;
const STATE_PAGE_FRAMES = 1 << STATE_SHIFT;
const STATE_MASK = STATE_PAGE_FRAMES - 1;
const FREE = -1;

export class PhysicalMemory {
  readonly frameCount: number;
  /** NUMA nodes; frames are split into equal contiguous ranges, one per node (as SRAT describes). */
  readonly nodeCount: number;
  /**
   * Per frame, in pages of `STATE_PAGE_FRAMES` made when a frame of theirs is first allocated (a
   * machine sized for a million threads need not pay for its untouched frames): FREE, or its
   * storage slot + 1, or 0 while allocated without storage (it reads zeros).
   */
  readonly #state: (Int32Array | undefined)[] = [];
  /** Host buffers of storage slots, `CHUNK_SLOTS` pages each. */
  readonly #chunks: Int32Array[] = [];
  /** Slots given back by freed frames, reused first; then the next never-used slot. */
  readonly #freeSlots: number[] = [];
  #nextSlot = 0;
  /** Per node: freed frames, and the next never-used frame of its range. */
  readonly #free: number[][];
  readonly #nextFresh: number[];
  readonly #framesPerNode: number = 0;
  /** Per node: the other nodes nearest first (SLIT order), where an exhausted node falls back. */
  readonly #fallback: number[][];
  framesInUse = 0;
  /**
   * Let loads of a free frame read zeros and stores to one vanish, instead of asserting: set
   * when a TLB may keep translations to freed frames (a broken shootdown, issue 15), where the
   * hardware would read and write whatever the frame is now. Counted in `freeFrameAccesses`.
   */
  tolerateFreeAccess = false;
  freeFrameAccesses = 0;
  /** Frames above `frameCount` reserved for firmware (reserveAbove). */
  #reservedAbove = 0;
  /** Allocations that asked for a node and got another because it was full (HW-14). */
  fallbackAllocations = 0;
  /** Allocations refused because every node was full (the run's report names limits.memory_mib). */
  exhaustedAllocations = 0;

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
      if (frame < 0) {
        this.exhaustedAllocations++;
        return -1;
      }
    }
    this.#statePage(frame)[frame & STATE_MASK] = 0;
    this.framesInUse++;
    return frame;
  }

  /**
   * Reserves `count` frames just above the allocator's range, as firmware keeps its ACPI tables
   * in reserved memory the e820 map leaves out of usable RAM: they are allocated from the start,
   * never handed out and never freed, and the frames the allocator gives are the same with or
   * without them. They count as the last node's (nodeOf) and not in `framesInUse`.
   */
  reserveAbove(count: number): number[] {
    const frames: number[] = [];
    for (let i = 0; i < count; i++) {
      const frame = this.frameCount + this.#reservedAbove++;
      this.#statePage(frame)[frame & STATE_MASK] = 0;
      frames.push(frame);
    }
    return frames;
  }

  /**
   * The state page holding `frame`, made or grown to reach it: a page grows by doubling up to
   * `STATE_PAGE_FRAMES`, so a small memory (the explorer builds one per execution) pays for the
   * frames it uses, not for 64 Ki of them. A read past a page's end is FREE, as for no page.
   */
  #statePage(frame: number): Int32Array {
    const index = frame & STATE_MASK;
    const page = this.#state[frame >>> STATE_SHIFT];
    if (page !== undefined && index < page.length) return page;
    let length = Math.max(page?.length ?? 0, 1024);
    while (length <= index) length *= 2;
    const grown = new Int32Array(Math.min(length, STATE_PAGE_FRAMES)).fill(FREE);
    if (page !== undefined) grown.set(page);
    this.#state[frame >>> STATE_SHIFT] = grown;
    return grown;
  }

  /** The state of a frame (see `#state`), asserting that it is allocated (unless tolerated). */
  #stateOf(frame: number): number {
    const state = this.#state[frame >>> STATE_SHIFT]?.[frame & STATE_MASK] ?? FREE;
    if (state === FREE) {
      assert(this.tolerateFreeAccess, 'memory: access to an unallocated frame');
      this.freeFrameAccesses++;
    }
    return state;
  }

  #setState(frame: number, state: number): void {
    this.#state[frame >>> STATE_SHIFT]![frame & STATE_MASK] = state;
  }

  #take(node: number): number {
    const freed = this.#free[node]!.pop();
    if (freed !== undefined) return freed;
    const end = node === this.nodeCount - 1 ? this.frameCount : (node + 1) * this.#framesPerNode;
    if (this.#nextFresh[node]! >= end) return -1;
    return this.#nextFresh[node]!++;
  }

  freeFrame(frame: number): void {
    const state = this.#state[frame >>> STATE_SHIFT]?.[frame & STATE_MASK] ?? FREE;
    assert(state !== FREE, 'memory: freeing a free frame');
    assert(frame < this.frameCount, 'memory: freeing a firmware-reserved frame');
    this.#setState(frame, FREE);
    if (state > 0) this.#freeSlots.push(state - 1);
    this.#free[this.nodeOf(frame)]!.push(frame);
    this.framesInUse--;
  }

  /** Word `index` (0..1023) of an allocated frame, as an unsigned 32-bit value. */
  load(frame: number, index: number): number {
    const slot = this.#stateOf(frame) - 1;
    if (slot < 0) return 0; // never written: zeros
    return this.#chunks[slot >>> CHUNK_SHIFT]![((slot & CHUNK_MASK) << WORD_SHIFT) | index]! >>> 0;
  }

  /** Stores `value` (taken as 32 bits) at word `index` of an allocated frame. */
  store(frame: number, index: number, value: number): void {
    const state = this.#stateOf(frame);
    if (state === FREE) return; // a stale translation's store into a free frame (tolerated)
    let slot = state - 1;
    if (slot < 0) slot = this.#giveStorage(frame);
    this.#chunks[slot >>> CHUNK_SHIFT]![((slot & CHUNK_MASK) << WORD_SHIFT) | index] = value;
  }

  /** True when `frame` is allocated (asserts nothing: for bus masters, which reach any frame). */
  allocated(frame: number): boolean {
    return (this.#state[frame >>> STATE_SHIFT]?.[frame & STATE_MASK] ?? FREE) !== FREE;
  }

  /** True when the frame has been written (has storage). */
  backed(frame: number): boolean {
    return this.#stateOf(frame) > 0;
  }

  /** Frames with storage (written at least once since allocated). */
  get framesBacked(): number {
    return this.#nextSlot - this.#freeSlots.length;
  }

  /** Host bytes of frame storage (the chunks created so far). */
  get hostBytes(): number {
    return this.#chunks.length * CHUNK_SLOTS * PAGE_SIZE;
  }

  /** A zeroed slot for `frame`: a freed one (zeroed now) or the next fresh one (zeroed by the host). */
  #giveStorage(frame: number): number {
    let slot = this.#freeSlots.pop();
    if (slot !== undefined) {
      const base = (slot & CHUNK_MASK) << WORD_SHIFT;
      this.#chunks[slot >>> CHUNK_SHIFT]!.fill(0, base, base + WORDS_PER_PAGE);
    } else {
      slot = this.#nextSlot++;
      if (slot >>> CHUNK_SHIFT === this.#chunks.length) {
        this.#chunks.push(new Int32Array(CHUNK_SLOTS * WORDS_PER_PAGE));
      }
    }
    this.#setState(frame, slot + 1);
    return slot;
  }

  /** Copies the contents of frame `from` into frame `to` (both allocated). */
  copyFrame(to: number, from: number): void {
    if (!this.backed(from) && !this.backed(to)) return; // zeros onto zeros
    this.words(to).set(this.words(from));
  }

  /** The words of an allocated frame, given storage if it had none: a view into its chunk. */
  words(frame: number): Int32Array {
    let slot = this.#stateOf(frame) - 1;
    if (slot < 0) slot = this.#giveStorage(frame);
    const base = (slot & CHUNK_MASK) << WORD_SHIFT;
    return this.#chunks[slot >>> CHUNK_SHIFT]!.subarray(base, base + WORDS_PER_PAGE);
  }
}

export const PTE_READ = 1;
export const PTE_WRITE = 2;
export const PTE_USER = 4;
