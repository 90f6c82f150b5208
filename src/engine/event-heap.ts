/**
 * A 4-ary min-heap of events over typed arrays, ordered by (time, sequence): the engine's event
 * queue while it holds few events (event-queue.ts), and the bench's reference loop (the "bare
 * heap" it is named for). Every field moves with its event: a layout with the time and a slot
 * index by position (two numbers a sift step) was ~18% faster on a 256-CPU run's push and pop
 * sequence, where the calendar queue now serves, and no better at 4 CPUs, where an earlier
 * layout with payload ids was 1.12x slower in whole runs (docs/design.md); it was reverted.
 *
 * Four children a node halve the levels a pop sifts through against a binary heap, for a few
 * more comparisons per level within one cache line of each array. (time, sequence) is a total order, so the events pop in the same
 * order whatever the heap's shape: runs are unchanged event for event.
 *
 * This is the hot path of every simulation, so it stores no objects: an event is a time, an
 * insertion sequence number, a handler kind and two integer arguments, each in its own typed
 * array. Equal times pop in insertion order, which is what makes runs deterministic.
 */
import { assert } from './assert.ts';

/**
 * Children per node, and its log2 (a child of i is (i << ARITY_SHIFT) + 1 .. + ARITY); the
 * first capacity. Enum members, whose values a bundle writes where they are used, where a
 * module-level `const` would be a load from the module's context at every use (as in
 * event-calendar.ts; issue 14).
 */
enum Heap {
  ARITY = 4,
  ARITY_SHIFT = 2,
  CAPACITY_INITIAL = 1024,
}

export class EventHeap {
  #timeNs = new Float64Array(Heap.CAPACITY_INITIAL);
  #seq = new Float64Array(Heap.CAPACITY_INITIAL);
  #kind = new Int32Array(Heap.CAPACITY_INITIAL);
  #arg = new Int32Array(Heap.CAPACITY_INITIAL);
  #tag = new Int32Array(Heap.CAPACITY_INITIAL);
  #size = 0;
  #seqNext = 0;

  /** Fields of the event that `pop` removed last (read them before the next `pop`). */
  poppedTimeNs = 0;
  poppedKind = 0;
  poppedArg = 0;
  poppedTag = 0;
  poppedSeq = 0;

  get size(): number {
    return this.#size;
  }

  /** Time of the earliest event; Infinity when empty. */
  peekTimeNs(): number {
    return this.#size === 0 ? Number.POSITIVE_INFINITY : this.#timeNs[0]!;
  }

  /** Time of the second-earliest event (a child of the root); Infinity if fewer than two. */
  peekSecondTimeNs(): number {
    const last = Math.min(this.#size - 1, Heap.ARITY);
    let timeNs = Number.POSITIVE_INFINITY;
    for (let i = 1; i <= last; i++) if (this.#timeNs[i]! < timeNs) timeNs = this.#timeNs[i]!;
    return timeNs;
  }

  push(timeNs: number, kind: number, arg: number, tag: number): void {
    this.pushWithSeq(timeNs, this.#seqNext++, kind, arg, tag);
  }

  /** Re-inserts an event with its original sequence number (used when a tie is re-ordered). */
  pushWithSeq(timeNs: number, seq: number, kind: number, arg: number, tag: number): void {
    assert(timeNs >= 0, 'event-queue: negative time');
    if (this.#size === this.#timeNs.length) this.#grow();
    let i = this.#size++;
    const timeArr = this.#timeNs;
    const seqArr = this.#seq;
    // Sift up: move parents down until the new event's slot is found.
    while (i > 0) {
      const parent = (i - 1) >> Heap.ARITY_SHIFT;
      const pt = timeArr[parent]!;
      if (pt < timeNs || (pt === timeNs && seqArr[parent]! < seq)) break;
      this.#move(parent, i);
      i = parent;
    }
    timeArr[i] = timeNs;
    seqArr[i] = seq;
    this.#kind[i] = kind;
    this.#arg[i] = arg;
    this.#tag[i] = tag;
  }

  /** Removes the earliest event into the `popped*` fields; false when empty. */
  pop(): boolean {
    const size = this.#size;
    if (size === 0) return false;
    this.poppedTimeNs = this.#timeNs[0]!;
    this.poppedSeq = this.#seq[0]!;
    this.poppedKind = this.#kind[0]!;
    this.poppedArg = this.#arg[0]!;
    this.poppedTag = this.#tag[0]!;
    const last = size - 1;
    this.#size = last;
    if (last > 0) this.#siftDown(0, last);
    return true;
  }

  // Heap slots, for a time-abstracted step that looks at every pending event (engine #popStep).
  timeAt(i: number): number {
    return this.#timeNs[i]!;
  }
  seqAt(i: number): number {
    return this.#seq[i]!;
  }
  kindAt(i: number): number {
    return this.#kind[i]!;
  }
  argAt(i: number): number {
    return this.#arg[i]!;
  }
  tagAt(i: number): number {
    return this.#tag[i]!;
  }

  /** Removes the event in heap slot `i` (0 ≤ i < size) into the `popped*` fields. */
  removeAt(i: number): void {
    assert(i >= 0 && i < this.#size, 'event-queue: no such slot');
    this.poppedTimeNs = this.#timeNs[i]!;
    this.poppedSeq = this.#seq[i]!;
    this.poppedKind = this.#kind[i]!;
    this.poppedArg = this.#arg[i]!;
    this.poppedTag = this.#tag[i]!;
    const last = --this.#size;
    if (i === last) return;
    // The last event fills the hole: it moves up if it sorts before the hole's parent, else down.
    const t = this.#timeNs[last]!;
    const s = this.#seq[last]!;
    const parent = i > 0 ? (i - 1) >> Heap.ARITY_SHIFT : 0;
    const pt = this.#timeNs[parent]!;
    if (i > 0 && (t < pt || (t === pt && s < this.#seq[parent]!))) {
      const kind = this.#kind[last]!;
      const arg = this.#arg[last]!;
      const tag = this.#tag[last]!;
      this.#siftUpInto(i, t, s, kind, arg, tag);
    } else {
      this.#siftDown(i, last);
    }
  }

  /** Places the event (t, s, kind, arg, tag) at the hole `start` or above it. */
  #siftUpInto(start: number, t: number, s: number, kind: number, arg: number, tag: number): void {
    let i = start;
    while (i > 0) {
      const parent = (i - 1) >> Heap.ARITY_SHIFT;
      const pt = this.#timeNs[parent]!;
      if (pt < t || (pt === t && this.#seq[parent]! < s)) break;
      this.#move(parent, i);
      i = parent;
    }
    this.#timeNs[i] = t;
    this.#seq[i] = s;
    this.#kind[i] = kind;
    this.#arg[i] = arg;
    this.#tag[i] = tag;
  }

  /** Places the event in slot `last` (no longer part of the heap) into the hole at `start`. */
  #siftDown(start: number, last: number): void {
    const timeArr = this.#timeNs;
    const seqArr = this.#seq;
    const t = timeArr[last]!;
    const s = seqArr[last]!;
    const kind = this.#kind[last]!;
    const arg = this.#arg[last]!;
    const tag = this.#tag[last]!;
    const size = this.#size;
    let i = start;
    for (;;) {
      const first = (i << Heap.ARITY_SHIFT) + 1;
      if (first >= size) break;
      // The earliest of the (up to four) children.
      let child = first;
      let ct = timeArr[first]!;
      const end = Math.min(first + Heap.ARITY, size);
      for (let c = first + 1; c < end; c++) {
        const tc = timeArr[c]!;
        if (tc < ct || (tc === ct && seqArr[c]! < seqArr[child]!)) {
          child = c;
          ct = tc;
        }
      }
      if (t < ct || (t === ct && s < seqArr[child]!)) break;
      this.#move(child, i);
      i = child;
    }
    timeArr[i] = t;
    seqArr[i] = s;
    this.#kind[i] = kind;
    this.#arg[i] = arg;
    this.#tag[i] = tag;
  }

  #move(from: number, to: number): void {
    this.#timeNs[to] = this.#timeNs[from]!;
    this.#seq[to] = this.#seq[from]!;
    this.#kind[to] = this.#kind[from]!;
    this.#arg[to] = this.#arg[from]!;
    this.#tag[to] = this.#tag[from]!;
  }

  #grow(): void {
    const capacity = this.#timeNs.length * 2;
    const grow = <T extends Float64Array | Int32Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old);
      return next;
    };
    this.#timeNs = grow(this.#timeNs, (n) => new Float64Array(n));
    this.#seq = grow(this.#seq, (n) => new Float64Array(n));
    this.#kind = grow(this.#kind, (n) => new Int32Array(n));
    this.#arg = grow(this.#arg, (n) => new Int32Array(n));
    this.#tag = grow(this.#tag, (n) => new Int32Array(n));
  }
}
