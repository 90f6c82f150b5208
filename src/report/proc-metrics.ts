/**
 * The context pool's metrics (issue 24, kernel/context-pool.ts), reported by runs whose kernel
 * has one (`[kernel] context_pool` > 0): how many creations it served and missed, how many
 * contexts idle CPUs made for it, and the memory it holds. Registered with the other rows
 * (metric-registry.ts).
 */
import { CONTEXT_POOL_ENTRY_BYTES } from '../kernel/context-pool.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { KernelMetricRow } from './boot-metrics.ts';

export const CONTEXT_POOL_METRICS: readonly KernelMetricRow[] = [
  {
    name: 'kernel.context_pool.hits',
    unit: 'count',
    meaning: 'thread creations that took a pre-created context from their CPU pool',
    read: (k) => k.contextPool.hits,
  },
  {
    name: 'kernel.context_pool.misses',
    unit: 'count',
    meaning: 'thread creations that found their CPU pool empty and paid the full setup',
    read: (k) => k.contextPool.misses,
  },
  {
    name: 'kernel.context_pool.refills',
    unit: 'count',
    meaning: 'contexts idle CPUs pre-created for their pools (contextAllocNs each, in idle time)',
    read: (k) => k.contextPool.refills,
  },
  {
    name: 'kernel.context_pool.bytes_held',
    unit: 'value',
    meaning: `bytes the pools hold at the end of the run (${CONTEXT_POOL_ENTRY_BYTES} per context: kernel stack and context)`,
    read: (k) => k.contextPool.bytesHeld(),
  },
  {
    name: 'kernel.context_pool.peak_bytes_held',
    unit: 'value',
    meaning: 'the most bytes the pools held at once over the run',
    read: (k) => k.contextPool.peakBytesHeld,
  },
];

export function contextPoolMetrics(kernel: Kernel, m: Record<string, number>): void {
  if (kernel.contextPool.target === 0) return;
  for (const row of CONTEXT_POOL_METRICS) m[row.name] = row.read(kernel);
}
