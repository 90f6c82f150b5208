/**
 * What the built-in guest programs share: the one way a program publishes its results
 * (`publish`, into `t.data.output[<name>]`, which the report turns into `workload.<name>.<key>`
 * metrics, program.ts), time-unit constants, the parameter descriptors several programs take
 * alike, and a latency summary (samples, percentiles, maximum) as cyclictest and schbench
 * report it.
 */
import type { Guest } from '../abi/guest.ts';
import { percentileOf } from './percentile.ts';
import type { ParamSpec } from './program.ts';

export const NS_PER_US = 1_000;
export const NS_PER_MS = 1_000_000;
/** Cycles per microsecond at the 3 GHz every preset machine runs (the topology's cpuMhz, 3000). */
export const CYCLES_PER_US = 3_000;

/**
 * Publishes `values` as the program `name`'s output, beside any other program's in the same
 * process (a later publish under the same name replaces the earlier one).
 */
export function publish(t: Guest, name: string, values: object): void {
  t.data.output = { ...(t.data.output as object), [name]: values };
}

/** `chunk_cycles`: the length of one compute burst, as cpuhog, affinity and numamem take it. */
export const CHUNK_CYCLES_PARAM: ParamSpec = {
  name: 'chunk_cycles',
  kind: 'int',
  min: 1,
  max: 1_000_000_000,
  doc: 'cycles per burst',
  fallback: 300_000,
};

/** The output key of a percentile: p50Ns, p99Ns, p999Ns (99.9). */
function percentileKey(p: number): string {
  return `p${String(p).replace('.', '')}Ns`;
}

/**
 * A latency summary of `valuesNs` (any order): `samples`, `minNs` when asked for, each
 * nearest-rank percentile in `percentiles` (percentile.ts), and `maxNs`; 0 for an empty list.
 */
export function latencySummary(
  valuesNs: readonly number[],
  percentiles: readonly number[],
  withMin: boolean,
): Record<string, number> {
  const sorted = [...valuesNs].sort((x, y) => x - y);
  const out: Record<string, number> = { samples: sorted.length };
  if (withMin) out.minNs = sorted[0] ?? 0;
  for (const p of percentiles) out[percentileKey(p)] = percentileOf(sorted, p);
  out.maxNs = sorted.at(-1) ?? 0;
  return out;
}
