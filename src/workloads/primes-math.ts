/**
 * The arithmetic of the primes workload, as plain functions: trial division by the base primes
 * (which counts the divisions it really performs) and an independent sieve used to check it.
 */

/** Cycles one trial division costs: a 32-bit DIV, ~26 cycles latency on recent x86 (Agner Fog's tables). */
export const CYCLES_PER_DIVISION = 26;
/** Cycles of loop overhead per candidate integer (load, compare, branch). */
export const CYCLES_PER_CANDIDATE = 6;

export interface SegmentResult {
  count: number;
  /** Sum of the primes found, mod 2^32: the checksum. */
  sum: number;
  divisions: number;
}

/** Primes up to `limit` inclusive (simple sieve), for trial division bases. */
export function basePrimes(limit: number): number[] {
  const composite = new Uint8Array(limit + 1);
  const primes: number[] = [];
  for (let i = 2; i <= limit; i++) {
    if (composite[i]) continue;
    primes.push(i);
    for (let j = i * i; j <= limit; j += i) composite[j] = 1;
  }
  return primes;
}

/** Counts primes in [lo, hi) by trial division, counting every division performed. */
export function trialDivide(lo: number, hi: number, bases: readonly number[]): SegmentResult {
  let count = 0;
  let sum = 0;
  let divisions = 0;
  for (let n = Math.max(lo, 2); n < hi; n++) {
    let prime = true;
    for (let i = 0; i < bases.length; i++) {
      const p = bases[i]!;
      if (p * p > n) break;
      divisions++;
      if (n % p === 0) {
        prime = false;
        break;
      }
    }
    if (prime) {
      count++;
      sum = (sum + n) >>> 0;
    }
  }
  return { count, sum, divisions };
}

/** Reference answers already computed, by range: every run of a study checks the same range. */
const sieveCache = new Map<string, { count: number; sum: number }>();

/** The reference answer for [lo, hi), by a sieve of Eratosthenes outside the simulation. */
export function sieveCount(lo: number, hi: number): { count: number; sum: number } {
  const key = `${lo},${hi}`;
  let answer = sieveCache.get(key);
  if (answer === undefined) sieveCache.set(key, (answer = sieve(lo, hi)));
  return answer;
}

function sieve(lo: number, hi: number): { count: number; sum: number } {
  const composite = new Uint8Array(hi);
  let count = 0;
  let sum = 0;
  for (let i = 2; i < hi; i++) {
    if (composite[i]) continue;
    if (i >= lo) {
      count++;
      sum = (sum + i) >>> 0;
    }
    for (let j = i * i; j < hi; j += i) composite[j] = 1;
  }
  return { count, sum };
}

/** The segments [lo, hi) of one worker: dealt round-robin (interleaved) or as one block (contiguous). */
export function workerSegments(
  range: readonly [number, number],
  segment: number,
  workers: number,
  index: number,
  partition: 'interleaved' | 'contiguous',
): [number, number][] {
  const [lo, hi] = range;
  const total = Math.ceil((hi - lo) / segment);
  const mine: number[] = [];
  if (partition === 'interleaved') {
    for (let s = index; s < total; s += workers) mine.push(s);
  } else {
    const per = Math.ceil(total / workers);
    for (let s = index * per; s < Math.min(total, (index + 1) * per); s++) mine.push(s);
  }
  return mine.map((s) => [lo + s * segment, Math.min(hi, lo + (s + 1) * segment)]);
}
