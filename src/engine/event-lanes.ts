/**
 * Sorted lanes of events: LANES ring buffers, each in (time, sequence) order, for the engine's
 * event queue (event-queue.ts). A simulation's events come in a few monotone streams (each busy
 * CPU's next compute end a fixed step after the last, each CPU's next tick a period after the
 * last), so most events pushed are no earlier than the last event of one stream: appended to
 * that lane they cost O(1), and a pop is a look at LANES heads instead of a sift through the
 * heap's levels (four at 256 CPUs). An event goes to the lane whose last event is the latest
 * that is not after it (best fit, as patience sorting deals cards); an empty lane takes what
 * fits no other. An event earlier than every lane's last goes to the heap instead.
 *
 * Storage is flat typed arrays, lane j at [j·cap, (j+1)·cap), each a ring from head[j]; empty
 * lanes read as head +∞ and tail −∞, so the scans need no emptiness test.
 * @module
 */

/** Lanes kept: enough for the streams of a busy machine (compute ends, ticks, timers). */
export const LANES = 4;
const CAPACITY_INITIAL = 64;

export class EventLanes {
  cap = CAPACITY_INITIAL;
  time = new Float64Array(LANES * CAPACITY_INITIAL);
  seq = new Float64Array(LANES * CAPACITY_INITIAL);
  kind = new Int32Array(LANES * CAPACITY_INITIAL);
  arg = new Int32Array(LANES * CAPACITY_INITIAL);
  tag = new Int32Array(LANES * CAPACITY_INITIAL);
  readonly head = new Int32Array(LANES);
  readonly count = new Int32Array(LANES);
  /** (time, seq) of each lane's first event; +∞ when empty. */
  readonly headTime = new Float64Array(LANES).fill(Number.POSITIVE_INFINITY);
  readonly headSeq = new Float64Array(LANES).fill(Number.POSITIVE_INFINITY);
  /** (time, seq) of each lane's last event; −∞ when empty. */
  readonly tailTime = new Float64Array(LANES).fill(Number.NEGATIVE_INFINITY);
  readonly tailSeq = new Float64Array(LANES).fill(Number.NEGATIVE_INFINITY);

  /** The lane whose last event is the latest not after (t, s); −1 if every lane's is after it. */
  bestFit(t: number, s: number): number {
    const tailTime = this.tailTime;
    const tailSeq = this.tailSeq;
    let best = -1;
    let bestT = 0;
    let bestS = 0;
    for (let j = 0; j < LANES; j++) {
      const tt = tailTime[j]!;
      const ts = tailSeq[j]!;
      if (tt > t || (tt === t && ts > s)) continue;
      if (best < 0 || tt > bestT || (tt === bestT && ts > bestS)) {
        best = j;
        bestT = tt;
        bestS = ts;
      }
    }
    return best;
  }

  /** Appends the event to lane `j`, whose last event is not after it. */
  append(j: number, t: number, s: number, kind: number, arg: number, tag: number): void {
    if (this.count[j] === this.cap) this.#grow();
    const i = j * this.cap + ((this.head[j]! + this.count[j]!) & (this.cap - 1));
    this.time[i] = t;
    this.seq[i] = s;
    this.kind[i] = kind;
    this.arg[i] = arg;
    this.tag[i] = tag;
    const n = this.count[j]!;
    this.count[j] = n + 1;
    if (n === 0) {
      this.headTime[j] = t;
      this.headSeq[j] = s;
    }
    this.tailTime[j] = t;
    this.tailSeq[j] = s;
  }

  /** The flat index of lane `j`'s `k`-th event. */
  at(j: number, k: number): number {
    return j * this.cap + ((this.head[j]! + k) & (this.cap - 1));
  }

  /** Drops lane `j`'s first event (read it through `at(j, 0)` first). */
  shift(j: number): void {
    const n = this.count[j]! - 1;
    this.count[j] = n;
    this.head[j] = (this.head[j]! + 1) & (this.cap - 1);
    if (n === 0) this.#emptied(j);
    else {
      const i = this.at(j, 0);
      this.headTime[j] = this.time[i]!;
      this.headSeq[j] = this.seq[i]!;
    }
  }

  /** Drops lane `j`'s `k`-th event, closing the gap from behind. */
  removeAt(j: number, k: number): void {
    const n = this.count[j]! - 1;
    for (let m = k; m < n; m++) this.#copy(this.at(j, m + 1), this.at(j, m));
    this.count[j] = n;
    if (n === 0) {
      this.#emptied(j);
      return;
    }
    const first = this.at(j, 0);
    const last = this.at(j, n - 1);
    this.headTime[j] = this.time[first]!;
    this.headSeq[j] = this.seq[first]!;
    this.tailTime[j] = this.time[last]!;
    this.tailSeq[j] = this.seq[last]!;
  }

  #emptied(j: number): void {
    this.head[j] = 0;
    this.headTime[j] = Number.POSITIVE_INFINITY;
    this.headSeq[j] = Number.POSITIVE_INFINITY;
    this.tailTime[j] = Number.NEGATIVE_INFINITY;
    this.tailSeq[j] = Number.NEGATIVE_INFINITY;
  }

  #copy(from: number, to: number): void {
    this.time[to] = this.time[from]!;
    this.seq[to] = this.seq[from]!;
    this.kind[to] = this.kind[from]!;
    this.arg[to] = this.arg[from]!;
    this.tag[to] = this.tag[from]!;
  }

  /** Doubles every lane's capacity, each lane's events moved to the start of its new range. */
  #grow(): void {
    const cap = this.cap * 2;
    const old = { time: this.time, seq: this.seq, kind: this.kind, arg: this.arg, tag: this.tag };
    this.time = new Float64Array(LANES * cap);
    this.seq = new Float64Array(LANES * cap);
    this.kind = new Int32Array(LANES * cap);
    this.arg = new Int32Array(LANES * cap);
    this.tag = new Int32Array(LANES * cap);
    const oldMask = this.cap - 1;
    for (let j = 0; j < LANES; j++) {
      for (let k = 0; k < this.count[j]!; k++) {
        const from = j * this.cap + ((this.head[j]! + k) & oldMask);
        const to = j * cap + k;
        this.time[to] = old.time[from]!;
        this.seq[to] = old.seq[from]!;
        this.kind[to] = old.kind[from]!;
        this.arg[to] = old.arg[from]!;
        this.tag[to] = old.tag[from]!;
      }
      this.head[j] = 0;
    }
    this.cap = cap;
  }
}
