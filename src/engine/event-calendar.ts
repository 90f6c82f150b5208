/**
 * A calendar queue of events (R. Brown, "Calendar queues", CACM 31(10), 1988), ordered by (time,
 * sequence), for the engine's queue when it holds many events (event-queue.ts): a 256-CPU
 * machine keeps about 257 pending, each a CPU's next compute end or tick, interleaved densely in
 * time, so a heap pays about four sift levels each way per event; here a push walks one short
 * sorted bucket and a pop looks at the next bucket or two.
 *
 * Buckets of `widthNs` each; an event of time t belongs to absolute bucket ⌊t / width⌋, kept in
 * list (that & mask), sorted by (time, seq), so a list holds its own "year" first and later
 * years' events after. `#pos` is an absolute bucket no event is before; the earliest event is
 * the head of list (pos & mask) if that head's absolute bucket is pos, else pos moves on; after
 * a whole year of empty buckets it jumps to the earliest head. The earliest event is found
 * eagerly after each removal, so peeking is O(1), and `#pos` is then its bucket: the earliest
 * event is the head of list (pos & mask) whenever there is one (removeMin relies on it).
 *
 * Bucket count and width adapt: the count doubles when events outnumber twice the buckets and
 * halves below half, and whenever pops scan or pushes walk more than WORK_PER_OP_MAX steps on
 * average over ADAPT_EVERY operations, the calendar is rebuilt with a width from its earliest
 * events' spacing (three times the mean gap, as Brown). Only speed depends on this: the order
 * is (time, seq) whatever the shape, so runs are the same event for event.
 *
 * Storage is one 32-byte record a slot in one buffer: time and seq as doubles, then kind, arg,
 * tag and the list's next as int32s, so an event's fields and its list link share a cache line
 * (two records a line). At 256 CPUs the rest of a run's state evicts the calendar between
 * events, and six arrays by field cost six misses where a record costs one (issue 14). Free
 * slots are a stack linked through `next` (the slot freed last is reused first, its line still
 * warm) and marked by a negative time; the slot-wise access (engine #popStep,
 * kernel/idle-fold.ts) lists the live slots when first asked after a change.
 * @module
 */

import { assert } from './assert.ts';

/**
 * The calendar's constants are enum members: a bundle (scripts/build.mjs, esbuild) writes an
 * enum member's value where it is used, where a module-level `const` of a file with imports
 * becomes a `var` that every use loads from the module's context and checks (issue 14: the list
 * walk's four of those a step took a quarter of a pop and push's instructions, 1,066 -> 812).
 */
enum C {
  BUCKETS_MIN = 64,
  ADAPT_EVERY = 4096,
  WORK_PER_OP_MAX = 6,
  NONE = -1,
}

/** A record's length in doubles and in int32s (time, seq, then kind, arg, tag, next). */
enum Stride {
  F64 = 4,
  I32 = 8,
}

/** The int32 fields of a record, by their index among its eight int32s. */
enum Field {
  KIND = 4,
  ARG = 5,
  TAG = 6,
  NEXT = 7,
}

/** The time a free slot holds. */
enum Mark {
  FREE = -1,
}

export class EventCalendar {
  #cap = 0;
  #f64 = new Float64Array(0);
  #i32 = new Int32Array(0);
  /** The free slot to use next (a stack through `next`), NONE when full. */
  #freeHead = C.NONE;
  /** The live slots, densely, for liveSlot; rebuilt when asked after a push or removal. */
  #live = new Int32Array(0);
  #liveValid = false;
  #size = 0;

  #heads = new Int32Array(C.BUCKETS_MIN).fill(C.NONE);
  #mask = C.BUCKETS_MIN - 1;
  #perNs = 1;
  #pos = 0;
  #min = C.NONE;
  #ops = 0;
  #work = 0;

  constructor() {
    this.#grow();
  }

  get size(): number {
    return this.#size;
  }

  /** The earliest event's slot, NONE when empty. */
  get minSlot(): number {
    return this.#min;
  }

  time(slot: number): number {
    return this.#f64[slot * Stride.F64]!;
  }
  seq(slot: number): number {
    return this.#f64[slot * Stride.F64 + 1]!;
  }
  kind(slot: number): number {
    return this.#i32[slot * Stride.I32 + Field.KIND]!;
  }
  arg(slot: number): number {
    return this.#i32[slot * Stride.I32 + Field.ARG]!;
  }
  tag(slot: number): number {
    return this.#i32[slot * Stride.I32 + Field.TAG]!;
  }
  #nextOf(slot: number): number {
    return this.#i32[slot * Stride.I32 + Field.NEXT]!;
  }
  #setNext(slot: number, next: number): void {
    this.#i32[slot * Stride.I32 + Field.NEXT] = next;
  }

  /**
   * The slot of the `i`-th pending event, in no particular order (0 ≤ i < size), valid until the
   * next push or removal.
   */
  liveSlot(i: number): number {
    if (!this.#liveValid) this.#listLive();
    return this.#live[i]!;
  }

  #listLive(): void {
    let n = 0;
    for (let slot = 0; slot < this.#cap; slot++) if (this.time(slot) !== Mark.FREE) this.#live[n++] = slot;
    assert(n === this.#size, 'event-calendar: live slots and size disagree');
    this.#liveValid = true;
  }

  push(t: number, s: number, kind: number, arg: number, tag: number): void {
    if (this.#freeHead === C.NONE) this.#grow();
    const slot = this.#freeHead;
    this.#freeHead = this.#nextOf(slot);
    const f = slot * Stride.F64;
    this.#f64[f] = t;
    this.#f64[f + 1] = s;
    const i = slot * Stride.I32;
    this.#i32[i + Field.KIND] = kind;
    this.#i32[i + Field.ARG] = arg;
    this.#i32[i + Field.TAG] = tag;
    this.#size++;
    this.#liveValid = false;
    const abs = this.#link(slot);
    if (this.#min === C.NONE || this.#before(slot, this.#min)) {
      // `#pos` becomes the new earliest event's bucket (it may have been lower: a new calendar
      // starts at 0, and an emptied one keeps its last), so removeMin finds it at that list's head.
      this.#min = slot;
      this.#pos = abs;
    }
    if (this.#size > 2 * (this.#mask + 1)) this.#rebuild((this.#mask + 1) * 2);
    else this.#tally();
  }

  /** Removes the event in `slot` (its fields stay readable until the next push). */
  remove(slot: number): void {
    this.#unlink(slot);
    this.#release(slot);
  }

  /**
   * Removes the earliest event (its fields stay readable until the next push): the head of
   * bucket list (pos & mask), as #findMin and push keep it, so no bucket number is computed and
   * no list walked (issue 14: the pop every event of a 256-CPU machine takes).
   */
  removeMin(): void {
    const slot = this.#min;
    const b = this.#pos & this.#mask;
    assert(this.#heads[b] === slot, 'event-calendar: the earliest event is not its bucket head');
    this.#heads[b] = this.#nextOf(slot);
    this.#release(slot);
  }

  /** Frees an unlinked `slot`, finds the earliest event again if it was that, and adapts. */
  #release(slot: number): void {
    this.#size--;
    this.#liveValid = false;
    this.#f64[slot * Stride.F64] = Mark.FREE;
    this.#setNext(slot, this.#freeHead);
    this.#freeHead = slot;
    if (slot === this.#min) this.#findMin();
    const buckets = this.#mask + 1;
    if (buckets > C.BUCKETS_MIN && this.#size < buckets / 2) this.#rebuild(buckets / 2);
    else this.#tally();
  }

  #bucketOf(t: number): number {
    return Math.floor(t * this.#perNs);
  }

  /** Whether slot a's event sorts before slot b's. */
  #before(a: number, b: number): boolean {
    const f = this.#f64;
    const ta = f[a * Stride.F64]!;
    const tb = f[b * Stride.F64]!;
    return ta < tb || (ta === tb && f[a * Stride.F64 + 1]! < f[b * Stride.F64 + 1]!);
  }

  /** Inserts `slot` into its bucket's list in order; returns its absolute bucket. */
  #link(slot: number): number {
    const abs = this.#bucketOf(this.time(slot));
    if (abs < this.#pos) this.#pos = abs;
    const b = abs & this.#mask;
    let prev = C.NONE;
    let cur = this.#heads[b]!;
    while (cur !== C.NONE && this.#before(cur, slot)) {
      prev = cur;
      cur = this.#nextOf(cur);
      this.#work++;
    }
    this.#setNext(slot, cur);
    if (prev === C.NONE) this.#heads[b] = slot;
    else this.#setNext(prev, slot);
    return abs;
  }

  #unlink(slot: number): void {
    const b = this.#bucketOf(this.time(slot)) & this.#mask;
    let prev = C.NONE;
    let cur = this.#heads[b]!;
    while (cur !== slot) {
      assert(cur !== C.NONE, 'event-calendar: an event is missing from its bucket');
      prev = cur;
      cur = this.#nextOf(cur);
    }
    if (prev === C.NONE) this.#heads[b] = this.#nextOf(slot);
    else this.#setNext(prev, this.#nextOf(slot));
  }

  /** Moves `#pos` to the earliest event's bucket and records its slot. */
  #findMin(): void {
    if (this.#size === 0) {
      this.#min = C.NONE;
      return;
    }
    const heads = this.#heads;
    const mask = this.#mask;
    for (let n = 0; n <= mask; n++) {
      const h = heads[this.#pos & mask]!;
      if (h !== C.NONE && this.#bucketOf(this.time(h)) === this.#pos) {
        this.#min = h;
        return;
      }
      this.#pos++;
      this.#work++;
    }
    // A year of empty buckets: the earliest head, wherever it is.
    let best = C.NONE;
    for (let b = 0; b <= mask; b++) {
      const h = heads[b]!;
      if (h !== C.NONE && (best === C.NONE || this.#before(h, best))) best = h;
    }
    this.#min = best;
    this.#pos = this.#bucketOf(this.time(best));
  }

  /** Counts an operation; every ADAPT_EVERY, rebuilds if they took too many steps. */
  #tally(): void {
    if (++this.#ops < C.ADAPT_EVERY) return;
    const work = this.#work;
    this.#ops = 0;
    this.#work = 0;
    if (work > C.WORK_PER_OP_MAX * C.ADAPT_EVERY) this.#rebuild(this.#mask + 1);
  }

  /** Relinks every event into `buckets` buckets of a width from the earliest events' spacing. */
  #rebuild(buckets: number): void {
    this.#ops = 0;
    this.#work = 0;
    this.#perNs = 1 / this.#widthNs();
    this.#heads = new Int32Array(buckets).fill(C.NONE);
    this.#mask = buckets - 1;
    this.#pos = Number.POSITIVE_INFINITY;
    // Linking moves no slot, so the live list stays valid through the loop.
    for (let i = 0; i < this.#size; i++) this.#link(this.liveSlot(i));
    this.#findMin();
  }

  /**
   * Three times the mean gap among the earliest half of the events (at most 64 of them); if
   * those are all at one time, the mean gap over all; 1 ns if every event is at one time.
   */
  #widthNs(): number {
    const n = this.#size;
    const times = new Float64Array(n);
    for (let i = 0; i < n; i++) times[i] = this.time(this.liveSlot(i));
    times.sort();
    const k = Math.min(64, n >> 1);
    if (k === 0) return 1;
    let gapNs = (times[k]! - times[0]!) / k;
    if (gapNs === 0) gapNs = (times[n - 1]! - times[0]!) / (n - 1);
    return gapNs > 0 ? 3 * gapNs : 1;
  }

  /** Doubles the slots (from none to 256 at the first); the new ones go on the free stack. */
  #grow(): void {
    const old = this.#cap;
    const cap = old === 0 ? 256 : old * 2;
    const f64 = new Float64Array(cap * Stride.F64);
    f64.set(this.#f64);
    this.#f64 = f64;
    this.#i32 = new Int32Array(f64.buffer);
    this.#live = new Int32Array(cap);
    // The new slots pushed from the last down, so the lowest comes off the stack first.
    for (let slot = cap - 1; slot >= old; slot--) {
      f64[slot * Stride.F64] = Mark.FREE;
      this.#setNext(slot, this.#freeHead);
      this.#freeHead = slot;
    }
    this.#cap = cap;
  }
}
