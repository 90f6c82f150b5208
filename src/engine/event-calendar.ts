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
 * Storage is typed arrays by slot (time, seq, kind, arg, tag, the list's next), slots reused
 * through a free stack; `#live` lists the slots in use for the slot-wise access (engine
 * #popStep, kernel/idle-fold.ts).
 * @module
 */

import { assert } from './assert.ts';

const BUCKETS_MIN = 64;
const ADAPT_EVERY = 4096;
const WORK_PER_OP_MAX = 6;
const NONE = -1;

export class EventCalendar {
  #cap = 256;
  #time = new Float64Array(this.#cap);
  #seq = new Float64Array(this.#cap);
  #kind = new Int32Array(this.#cap);
  #arg = new Int32Array(this.#cap);
  #tag = new Int32Array(this.#cap);
  #next = new Int32Array(this.#cap);
  #free = Int32Array.from({ length: this.#cap }, (_, i) => this.#cap - 1 - i);
  #freeTop = this.#cap;
  /** Slots in use, densely, and each slot's index there. */
  #live = new Int32Array(this.#cap);
  #liveAt = new Int32Array(this.#cap);
  #size = 0;

  #heads = new Int32Array(BUCKETS_MIN).fill(NONE);
  #mask = BUCKETS_MIN - 1;
  #perNs = 1;
  #pos = 0;
  #min = NONE;
  #ops = 0;
  #work = 0;

  get size(): number {
    return this.#size;
  }

  /** The earliest event's slot, NONE when empty. */
  get minSlot(): number {
    return this.#min;
  }

  time(slot: number): number {
    return this.#time[slot]!;
  }
  seq(slot: number): number {
    return this.#seq[slot]!;
  }
  kind(slot: number): number {
    return this.#kind[slot]!;
  }
  arg(slot: number): number {
    return this.#arg[slot]!;
  }
  tag(slot: number): number {
    return this.#tag[slot]!;
  }
  /** The slot of the `i`-th pending event, in no particular order (0 ≤ i < size). */
  liveSlot(i: number): number {
    return this.#live[i]!;
  }

  push(t: number, s: number, kind: number, arg: number, tag: number): void {
    if (this.#freeTop === 0) this.#grow();
    const slot = this.#free[--this.#freeTop]!;
    this.#time[slot] = t;
    this.#seq[slot] = s;
    this.#kind[slot] = kind;
    this.#arg[slot] = arg;
    this.#tag[slot] = tag;
    this.#live[this.#size] = slot;
    this.#liveAt[slot] = this.#size;
    this.#size++;
    const abs = this.#link(slot);
    if (this.#min === NONE || this.#before(slot, this.#min)) {
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
    this.#heads[b] = this.#next[slot]!;
    this.#release(slot);
  }

  /** Frees an unlinked `slot`, finds the earliest event again if it was that, and adapts. */
  #release(slot: number): void {
    const at = this.#liveAt[slot]!;
    const last = this.#live[--this.#size]!;
    this.#live[at] = last;
    this.#liveAt[last] = at;
    this.#free[this.#freeTop++] = slot;
    if (slot === this.#min) this.#findMin();
    const buckets = this.#mask + 1;
    if (buckets > BUCKETS_MIN && this.#size < buckets / 2) this.#rebuild(buckets / 2);
    else this.#tally();
  }

  #bucketOf(t: number): number {
    return Math.floor(t * this.#perNs);
  }

  /** Whether slot a's event sorts before slot b's. */
  #before(a: number, b: number): boolean {
    const ta = this.#time[a]!;
    const tb = this.#time[b]!;
    return ta < tb || (ta === tb && this.#seq[a]! < this.#seq[b]!);
  }

  /** Inserts `slot` into its bucket's list in order; returns its absolute bucket. */
  #link(slot: number): number {
    const abs = this.#bucketOf(this.#time[slot]!);
    if (abs < this.#pos) this.#pos = abs;
    const b = abs & this.#mask;
    let prev = NONE;
    let cur = this.#heads[b]!;
    while (cur !== NONE && this.#before(cur, slot)) {
      prev = cur;
      cur = this.#next[cur]!;
      this.#work++;
    }
    this.#next[slot] = cur;
    if (prev === NONE) this.#heads[b] = slot;
    else this.#next[prev] = slot;
    return abs;
  }

  #unlink(slot: number): void {
    const b = this.#bucketOf(this.#time[slot]!) & this.#mask;
    let prev = NONE;
    let cur = this.#heads[b]!;
    while (cur !== slot) {
      assert(cur !== NONE, 'event-calendar: an event is missing from its bucket');
      prev = cur;
      cur = this.#next[cur]!;
    }
    if (prev === NONE) this.#heads[b] = this.#next[slot]!;
    else this.#next[prev] = this.#next[slot]!;
  }

  /** Moves `#pos` to the earliest event's bucket and records its slot. */
  #findMin(): void {
    if (this.#size === 0) {
      this.#min = NONE;
      return;
    }
    const heads = this.#heads;
    const mask = this.#mask;
    for (let n = 0; n <= mask; n++) {
      const h = heads[this.#pos & mask]!;
      if (h !== NONE && this.#bucketOf(this.#time[h]!) === this.#pos) {
        this.#min = h;
        return;
      }
      this.#pos++;
      this.#work++;
    }
    // A year of empty buckets: the earliest head, wherever it is.
    let best = NONE;
    for (let b = 0; b <= mask; b++) {
      const h = heads[b]!;
      if (h !== NONE && (best === NONE || this.#before(h, best))) best = h;
    }
    this.#min = best;
    this.#pos = this.#bucketOf(this.#time[best]!);
  }

  /** Counts an operation; every ADAPT_EVERY, rebuilds if they took too many steps. */
  #tally(): void {
    if (++this.#ops < ADAPT_EVERY) return;
    const work = this.#work;
    this.#ops = 0;
    this.#work = 0;
    if (work > WORK_PER_OP_MAX * ADAPT_EVERY) this.#rebuild(this.#mask + 1);
  }

  /** Relinks every event into `buckets` buckets of a width from the earliest events' spacing. */
  #rebuild(buckets: number): void {
    this.#ops = 0;
    this.#work = 0;
    this.#perNs = 1 / this.#widthNs();
    this.#heads = new Int32Array(buckets).fill(NONE);
    this.#mask = buckets - 1;
    this.#pos = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.#size; i++) this.#link(this.#live[i]!);
    this.#findMin();
  }

  /**
   * Three times the mean gap among the earliest half of the events (at most 64 of them); if
   * those are all at one time, the mean gap over all; 1 ns if every event is at one time.
   */
  #widthNs(): number {
    const times = Float64Array.from({ length: this.#size }, (_, i) => this.#time[this.#live[i]!]!).sort();
    const n = times.length;
    const k = Math.min(64, n >> 1);
    if (k === 0) return 1;
    let gapNs = (times[k]! - times[0]!) / k;
    if (gapNs === 0) gapNs = (times[n - 1]! - times[0]!) / (n - 1);
    return gapNs > 0 ? 3 * gapNs : 1;
  }

  /** Doubles the slot arrays; the new slots go on the free stack. */
  #grow(): void {
    const old = this.#cap;
    const cap = old * 2;
    const f64 = (prev: Float64Array) => {
      const next = new Float64Array(cap);
      next.set(prev);
      return next;
    };
    const i32 = (prev: Int32Array) => {
      const next = new Int32Array(cap);
      next.set(prev);
      return next;
    };
    this.#time = f64(this.#time);
    this.#seq = f64(this.#seq);
    this.#kind = i32(this.#kind);
    this.#arg = i32(this.#arg);
    this.#tag = i32(this.#tag);
    this.#next = i32(this.#next);
    this.#live = i32(this.#live);
    this.#liveAt = i32(this.#liveAt);
    this.#free = new Int32Array(cap);
    for (let i = 0; i < old; i++) this.#free[i] = cap - 1 - i;
    this.#freeTop = old;
    this.#cap = cap;
  }
}
