/**
 * The metrics of CPU hotplug (issue 18, kernel/hotplug.ts): written only by runs that took a CPU
 * offline or online (so no other run's metrics change). Sums over every offline of the run, and
 * each CPU's online time as a family. Registered with the other rows (metric-registry.ts).
 */
import type { Kernel } from '../kernel/kernel.ts';
import type { OfflineRecord } from '../kernel/hotplug.ts';
import type { KernelMetricRow } from './boot-metrics.ts';

const sum = (k: Kernel, f: (r: OfflineRecord) => number) => k.hotplug.offlines.reduce((n, r) => n + f(r), 0);

export const HOTPLUG_METRICS: readonly KernelMetricRow[] = [
  {
    name: 'hotplug.offlines',
    unit: 'count',
    meaning: 'CPUs taken offline (cpu_down completed)',
    read: (k) => k.hotplug.offlines.length,
  },
  {
    name: 'hotplug.onlines',
    unit: 'count',
    meaning: 'CPUs brought back online',
    read: (k) => k.hotplug.onlines,
  },
  {
    name: 'hotplug.offline_ns',
    unit: 'ns',
    meaning: 'time to take the CPUs down, summed: from the request to out of every mask and queue',
    read: (k) => sum(k, (r) => r.offlineNs),
  },
  {
    name: 'hotplug.threads_migrated',
    unit: 'count',
    meaning: 'threads moved off dying CPUs (queued ones, and the one running there)',
    read: (k) => sum(k, (r) => r.threadsMigrated),
  },
  {
    name: 'hotplug.affinity_broken',
    unit: 'count',
    meaning: 'threads allowed only on a dying CPU whose mask was widened to all (select_fallback_rq)',
    read: (k) => sum(k, (r) => r.affinityBroken),
  },
  {
    name: 'hotplug.timers_moved',
    unit: 'count',
    meaning: "timers moved off dying CPUs (hrtimers, the policy's timeouts)",
    read: (k) => sum(k, (r) => r.timersMoved),
  },
  {
    name: 'hotplug.vectors_moved',
    unit: 'count',
    meaning: 'device vectors moved off dying CPUs (vector-domain.ts)',
    read: (k) => sum(k, (r) => r.vectorsMoved),
  },
  {
    name: 'hotplug.offline_ticks',
    unit: 'count',
    meaning: 'timer ticks an offline CPU took (0: its tick is stopped)',
    read: (k) => k.hotplug.offlineTicks,
  },
];

export const HOTPLUG_ONLINE_FAMILY = {
  pattern: 'hotplug.cpu.<cpu>.online_ns',
  unit: 'ns' as const,
  meaning: 'how long one CPU was online over the run',
  matches: (n: string) => /^hotplug\.cpu\.\d+\.online_ns$/.test(n),
  of: (cpuId: number) => `hotplug.cpu.${cpuId}.online_ns`,
};

/** Writes the hotplug metrics into `m` when the run took a CPU offline or online. */
export function hotplugMetrics(kernel: Kernel, m: Record<string, number>): void {
  const hp = kernel.hotplug;
  if (hp.offlines.length === 0 && hp.onlines === 0) return;
  for (const row of HOTPLUG_METRICS) m[row.name] = row.read(kernel);
  for (let id = 0; id < hp.online.length; id++)
    m[HOTPLUG_ONLINE_FAMILY.of(id)] = hp.onlineTimeNs(id, kernel.nowNs);
}
