/**
 * The futex ping-pong fidelity study (issue 23): the pingpong workload on the host
 * (fidelity/pingpong.c, step for step as the guest's: load, FUTEX_WAIT while not mine, 200 cycles
 * of work, store, FUTEX_WAKE) and in smpsim under fair, one pair on 1 and on 2 CPUs. The figure
 * is ns per hand-off: on one CPU a hand-off is a wake and a context switch, on two a cross-CPU
 * wake-up (an IPI out of idle, or a spin if the sleeper has not slept yet).
 * @module
 */
import { defaultRunConfig } from '../../machine/defaults.ts';
import { runConfig } from '../run.ts';
import { buildHostProgram, medianSpread, runHostProgram } from './host.ts';

export interface HandoffPoint {
  cpus: number;
  pairs: number;
  host_ns_per_handoff: number;
  host_spread: number;
  sim_ns_per_handoff: number;
  time_error: number;
}

export function runPingpongFidelity(
  packageRoot: string,
  o: { maxCpus: number; rounds: number; runs: number; costs: Record<string, number> },
): HandoffPoint[] {
  const binary = buildHostProgram(packageRoot, 'pingpong');
  const points: HandoffPoint[] = [];
  for (let cpus = 1; cpus <= Math.min(2, o.maxCpus); cpus++) {
    const host = Array.from({ length: o.runs }, () => runHostProgram(binary, ['1', String(o.rounds)], cpus));
    const handoffs = Number(host[0]!.handoffs);
    const { median, spread } = medianSpread(host.map((r) => Number(r.elapsed_ns) / handoffs));
    const config = {
      ...defaultRunConfig('fair', cpus),
      name: `fidelity-pingpong-${cpus}`,
      costs: o.costs,
      workloads: [{ kind: 'pingpong' as const, pairs: 1, rounds: o.rounds }],
    };
    const m = runConfig(config).metrics;
    const sim = m['workload.pingpong.elapsed_ns']! / m['workload.pingpong.handoffs']!;
    points.push({
      cpus,
      pairs: 1,
      host_ns_per_handoff: median,
      host_spread: spread,
      sim_ns_per_handoff: sim,
      time_error: (sim - median) / median,
    });
  }
  return points;
}
