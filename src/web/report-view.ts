/**
 * A run report (`smpsim run --json`, schema smpsim.run/1) as the page shows it: the run's
 * header, its expectations with pass or fail, the wakeup latencies and every flat metric; and
 * two reports' metrics side by side with their ratio.
 */
import { el, table } from './dom.ts';
import { formatNs } from './view-range.ts';

export interface Expectation {
  metric: string;
  op: string;
  expected: number;
  actual: number | null;
  pass: boolean;
  note?: string;
}

export interface RunReport {
  schema: 'smpsim.run/1';
  scenario: string;
  seed: number;
  sim_ns: number;
  policy: string;
  trace_hash: string;
  passed: boolean;
  failure: string | null;
  metrics: Record<string, number>;
  expectations: Expectation[];
  wakeup_latency: { count: number; p50_ns: number; p90_ns: number; p99_ns: number; max_ns: number };
  compare?: { name: string; trace_hash: string; error: string | null }[];
}

export function isRunReport(json: unknown): json is RunReport {
  return (
    typeof json === 'object' && json !== null && (json as { schema?: unknown }).schema === 'smpsim.run/1'
  );
}

function num(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  return Number.isInteger(v) ? String(v) : v.toPrecision(6);
}

export function reportPanel(r: RunReport): HTMLElement {
  const l = r.wakeup_latency;
  const exp = r.expectations.map((e) => [
    e.metric,
    e.op,
    num(e.expected),
    num(e.actual),
    el('span', { class: e.pass ? 'pass' : 'fail' }, e.pass ? 'pass' : 'FAIL'),
  ]);
  return el(
    'div',
    { class: 'report' },
    el('h3', {}, `${r.scenario} — seed ${r.seed}, ${r.policy}, ${formatNs(r.sim_ns)} simulated`),
    el(
      'p',
      { class: r.passed ? 'pass' : 'fail' },
      r.passed ? 'passed' : `FAILED${r.failure === null ? '' : `: ${r.failure}`}`,
    ),
    el(
      'p',
      {},
      `trace hash ${r.trace_hash}; wakeups ${l.count}: p50 ${formatNs(l.p50_ns)}, p90 ${formatNs(l.p90_ns)}, p99 ${formatNs(l.p99_ns)}, max ${formatNs(l.max_ns)}`,
    ),
    el('h4', {}, `expectations (${r.expectations.length})`),
    table(['metric', 'op', 'expected', 'actual', ''], exp, { class: 'expectations' }),
    el('details', {}, el('summary', {}, `metrics (${Object.keys(r.metrics).length})`), metricsTable([r])),
  );
}

/** Metrics of one or more reports, a column each (and the ratio of the second to the first). */
export function metricsTable(reports: readonly RunReport[]): HTMLTableElement {
  const names = [...new Set(reports.flatMap((r) => Object.keys(r.metrics)))].sort();
  const head = [
    'metric',
    ...reports.map((r, i) => `${String.fromCharCode(65 + i)}: ${r.scenario} (${r.policy})`),
  ];
  if (reports.length === 2) head.push('B / A');
  const rows = names.map((n) => {
    const values = reports.map((r) => r.metrics[n]);
    const row: (string | number)[] = [n, ...values.map((v) => num(v))];
    if (reports.length === 2) {
      const [a, b] = values;
      row.push(a === undefined || b === undefined || a === 0 ? '—' : (b / a).toFixed(3));
    }
    return row;
  });
  return table(head, rows, { class: 'metrics' });
}
