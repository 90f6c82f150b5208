/**
 * A 4-ary min-heap of events over typed arrays, ordered by (time, sequence): the engine's event
 * queue keeps the events that fit none of its sorted lanes here (event-queue.ts), and the bench's
 * reference loop runs on it alone (the "bare heap" it is named for).
 *
 * Four children a node halve the levels a pop sifts through against a binary heap (a 256-CPU
 * machine keeps ~256 events queued; issue 14). A heap position holds only the event's time and
 * its slot; the slot holds the rest (sequence, kind, argument, tag) and stays put while the
 * event moves, so a sift step moves two numbers instead of five (on the push and pop sequence
 * of a 256-CPU spin run: 85 ns an operation against 104 with all five fields in the heap; 37
 * against 42 at 4 CPUs). Slots are reused through a free stack. (time, sequence) is a total
 * order, so events pop in the same order whatever the heap's shape: runs are unchanged event
 * for event.
 *
 * This is the hot path of every simulation, so it stores no objects. Equal times pop in
 * insertion order, which is what makes runs deterministic.
 */
import { assert } from './assert.ts';

const CAPACITY_INITIAL = 1024;
/** Children per node, and its log2 (a child of i is (i << ARITY_SHIFT) + 1 .. + ARITY). */
const ARITY = 4;
const ARITY_SHIFT = 2;

export class EventHeap {
  // By heap position: the event's time and its slot.
  #timeNs = new Float64Array(CAPACITY_INITIAL);
  #slotAt = new Int32Array(CAPACITY_INITIAL);
  // By slot.
  #seq = new Float64Array(CAPACITY_INITIAL);
  #kind = new Int32Array(CAPACITY_INITIAL);
  #arg = new Int32Array(CAPACITY_INITIAL);
  #tag = new Int32Array(CAPACITY_INITIAL);
  /** Free slots, a stack: the `#freeTop` entries below it. */
  #free = Int32Array.from({ length: CAPACITY_INITIAL }, (_, i) => CAPACITY_INITIAL - 1 - i);
  #freeTop = CAPACITY_INITIAL;
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
    const last = Math.min(this.#size - 1, ARITY);
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
    const slot = this.#free[--this.#freeTop]!;
    this.#seq[slot] = seq;
    this.#kind[slot] = kind;
    this.#arg[slot] = arg;
    this.#tag[slot] = tag;
    this.#siftUp(this.#size++, timeNs, seq, slot);
  }

  /** Removes the earliest event into the `popped*` fields; false when empty. */
  pop(): boolean {
    if (this.#size === 0) return false;
    this.#take(0);
    const last = --this.#size;
    if (last > 0) this.#siftDown(0, this.#timeNs[last]!, this.#slotAt[last]!);
    return true;
  }

  // Heap positions, for a time-abstracted step that looks at every pending event (engine #popStep).
  timeAt(i: number): number {
    return this.#timeNs[i]!;
  }
  seqAt(i: number): number {
    return this.#seq[this.#slotAt[i]!]!;
  }
  kindAt(i: number): number {
    return this.#kind[this.#slotAt[i]!]!;
  }
  argAt(i: number): number {
    return this.#arg[this.#slotAt[i]!]!;
  }
  tagAt(i: number): number {
    return this.#tag[this.#slotAt[i]!]!;
  }

  /** Removes the event at heap position `i` (0 ≤ i < size) into the `popped*` fields. */
  removeAt(i: number): void {
    assert(i >= 0 && i < this.#size, 'event-queue: no such slot');
    this.#take(i);
    const last = --this.#size;
    if (i === last) return;
    // The last event fills the hole: it moves up if it sorts before the hole's parent, else down.
    const t = this.#timeNs[last]!;
    const slot = this.#slotAt[last]!;
    const s = this.#seq[slot]!;
    const parent = (i - 1) >> ARITY_SHIFT;
    if (i > 0 && this.#before(t, s, parent)) this.#siftUp(i, t, s, slot);
    else this.#siftDown(i, t, slot);
  }

  /** Reads the event at position `i` into the popped fields and frees its slot. */
  #take(i: number): void {
    const slot = this.#slotAt[i]!;
    this.poppedTimeNs = this.#timeNs[i]!;
    this.poppedSeq = this.#seq[slot]!;
    this.poppedKind = this.#kind[slot]!;
    this.poppedArg = this.#arg[slot]!;
    this.poppedTag = this.#tag[slot]!;
    this.#free[this.#freeTop++] = slot;
  }

  /** Whether (t, s) sorts before the event at position `i`. */
  #before(t: number, s: number, i: number): boolean {
    const ti = this.#timeNs[i]!;
    return t < ti || (t === ti && s < this.#seq[this.#slotAt[i]!]!);
  }

  /** Places the event (t, s at `slot`) at the hole `start` or above it. */
  #siftUp(start: number, t: number, s: number, slot: number): void {
    const timeArr = this.#timeNs;
    const slotAt = this.#slotAt;
    const seq = this.#seq;
    let i = start;
    while (i > 0) {
      const parent = (i - 1) >> ARITY_SHIFT;
      const pt = timeArr[parent]!;
      if (pt < t || (pt === t && seq[slotAt[parent]!]! < s)) break;
      timeArr[i] = pt;
      slotAt[i] = slotAt[parent]!;
      i = parent;
    }
    timeArr[i] = t;
    slotAt[i] = slot;
  }

  /** Places the event (t at `slot`) into the hole at `start` or below it. */
  #siftDown(start: number, t: number, slot: number): void {
    const timeArr = this.#timeNs;
    const slotAt = this.#slotAt;
    const seq = this.#seq;
    const s = seq[slot]!;
    const size = this.#size;
    let i = start;
    for (;;) {
      const first = (i << ARITY_SHIFT) + 1;
      if (first >= size) break;
      // The earliest of the (up to four) children.
      let child = first;
      let ct = timeArr[first]!;
      const end = first + ARITY < size ? first + ARITY : size;
      for (let c = first + 1; c < end; c++) {
        const tc = timeArr[c]!;
        if (tc < ct || (tc === ct && seq[slotAt[c]!]! < seq[slotAt[child]!]!)) {
          child = c;
          ct = tc;
        }
      }
      if (t < ct || (t === ct && s < seq[slotAt[child]!]!)) break;
      timeArr[i] = ct;
      slotAt[i] = slotAt[child]!;
      i = child;
    }
    timeArr[i] = t;
    slotAt[i] = slot;
  }

  /** Doubles every array; the new slots go on the free stack. */
  #grow(): void {
    const old = this.#timeNs.length;
    const capacity = old * 2;
    const grow = <T extends Float64Array | Int32Array>(prev: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(prev);
      return next;
    };
    this.#timeNs = grow(this.#timeNs, (n) => new Float64Array(n));
    this.#slotAt = grow(this.#slotAt, (n) => new Int32Array(n));
    this.#seq = grow(this.#seq, (n) => new Float64Array(n));
    this.#kind = grow(this.#kind, (n) => new Int32Array(n));
    this.#arg = grow(this.#arg, (n) => new Int32Array(n));
    this.#tag = grow(this.#tag, (n) => new Int32Array(n));
    this.#free = new Int32Array(capacity);
    // Every slot below `old` is in use (the heap was full): the free ones are the new ones.
    for (let i = 0; i < old; i++) this.#free[i] = capacity - 1 - i;
    this.#freeTop = old;
  }
}
