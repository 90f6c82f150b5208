/**
 * The schbench fidelity study (issue 23): message threads that sleep, post the time and wake
 * their workers through one futex word each, on the host (fidelity/schbench.c, step for step as
 * the guest's schbench) and in smpsim under fair, on 1 and 2 CPUs. The figures are the wakeup
 * latency's p50 and p99 (nearest rank over every worker's every round, as schbench's); the
 * host's are the medians over the runs, each with its spread.
 * @module
 */
import { buildHostProgram, medianSpread, runHostProgram } from './host.ts';
import { rel, simCpuMhz, simProgram } from './program-sim.ts';

export interface SchbenchOptions {
  maxCpus: number;
  messages: number;
  workers: number;
  rounds: number;
  sleepUs: number;
  thinkCycles: number;
  runs: number;
  costs: Record<string, number>;
}

export interface SchbenchPoint {
  cpus: number;
  messages: number;
  workers: number;
  rounds: number;
  host_p50_ns: number;
  host_p50_spread: number;
  sim_p50_ns: number;
  p50_error: number;
  host_p99_ns: number;
  host_p99_spread: number;
  sim_p99_ns: number;
  p99_error: number;
  /** Both sides measured messages × workers × rounds wakeups. */
  same_work: boolean;
}

export function runSchbenchFidelity(packageRoot: string, o: SchbenchOptions): SchbenchPoint[] {
  const binary = buildHostProgram(packageRoot, 'schbench');
  const points: SchbenchPoint[] = [];
  for (let cpus = 1; cpus <= Math.min(2, o.maxCpus); cpus++) {
    const args = [o.messages, o.workers, o.rounds, o.sleepUs, o.thinkCycles, 0, simCpuMhz(cpus)].map(String);
    const host = Array.from({ length: o.runs }, () => runHostProgram(binary, args, cpus));
    const p50 = medianSpread(host.map((r) => Number(r.p50_ns)));
    const p99 = medianSpread(host.map((r) => Number(r.p99_ns)));
    const params = {
      messages: o.messages,
      workers: o.workers,
      rounds: o.rounds,
      sleep_us: o.sleepUs,
      think_cycles: o.thinkCycles,
      hogs: 0,
    };
    const m = simProgram('schbench', params, cpus, o.costs);
    const samples = o.messages * o.workers * o.rounds;
    points.push({
      cpus,
      messages: o.messages,
      workers: o.workers,
      rounds: o.rounds,
      host_p50_ns: p50.median,
      host_p50_spread: p50.spread,
      sim_p50_ns: m['workload.schbench.p50_ns']!,
      p50_error: rel(m['workload.schbench.p50_ns']!, p50.median),
      host_p99_ns: p99.median,
      host_p99_spread: p99.spread,
      sim_p99_ns: m['workload.schbench.p99_ns']!,
      p99_error: rel(m['workload.schbench.p99_ns']!, p99.median),
      same_work:
        host.every((r) => Number(r.samples) === samples) && m['workload.schbench.samples'] === samples,
    });
  }
  return points;
}
