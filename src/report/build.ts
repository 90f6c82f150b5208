/**
 * Builds a run's JSON report and its flat metrics from the machine after the run; every metric
 * name comes from the registry (metric-registry.ts), none from a field name.
 */
import { capringMetrics } from './capring-metrics.ts';
import { assert } from '../engine/assert.ts';
import { Kernel } from '../kernel/kernel.ts';
import { type RunConfig, workloadName } from '../machine/config.ts';
import type { Cpu } from '../hw/cpu.ts';
import type { Machine } from '../machine/build.ts';
import { sieveCount } from '../workloads/primes-math.ts';
import type { PrimesOutput } from '../workloads/primes.ts';
import { FUTEX_ENTRIES_LEFT, FUTEX_METRICS, KERNEL_METRICS } from '../kernel/stats.ts';
import { clockMetrics } from './clock-metrics.ts';
import { deviceMetrics } from './device-metrics.ts';
import { bootMetrics } from './boot-metrics.ts';
import { contextPoolMetrics } from './proc-metrics.ts';
import { hotplugMetrics } from './hotplug-metrics.ts';
import { FAMILIES, RUN_METRICS, schedMetricName } from './metric-registry.ts';
import { percentileCurve, sortedCopy, summariseLatencies } from './stats.ts';
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
      context_switches: kernel.stats.switches[cpu.id] ?? 0, // 0 on a CPU the kernel never had
      migrations_in: kernel.stats.migrationsIn[cpu.id] ?? 0,
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
  const futex = futexCounts(kernel);
  // One sorted copy of the wake latencies for both the summary and the CDF (they were sorted twice).
  const wakeSorted = sortedCopy(kernel.stats.wakeLatencies());
  const report: RunReport = {
    schema: 'smpsim.run/1',
    scenario: config.name,
    seed: config.seed,
    sim_ns: simNs,
    events: board.engine.events,
    trace_hash: board.trace.hex(),
    // issue 22: a policy module's run names its policy (on the machine of the preset it keeps).
    policy: config.kernel.policyModule === undefined ? config.kernel.scheduler : kernel.policy.name,
    tick:
      config.machine.tick.source === 'pit'
        ? 'pit'
        : `${config.machine.tick.source}@${config.machine.tick.hz}Hz`,
    cpus,
    locks,
    futex,
    syscalls: Object.fromEntries(
      [...kernel.stats.syscalls.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([nr, n]) => [Kernel.syscallName(nr), n]),
    ),
    wakeup_latency: summariseLatencies(wakeSorted, true),
    wakeup_cdf_ns: percentileCurve(wakeSorted, true),
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
  tlbRecords(kernel, report);
  guestText(kernel, report);
  report.metrics = metricsOf(config, kernel, report);
  return report;
}

/** Lines a workload publishes under `text` in its output (init's chain and wait-for graph). */
function guestText(kernel: Kernel, report: RunReport): void {
  const out: Record<string, Record<string, string[]>> = {};
  for (const p of kernel.root?.children ?? []) {
    const output = (p.data.output ?? {}) as Record<string, { text?: unknown }>;
    for (const [name, values] of Object.entries(output)) {
      const text = values?.text;
      if (text === null || typeof text !== 'object') continue;
      const lists: Record<string, string[]> = {};
      for (const [key, v] of Object.entries(text))
        if (Array.isArray(v) && v.every((x) => typeof x === 'string')) lists[key] = v;
      if (Object.keys(lists).length > 0 && out[name] === undefined) out[name] = lists;
    }
  }
  if (Object.keys(out).length > 0) report.guest_text = out;
}

/** The stale reads and shootdown timeouts the run logged (issue 15), when it logged any. */
function tlbRecords(kernel: Kernel, report: RunReport): void {
  const { staleReads, timeouts } = kernel.tlb.stats;
  if (staleReads.length > 0) {
    report.tlb_stale_reads = staleReads.slice(0, 16).map((r) => ({
      cpu: r.cpuId,
      time_ns: r.timeNs,
      vaddr: r.vaddr,
      stale_frame: r.staleFrame,
      current_frame: r.currentFrame,
    }));
  }
  if (timeouts.length > 0) {
    report.tlb_timeouts = timeouts.map((t) => ({
      initiator: t.initiator,
      targets: [...t.targets],
      time_ns: t.timeNs,
    }));
  }
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

/**
 * The flat metrics, every name from the registry (metric-registry.ts, kernel/stats.ts): the run's
 * rows, then the families and the kernel's tables, in the order the report has always had.
 */
function metricsOf(config: RunConfig, kernel: Kernel, report: RunReport): Record<string, number> {
  const m: Record<string, number> = {};
  const source = { report, kernel };
  for (const row of RUN_METRICS) m[row.name] = row.read(source);
  for (const c of report.cpus) m[FAMILIES.cpuUtilisation.of(c.id)] = c.utilisation;
  for (const [id, tlb] of kernel.board.tlbs.entries()) {
    m[FAMILIES.cpuTlbHits.of(id)] = tlb.hits;
    m[FAMILIES.cpuTlbMisses.of(id)] = tlb.misses;
  }
  for (const row of FUTEX_METRICS) m[row.name] = kernel.futex.counts[row.source];
  m[FUTEX_ENTRIES_LEFT.name] = kernel.futex.entryCount();
  for (const [name, value] of Object.entries(report.syscalls)) m[FAMILIES.syscall.of(name)] = value;
  const policy = kernel.policy;
  // issue 22: a policy module's figures have no rows of their own: sched.module.<key>.
  const own = config.kernel.policyModule !== undefined;
  for (const [key, value] of Object.entries(policy.stats()))
    m[own ? FAMILIES.policyModule.of(key) : schedMetricName(policy.name, key)] = value;
  for (const row of KERNEL_METRICS) m[row.name] = kernel.stats[row.source];
  for (const l of report.locks) m[FAMILIES.lockSpin.of(l.name)] = l.spin_ns;
  clockMetrics(kernel, m);
  deviceMetrics(kernel, m);
  capringMetrics(kernel, m);
  workloadMetrics(config, kernel, m);
  bootMetrics(kernel, m);
  contextPoolMetrics(kernel, m);
  hotplugMetrics(kernel, m);
  return m;
}

/** The report's `futex` object: the futex rows under their names without `futex.`. */
function futexCounts(kernel: Kernel): Record<string, number> {
  const out: Record<string, number> = {};
  for (const row of FUTEX_METRICS) out[row.name.slice('futex.'.length)] = kernel.futex.counts[row.source];
  out[FUTEX_ENTRIES_LEFT.name.slice('futex.'.length)] = kernel.futex.entryCount();
  return out;
}

/**
 * Reads each workload's published output from its process (guest → harness, like its stdout).
 * Init starts the workloads first, in order, so the root's n-th child is the n-th workload
 * (reaped children of the root stay in the table for this); one that died before publishing has
 * no output and counts as not completed, and the others keep their own outputs.
 */
function workloadMetrics(config: RunConfig, kernel: Kernel, m: Record<string, number>): void {
  const children = [...kernel.processes.values()].filter((p) => p.parent === kernel.root);
  config.workloads.forEach((w, index) => {
    const child = children[index];
    const process = child?.data.output ? child : undefined;
    const name = workloadName(w);
    assert(process === undefined || process.image.name === name, 'report: workload outputs out of order');
    const output = (process?.data.output ?? {}) as Record<string, Record<string, unknown>>;
    const values = output[name] ?? {};
    const put = (key: string, value: number) => {
      m[FAMILIES.workload.of(index, key)] = value;
      const byName = FAMILIES.workload.of(name, key);
      if (m[byName] === undefined) m[byName] = value;
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

/**
 * A guest's output key (camelCase in its program) as a metric key: the one name derived from a
 * field name, since a workload's output is its own (like its stdout); the registry's workload
 * family accepts any snake_case key.
 */
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
