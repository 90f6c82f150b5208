/**
 * The device and interrupt metrics (issue 18), reported when the machine has `[[device]]`s:
 * device interrupts per CPU and per (CPU, vector), the latency from a device's raise to its
 * handler's start, handler time and the BSP's share of it (K21), the count lock's contention
 * (K13), interrupts no CPU took (K11), IOMMU faults (HW-13) and SWIOTLB bounce copies with their
 * time. Request figures (IOPS, latency percentiles, ITR interrupt rate) are the drivers' own
 * published outputs (`workload.nvmed.*`, `workload.e1000d.*`).
 */
import type { Devio } from '../kernel/devio/devio.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { MetricUnit } from '../kernel/stats.ts';
import type { KernelMetricRow } from './clock-metrics.ts';

function row(
  name: string,
  unit: MetricUnit,
  meaning: string,
  read: (d: Devio, k: Kernel) => number,
): KernelMetricRow {
  return { name, unit, meaning, read: (k) => read(k.devio!, k) };
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

function latency(d: Devio, p: number): number {
  const sorted = [...d.stats.latenciesNs].sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

export const DEVICE_METRICS: readonly KernelMetricRow[] = [
  row('irq.device_interrupts', 'count', 'device interrupts handled, every CPU', (d) =>
    sum(d.stats.interruptsPerCpu),
  ),
  row(
    'irq.bsp_interrupts',
    'count',
    'device interrupts the BSP (CPU 0) handled (K21)',
    (d) => d.stats.interruptsPerCpu[0] ?? 0,
  ),
  row(
    'irq.cpus_used',
    'count',
    'CPUs that handled at least one device interrupt',
    (d) => d.stats.interruptsPerCpu.filter((n) => n > 0).length,
  ),
  row('irq.latency_p50_ns', 'ns', 'median device raise to handler start', (d) => latency(d, 50)),
  row('irq.latency_p99_ns', 'ns', '99th percentile device raise to handler start', (d) => latency(d, 99)),
  row('irq.latency_max_ns', 'ns', 'longest device raise to handler start', (d) => latency(d, 100)),
  row('irq.handler_ns', 'ns', 'time in device interrupt handlers, every CPU', (d) =>
    sum(d.stats.handlerNsPerCpu),
  ),
  row('irq.bsp_handler_share', 'ratio', "the BSP's part of the device handler time (K21)", (d) => {
    const total = sum(d.stats.handlerNsPerCpu);
    return total === 0 ? 0 : (d.stats.handlerNsPerCpu[0] ?? 0) / total;
  }),
  row('irq.count_lock_spin_ns', 'ns', 'time handlers spun on the IRQ count lock (K13)', (d) =>
    sum(d.countLocks.map((l) => l.spinNs)),
  ),
  row('irq.count_lock_contended', 'count', 'count-lock acquisitions that found it held (K13)', (d) =>
    sum(d.countLocks.map((l) => l.contended)),
  ),
  row(
    'irq.lost',
    'count',
    'device interrupts sent to an APIC id no CPU has (K11)',
    (d) => d.stats.lostRaises,
  ),
  row(
    'iommu.faults',
    'count',
    'faulting DMA transactions the IOMMU stopped and logged, one record each (HW-13)',
    (d) => (d.iommu === null ? 0 : d.iommu.events.length + d.iommu.overflowed),
  ),
  // devices (issue 18): what the fault records stand for, and the kernel's rate-limited report
  row(
    'iommu.blocked_accesses',
    'count',
    '4-byte DMA accesses the IOMMU stopped (every one of each transaction)',
    (d) => (d.iommu === null ? 0 : d.iommu.blockedAccesses),
  ),
  row(
    'iommu.faults_reported',
    'count',
    'fault records the kernel printed (10 per device per 5 s, __ratelimit)',
    (d) => (d.iommu === null ? 0 : d.faultReport.lines.filter((l) => l.startsWith('AMD-Vi')).length),
  ),
  row('iommu.faults_suppressed', 'count', 'fault records the rate limit kept from the kernel log', (d) =>
    d.iommu === null ? 0 : d.faultReport.suppressed,
  ),
  row(
    'iommu.first_fault_device',
    'value',
    'requester id of the first logged fault (-1: none)',
    (d) => d.iommu?.events[0]?.device ?? -1,
  ),
  row(
    'iommu.first_fault_iova',
    'value',
    'IOVA of the first logged fault (-1: none)',
    (d) => d.iommu?.events[0]?.iova ?? -1,
  ),
  row('iommu.first_fault_write', 'flag', '1 when the first logged fault was a write', (d) =>
    d.iommu?.events[0]?.write === true ? 1 : 0,
  ),
  row('dma.bounce_copies', 'count', 'SWIOTLB bounce copies', (d) => d.swiotlb?.copies ?? 0),
  row('dma.bounced_bytes', 'count', 'bytes SWIOTLB copied', (d) => d.swiotlb?.bouncedBytes ?? 0),
  row('dma.bounce_ns', 'ns', 'CPU time the bounce copies took', (d) => d.stats.bounceNs),
];

/** `irq.cpu.<cpu>.interrupts` and `irq.cpu.<cpu>.vector.<vector>`. */
export const DEVICE_FAMILIES = {
  irqCpu: {
    pattern: 'irq.cpu.<cpu>.interrupts',
    unit: 'count',
    meaning: 'device interrupts one CPU handled',
    matches: (n: string) => /^irq\.cpu\.\d+\.interrupts$/.test(n),
    of: (cpu: number) => `irq.cpu.${cpu}.interrupts`,
  },
  irqVector: {
    pattern: 'irq.cpu.<cpu>.vector.<vector>',
    unit: 'count',
    meaning: 'device interrupts on one vector of one CPU',
    matches: (n: string) => /^irq\.cpu\.\d+\.vector\.\d+$/.test(n),
    of: (cpu: number, vector: number) => `irq.cpu.${cpu}.vector.${vector}`,
  },
} as const;

export function deviceMetrics(k: Kernel, m: Record<string, number>): void {
  const d = k.devio;
  if (d === null) return;
  for (const r of DEVICE_METRICS) m[r.name] = r.read(k);
  d.stats.interruptsPerCpu.forEach((n, cpu) => {
    m[DEVICE_FAMILIES.irqCpu.of(cpu)] = n;
  });
  for (const [key, n] of [...d.stats.perVector.entries()].sort((a, b) => a[0] - b[0]))
    m[DEVICE_FAMILIES.irqVector.of(Math.floor(key / 256), key % 256)] = n;
}
