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

/** The nearest-rank percentiles 0, 1, … 100 of `values` (p0 is the minimum); empty when none. */
export function percentileCurve(values: Float64Array): number[] {
  if (values.length === 0) return [];
  const sorted = values.slice().sort();
  return Array.from({ length: 101 }, (_, p) => (p === 0 ? sorted[0]! : percentile(sorted, p)));
}

export function summariseLatencies(values: Float64Array): LatencySummary {
  const count = values.length;
  const sorted = values.slice().sort();
  return {
    count,
    p50_ns: percentile(sorted, 50),
    p90_ns: percentile(sorted, 90),
    p99_ns: percentile(sorted, 99),
    max_ns: count === 0 ? 0 : sorted[count - 1]!,
  };
}
