/**
 * The primes fidelity study (issue 23): the same prime counting on the host (fidelity/primes.c,
 * operation for operation as the guest program: the same base primes, segments and divisions)
 * and in smpsim under the fair policy, at 1..N workers on as many CPUs, in the three shapes the
 * issue measured (contiguous threads, contiguous processes, interleaved threads). Each point
 * gives the absolute times and the 1→N speedups side by side, with signed relative errors
 * (smpsim − host) / host. The host figure is the median of `runs` runs pinned with taskset,
 * taken round by round over the points.
 * @module
 */
import type { PrimesMode, PrimesPartition, RunConfig } from '../../machine/config.ts';
import { defaultRunConfig, primesWorkload } from '../../machine/defaults.ts';
import { runConfig } from '../run.ts';
import { buildHostProgram, medianSpread, runHostProgram } from './host.ts';

export interface PrimesShape {
  mode: PrimesMode;
  partition: PrimesPartition;
}

export const PRIMES_SHAPES: readonly PrimesShape[] = [
  { mode: 'thread', partition: 'contiguous' },
  { mode: 'process', partition: 'contiguous' },
  { mode: 'thread', partition: 'interleaved' },
];

export interface FidelityOptions {
  range: [number, number];
  segment: number;
  maxWorkers: number;
  runs: number;
  /** The `[costs]` the smpsim side runs with (a calibrated profile, or none: the defaults). */
  costs: Record<string, number>;
}

export interface FidelityPoint {
  shape: string;
  workers: number;
  host_ns: number;
  host_spread: number;
  sim_ns: number;
  time_error: number;
  host_speedup: number;
  sim_speedup: number;
  speedup_error: number;
  /** Both sides counted the same primes with the same number of divisions. */
  same_work: boolean;
}

function simConfig(shape: PrimesShape, workers: number, o: FidelityOptions): RunConfig {
  const config = defaultRunConfig('fair', workers);
  const w = primesWorkload({ ...shape, workers, range: o.range, segment: o.segment });
  return {
    ...config,
    name: `fidelity-primes-${shape.mode}-${shape.partition}-${workers}`,
    costs: o.costs,
    workloads: [w],
  };
}

interface Side {
  ns: number;
  spread: number;
  count: number;
  divisions: number;
}

function hostArgs(shape: PrimesShape, workers: number, o: FidelityOptions): string[] {
  return [
    shape.mode,
    String(workers),
    String(o.range[0]),
    String(o.range[1]),
    String(o.segment),
    shape.partition,
  ];
}

/**
 * Every point's host runs, taken round by round (the first run of every point, then the second):
 * the host's speed drifts over a study's minute, and interleaving gives each point's median the
 * same share of it, which the speedups (ratios of two points) then cancel.
 */
function hostSides(binary: string, o: FidelityOptions): Side[] {
  const keys = PRIMES_SHAPES.flatMap((shape) =>
    Array.from({ length: o.maxWorkers }, (_, i) => ({ shape, workers: i + 1 })),
  );
  const runs = keys.map(() => [] as Record<string, unknown>[]);
  for (let r = 0; r < o.runs; r++)
    for (const [i, k] of keys.entries())
      runs[i]!.push(runHostProgram(binary, hostArgs(k.shape, k.workers, o), k.workers));
  return runs.map((rs) => {
    const { median, spread } = medianSpread(rs.map((x) => Number(x.elapsed_ns)));
    return { ns: median, spread, count: Number(rs[0]!.count), divisions: Number(rs[0]!.divisions) };
  });
}

function simSide(shape: PrimesShape, workers: number, o: FidelityOptions): Side {
  const m = runConfig(simConfig(shape, workers, o)).metrics;
  return {
    ns: m['workload.primes.elapsed_ns']!,
    spread: 0,
    count: m['workload.primes.count']!,
    divisions: m['workload.primes.divisions']!,
  };
}

const rel = (sim: number, host: number) => (sim - host) / host;

export function runPrimesFidelity(packageRoot: string, o: FidelityOptions): FidelityPoint[] {
  const hosts = hostSides(buildHostProgram(packageRoot, 'primes'), o);
  const points: FidelityPoint[] = [];
  for (const [s, shape] of PRIMES_SHAPES.entries()) {
    let host1 = 0;
    let sim1 = 0;
    for (let workers = 1; workers <= o.maxWorkers; workers++) {
      const host = hosts[s * o.maxWorkers + workers - 1]!;
      const sim = simSide(shape, workers, o);
      if (workers === 1) [host1, sim1] = [host.ns, sim.ns];
      const hostSpeedup = host1 / host.ns;
      const simSpeedup = sim1 / sim.ns;
      points.push({
        shape: `${shape.mode}/${shape.partition}`,
        workers,
        host_ns: host.ns,
        host_spread: host.spread,
        sim_ns: sim.ns,
        time_error: rel(sim.ns, host.ns),
        host_speedup: hostSpeedup,
        sim_speedup: simSpeedup,
        speedup_error: rel(simSpeedup, hostSpeedup),
        same_work: host.count === sim.count && host.divisions === sim.divisions,
      });
    }
  }
  return points;
}
