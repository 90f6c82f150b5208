/**
 * Per-CPU utilisation stacks (`smpsim plot --kind utilisation`): for each CPU, the share of the
 * run's simulated time in user code, in the kernel, spinning on locks and idle (the report's
 * `cpus[]`: user_ns, kernel_ns, spin_ns, idle_ns), stacked to 100%. Several runs sit side by
 * side, one column each.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { LabelledRun } from './latency.ts';

const STATES = ['user', 'kernel', 'spin', 'idle'] as const;
const COLOURS = ['#4c78a8', '#f58518', '#e45756', '#d8d8d8'];

export function utilisationRows(
  runs: readonly LabelledRun[],
): { series: string; cpu: string; state: string; ns: number }[] {
  return runs.flatMap(({ label, report }) =>
    report.cpus.flatMap((c) =>
      STATES.map((state) => ({ series: label, cpu: `CPU ${c.id}`, state, ns: c[`${state}_ns`] })),
    ),
  );
}

export function utilisationSpec(runs: readonly LabelledRun[], title: string): TopLevelSpec {
  const rows = utilisationRows(runs);
  const cpus = runs.reduce((n, r) => Math.max(n, r.report.cpus.length), 0);
  return {
    title: { text: title, subtitle: 'share of simulated time per CPU' },
    data: { values: rows },
    mark: 'bar',
    width: Math.min(600, Math.max(120, cpus * 24)),
    height: 220,
    encoding: {
      x: { field: 'cpu', type: 'nominal', title: null, sort: null },
      y: {
        field: 'ns',
        type: 'quantitative',
        stack: 'normalize',
        title: 'share of time',
        axis: { format: '%' },
      },
      color: {
        field: 'state',
        type: 'nominal',
        sort: [...STATES],
        scale: { domain: [...STATES], range: COLOURS },
      },
      order: { field: 'stateOrder', type: 'quantitative' },
      ...(runs.length > 1 ? { column: { field: 'series', type: 'nominal', title: null } } : {}),
    },
    transform: [{ calculate: `indexof(${JSON.stringify(STATES)}, datum.state)`, as: 'stateOrder' }],
  } as TopLevelSpec;
}
