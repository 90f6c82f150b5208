/**
 * A sweep's picture (`smpsim sweep --plot`, issue 23): the first metric's median over seeds
 * against the matrix. With a numeric `cpus` axis, one line per combination of the other axes
 * over the CPU counts; otherwise one bar per matrix point.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { SummaryRow, SweepAxis } from '../sweep-record.ts';
import { PlotInputError } from './errors.ts';

interface SweepPlotRow {
  series: string;
  point: string;
  cpus: number | null;
  value: number;
}

function plotRows(axes: readonly SweepAxis[], metric: string, rows: readonly SummaryRow[]): SweepPlotRow[] {
  const others = axes.filter((a) => a.name !== 'cpus').map((a) => a.name);
  return rows.flatMap((r) => {
    const value = r.medians[metric];
    if (value === null || value === undefined) return [];
    const series = others.map((a) => `${a}=${String(r.params[a])}`).join(' ') || metric;
    const cpus = typeof r.params.cpus === 'number' ? r.params.cpus : null;
    return [{ series, point: r.group || 'all', cpus, value }];
  });
}

export function sweepSpec(
  axes: readonly SweepAxis[],
  metric: string,
  rows: readonly SummaryRow[],
  title: string,
): TopLevelSpec {
  const data = plotRows(axes, metric, rows);
  if (data.length === 0) throw new PlotInputError(`no run of the sweep reported ${metric}`);
  const subtitle = `${metric}, median over seeds`;
  const y = { field: 'value', type: 'quantitative', title: metric } as const;
  if (data.every((d) => d.cpus !== null)) {
    const counts = [...new Set(data.map((d) => d.cpus!))].sort((a, b) => a - b);
    return {
      title: { text: title, subtitle },
      width: 420,
      height: 280,
      data: { values: data },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'cpus', type: 'quantitative', title: 'CPUs', axis: { values: counts, format: 'd' } },
        y,
        color: { field: 'series', type: 'nominal', title: null },
      },
    } as TopLevelSpec;
  }
  return {
    title: { text: title, subtitle },
    width: Math.min(900, 40 + 28 * data.length),
    height: 280,
    data: { values: data },
    mark: 'bar',
    encoding: { x: { field: 'point', type: 'nominal', title: null, sort: null }, y },
  } as TopLevelSpec;
}
