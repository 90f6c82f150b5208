/**
 * A sweep's results (`smpsim sweep`, issue 23): one JSONL line per run, keyed by its matrix values
 * and seed, and the summary over seeds. Plain data only, so a worker thread or a queue worker on
 * another machine returns the same record the local runner writes: a run builds its machine from
 * its configuration and seed alone, so where it ran never shows in its record.
 * @module
 */
import type { RunReport } from './types.ts';

export type AxisValue = string | number | boolean;

/** One axis of the matrix: a `--set` path and the values it takes, in order. */
export interface SweepAxis {
  /** The name the JSONL and the summary use: `policy`, `cpus` or the path itself. */
  name: string;
  path: string;
  values: AxisValue[];
}

/** One run of the sweep: its axis values, the `--set` list that gives them, and its seed. */
export interface SweepRunSpec {
  /** `policy=fair cpus=4 seed=2`: stable across invocations, the key a resumed sweep skips by. */
  key: string;
  params: Record<string, AxisValue>;
  set: string[];
  seed: number;
}

export const SWEEP_RECORD_SCHEMA = 'smpsim.sweep-run/1';

export interface SweepRecord {
  schema: typeof SWEEP_RECORD_SCHEMA;
  key: string;
  params: Record<string, AxisValue>;
  seed: number;
  trace_hash: string;
  sim_ns: number;
  events: number;
  passed: boolean;
  failure: string | null;
  /** The sweep's metrics; null where this run did not report one. */
  metrics: Record<string, number | null>;
}

export function runKey(params: SweepRunSpec['params'], seed: number): string {
  return [...Object.entries(params).map(([k, v]) => `${k}=${String(v)}`), `seed=${seed}`].join(' ');
}

/** The summary row a run belongs to: its key without the seed. */
export function groupKey(params: SweepRunSpec['params']): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

export function recordOf(spec: SweepRunSpec, report: RunReport, metrics: readonly string[]): SweepRecord {
  const picked: Record<string, number | null> = {};
  for (const m of metrics) picked[m] = report.metrics[m] ?? null;
  return {
    schema: SWEEP_RECORD_SCHEMA,
    key: spec.key,
    params: spec.params,
    seed: spec.seed,
    trace_hash: report.trace_hash,
    sim_ns: report.sim_ns,
    events: report.events,
    passed: report.passed,
    failure: report.failure,
    metrics: picked,
  };
}

/** The JSONL text of records, one per line. */
export function recordLine(r: SweepRecord): string {
  return `${JSON.stringify(r)}\n`;
}

/** A results file that is not one: the line and what is wrong. */
export class SweepResultsError extends Error {
  override readonly name = 'SweepResultsError';
}

/**
 * The records of a results file, by key. A last line without its newline is a run cut off while
 * it was written: it is dropped (and rerun). Any other line that is not a record is an error.
 */
export function parseResults(text: string, file: string): Map<string, SweepRecord> {
  // After the last newline comes either nothing or the cut-off line: both are left out.
  const complete = text.split('\n').slice(0, -1);
  const out = new Map<string, SweepRecord>();
  for (const [i, line] of complete.entries()) {
    if (line.trim() === '') continue;
    let r: unknown;
    try {
      r = JSON.parse(line);
    } catch {
      throw new SweepResultsError(
        `${file}:${i + 1}: not JSON; expected one ${SWEEP_RECORD_SCHEMA} record per line`,
      );
    }
    const rec = r as Partial<SweepRecord>;
    if (rec.schema !== SWEEP_RECORD_SCHEMA || typeof rec.key !== 'string')
      throw new SweepResultsError(`${file}:${i + 1}: not a ${SWEEP_RECORD_SCHEMA} record`);
    out.set(rec.key, rec as SweepRecord);
  }
  return out;
}

export interface SummaryRow {
  group: string;
  params: Record<string, AxisValue>;
  runs: number;
  failed: number;
  /** Median over the group's seeds of each metric (null: no run reported it). */
  medians: Record<string, number | null>;
}

/** Lower median, so a value always is one some run produced. */
function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[(sorted.length - 1) >> 1]!;
}

/** One row per matrix combination, in the matrix's order, with the medians over its seeds. */
export function summarise(
  specs: readonly SweepRunSpec[],
  records: ReadonlyMap<string, SweepRecord>,
  metrics: readonly string[],
): SummaryRow[] {
  const rows = new Map<string, { params: SweepRunSpec['params']; recs: SweepRecord[] }>();
  for (const spec of specs) {
    const g = groupKey(spec.params);
    const row = rows.get(g) ?? { params: spec.params, recs: [] };
    const rec = records.get(spec.key);
    if (rec !== undefined) row.recs.push(rec);
    rows.set(g, row);
  }
  return [...rows].map(([group, { params, recs }]) => {
    const medians: Record<string, number | null> = {};
    for (const m of metrics)
      medians[m] = median(recs.map((r) => r.metrics[m]).filter((v): v is number => typeof v === 'number'));
    return { group, params, runs: recs.length, failed: recs.filter((r) => !r.passed).length, medians };
  });
}
