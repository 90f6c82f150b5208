/**
 * The README's interrupts-and-devices table (issue 18): each device seed scenario's baseline
 * (Redox as found: BSP routing, one queue, one INTx line, no ITR, no IOMMU) beside its improved
 * run, with the figures that tell them apart. Produced by the model (scripts/update-readme.mjs
 * writes it; test/readme.test.ts checks it), never typed in. Each side is the scenario itself or
 * one of its `[[compare]]` variants, run alone without its expectations.
 * @module
 */
import type { RunConfig } from '../machine/config.ts';
import { runConfig } from './run.ts';

interface Row {
  readonly file: string;
  /** What the row's sides are called in the table. */
  readonly label: string;
  /** The variant that is the baseline, and the improved side ('' for the scenario itself). */
  readonly baseline: string;
  readonly improved: string;
  readonly metrics: readonly string[];
}

export const DEVICES_TABLE_ROWS: readonly Row[] = [
  {
    file: 'irq-balance.toml',
    label: 'irq-balance',
    baseline: 'redox',
    improved: '',
    metrics: [
      'irq.bsp_handler_share',
      'irq.cpus_used',
      'cpu.0.utilisation',
      'irq.latency_p99_ns',
      'workload.e1000d.p99_ns',
    ],
  },
  {
    file: 'msix-multiqueue.toml',
    label: 'msix-multiqueue (4 CPUs)',
    baseline: 'intx',
    improved: '',
    metrics: ['workload.nvmed.iops', 'workload.nvmed.p99_ns', 'irq.bsp_handler_share'],
  },
  {
    file: 'msix-multiqueue.toml',
    label: 'msix-multiqueue (16 CPUs)',
    baseline: 'intx16',
    improved: 'msix16',
    metrics: ['workload.nvmed.iops', 'workload.nvmed.p99_ns', 'irq.bsp_handler_share'],
  },
  {
    file: 'irq-moderation.toml',
    label: 'irq-moderation',
    baseline: 'itr0',
    improved: '',
    metrics: [
      'workload.e1000d.interrupts_per_s',
      'workload.e1000d.p50_ns',
      'workload.e1000d.p99_ns',
      'irq.handler_ns',
    ],
  },
  {
    file: 'iommu-rogue-dma.toml',
    label: 'iommu-rogue-dma',
    baseline: 'no-iommu',
    improved: '',
    metrics: ['workload.nvme-rogue.corrupted_words', 'iommu.faults', 'iommu.blocked_accesses'],
  },
  {
    file: 'swiotlb.toml',
    label: 'swiotlb',
    baseline: 'swiotlb',
    improved: '',
    metrics: ['dma.bounce_copies', 'dma.bounce_ns', 'workload.nvmed.p50_ns'],
  },
  // devices (issue 18): the disk.nvme: scheme front-end and CPU offline under I/O
  {
    file: 'nvme-disk-scheme.toml',
    label: 'nvme-disk-scheme',
    baseline: 'redox',
    improved: '',
    metrics: ['workload.nvme-disk.iops', 'workload.nvme-disk.p99_ns', 'irq.bsp_handler_share'],
  },
  {
    file: 'cpu-offline-io.toml',
    label: 'cpu-offline-io (INTx vs managed)',
    baseline: 'intx',
    improved: '',
    metrics: ['step.0.took_ns', 'hotplug.vectors_moved', 'hotplug.vectors_shut_down', 'irq.lost'],
  },
  {
    file: 'cpu-offline-io.toml',
    label: 'cpu-offline-io (no offline vs offline)',
    baseline: 'quiet',
    improved: '',
    metrics: ['workload.nvmed.p99_ns', 'workload.nvmed.max_ns', 'workload.nvmed.requests'],
  },
  {
    file: 'e1000-network-scheme.toml',
    label: 'e1000-network-scheme',
    baseline: 'redox',
    improved: '',
    metrics: [
      'workload.e1000-net.fps',
      'workload.e1000-net.missed',
      'workload.e1000-net.p99_ns',
      'workload.e1000-net.interrupts_per_s',
      'workload.e1000-net.mmio',
    ],
  },
  {
    file: 'nic-transmit.toml',
    label: 'nic-transmit',
    baseline: 'redox',
    improved: '',
    metrics: [
      'workload.e1000-tx.tx_bytes_per_s',
      'workload.e1000-tx.tx_interrupts',
      'workload.e1000-tx.p99_ns',
      'workload.e1000-tx.mmio',
      'workload.e1000-tx.spin_polls',
    ],
  },
  {
    file: 'nic-transmit.toml',
    label: 'nic-transmit (no BQL vs BQL)',
    baseline: 'nobql',
    improved: '',
    metrics: ['workload.e1000-tx.tx_bytes_per_s', 'workload.e1000-tx.p99_ns', 'workload.e1000-tx.max_ns'],
  },
];

function side(main: RunConfig, variant: string): RunConfig {
  const found = variant === '' ? main : main.compare.find((c) => c.name === variant)?.config;
  if (found === undefined) throw new Error(`devices table: ${main.name} has no [[compare]] ${variant}`);
  return { ...found, compare: [], expect: [] };
}

/** The table's Markdown lines; `load(file)` gives a seed scenario's config. */
export function devicesMarkdown(load: (file: string) => RunConfig): string[] {
  const lines = ['| scenario | metric | baseline | improved |', '|---|---|---:|---:|'];
  const runs = new Map<string, Record<string, number> | null>();
  const metricsOf = (file: string, variant: string): Record<string, number> | null => {
    const key = `${file}#${variant}`;
    if (!runs.has(key)) {
      const report = runConfig(side(load(file), variant), { skipNameChecks: true });
      runs.set(key, report.error === undefined ? report.metrics : null);
    }
    return runs.get(key)!;
  };
  for (const row of DEVICES_TABLE_ROWS) {
    const cells = [row.baseline, row.improved].map((v) => metricsOf(row.file, v));
    for (const metric of row.metrics) {
      const shown = cells.map((m) => (m === null ? 'stopped' : format(m[metric])));
      lines.push(`| ${row.label} | \`${metric}\` | ${shown.join(' | ')} |`);
    }
  }
  return lines;
}

function format(value: number | undefined): string {
  if (value === undefined) return 'n/a';
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}
