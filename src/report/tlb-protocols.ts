/**
 * The README's TLB protocol table (issue 15): the TLB seed scenarios run under each shootdown
 * protocol (redox, the baseline; redbear, the patches as written; linux, the improved one) with
 * the figures that tell them apart side by side. Produced by the model (scripts/update-readme.mjs
 * writes it; test/readme.test.ts checks it), never typed in. The scenarios' own `[[compare]]`
 * variants and expectations are not run here.
 * @module
 */
import type { RunConfig } from '../machine/config.ts';
import { runConfig } from './run.ts';

export const TLB_TABLE_PROTOCOLS = ['redox', 'redbear', 'linux'] as const;

/** Scenario file names (under scenarios/seeds/) and the metrics each row shows. */
export const TLB_TABLE_ROWS: readonly { file: string; metrics: readonly string[] }[] = [
  {
    file: 'tlb-mprotect.toml',
    metrics: ['tlb.misses', 'tlb.full_flushes', 'tlb.ack_wait_ns', 'workload.tlbstress.sweeps'],
  },
  {
    file: 'tlb-munmap-stress.toml',
    metrics: ['tlb.ipis', 'tlb.ack_wait_ns', 'workload.tlbstress.elapsed_ns'],
  },
  { file: 'tlb-k3-race.toml', metrics: ['tlb.stale_reads', 'workload.tlbstress.efaults'] },
];

/** The table's Markdown lines; `load(file, protocol)` gives a scenario's config under a protocol. */
export function tlbProtocolsMarkdown(load: (file: string, protocol: string) => RunConfig): string[] {
  const lines = [
    `| scenario | metric | ${TLB_TABLE_PROTOCOLS.join(' | ')} |`,
    `|---|---|${TLB_TABLE_PROTOCOLS.map(() => '---:').join('|')}|`,
  ];
  for (const row of TLB_TABLE_ROWS) {
    const values = TLB_TABLE_PROTOCOLS.map((protocol) => {
      const config = load(row.file, protocol);
      config.compare = [];
      config.expect = [];
      const report = runConfig(config, { skipNameChecks: true });
      return { metrics: report.metrics, stopped: report.error !== undefined, name: config.name };
    });
    for (const metric of row.metrics) {
      const cells = values.map((v) => (v.stopped ? 'stopped' : String(v.metrics[metric] ?? 'n/a')));
      lines.push(`| ${values[0]!.name} | \`${metric}\` | ${cells.join(' | ')} |`);
    }
  }
  return lines;
}
