/**
 * The condvar-herd fidelity study (issue 23): one broadcaster and `waiters` waiters on one
 * condition variable for `rounds` rounds, on the host (fidelity/condherd.c, step for step as the
 * guest's condherd with op = "broadcast" and the improved libc's requeueing condvar) and in
 * smpsim under fair, on 1 and 2 CPUs. The figure is the time per round: the broadcaster's poll
 * (nanosleep 200 µs, with the thread's 50 µs timer slack, until the round's tokens are taken and
 * every waiter waits again), the broadcast that wakes one waiter and requeues the rest onto the
 * mutex, and the hand-offs of the mutex down the requeued line.
 * @module
 */
import { buildHostProgram, medianSpread, runHostProgram } from './host.ts';
import { rel, simCpuMhz, simProgram } from './program-sim.ts';

export interface CondherdOptions {
  maxCpus: number;
  waiters: number;
  rounds: number;
  runs: number;
  costs: Record<string, number>;
}

export interface CondherdPoint {
  cpus: number;
  waiters: number;
  rounds: number;
  host_ns_per_round: number;
  host_spread: number;
  sim_ns_per_round: number;
  time_error: number;
  /** Returns from the condvar wait, and those that found no token (the host's median run). */
  host_wakeups: number;
  sim_wakeups: number;
  host_resleeps: number;
  sim_resleeps: number;
  /** Both sides handed out waiters × rounds tokens. */
  same_work: boolean;
}

export function runCondherdFidelity(packageRoot: string, o: CondherdOptions): CondherdPoint[] {
  const binary = buildHostProgram(packageRoot, 'condherd');
  const points: CondherdPoint[] = [];
  for (let cpus = 1; cpus <= Math.min(2, o.maxCpus); cpus++) {
    const args = [String(o.waiters), String(o.rounds), 'broadcast', String(simCpuMhz(cpus))];
    const host = Array.from({ length: o.runs }, () => runHostProgram(binary, args, cpus));
    const { median, spread } = medianSpread(host.map((r) => Number(r.elapsed_ns) / o.rounds));
    const medianRun = host.find((r) => Number(r.elapsed_ns) / o.rounds === median)!;
    const m = simProgram(
      'condherd',
      { waiters: o.waiters, rounds: o.rounds, op: 'broadcast' },
      cpus,
      o.costs,
    );
    const sim = m['workload.condherd.elapsed_ns']! / o.rounds;
    const tokens = o.waiters * o.rounds;
    points.push({
      cpus,
      waiters: o.waiters,
      rounds: o.rounds,
      host_ns_per_round: median,
      host_spread: spread,
      sim_ns_per_round: sim,
      time_error: rel(sim, median),
      host_wakeups: Number(medianRun.wakeups),
      sim_wakeups: m['workload.condherd.wakeups']!,
      host_resleeps: Number(medianRun.resleeps),
      sim_resleeps: m['workload.condherd.resleeps']!,
      same_work: host.every((r) => Number(r.tokens) === tokens) && m['workload.condherd.tokens'] === tokens,
    });
  }
  return points;
}
