/**
 * The mutex-contention fidelity study (issue 23): `threads` threads taking one mutex
 * `iterations` times each (lock, a counter increment and `csCycles` of work, unlock,
 * `outsideCycles` of work) on the host (fidelity/mutexloop.c, step for step as the guest's
 * mutexloop, with the improved libc's three-state mutex) and in smpsim under fair, on 1 and 2
 * CPUs with the same threads. Each point gives the time, the 1→N CPU speedup (the same work on
 * more CPUs) and the FUTEX_WAITs the mutex made on each side, with signed relative errors.
 * @module
 */
import { buildHostProgram, medianSpread, runHostProgram } from './host.ts';
import { rel, simCpuMhz, simProgram } from './program-sim.ts';

export interface MutexOptions {
  maxCpus: number;
  threads: number;
  iterations: number;
  csCycles: number;
  outsideCycles: number;
  runs: number;
  costs: Record<string, number>;
}

export interface MutexPoint {
  cpus: number;
  threads: number;
  iterations: number;
  cs_cycles: number;
  outside_cycles: number;
  host_ns: number;
  host_spread: number;
  sim_ns: number;
  time_error: number;
  host_speedup: number;
  sim_speedup: number;
  speedup_error: number;
  /** FUTEX_WAITs on the mutex: the host's median run, and smpsim's futex.wait. */
  host_futex_waits: number;
  sim_futex_waits: number;
  /** Both sides counted threads × iterations acquisitions (exclusion held). */
  same_work: boolean;
}

export function runMutexFidelity(packageRoot: string, o: MutexOptions): MutexPoint[] {
  const binary = buildHostProgram(packageRoot, 'mutexloop');
  const points: MutexPoint[] = [];
  let host1 = 0;
  let sim1 = 0;
  for (let cpus = 1; cpus <= Math.min(2, o.maxCpus); cpus++) {
    const args = [o.threads, o.iterations, o.csCycles, o.outsideCycles, simCpuMhz(cpus)].map(String);
    const host = Array.from({ length: o.runs }, () => runHostProgram(binary, args, cpus));
    const { median, spread } = medianSpread(host.map((r) => Number(r.elapsed_ns)));
    const medianRun = host.find((r) => Number(r.elapsed_ns) === median)!;
    const m = simProgram(
      'mutexloop',
      {
        threads: o.threads,
        iterations: o.iterations,
        cs_cycles: o.csCycles,
        outside_cycles: o.outsideCycles,
      },
      cpus,
      o.costs,
    );
    const sim = m['workload.mutexloop.elapsed_ns']!;
    if (cpus === 1) [host1, sim1] = [median, sim];
    const expected = o.threads * o.iterations;
    points.push({
      cpus,
      threads: o.threads,
      iterations: o.iterations,
      cs_cycles: o.csCycles,
      outside_cycles: o.outsideCycles,
      host_ns: median,
      host_spread: spread,
      sim_ns: sim,
      time_error: rel(sim, median),
      host_speedup: host1 / median,
      sim_speedup: sim1 / sim,
      speedup_error: rel(sim1 / sim, host1 / median),
      host_futex_waits: Number(medianRun.waits),
      sim_futex_waits: m['futex.wait']!,
      same_work:
        host.every((r) => Number(r.acquisitions) === expected) &&
        m['workload.mutexloop.acquisitions'] === expected,
    });
  }
  return points;
}
