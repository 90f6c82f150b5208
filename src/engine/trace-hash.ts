/**
 * The run's identity: a 64-bit hash (two 32-bit lanes of a multiply-xorshift mix) over every
 * scheduling decision, effect and wakeup and the simulated time each happened at, updated on the
 * hot path with integer math only. Time is part of every record (issue 12): two runs that make
 * the same decisions at different times are different runs and get different hashes.
 */

/** Where a hash reads the time of the record being mixed: the engine's clock. */
export interface HashClock {
  readonly nowNs: number;
}

/** The clock of a hash that combines other hashes, outside any run: its records carry time 0. */
export const NO_CLOCK: HashClock = Object.freeze({ nowNs: 0 });

export class TraceHash {
  #h1 = 0x811c9dc5 | 0;
  #h2 = 0x9747b28c | 0;
  readonly #clock: HashClock;
  /** Records mixed in so far. */
  records = 0;

  constructor(clock: HashClock) {
    this.#clock = clock;
  }

  /** Mixes one record of up to three integers (a record kind and its operands) and the time now. */
  mix(kind: number, a: number, b: number): void {
    this.records++;
    const nowNs = this.#clock.nowNs;
    let h1 = this.#h1;
    let h2 = this.#h2;
    h1 = Math.imul(h1 ^ kind, 0x01000193);
    h1 = Math.imul(h1 ^ (a | 0), 0x01000193);
    h1 = Math.imul(h1 ^ (b | 0), 0x01000193);
    // The low 32 bits of the time (ToInt32 wraps), in the lane that takes every operand whole.
    h1 = Math.imul(h1 ^ nowNs, 0x01000193);
    // The other lane takes the low bits of the time too (so both lanes tell times apart), and the
    // high bits of the time and of `a`, which may exceed 32 bits.
    h2 = Math.imul(h2 ^ (a * 31 + kind) ^ nowNs, 0x5bd1e995);
    h2 ^= h2 >>> 15;
    h2 = Math.imul(h2 ^ (b | 0) ^ Math.floor(a / 0x100000000) ^ (nowNs / 0x100000000), 0x5bd1e995);
    h2 ^= h2 >>> 13;
    this.#h1 = h1;
    this.#h2 = h2;
  }

  /** Mixes a time in ns (may exceed 32 bits). */
  mixTime(kind: number, timeNs: number): void {
    this.mix(kind, timeNs % 0x100000000, Math.floor(timeNs / 0x100000000));
  }

  /** The hash as 16 hex digits. */
  hex(): string {
    const f = (x: number) => (x >>> 0).toString(16).padStart(8, '0');
    return f(this.#h1) + f(this.#h2);
  }
}
