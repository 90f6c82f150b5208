/**
 * A scenario's `[sweep]`: the same configuration at several CPU counts, `runs` seeds each, with
 * the median of one timing metric and the speedup against the first count (SCHED-13, RING-6).
 * A run is rejected, as the scaling harness rejects it, when it ended in an error, its primes
 * checksum is wrong, or its timed section was serialised.
 */
import { NO_CLOCK, TraceHash } from '../engine/trace-hash.ts';
import { FAMILIES } from './metric-registry.ts';
import { runScaleRuns, type ScalePoint, scaleRunConfigs, scalePointOf } from './scale.ts';
import type { RunReport } from './types.ts';
import { ratio3 } from './stats.ts';
import type { RunConfig } from '../machine/config.ts';
import type { WallBudget } from './wall-budget.ts';
import { TraceKind } from '../abi/trace.ts';

export interface SweepResult {
  metrics: Record<string, number>;
  /** Trace hashes of every run, in order, for the report. */
  hashes: string[];
}

/** `idleFold`: as BuildOptions.idleFold, for every run of the sweep. */
export function runSweep(config: RunConfig, wall?: WallBudget, idleFold?: boolean): SweepResult {
  const sweep = config.sweep;
  if (sweep === null) return { metrics: {}, hashes: [] };
  return sweepResult(
    sweep.cpus.map((cpus) => runScaleRuns(config, cpus, sweep.runs, sweep.metric, wall, idleFold)),
  );
}

/** The sweep's runs, point by point, for a runner to run (run.ts `runConfigOn`). */
export function sweepRunConfigs(config: RunConfig): RunConfig[][] {
  const sweep = config.sweep;
  return sweep === null ? [] : sweep.cpus.map((cpus) => scaleRunConfigs(config, cpus, sweep.runs));
}

/** The sweep from its runs' reports, in sweepRunConfigs' order. */
export function sweepFromReports(
  config: RunConfig,
  points: readonly RunConfig[][],
  reports: readonly RunReport[],
): SweepResult {
  const sweep = config.sweep;
  if (sweep === null) return { metrics: {}, hashes: [] };
  let taken = 0;
  return sweepResult(
    points.map((configs, i) => {
      const mine = reports.slice(taken, (taken += configs.length));
      const seeds = configs.map((c) => c.seed);
      return scalePointOf(sweep.cpus[i]!, seeds, mine, sweep.metric);
    }),
  );
}

/** Medians, speedups against the first point with a median, and the rejected runs' count. */
function sweepResult(points: readonly ScalePoint[]): SweepResult {
  const metrics: Record<string, number> = {};
  const hashes: string[] = [];
  let base: number | null = null;
  let rejected = 0;
  for (const point of points) {
    const cpus = point.cpus;
    hashes.push(...point.runs.map((r) => r.trace_hash));
    rejected += point.runs.filter((r) => r.rejected !== null).length;
    if (point.median_ns === null) continue;
    metrics[FAMILIES.sweepMedian.of(cpus)] = point.median_ns;
    base ??= point.median_ns;
    metrics[FAMILIES.sweepSpeedup.of(cpus)] = ratio3(base, point.median_ns);
  }
  metrics[FAMILIES.sweepRejected.of()] = rejected;
  return { metrics, hashes };
}

/** One hash over several runs' hashes (16 hex digits each), so a sweep has one identity. */
export function combineHashes(hashes: readonly string[]): string {
  const combined = new TraceHash(NO_CLOCK);
  for (const hex of hashes) {
    combined.mix(
      TraceKind.SweepHash,
      Number.parseInt(hex.slice(0, 8), 16),
      Number.parseInt(hex.slice(8, 16), 16),
    );
  }
  return combined.hex();
}
