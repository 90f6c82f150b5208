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
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  #belowN = -1;
  #belowLimit = 0;

  constructor(seed: number) {
    assert(Number.isInteger(seed), 'prng: seed must be an integer');
    let s = (seed ^ Math.floor(seed / 0x100000000)) | 0;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [next, out] = splitmix32(s);
      s = next;
      words.push(out);
    }
    this.#a = words[0]!;
    this.#b = words[1]!;
    this.#c = words[2]!;
    this.#d = words[3]! | 1;
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextU32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** A uniform integer in [0, n), 1 <= n <= 2^32, without modulo bias (rejection sampling). */
  below(n: number): number {
    if (n !== this.#belowN) this.#setBelow(n);
    if (n === 1) return 0;
    // Accept x only below the largest multiple of n that fits in 32 bits; all values are exact.
    // x - floor(x / n) * n is x % n without V8's slow out-of-line float modulo.
    for (;;) {
      const x = this.nextU32();
      if (x < this.#belowLimit) return x - Math.floor(x / n) * n;
    }
  }

  /** Caches the rejection limit: the hot path draws with the same n again and again. */
  #setBelow(n: number): void {
    assert(n >= 1 && n <= 0x100000000 && Number.isInteger(n), 'prng: below() range');
    this.#belowN = n;
    this.#belowLimit = 0x100000000 - (0x100000000 % n);
  }

  /** An independent generator derived from this one (for per-CPU or per-device streams). */
  fork(): Prng {
    return new Prng(this.nextU32());
  }
}
