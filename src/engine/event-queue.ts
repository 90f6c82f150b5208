/**
 * The engine's event queue, ordered by (time, insertion sequence): sorted lanes for the events
 * that extend a monotone stream (event-lanes.ts) and a 4-ary heap for the rest (event-heap.ts).
 * A pop takes the earliest of the lanes' heads and the heap's top. (time, sequence) is a total
 * order, so events pop in the same order whichever structure holds them: runs are unchanged
 * event for event against the heap alone (test/engine/event-queue.test.ts checks against a
 * sorted array). Issue 14: at 256 CPUs a pop sifted through four heap levels, about 130 ns of
 * each event's cost; from a lane it is a look at five heads.
 *
 * This is the hot path of every simulation, so it stores no objects: an event is a time, a
 * sequence number, a handler kind and two integer arguments, each in typed arrays. Equal times
 * pop in insertion order, which is what makes runs deterministic.
 */
import { assert } from './assert.ts';
import { EventHeap } from './event-heap.ts';
import { EventLanes, LANES } from './event-lanes.ts';

/** The source index of the heap beside the lanes 0 … LANES − 1; −1: the queue is empty. */
const HEAP = LANES;
const NONE = -1;
/**
 * Below this many events the heap alone holds them and the lanes stay empty: a small heap is
 * one or two levels deep, cheaper than the lanes' scans (4 CPUs: 15% fewer events a second with
 * lanes, 256 CPUs: 12% more), and with no event in a lane a pop is the heap's pop.
 */
const LANES_FROM = 32;

export class EventQueue {
  readonly #heap = new EventHeap();
  readonly #lanes = new EventLanes();
  #size = 0;
  #seqNext = 0;
  /** Events in the lanes: while 0 the heap is the whole queue. */
  #inLanes = 0;
  /** The source (a lane or HEAP) holding the earliest event, NONE when empty. */
  #min = NONE;

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
    const m = this.#min;
    if (m === NONE) return Number.POSITIVE_INFINITY;
    return m === HEAP ? this.#heap.peekTimeNs() : this.#lanes.headTime[m]!;
  }

  /** Time of the second-earliest event; Infinity if fewer than two. */
  peekSecondTimeNs(): number {
    const m = this.#min;
    if (m === NONE) return Number.POSITIVE_INFINITY;
    const lanes = this.#lanes;
    let second = Number.POSITIVE_INFINITY;
    if (m === HEAP) second = this.#heap.peekSecondTimeNs();
    else if (lanes.count[m]! > 1) second = lanes.time[lanes.at(m, 1)]!;
    for (let j = 0; j < LANES; j++) if (j !== m && lanes.headTime[j]! < second) second = lanes.headTime[j]!;
    if (m !== HEAP && this.#heap.peekTimeNs() < second) second = this.#heap.peekTimeNs();
    return second;
  }

  push(timeNs: number, kind: number, arg: number, tag: number): void {
    this.pushWithSeq(timeNs, this.#seqNext++, kind, arg, tag);
  }

  /** Re-inserts an event with its original sequence number (used when a tie is re-ordered). */
  pushWithSeq(timeNs: number, seq: number, kind: number, arg: number, tag: number): void {
    assert(timeNs >= 0, 'event-queue: negative time');
    this.#size++;
    if (this.#inLanes === 0 && this.#size <= LANES_FROM) {
      this.#heap.pushWithSeq(timeNs, seq, kind, arg, tag);
      this.#min = HEAP;
      return;
    }
    const lane = this.#lanes.bestFit(timeNs, seq);
    const source = lane < 0 ? HEAP : lane;
    if (lane < 0) this.#heap.pushWithSeq(timeNs, seq, kind, arg, tag);
    else {
      this.#lanes.append(lane, timeNs, seq, kind, arg, tag);
      this.#inLanes++;
    }
    // Earlier than the earliest: then it is its source's first event too.
    if (this.#min === NONE || this.#before(timeNs, seq, this.#min)) this.#min = source;
  }

  /** Removes the earliest event into the `popped*` fields; false when empty. */
  pop(): boolean {
    const m = this.#min;
    if (m === NONE) return false;
    if (m === HEAP) this.#popHeap(-1);
    else this.#popLane(m, 0);
    return true;
  }

  // Slots 0 … size − 1 name every pending event (the heap's first, then each lane's in order),
  // for a step that looks at all of them (engine #popStep, kernel/idle-fold.ts). A slot is valid
  // until the next push or removal.
  timeAt(i: number): number {
    return i < this.#heap.size ? this.#heap.timeAt(i) : this.#lanes.time[this.#laneIndex(i)]!;
  }
  seqAt(i: number): number {
    return i < this.#heap.size ? this.#heap.seqAt(i) : this.#lanes.seq[this.#laneIndex(i)]!;
  }
  kindAt(i: number): number {
    return i < this.#heap.size ? this.#heap.kindAt(i) : this.#lanes.kind[this.#laneIndex(i)]!;
  }
  argAt(i: number): number {
    return i < this.#heap.size ? this.#heap.argAt(i) : this.#lanes.arg[this.#laneIndex(i)]!;
  }
  tagAt(i: number): number {
    return i < this.#heap.size ? this.#heap.tagAt(i) : this.#lanes.tag[this.#laneIndex(i)]!;
  }

  /** Removes the event in slot `i` (0 ≤ i < size) into the `popped*` fields. */
  removeAt(i: number): void {
    assert(i >= 0 && i < this.#size, 'event-queue: no such slot');
    if (i < this.#heap.size) {
      this.#popHeap(i);
      return;
    }
    let k = i - this.#heap.size;
    let j = 0;
    while (k >= this.#lanes.count[j]!) k -= this.#lanes.count[j++]!;
    this.#popLane(j, k);
  }

  /** The flat lane index of slot `i` (at or after the heap's slots). */
  #laneIndex(i: number): number {
    let k = i - this.#heap.size;
    const count = this.#lanes.count;
    for (let j = 0; j < LANES; j++) {
      if (k < count[j]!) return this.#lanes.at(j, k);
      k -= count[j]!;
    }
    throw new Error(`event-queue: no slot ${i} of ${this.#size}`);
  }

  /** Removes the heap's top (slot −1) or its slot `slot` into the popped fields. */
  #popHeap(slot: number): void {
    const heap = this.#heap;
    if (slot < 0) heap.pop();
    else heap.removeAt(slot);
    this.poppedTimeNs = heap.poppedTimeNs;
    this.poppedSeq = heap.poppedSeq;
    this.poppedKind = heap.poppedKind;
    this.poppedArg = heap.poppedArg;
    this.poppedTag = heap.poppedTag;
    this.#removed();
  }

  /** Removes lane `j`'s `k`-th event into the popped fields. */
  #popLane(j: number, k: number): void {
    const lanes = this.#lanes;
    const i = lanes.at(j, k);
    this.poppedTimeNs = lanes.time[i]!;
    this.poppedSeq = lanes.seq[i]!;
    this.poppedKind = lanes.kind[i]!;
    this.poppedArg = lanes.arg[i]!;
    this.poppedTag = lanes.tag[i]!;
    if (k === 0) lanes.shift(j);
    else lanes.removeAt(j, k);
    this.#inLanes--;
    this.#removed();
  }

  /** After a removal: one event fewer, and the earliest is found again among the heads. */
  #removed(): void {
    this.#size--;
    if (this.#inLanes === 0) {
      this.#min = this.#size === 0 ? NONE : HEAP;
      return;
    }
    const lanes = this.#lanes;
    const headTime = lanes.headTime;
    const headSeq = lanes.headSeq;
    let m = NONE;
    let t = Number.POSITIVE_INFINITY;
    let s = Number.POSITIVE_INFINITY;
    if (this.#heap.size > 0) {
      m = HEAP;
      t = this.#heap.peekTimeNs();
      s = this.#heap.seqAt(0);
    }
    for (let j = 0; j < LANES; j++) {
      const tj = headTime[j]!;
      if (tj < t || (tj === t && headSeq[j]! < s)) {
        m = j;
        t = tj;
        s = headSeq[j]!;
      }
    }
    this.#min = m;
  }

  /** Whether (t, s) sorts before the first event of source `m`. */
  #before(t: number, s: number, m: number): boolean {
    const mt = m === HEAP ? this.#heap.peekTimeNs() : this.#lanes.headTime[m]!;
    const ms = m === HEAP ? this.#heap.seqAt(0) : this.#lanes.headSeq[m]!;
    return t < mt || (t === mt && s < ms);
  }
}
