/**
 * The metrics of firmware discovery and of a simulated bring-up (issue 16): what the kernel took
 * from the tables and what the parser found wrong (every run), and the bring-up's time, possible
 * and online sets, failures and races (runs with `[boot] simulate = true`). Registered with the
 * other rows (metric-registry.ts); the findings by code are a family.
 */
import { bootReport } from '../kernel/boot/bringup.ts';
import type { BootReport } from '../kernel/boot/plan.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { MetricInfo, MetricUnit } from '../kernel/stats.ts';

export interface KernelMetricRow extends MetricInfo {
  read(kernel: Kernel): number;
}

export interface BootMetricRow extends MetricInfo {
  read(report: BootReport): number;
}

function krow(name: string, unit: MetricUnit, meaning: string, read: (k: Kernel) => number): KernelMetricRow {
  return { name, unit, meaning, read };
}

function brow(
  name: string,
  unit: MetricUnit,
  meaning: string,
  read: (r: BootReport) => number,
): BootMetricRow {
  return { name, unit, meaning, read };
}

const severe = (k: Kernel, severity: string) =>
  k.firmware.findings.filter((f) => f.severity === severity).length;

export const FIRMWARE_METRICS: readonly KernelMetricRow[] = [
  krow(
    'firmware.cpus',
    'count',
    'CPUs the kernel took from the firmware tables (HW-14)',
    (k) => k.cpus.length,
  ),
  krow('firmware.nodes', 'count', 'NUMA nodes the kernel took from the SRAT', (k) => k.topology.nodeCount),
  krow(
    'firmware.findings',
    'count',
    'everything the table parser found wrong or noted',
    (k) => k.firmware.findings.length,
  ),
  krow('firmware.warnings', 'count', 'findings of severity warning (bugs worked around)', (k) =>
    severe(k, 'warning'),
  ),
  krow('firmware.errors', 'count', 'findings of severity error (data dropped or rejected)', (k) =>
    severe(k, 'error'),
  ),
];

export const BOOT_METRICS: readonly BootMetricRow[] = [
  brow('boot.time_ns', 'ns', 'bring-up time: first INIT to the last AP online or given up', (r) => r.totalNs),
  brow('boot.possible', 'count', 'CPUs the kernel may run on (cpu_possible)', (r) => r.possible.length),
  brow('boot.online', 'count', 'CPUs that came up (cpu_online, HW-2)', (r) => r.online.length),
  brow(
    'boot.failed',
    'count',
    'APs given up, logged and skipped (HW-2)',
    (r) => r.cpus.filter((c) => c.status === 'failed').length,
  ),
  brow(
    'boot.frames_freed',
    'count',
    'frames given back from failed APs (stacks, per-CPU blocks)',
    (r) => r.framesFreed,
  ),
  brow('boot.sipis', 'count', 'STARTUP IPIs sent, retries included', (r) =>
    r.cpus.reduce((s, c) => s + c.sipiNs.length, 0),
  ),
  brow('boot.duplicate_ids', 'count', 'logical ids taken by two APs (K1, HW-4)', (r) => r.duplicateIds),
  brow(
    'boot.half_initialised',
    'count',
    'APs taken as up before their init finished (K2, HW-5)',
    (r) => r.halfInitialised,
  ),
  brow(
    'boot.node_unset_seen',
    'count',
    'APs seen up with no NUMA node yet (K8, HW-5)',
    (r) => r.nodeUnsetSeen,
  ),
];

/** `firmware.finding.<code>`: findings with one code (kernel/acpi/types.ts). */
export const FIRMWARE_FINDING_FAMILY = {
  pattern: 'firmware.finding.<code>',
  unit: 'count' as const,
  meaning: 'findings of one code (duplicate-apic-id, checksum, slit-diagonal, ...)',
  matches: (n: string) => /^firmware\.finding\.[a-z0-9]+(-[a-z0-9]+)*$/.test(n),
  of: (code: string) => `firmware.finding.${code}`,
};

/** Writes the firmware metrics, and the bring-up's when one ran, into `m`. */
export function bootMetrics(kernel: Kernel, m: Record<string, number>): void {
  for (const row of FIRMWARE_METRICS) m[row.name] = row.read(kernel);
  for (const f of kernel.firmware.findings) {
    const name = FIRMWARE_FINDING_FAMILY.of(f.code);
    m[name] = (m[name] ?? 0) + 1;
  }
  if (kernel.bringUp === null) return;
  const report = bootReport(kernel.bringUp);
  for (const row of BOOT_METRICS) m[row.name] = row.read(report);
}
