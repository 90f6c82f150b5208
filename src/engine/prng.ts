/**
 * The run's seeded pseudo-random number generator: sfc32 (Chris Doty-Humphrey's Small Fast
 * Counting generator), seeded through splitmix32 so that nearby seeds give unrelated streams.
 * Integer-only state and output: the same seed yields the same sequence on every platform.
 */
import { assert } from './assert.ts';

function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [next, z >>> 0];
}

export class Prng {
  // Initialised to integers, not left undefined until the constructor: a field that held
  // undefined first is a tagged field to V8, and the state's integer math then went through
  // floating point with a type check per load (issue 14).
  #a = 0;
  #b = 0;
  #c = 0;
  #d = 0;
  #belowN = -1;
  #belowLimit = 0;
  /** 1 / #belowN: a multiply instead of a divide per draw (the quotient is then corrected). */
  #belowInv = 0;

  constructor(seed: number) {
    assert(Number.isInteger(seed), 'prng: seed must be an integer');
    let s = (seed ^ Math.floor(seed / 0x100000000)) | 0;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [next, out] = splitmix32(s);
      s = next;
      words.push(out);
    }
    // Held as signed 32-bit integers (the same bits; every step works modulo 2^32), so that
    // the fields stay small integers to V8.
    this.#a = words[0]! | 0;
    this.#b = words[1]! | 0;
    this.#c = words[2]! | 0;
    this.#d = words[3]! | 1;
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextU32(): number {
    return this.#step() >>> 0;
  }

  /**
   * One sfc32 step: the output as a signed 32-bit integer (a Smi to V8, never a boxed number,
   * even where this is not inlined; the unsigned value is `>>> 0` of it).
   */
  #step(): number {
    const a = this.#a;
    const b = this.#b;
    const c = this.#c;
    const d = this.#d;
    const t = (((a + b) | 0) + d) | 0;
    this.#d = (d + 1) | 0;
    this.#a = b ^ (b >>> 9);
    this.#b = (c + (c << 3)) | 0;
    this.#c = (((c << 21) | (c >>> 11)) + t) | 0;
    return t;
  }

  /** A uniform integer in [0, n), 1 <= n <= 2^32, without modulo bias (rejection sampling). */
  below(n: number): number {
    if (n !== this.#belowN) this.#setBelow(n);
    if (n === 1) return 0;
    // Accept x only below the largest multiple of n that fits in 32 bits; all values are exact.
    // x - floor(x / n) * n is x % n without V8's slow out-of-line float modulo.
    // The draw stays a signed int until here: below() returns a small integer, so a call that
    // V8 does not inline boxes nothing (the jitter draw of every compute burst; issue 14).
    for (;;) {
      const x = this.#step() >>> 0;
      if (x < this.#belowLimit) {
        // x mod n exactly: x·(1/n) is within one ulp of x/n (x < 2^32), so its floor is the
        // quotient or one off near a multiple of n, which the remainder's range check corrects.
        const r = x - Math.floor(x * this.#belowInv) * n;
        return r < 0 ? r + n : r >= n ? r - n : r;
      }
    }
  }

  /** Caches the rejection limit: the hot path draws with the same n again and again. */
  #setBelow(n: number): void {
    assert(n >= 1 && n <= 0x100000000 && Number.isInteger(n), 'prng: below() range');
    this.#belowN = n;
    this.#belowLimit = 0x100000000 - (0x100000000 % n);
    this.#belowInv = 1 / n;
  }

  /** An independent generator derived from this one (for per-CPU or per-device streams). */
  fork(): Prng {
    return new Prng(this.nextU32());
  }
}
