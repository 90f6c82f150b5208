/**
 * The metrics of CPU hotplug (issue 18, kernel/hotplug.ts): written only by runs that took a CPU
 * offline or online (so no other run's metrics change). Sums over every offline of the run, and
 * each CPU's online time as a family. Registered with the other rows (metric-registry.ts).
 */
import type { Kernel } from '../kernel/kernel.ts';
import type { OfflineRecord } from '../kernel/hotplug.ts';
import type { KernelMetricRow } from './boot-metrics.ts';
import { SCENARIO_STEPS_NAME, type StepOutcome } from '../machine/scenario-steps.ts';

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
    meaning: 'device vectors moved off dying CPUs, their sources reprogrammed (devio/hotplug-vectors.ts)',
    read: (k) => sum(k, (r) => r.vectorsMoved),
  },
  // devices (issue 18): managed vectors' drain and shutdown, interrupts sent on from moved vectors
  {
    name: 'hotplug.vectors_shut_down',
    unit: 'count',
    meaning: 'managed (per-queue) vectors shut down with no CPU of their mask left, after their drain',
    read: (k) => sum(k, (r) => r.vectorsShutDown),
  },
  {
    name: 'hotplug.drain_ns',
    unit: 'ns',
    meaning:
      "time offlines waited for a dying managed vector's outstanding requests (blk-mq msleep(5) polls)",
    read: (k) => sum(k, (r) => r.drainNs),
  },
  {
    name: 'hotplug.irqs_forwarded',
    unit: 'count',
    meaning: 'interrupts that reached a vector an offline moved away and were sent on (fixup_irqs retrigger)',
    read: (k) => k.devio?.forwarded ?? 0,
  },
  // devices (issue 18): the dying CPU's park (kernel/hotplug-park.ts)
  {
    name: 'hotplug.parks',
    unit: 'count',
    meaning: 'offline CPUs parked: out of every address space CPU set, LAPIC software-disabled',
    read: (k) => k.hotplug.park.parks,
  },
  {
    name: 'hotplug.spaces_left',
    unit: 'count',
    meaning: 'address-space CPU sets (mm_cpumask, used_by) parking CPUs left (idle_task_exit)',
    read: (k) => k.hotplug.park.spacesLeft,
  },
  {
    name: 'hotplug.flushes_answered',
    unit: 'count',
    meaning: 'TLB flush requests a parking CPU answered without their IPI (smpcfd_dying_cpu)',
    read: (k) => k.hotplug.park.flushesAnswered,
  },
  {
    name: 'hotplug.ipis_refused',
    unit: 'count',
    meaning: 'interrupts that reached a parked CPU and were dropped (its LAPIC software-disabled)',
    read: (k) => k.cpus.reduce((n, c) => n + c.lapic.refused, 0),
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

/** `step.<i>.<errno|at_ns|took_ns>`: each `[[step]]`'s outcome (machine/scenario-steps.ts). */
export const STEP_FAMILY = {
  pattern: 'step.<index>.<errno|at_ns|took_ns>',
  unit: 'count' as const,
  meaning: "a [[step]]'s errno (0 done), when it was issued and how long its call took (ns)",
  matches: (n: string) => /^step\.\d+\.(errno|at_ns|took_ns)$/.test(n),
  of: (index: number, key: 'errno' | 'at_ns' | 'took_ns') => `step.${index}.${key}`,
};

/** The `[[step]]` runner's outcomes, when the scenario had steps. */
export function stepMetrics(kernel: Kernel, m: Record<string, number>): void {
  const runner = [...kernel.processes.values()].find((p) => p.image.name === SCENARIO_STEPS_NAME);
  const out = (runner?.data.output as Record<string, StepOutcome[]> | undefined)?.[SCENARIO_STEPS_NAME];
  (out ?? []).forEach((o, i) => {
    m[STEP_FAMILY.of(i, 'errno')] = o.errno;
    m[STEP_FAMILY.of(i, 'at_ns')] = o.atNs;
    m[STEP_FAMILY.of(i, 'took_ns')] = o.tookNs;
  });
}

/** Writes the hotplug metrics into `m` when the run took a CPU offline or online. */
export function hotplugMetrics(kernel: Kernel, m: Record<string, number>): void {
  stepMetrics(kernel, m);
  const hp = kernel.hotplug;
  if (hp.offlines.length === 0 && hp.onlines === 0) return;
  for (const row of HOTPLUG_METRICS) m[row.name] = row.read(kernel);
  for (let id = 0; id < hp.online.length; id++)
    m[HOTPLUG_ONLINE_FAMILY.of(id)] = hp.onlineTimeNs(id, kernel.nowNs);
}
