/**
 * The engine's event queue: a 4-ary min-heap over typed arrays, ordered by (time, sequence).
 * Four children a node halve the levels a pop sifts through against a binary heap (a 256-CPU
 * machine keeps ~512 events queued; issue 14), for a few more comparisons per level within one
 * cache line of each array. (time, sequence) is a total order, so the events pop in the same
 * order whatever the heap's shape: runs are unchanged event for event.
 *
 * This is the hot path of every simulation, so it stores no objects: an event is a time, an
 * insertion sequence number, a handler kind and two integer arguments. The heap itself holds
 * only each event's time and the id of its slot in the payload arrays (sequence, kind, arg,
 * tag), so a sift moves two numbers a level instead of five; the payload is written at push and
 * read at pop. Equal times pop in insertion order, which is what makes runs deterministic.
 *
 * A pop leaves the root empty (a hole) instead of sifting the last event into it at once: the
 * handler that runs next usually pushes its own next event, which then goes into the hole with
 * one sift down (a heap's replace-top) instead of a sift down for the pop and a sift up for the
 * push. Whatever reads the heap by slot, or pops again, fills the hole first (#settle).
 */
import { assert } from './assert.ts';

const CAPACITY_INITIAL = 1024;
/** Children per node, and its log2 (a child of i is (i << ARITY_SHIFT) + 1 .. + ARITY). */
const ARITY = 4;
const ARITY_SHIFT = 2;

export class EventQueue {
  // The heap, by position: each event's time and payload id.
  #timeNs = new Float64Array(CAPACITY_INITIAL);
  #id = new Int32Array(CAPACITY_INITIAL);
  // The payload, by id.
  #seq = new Float64Array(CAPACITY_INITIAL);
  #kind = new Int32Array(CAPACITY_INITIAL);
  #arg = new Int32Array(CAPACITY_INITIAL);
  #tag = new Int32Array(CAPACITY_INITIAL);
  /** Payload ids not in use, a stack: `#free[0 .. #freeCount)`. */
  #free = freeIds(0, CAPACITY_INITIAL);
  #freeCount = CAPACITY_INITIAL;
  /** Events queued (the hole, when there is one, is not an event). */
  #size = 0;
  /** The root is empty after a pop: the events are at positions 1 .. #size. */
  #hole = false;
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
    if (!this.#hole) return this.#size === 0 ? Number.POSITIVE_INFINITY : this.#timeNs[0]!;
    // The earliest event is one of the empty root's children.
    const last = Math.min(this.#size, ARITY);
    let timeNs = Number.POSITIVE_INFINITY;
    for (let i = 1; i <= last; i++) if (this.#timeNs[i]! < timeNs) timeNs = this.#timeNs[i]!;
    return timeNs;
  }

  /** Time of the second-earliest event (a child of the root); Infinity if fewer than two. */
  peekSecondTimeNs(): number {
    if (this.#hole) this.#settle();
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
    if (this.#freeCount === 0) this.#grow();
    const id = this.#free[--this.#freeCount]!;
    this.#seq[id] = seq;
    this.#kind[id] = kind;
    this.#arg[id] = arg;
    this.#tag[id] = tag;
    if (this.#hole) {
      // Replace-top: the new event takes the empty root and sinks to its place.
      this.#hole = false;
      this.#size++;
      this.#siftDown(0, timeNs, id);
      return;
    }
    this.#siftUp(this.#size++, timeNs, id);
  }

  /** Removes the earliest event into the `popped*` fields; false when empty. */
  pop(): boolean {
    if (this.#hole) this.#settle();
    if (this.#size === 0) return false;
    this.#take(0);
    this.#size--;
    this.#hole = true;
    return true;
  }

  // Heap slots, for a time-abstracted step that looks at every pending event (engine #popStep)
  // and the idle fold's horizon: positions 0 .. size - 1, the hole filled first.
  timeAt(i: number): number {
    if (this.#hole) this.#settle();
    return this.#timeNs[i]!;
  }
  seqAt(i: number): number {
    if (this.#hole) this.#settle();
    return this.#seq[this.#id[i]!]!;
  }
  kindAt(i: number): number {
    if (this.#hole) this.#settle();
    return this.#kind[this.#id[i]!]!;
  }
  argAt(i: number): number {
    if (this.#hole) this.#settle();
    return this.#arg[this.#id[i]!]!;
  }
  tagAt(i: number): number {
    if (this.#hole) this.#settle();
    return this.#tag[this.#id[i]!]!;
  }

  /** Removes the event in heap slot `i` (0 ≤ i < size) into the `popped*` fields. */
  removeAt(i: number): void {
    if (this.#hole) this.#settle();
    assert(i >= 0 && i < this.#size, 'event-queue: no such slot');
    this.#take(i);
    const last = --this.#size;
    if (i === last) return;
    // The last event fills the hole: it moves up if it sorts before the hole's parent, else down.
    const t = this.#timeNs[last]!;
    const id = this.#id[last]!;
    if (i > 0 && this.#before(t, id, (i - 1) >> ARITY_SHIFT)) this.#siftUp(i, t, id);
    else this.#siftDown(i, t, id);
  }

  /** Copies the event at position `i` into the `popped*` fields and frees its payload id. */
  #take(i: number): void {
    const id = this.#id[i]!;
    this.poppedTimeNs = this.#timeNs[i]!;
    this.poppedSeq = this.#seq[id]!;
    this.poppedKind = this.#kind[id]!;
    this.poppedArg = this.#arg[id]!;
    this.poppedTag = this.#tag[id]!;
    this.#free[this.#freeCount++] = id;
  }

  /** Fills the empty root with the last event (the second half of a pop). */
  #settle(): void {
    this.#hole = false;
    const last = this.#size;
    if (last === 0) return;
    this.#siftDown(0, this.#timeNs[last]!, this.#id[last]!);
  }

  /** Whether the event (t, id) sorts before the one at position `i`. */
  #before(t: number, id: number, i: number): boolean {
    const ti = this.#timeNs[i]!;
    return t < ti || (t === ti && this.#seq[id]! < this.#seq[this.#id[i]!]!);
  }

  /** Places the event (t, id) at the free position `start` or above it. */
  #siftUp(start: number, t: number, id: number): void {
    const timeArr = this.#timeNs;
    const idArr = this.#id;
    let i = start;
    while (i > 0) {
      const parent = (i - 1) >> ARITY_SHIFT;
      if (!this.#before(t, id, parent)) break;
      timeArr[i] = timeArr[parent]!;
      idArr[i] = idArr[parent]!;
      i = parent;
    }
    timeArr[i] = t;
    idArr[i] = id;
  }

  /** Places the event (t, id) at the free position `start` or below it, within `#size`. */
  #siftDown(start: number, t: number, id: number): void {
    const timeArr = this.#timeNs;
    const idArr = this.#id;
    const seqArr = this.#seq;
    const size = this.#size;
    let i = start;
    for (;;) {
      const first = (i << ARITY_SHIFT) + 1;
      if (first >= size) break;
      // The earliest of the (up to four) children.
      let child = first;
      let ct = timeArr[first]!;
      const end = Math.min(first + ARITY, size);
      for (let c = first + 1; c < end; c++) {
        const tc = timeArr[c]!;
        if (tc < ct || (tc === ct && seqArr[idArr[c]!]! < seqArr[idArr[child]!]!)) {
          child = c;
          ct = tc;
        }
      }
      if (t < ct || (t === ct && seqArr[id]! < seqArr[idArr[child]!]!)) break;
      timeArr[i] = ct;
      idArr[i] = idArr[child]!;
      i = child;
    }
    timeArr[i] = t;
    idArr[i] = id;
  }

  #grow(): void {
    const old = this.#timeNs.length;
    const capacity = old * 2;
    const grow = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(a);
      return next;
    };
    this.#timeNs = grow(this.#timeNs, (n) => new Float64Array(n));
    this.#id = grow(this.#id, (n) => new Int32Array(n));
    this.#seq = grow(this.#seq, (n) => new Float64Array(n));
    this.#kind = grow(this.#kind, (n) => new Int32Array(n));
    this.#arg = grow(this.#arg, (n) => new Int32Array(n));
    this.#tag = grow(this.#tag, (n) => new Int32Array(n));
    this.#free = freeIds(old, capacity);
    this.#freeCount = capacity - old;
  }
}

/** A free-id stack holding `from .. to - 1`, the lowest on top. */
function freeIds(from: number, to: number): Int32Array {
  const ids = new Int32Array(to);
  for (let i = 0; i < to - from; i++) ids[i] = to - 1 - i;
  return ids;
}
