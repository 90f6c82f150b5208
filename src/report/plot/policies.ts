/**
 * The policies table as small multiples (`smpsim policies --plot`): one panel per (scenario,
 * headline metric), one bar per policy, each panel on its own scale since the metrics have
 * different units. A cell without a value (the run did not produce the metric, or stopped
 * early) has no bar and is named in the panel's subtitle row below the chart.
 */
import type { TopLevelSpec } from 'vega-lite';
import { PlotInputError } from './errors.ts';
import type { PoliciesReport } from '../policies.ts';

export function policyRows(report: PoliciesReport): { panel: string; policy: string; value: number }[] {
  return report.rows.flatMap((row) =>
    report.policies.flatMap((policy) => {
      const value = row.cells[policy]?.value;
      return value === null || value === undefined
        ? []
        : [{ panel: `${row.scenario}: ${row.metric}`, policy, value }];
    }),
  );
}

export function policiesSpec(report: PoliciesReport, title: string): TopLevelSpec {
  const rows = policyRows(report);
  if (rows.length === 0) throw new PlotInputError('no values to plot: no run produced its headline metric');
  return {
    title: { text: title, subtitle: `policies: ${report.policies.join(', ')}` },
    data: { values: rows },
    facet: { field: 'panel', type: 'nominal', title: null, header: { labelFontSize: 11, labelLimit: 260 } },
    columns: 3,
    spec: {
      width: 180,
      height: 120,
      mark: 'bar',
      encoding: {
        x: { field: 'policy', type: 'nominal', title: null, sort: report.policies },
        y: { field: 'value', type: 'quantitative', title: null },
        color: { field: 'policy', type: 'nominal', sort: report.policies, legend: null },
      },
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}
