/**
 * The registry of public metric names (issue 13): every name a run can report is written once,
 * either as a row here (the run's own figures: time, events, switches, utilisation, wakeup
 * latency, the outcome flags), a row of kernel/stats.ts (kernel, signal, futex and scheduler
 * counters), or a family whose variable part is data (a CPU id, a system call, a lock, a
 * workload's published output, a sweep's CPU count, a variant's prefix). The report builds its
 * metrics from these rows and families (build.ts), and `metricInfo` answers what a name is, so
 * a name check can tell a typo from a metric this run does not report (metric-names.ts).
 */
import { SYSCALL_NAMES } from '../abi/syscalls.ts';
import type { Kernel } from '../kernel/kernel.ts';
import {
  FUTEX_ENTRIES_LEFT,
  FUTEX_METRICS,
  KERNEL_METRICS,
  type MetricInfo,
  type MetricUnit,
  SCHED_METRICS,
  type SchedMetricInfo,
} from '../kernel/stats.ts';
import { WORKLOAD_KINDS } from '../machine/config.ts';
import { programNames } from '../workloads/registry.ts';
import { CLOCK_METRICS, CPUFREQ_METRICS } from './clock-metrics.ts';
import { DEVICE_FAMILIES, DEVICE_METRICS } from './device-metrics.ts';
import type { RunReport } from './types.ts';
import { BOOT_METRICS, FIRMWARE_FINDING_FAMILY, FIRMWARE_METRICS } from './boot-metrics.ts';
import { CONTEXT_POOL_METRICS } from './proc-metrics.ts';
import { CAPRING_METRICS } from './capring-metrics.ts';
import { HOTPLUG_METRICS, HOTPLUG_ONLINE_FAMILY, STEP_FAMILY } from './hotplug-metrics.ts';

/** What a run-level row reads its value from. */
export interface MetricSource {
  readonly report: RunReport;
  readonly kernel: Kernel;
}

/** A run-level metric: its info and how its value is read. */
export interface RunMetricRow extends MetricInfo {
  read(source: MetricSource): number;
}

const sumOf = <T>(items: readonly T[], f: (item: T) => number): number => items.reduce((s, x) => s + f(x), 0);

function row(
  name: string,
  unit: MetricUnit,
  meaning: string,
  read: (s: MetricSource) => number,
): RunMetricRow {
  return { name, unit, meaning, read };
}

/** The run's own metrics, in report order (before the families and the kernel's rows). */
export const RUN_METRICS: readonly RunMetricRow[] = [
  row('sim_ns', 'ns', 'simulated time at the stop', (s) => s.report.sim_ns),
  row('events', 'count', 'engine events run', (s) => s.report.events),
  row('context_switches', 'count', 'context switches, every CPU', (s) =>
    sumOf(s.report.cpus, (c) => c.context_switches),
  ),
  row('migrations', 'count', 'contexts that arrived on another CPU', (s) =>
    sumOf(s.report.cpus, (c) => c.migrations_in),
  ),
  row('cpu.min_utilisation', 'ratio', 'the least busy CPU: busy time over the run', (s) =>
    Math.min(...s.report.cpus.map((c) => c.utilisation)),
  ),
  row('cpu.spin_ns', 'ns', 'time spinning on contended kernel locks, every CPU', (s) =>
    sumOf(s.report.cpus, (c) => c.spin_ns),
  ),
  // HW-14: extra time memory-bound compute spent on memory of another NUMA node.
  row('mem.remote_ns', 'ns', 'extra compute time spent on remote NUMA memory (HW-14)', (s) =>
    sumOf(s.kernel.board.cpus, (c) => c.remoteMemNs),
  ),
  row(
    'mem.fallback_allocations',
    'count',
    'frames allocated off the asked-for node',
    (s) => s.kernel.board.memory.fallbackAllocations,
  ),
  // Issue 15: every guest access and uaccess copy translates through the running CPU's TLB.
  row('tlb.hits', 'count', 'guest and uaccess translations a TLB answered, every CPU', (s) =>
    sumOf(s.kernel.board.tlbs, (t) => t.hits),
  ),
  row('tlb.misses', 'count', 'translations that missed the TLB and walked the page table', (s) =>
    sumOf(s.kernel.board.tlbs, (t) => t.misses),
  ),
  row('tlb.walk_levels', 'count', 'page-table levels read by TLB-miss walks, every CPU', (s) =>
    sumOf([...s.kernel.mmu.walkLevels], (n) => n),
  ),
  row(
    'tlb.walk_ns',
    'ns',
    'time charged for TLB-miss walks (0 under the ideal protocol)',
    (s) => sumOf([...s.kernel.mmu.walkLevels], (n) => n) * s.kernel.mmu.walkLevelNs,
  ),
  row(
    'tlb.shootdowns',
    'count',
    'TLB shootdowns started (a Redox flush of up to 32 pages is one)',
    (s) => s.kernel.tlb.stats.shootdowns,
  ),
  row(
    'tlb.ipis',
    'count',
    'TLB shootdown IPIs delivered (a shorthand counts each receiver)',
    (s) => s.kernel.tlb.stats.ipis,
  ),
  row(
    'tlb.ack_wait_ns',
    'ns',
    'time shootdown initiators waited for acknowledgements',
    (s) => s.kernel.tlb.stats.ackWaitNs,
  ),
  row(
    'tlb.target_flush_ns',
    'ns',
    'time shootdown targets spent flushing',
    (s) => s.kernel.tlb.stats.targetFlushNs,
  ),
  row(
    'tlb.stale_reads',
    'count',
    'guest or uaccess accesses through a TLB entry to a freed frame',
    (s) => s.kernel.tlb.stats.staleReads.length,
  ),
  row(
    'tlb.timeouts',
    'count',
    'shootdown waits that timed out and logged the silent CPU (linux)',
    (s) => s.kernel.tlb.stats.timeouts.length,
  ),
  row(
    'tlb.dropped_ipis',
    'count',
    'shootdown IPIs lost by fault injection',
    (s) => s.kernel.tlb.stats.droppedIpis,
  ),
  row(
    'tlb.skipped_flushes',
    'count',
    'target flushes skipped by fault injection',
    (s) => s.kernel.tlb.stats.skippedFlushes,
  ),
  row(
    'tlb.invlpg_pages',
    'count',
    'pages invalidated one by one (INVLPG), summed over CPUs',
    (s) => s.kernel.mmu.invlpgPages,
  ),
  row(
    'tlb.full_flushes',
    'count',
    'whole-TLB flushes (CR3 writes without PCID, teardowns)',
    (s) => s.kernel.mmu.fullFlushes,
  ),
  // Demand paging and copy-on-write fork (kernel/mm-options.ts): 0 with the defaults (eager, copy).
  row(
    'mm.demand_faults',
    'count',
    'first touches that took a frame (paging = "demand")',
    (s) => s.kernel.mmu.faults.demand,
  ),
  row(
    'mm.cow_copies',
    'count',
    'writes to copy-on-write pages that copied the frame',
    (s) => s.kernel.mmu.faults.cowCopies,
  ),
  row(
    'mm.cow_reuses',
    'count',
    'writes to copy-on-write pages that took the last reference back',
    (s) => s.kernel.mmu.faults.cowReuses,
  ),
  row(
    'mm.fork_copied_pages',
    'count',
    'private pages fork copied eagerly',
    (s) => s.kernel.mmu.forkCopiedPages,
  ),
  row(
    'mm.fork_shared_pages',
    'count',
    'private pages fork shared copy-on-write',
    (s) => s.kernel.mmu.forkSharedPages,
  ),
  row('wakeup.p50_ns', 'ns', 'median wakeup-to-run latency', (s) => s.report.wakeup_latency.p50_ns),
  row('wakeup.p99_ns', 'ns', '99th percentile wakeup-to-run latency', (s) => s.report.wakeup_latency.p99_ns),
  row('processes.killed', 'count', 'processes killed by a signal', (s) => s.report.processes.killed),
  row('processes.exited', 'count', 'processes that exited', (s) => s.report.processes.exited),
  row('run.error', 'flag', '1 when the run ended early (a limit, a deadlock)', (s) =>
    s.report.error === undefined ? 0 : 1,
  ),
  row('run.deadlocked', 'flag', '1 when every thread blocked with no timeout', (s) =>
    s.report.error?.startsWith('deadlock') === true ? 1 : 0,
  ),
];

/** A family of names with a variable part: its pattern, what its values are, and a matcher. */
export interface MetricFamily {
  /** The name with its variable parts in angle brackets, for documentation and listings. */
  readonly pattern: string;
  readonly unit: MetricUnit;
  readonly meaning: string;
  matches(name: string): boolean;
}

const SYSCALLS = new Set(Object.values(SYSCALL_NAMES));
const WORKLOADS = new Set<string>(WORKLOAD_KINDS);
/** The kernel's lock names (sched/*, gedf's one global lock, futex/table.ts): fixed names and numbered per-CPU or per-shard ones. */
const LOCK_NAME =
  /^(CONTEXT_SWITCH_LOCK|RUN_CONTEXTS|IDLE_CONTEXTS|FUTEXES|gedf|futex-shard\d+|rq\d+|sched\d+)$/;
/** A workload's published output key, after the report's snake_case conversion (build.ts). */
const OUTPUT_KEY = /^[a-z][a-z0-9_]*$/;

function between(name: string, head: string, tail: string): string | null {
  if (!name.startsWith(head) || !name.endsWith(tail) || name.length <= head.length + tail.length) return null;
  return name.slice(head.length, name.length - tail.length);
}

/** `workload.<index|name>.<key>`: an index, or a workload kind or program the tree has. */
function workloadPart(name: string): boolean {
  const rest = between(name, 'workload.', '') ?? '';
  const dot = rest.indexOf('.');
  if (dot <= 0) return false;
  const who = rest.slice(0, dot);
  const known = /^\d+$/.test(who) || WORKLOADS.has(who) || programNames().includes(who);
  return known && OUTPUT_KEY.test(rest.slice(dot + 1));
}

/** The families, each with the builder the report names its metrics with. */
export const FAMILIES = {
  firmwareFinding: FIRMWARE_FINDING_FAMILY,
  ...DEVICE_FAMILIES,
  hotplugOnline: HOTPLUG_ONLINE_FAMILY,
  step: STEP_FAMILY, // devices (issue 18): [[step]] outcomes
  cpuUtilisation: {
    pattern: 'cpu.<cpu>.utilisation',
    unit: 'ratio',
    meaning: "one CPU's busy time (user, kernel, spin) over the run",
    matches: (n: string) => /^\d+$/.test(between(n, 'cpu.', '.utilisation') ?? ''),
    of: (cpuId: number) => `cpu.${cpuId}.utilisation`,
  },
  cpuTlbHits: {
    pattern: 'cpu.<cpu>.tlb_hits',
    unit: 'count',
    meaning: "one CPU's TLB hits (issue 15)",
    matches: (n: string) => /^\d+$/.test(between(n, 'cpu.', '.tlb_hits') ?? ''),
    of: (cpuId: number) => `cpu.${cpuId}.tlb_hits`,
  },
  cpuTlbMisses: {
    pattern: 'cpu.<cpu>.tlb_misses',
    unit: 'count',
    meaning: "one CPU's TLB misses, each a page walk (issue 15)",
    matches: (n: string) => /^\d+$/.test(between(n, 'cpu.', '.tlb_misses') ?? ''),
    of: (cpuId: number) => `cpu.${cpuId}.tlb_misses`,
  },
  syscall: {
    pattern: 'syscall.<name>',
    unit: 'count',
    meaning: 'system calls made, by name (abi/syscalls.ts)',
    matches: (n: string) => {
      const call = between(n, 'syscall.', '') ?? '';
      return SYSCALLS.has(call) || /^sys_\d+$/.test(call);
    },
    of: (call: string) => `syscall.${call}`,
  },
  lockSpin: {
    pattern: 'lock.<lock>.spin_ns',
    unit: 'ns',
    meaning: 'time spent spinning on one kernel lock',
    matches: (n: string) => LOCK_NAME.test(between(n, 'lock.', '.spin_ns') ?? ''),
    of: (lock: string) => `lock.${lock}.spin_ns`,
  },
  // issue 22 (package): your own policy's figures, as its module's stats() names them.
  policyModule: {
    pattern: 'sched.module.<key>',
    unit: 'value',
    meaning: "a policy module's own figure (its stats()), when [kernel] scheduler names a module",
    matches: (n: string) => OUTPUT_KEY.test(between(n, 'sched.module.', '') ?? ''),
    of: (key: string) => `sched.module.${key}`,
  },
  workload: {
    pattern: 'workload.<index|name>.<key>',
    unit: 'value',
    meaning: "a workload's published output (its first instance under its name), `completed` 0/1",
    matches: workloadPart,
    of: (who: string | number, key: string) => `workload.${who}.${key}`,
  },
  sweepMedian: {
    pattern: 'sweep.median_ns.<cpus>',
    unit: 'ns',
    meaning: "the sweep metric's median over the runs at one CPU count",
    matches: (n: string) => /^\d+$/.test(between(n, 'sweep.median_ns.', '') ?? ''),
    of: (cpus: number) => `sweep.median_ns.${cpus}`,
  },
  sweepSpeedup: {
    pattern: 'sweep.speedup.<cpus>',
    unit: 'ratio',
    meaning: "the first CPU count's median over this count's",
    matches: (n: string) => /^\d+$/.test(between(n, 'sweep.speedup.', '') ?? ''),
    of: (cpus: number) => `sweep.speedup.${cpus}`,
  },
  sweepRejected: {
    pattern: 'sweep.rejected_runs',
    unit: 'count',
    meaning: 'sweep runs rejected (an error, a wrong checksum, a serialised section)',
    matches: (n: string) => n === 'sweep.rejected_runs',
    of: () => 'sweep.rejected_runs',
  },
  compare: {
    pattern: 'compare.<prefix><metric>',
    unit: 'value',
    meaning: "a [compare] variant's value of a registered metric",
    matches: (n: string) => variantOf(n, 'compare.'),
    of: (prefix: string, metric: string) => `compare.${prefix}${metric}`,
  },
  ratio: {
    pattern: 'ratio.<prefix><metric>',
    unit: 'ratio',
    meaning: "this run's value of a registered metric over a variant's",
    matches: (n: string) => variantOf(n, 'ratio.'),
    of: (prefix: string, metric: string) => `ratio.${prefix}${metric}`,
  },
} as const satisfies Record<string, MetricFamily & { of: (...parts: never[]) => string }>;

/** `compare.` or `ratio.`, then an optional `<variant>.`, then a registered metric. */
function variantOf(name: string, head: string): boolean {
  const rest = between(name, head, '');
  if (rest === null) return false;
  if (fixedInfo(rest) !== undefined || familyOf(rest, false) !== undefined) return true;
  const dot = rest.indexOf('.');
  const inner = rest.slice(dot + 1);
  return dot > 0 && (fixedInfo(inner) !== undefined || familyOf(inner, false) !== undefined);
}

const FIXED = new Map<string, MetricInfo | SchedMetricInfo>(
  [
    ...RUN_METRICS,
    ...KERNEL_METRICS,
    ...FUTEX_METRICS,
    FUTEX_ENTRIES_LEFT,
    ...SCHED_METRICS,
    ...CLOCK_METRICS,
    ...CPUFREQ_METRICS,
    ...DEVICE_METRICS,
    ...FIRMWARE_METRICS,
    ...BOOT_METRICS,
    ...CONTEXT_POOL_METRICS,
    ...CAPRING_METRICS,
    ...HOTPLUG_METRICS,
  ].map((m) => [m.name, m]),
);

function fixedInfo(name: string): MetricInfo | SchedMetricInfo | undefined {
  return FIXED.get(name);
}

function familyOf(name: string, variants: boolean): MetricFamily | undefined {
  for (const f of Object.values(FAMILIES) as MetricFamily[]) {
    if (!variants && (f === FAMILIES.compare || f === FAMILIES.ratio)) continue;
    if (f.matches(name)) return f;
  }
  return undefined;
}

/** What the registry says about `name`: its row, or its family; undefined if it is no metric. */
export function metricInfo(name: string): MetricInfo | SchedMetricInfo | MetricFamily | undefined {
  return fixedInfo(name) ?? familyOf(name, true);
}

/** A policy's `stats()` key as its public name; a key with no row is a programming error. */
export function schedMetricName(policy: string, key: string): string {
  const name = `sched.${key}`;
  const info = FIXED.get(name) as SchedMetricInfo | undefined;
  if (info?.policies === undefined || !(info.policies as readonly string[]).includes(policy)) {
    throw new Error(`report: policy ${policy} reports ${name}, which has no row for it in kernel/stats.ts`);
  }
  return name;
}

/** The names in `metrics` the registry does not know, sorted (a seed run's must be none). */
export function unregisteredMetrics(metrics: Readonly<Record<string, number>>): string[] {
  return Object.keys(metrics)
    .filter((name) => metricInfo(name) === undefined)
    .sort();
}
