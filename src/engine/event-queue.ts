/**
 * The engine's event queue, ordered by (time, insertion sequence): a 4-ary heap while it holds
 * few events (event-heap.ts: one or two levels, the cheapest), a calendar queue once it holds
 * many (event-calendar.ts), which a machine of many CPUs does (issue 14: at 256 CPUs a heap
 * operation cost about twice a 4-CPU one, four sift levels each way per event). It moves its
 * events to the calendar at CALENDAR_FROM and back to the heap at HEAP_BELOW, far enough apart
 * that a size near one bound does not move them to and fro. (time, sequence) is a total order,
 * so events pop in the same order whichever structure holds them: runs are unchanged event for
 * event (test/engine/event-queue.test.ts checks both against a sorted array).
 *
 * This is the hot path of every simulation, so it stores no objects: an event is a time, a
 * sequence number, a handler kind and two integer arguments, in typed arrays. Equal times pop
 * in insertion order, which is what makes runs deterministic.
 */
import { assert } from './assert.ts';
import { EventCalendar } from './event-calendar.ts';
import { EventHeap } from './event-heap.ts';

/** Events at which the heap's events move to the calendar, and below which they move back. */
export const CALENDAR_FROM = 64;
export const HEAP_BELOW = 16;

export class EventQueue {
  #heap = new EventHeap();
  #calendar: EventCalendar | null = null;
  #seqNext = 0;

  /** Fields of the event that `pop` removed last (read them before the next `pop`). */
  poppedTimeNs = 0;
  poppedKind = 0;
  poppedArg = 0;
  poppedTag = 0;
  poppedSeq = 0;

  get size(): number {
    return this.#calendar === null ? this.#heap.size : this.#calendar.size;
  }

  /** Time of the earliest event; Infinity when empty. */
  peekTimeNs(): number {
    const c = this.#calendar;
    return c === null ? this.#heap.peekTimeNs() : c.time(c.minSlot);
  }

  /** Time of the second-earliest event; Infinity if fewer than two. */
  peekSecondTimeNs(): number {
    const c = this.#calendar;
    if (c === null) return this.#heap.peekSecondTimeNs();
    // Only with a decider that orders ties (the explorer): take the earliest out, look, put it back.
    const m = c.minSlot;
    const [t, s, kind, arg, tag] = [c.time(m), c.seq(m), c.kind(m), c.arg(m), c.tag(m)];
    c.remove(m);
    const second = c.size === 0 ? Number.POSITIVE_INFINITY : c.time(c.minSlot);
    c.push(t, s, kind, arg, tag);
    return second;
  }

  push(timeNs: number, kind: number, arg: number, tag: number): void {
    this.pushWithSeq(timeNs, this.#seqNext++, kind, arg, tag);
  }

  /** Re-inserts an event with its original sequence number (used when a tie is re-ordered). */
  pushWithSeq(timeNs: number, seq: number, kind: number, arg: number, tag: number): void {
    assert(timeNs >= 0, 'event-queue: negative time');
    const c = this.#calendar;
    if (c !== null) {
      c.push(timeNs, seq, kind, arg, tag);
      return;
    }
    this.#heap.pushWithSeq(timeNs, seq, kind, arg, tag);
    if (this.#heap.size >= CALENDAR_FROM) this.#toCalendar();
  }

  /** Removes the earliest event into the `popped*` fields; false when empty. */
  pop(): boolean {
    const c = this.#calendar;
    if (c === null) {
      if (!this.#heap.pop()) return false;
      this.#copyHeapPopped();
      return true;
    }
    this.#copySlot(c, c.minSlot);
    c.removeMin();
    if (c.size < HEAP_BELOW) this.#toHeap(c);
    return true;
  }

  // Slots 0 … size − 1 name every pending event, in no particular order, for a step that looks
  // at all of them (engine #popStep, kernel/idle-fold.ts); valid until the next push or removal.
  timeAt(i: number): number {
    const c = this.#calendar;
    return c === null ? this.#heap.timeAt(i) : c.time(c.liveSlot(i));
  }
  seqAt(i: number): number {
    const c = this.#calendar;
    return c === null ? this.#heap.seqAt(i) : c.seq(c.liveSlot(i));
  }
  kindAt(i: number): number {
    const c = this.#calendar;
    return c === null ? this.#heap.kindAt(i) : c.kind(c.liveSlot(i));
  }
  argAt(i: number): number {
    const c = this.#calendar;
    return c === null ? this.#heap.argAt(i) : c.arg(c.liveSlot(i));
  }
  tagAt(i: number): number {
    const c = this.#calendar;
    return c === null ? this.#heap.tagAt(i) : c.tag(c.liveSlot(i));
  }

  /** Removes the event in slot `i` (0 ≤ i < size) into the `popped*` fields. */
  removeAt(i: number): void {
    assert(i >= 0 && i < this.size, 'event-queue: no such slot');
    const c = this.#calendar;
    if (c !== null) {
      this.#takeSlot(c, c.liveSlot(i));
      return;
    }
    this.#heap.removeAt(i);
    this.#copyHeapPopped();
  }

  /** The heap's popped fields, as this queue's. */
  #copyHeapPopped(): void {
    const heap = this.#heap;
    this.poppedTimeNs = heap.poppedTimeNs;
    this.poppedSeq = heap.poppedSeq;
    this.poppedKind = heap.poppedKind;
    this.poppedArg = heap.poppedArg;
    this.poppedTag = heap.poppedTag;
  }

  #takeSlot(c: EventCalendar, slot: number): void {
    this.#copySlot(c, slot);
    c.remove(slot);
    if (c.size < HEAP_BELOW) this.#toHeap(c);
  }

  /** A calendar slot's fields, as this queue's popped ones. */
  #copySlot(c: EventCalendar, slot: number): void {
    this.poppedTimeNs = c.time(slot);
    this.poppedSeq = c.seq(slot);
    this.poppedKind = c.kind(slot);
    this.poppedArg = c.arg(slot);
    this.poppedTag = c.tag(slot);
  }

  #toCalendar(): void {
    const heap = this.#heap;
    const c = new EventCalendar();
    for (let i = 0; i < heap.size; i++)
      c.push(heap.timeAt(i), heap.seqAt(i), heap.kindAt(i), heap.argAt(i), heap.tagAt(i));
    this.#heap = new EventHeap();
    this.#calendar = c;
  }

  #toHeap(c: EventCalendar): void {
    const heap = this.#heap;
    for (let i = 0; i < c.size; i++) {
      const slot = c.liveSlot(i);
      heap.pushWithSeq(c.time(slot), c.seq(slot), c.kind(slot), c.arg(slot), c.tag(slot));
    }
    this.#calendar = null;
  }
}
