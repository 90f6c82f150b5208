/**
 * Speedup curves (`smpsim plot --kind speedup`, `smpsim scale --plot`): each policy's median
 * speedup over the study's CPU counts, with the ideal (linear) speedup as a dashed line. Speedup
 * at n CPUs is the median at the first count ÷ the median at n (scale.ts), so the ideal is
 * n ÷ the first count. Several scale reports overlay, each policy named by its report's label.
 */
import type { TopLevelSpec } from 'vega-lite';
import { PlotInputError } from './errors.ts';
import type { ScaleReport } from '../scale.ts';

export interface LabelledScale {
  label: string;
  report: ScaleReport;
}

interface SpeedupRow {
  series: string;
  cpus: number;
  speedup: number;
}

/** One row per (report, policy, CPU count) with an accepted run. */
export function speedupRows(scales: readonly LabelledScale[]): SpeedupRow[] {
  const rows: SpeedupRow[] = [];
  for (const { label, report } of scales) {
    for (const result of report.results) {
      const series = scales.length > 1 ? `${label}: ${result.policy}` : result.policy;
      for (const [cpus, speedup] of Object.entries(result.speedup)) {
        if (speedup !== null) rows.push({ series, cpus: Number(cpus), speedup });
      }
    }
  }
  return rows;
}

/** The ideal line over the CPU counts the rows cover: n ÷ the smallest count. */
export function idealRows(rows: readonly SpeedupRow[]): { cpus: number; ideal: number }[] {
  const counts = [...new Set(rows.map((r) => r.cpus))].sort((a, b) => a - b);
  const first = counts[0] ?? 1;
  return counts.map((cpus) => ({ cpus, ideal: cpus / first }));
}

export function speedupSpec(scales: readonly LabelledScale[], title: string): TopLevelSpec {
  const rows = speedupRows(scales);
  if (rows.length === 0)
    throw new PlotInputError('no accepted runs to plot: every point of the study was rejected');
  const first = scales[0]!.report;
  const workers = first.mode === 'process' ? 'processes' : 'threads';
  const subtitle = `${first.workload}, ${first.workers} ${workers}, ${first.partition}, median of ${first.runs_per_point} runs`;
  const counts = [...new Set(rows.map((r) => r.cpus))].sort((a, b) => a - b);
  const x = {
    field: 'cpus',
    type: 'quantitative',
    title: 'CPUs',
    scale: { type: 'log', base: 2 },
    axis: { values: counts, format: 'd' },
  } as const;
  return {
    title: { text: title, subtitle },
    width: 420,
    height: 280,
    layer: [
      {
        data: { values: idealRows(rows) },
        mark: { type: 'line', strokeDash: [6, 4], color: '#888' },
        encoding: { x, y: { field: 'ideal', type: 'quantitative' } },
      },
      {
        data: { values: rows },
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'speedup', type: 'quantitative', title: 'speedup (dashed: ideal)' },
          color: { field: 'series', type: 'nominal', title: 'policy' },
        },
      },
    ],
  } as TopLevelSpec;
}
