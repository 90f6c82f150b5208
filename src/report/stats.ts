/** Small statistics helpers: nearest-rank percentiles, medians, Jain's fairness index. */
import type { LatencySummary } from './types.ts';

/** Nearest-rank percentile of an ascending array (p in 0..100). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** a / b rounded to three decimals: how speedups and improvement ratios are reported. */
export function ratio3(a: number, b: number): number {
  return Math.round((a / b) * 1000) / 1000;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return 0;
  return n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

/** An ascending copy of `values` (typed-array sort is numeric), to share between the two below. */
export function sortedCopy(values: Float64Array): Float64Array {
  return values.slice().sort();
}

/**
 * The nearest-rank percentiles 0, 1, … 100 of `values` (p0 is the minimum); empty when none.
 * `sorted`: the values are already ascending (sortedCopy), so no second sort is made.
 */
export function percentileCurve(values: Float64Array, sorted = false): number[] {
  if (values.length === 0) return [];
  const asc = sorted ? values : sortedCopy(values);
  return Array.from({ length: 101 }, (_, p) => (p === 0 ? asc[0]! : percentile(asc, p)));
}

/** Count, p50/p90/p99 and max of `values`; `sorted` as percentileCurve's. */
export function summariseLatencies(values: Float64Array, isSorted = false): LatencySummary {
  const count = values.length;
  const sorted = isSorted ? values : sortedCopy(values);
  return {
    count,
    p50_ns: percentile(sorted, 50),
    p90_ns: percentile(sorted, 90),
    p99_ns: percentile(sorted, 99),
    max_ns: count === 0 ? 0 : sorted[count - 1]!,
  };
}
