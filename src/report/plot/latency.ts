/**
 * Wake-up latency plots (`smpsim plot --kind latency-cdf`): each run's cumulative distribution
 * of wakeup-to-run latency (the report's `wakeup_cdf_ns`, its nearest-rank percentiles 0–100)
 * overlaid on a log-scaled time axis, beside bars of p50, p90, p99 and max per run — the
 * comparison `perf sched timehist` and schbench users read. A run with no wakeups is left out
 * with its name in the subtitle.
 */
import type { TopLevelSpec } from 'vega-lite';
import { PlotInputError } from './errors.ts';
import type { RunReport } from '../types.ts';

export interface LabelledRun {
  label: string;
  report: RunReport;
}

/** One row per (run, percentile): the fraction of wakeups at or below `ns`. */
export function cdfRows(runs: readonly LabelledRun[]): { series: string; ns: number; fraction: number }[] {
  const rows: { series: string; ns: number; fraction: number }[] = [];
  for (const { label, report } of runs) {
    const cdf = report.wakeup_cdf_ns ?? [];
    const last = cdf.length - 1;
    // A log axis has no 0: a zero latency (woken onto an idle CPU at once) is drawn at 1 ns.
    for (let p = 0; p <= last; p++)
      rows.push({ series: label, ns: Math.max(cdf[p]!, 1), fraction: p / last });
  }
  return rows;
}

const BARS = [
  ['p50', 'p50_ns'],
  ['p90', 'p90_ns'],
  ['p99', 'p99_ns'],
  ['max', 'max_ns'],
] as const;

export function percentileRows(
  runs: readonly LabelledRun[],
): { series: string; percentile: string; ns: number }[] {
  return runs.flatMap(({ label, report }) =>
    report.wakeup_latency.count === 0
      ? []
      : BARS.map(([percentile, key]) => ({
          series: label,
          percentile,
          ns: Math.max(report.wakeup_latency[key], 1),
        })),
  );
}

export function latencySpec(runs: readonly LabelledRun[], title: string): TopLevelSpec {
  const empty = runs.filter((r) => r.report.wakeup_latency.count === 0).map((r) => r.label);
  const rows = cdfRows(runs.filter((r) => r.report.wakeup_latency.count > 0));
  if (rows.length === 0)
    throw new PlotInputError('no wakeups to plot: every run given has wakeup_latency.count 0');
  const subtitle = empty.length === 0 ? 'wakeup-to-run latency' : `no wakeups in: ${empty.join(', ')}`;
  const color = { field: 'series', type: 'nominal', title: 'run' } as const;
  return {
    title: { text: title, subtitle },
    hconcat: [
      {
        width: 360,
        height: 260,
        data: { values: rows },
        mark: { type: 'line', interpolate: 'step-after' },
        encoding: {
          x: { field: 'ns', type: 'quantitative', title: 'latency (ns, log)', scale: { type: 'log' } },
          y: { field: 'fraction', type: 'quantitative', title: 'fraction of wakeups' },
          color,
        },
      },
      {
        width: 220,
        height: 260,
        data: { values: percentileRows(runs) },
        mark: 'bar',
        encoding: {
          x: { field: 'percentile', type: 'nominal', sort: BARS.map((b) => b[0]), title: null },
          xOffset: { field: 'series' },
          y: { field: 'ns', type: 'quantitative', title: 'latency (ns, log)', scale: { type: 'log' } },
          color,
        },
      },
    ],
  } as TopLevelSpec;
}
