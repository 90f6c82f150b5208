/** Builds a run's JSON report and its flat metrics from the machine after the run. */
import { assert } from '../engine/assert.ts';
import { Kernel } from '../kernel/kernel.ts';
import { type RunConfig, workloadName } from '../machine/config.ts';
import type { Cpu } from '../hw/cpu.ts';
import type { Machine } from '../machine/build.ts';
import { sieveCount } from '../workloads/primes-math.ts';
import type { PrimesOutput } from '../workloads/primes.ts';
import { summariseLatencies } from './stats.ts';
import type { CpuReport, RunReport } from './types.ts';

export function buildReport(config: RunConfig, machine: Machine, error: string | undefined): RunReport {
  const { board, kernel } = machine;
  const simNs = board.engine.nowNs;
  const cpus: CpuReport[] = board.cpus.map((cpu) => {
    const [userNs, kernelNs] = elapsedTimes(cpu, simNs);
    const busy = userNs + kernelNs + cpu.spinNs;
    return {
      id: cpu.id,
      user_ns: userNs,
      kernel_ns: kernelNs,
      spin_ns: cpu.spinNs,
      idle_ns: Math.max(0, simNs - busy),
      utilisation: simNs > 0 ? Math.min(1, busy / simNs) : 0,
      context_switches: kernel.switches[cpu.id]!,
      migrations_in: kernel.migrations[cpu.id]!,
    };
  });
  const locks = [...kernel.futex.locks(), ...kernel.policy.locks()]
    .filter((l) => l.acquisitions > 0 || l.name === 'FUTEXES')
    .map((l) => ({
      name: l.name,
      acquisitions: l.acquisitions,
      contended: l.contended,
      spin_ns: l.spinNs,
    }));
  const futex: Record<string, number> = { ...kernel.futex.counts, entries_left: kernel.futex.entryCount() };
  const report: RunReport = {
    schema: 'smpsim.run/1',
    scenario: config.name,
    seed: config.seed,
    sim_ns: simNs,
    events: board.engine.events,
    trace_hash: board.trace.hex(),
    policy: config.kernel.scheduler,
    tick:
      config.machine.tick.source === 'pit'
        ? 'pit'
        : `${config.machine.tick.source}@${config.machine.tick.hz}Hz`,
    cpus,
    locks,
    futex,
    syscalls: Object.fromEntries(
      [...kernel.syscallCounts.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([nr, n]) => [Kernel.syscallName(nr), n]),
    ),
    wakeup_latency: summariseLatencies(kernel.wakeLatencies, kernel.wakeLatencyCount),
    processes: {
      spawned: kernel.stats.processesSpawned,
      exited: kernel.stats.processesExited,
      killed: kernel.stats.processesKilled,
    },
    metrics: {},
    expectations: [],
    failure: null,
    passed: true,
  };
  if (error !== undefined) report.error = error;
  report.metrics = metricsOf(config, kernel, report);
  return report;
}

/**
 * A CPU's user and kernel time up to the stop. A burst is charged when it starts, so one that
 * crosses the stop would count time that never ran (issue 12: a 600 s run showed 327 million ms
 * of user time per CPU): the part of a user burst still ahead is taken off, and a kernel spend
 * still running is cut so that the CPU was never busy longer than the run.
 */
function elapsedTimes(cpu: Cpu, simNs: number): [number, number] {
  const userNs = cpu.userNs - cpu.computeAheadNs;
  const overNs = userNs + cpu.kernelNs + cpu.spinNs - simNs;
  return [userNs, overNs > 0 ? Math.max(0, cpu.kernelNs - overNs) : cpu.kernelNs];
}

function metricsOf(config: RunConfig, kernel: Kernel, report: RunReport): Record<string, number> {
  const m: Record<string, number> = {
    sim_ns: report.sim_ns,
    events: report.events,
    context_switches: report.cpus.reduce((s, c) => s + c.context_switches, 0),
    migrations: report.cpus.reduce((s, c) => s + c.migrations_in, 0),
    'cpu.min_utilisation': Math.min(...report.cpus.map((c) => c.utilisation)),
    'cpu.spin_ns': report.cpus.reduce((s, c) => s + c.spin_ns, 0),
    // HW-14: extra time memory-bound compute spent on memory of another NUMA node.
    'mem.remote_ns': kernel.board.cpus.reduce((s, c) => s + c.remoteMemNs, 0),
    'mem.fallback_allocations': kernel.board.memory.fallbackAllocations,
    'wakeup.p50_ns': report.wakeup_latency.p50_ns,
    'wakeup.p99_ns': report.wakeup_latency.p99_ns,
    'processes.killed': report.processes.killed,
    'processes.exited': report.processes.exited,
    'run.error': report.error === undefined ? 0 : 1,
    'run.deadlocked': report.error?.startsWith('deadlock') === true ? 1 : 0,
  };
  for (const c of report.cpus) m[`cpu.${c.id}.utilisation`] = c.utilisation;
  for (const [name, value] of Object.entries(report.futex)) m[`futex.${name}`] = value;
  for (const [name, value] of Object.entries(report.syscalls)) m[`syscall.${name}`] = value;
  for (const [name, value] of Object.entries(kernel.policy.stats())) m[`sched.${name}`] = value;
  for (const [name, value] of Object.entries(kernel.stats)) m[`kernel.${snake(name)}`] = value;
  for (const [name, value] of Object.entries(kernel.signalCounts)) m[`signal.${name}`] = value;
  for (const l of report.locks) m[`lock.${l.name}.spin_ns`] = l.spin_ns;
  workloadMetrics(config, kernel, m);
  return m;
}

/** Reads each workload's published output from its process (guest → harness, like its stdout). */
function workloadMetrics(config: RunConfig, kernel: Kernel, m: Record<string, number>): void {
  const outputs = [...kernel.processes.values()].filter((p) => p.parent === kernel.root && p.data.output);
  config.workloads.forEach((w, index) => {
    const process = outputs[index];
    const name = workloadName(w);
    assert(process === undefined || process.image.name === name, 'report: workload outputs out of order');
    const output = (process?.data.output ?? {}) as Record<string, Record<string, unknown>>;
    const values = output[name] ?? {};
    const put = (key: string, value: number) => {
      m[`workload.${index}.${key}`] = value;
      if (m[`workload.${name}.${key}`] === undefined) m[`workload.${name}.${key}`] = value;
    };
    put('completed', process === undefined ? 0 : 1);
    for (const [key, value] of Object.entries(values)) if (typeof value === 'number') put(snake(key), value);
    if (w.kind === 'primes' && process !== undefined) {
      const p = values as unknown as PrimesOutput;
      const reference = sieveCount(w.range[0], w.range[1]);
      put('expected_count', reference.count);
      put('checksum_ok', p.count === reference.count && p.sum === reference.sum ? 1 : 0);
      put('serialised', serialised(p.intervals) ? 1 : 0);
      put('max_overlap', maxOverlap(p.intervals));
    }
  });
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The most worker intervals that were ever running at once. */
export function maxOverlap(intervals: readonly [number, number][]): number {
  const points = intervals.flatMap(([s, e]) => [
    [s, 1],
    [e, -1],
  ]);
  points.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let live = 0;
  let best = 0;
  for (const [, delta] of points) {
    live += delta!;
    best = Math.max(best, live);
  }
  return best;
}

/** RING-6: a timed section with several workers of which never two ran at once was serialised. */
export function serialised(intervals: readonly [number, number][]): boolean {
  return intervals.length > 1 && maxOverlap(intervals) <= 1;
}
