/**
 * `smpsim metrics FILE`: the metric names a scenario's run reports, with their values, for
 * writing `[[expect]]`, `sweep.metric`, `compare.metrics` and `headline` (issue 12: names are a
 * contract; the run refuses a name that is not in this list).
 */
import type { RunConfig } from '../machine/config.ts';
import { derivedMetricNames } from '../report/metric-names.ts';
import { runConfig } from '../report/run.ts';
import type { WallBudget } from '../report/wall-budget.ts';

export const METRICS_SCHEMA = 'smpsim.metrics/1';

export interface MetricsListing {
  schema: typeof METRICS_SCHEMA;
  scenario: string;
  seed: number;
  /** Every metric the run reported, by name, sorted. */
  metrics: Record<string, number>;
  /** Names the sweep and the variants derive that this run did not produce (a ratio over 0, say). */
  missing_derived: string[];
  /** Why the run did not do its work, or null; metrics of what did not run are absent then. */
  failure: string | null;
}

/** Runs `config` in full (sweep and variants too) and lists what it reported. */
export function listMetrics(config: RunConfig, wall: WallBudget): MetricsListing {
  const report = runConfig(config, { wall, skipNameChecks: true });
  const names = Object.keys(report.metrics).sort();
  return {
    schema: METRICS_SCHEMA,
    scenario: config.name,
    seed: config.seed,
    metrics: Object.fromEntries(names.map((n) => [n, report.metrics[n]!])),
    missing_derived: derivedMetricNames(config).filter((n) => !Object.hasOwn(report.metrics, n)),
    failure: report.failure,
  };
}

/** One `name value` line per metric, names aligned. */
export function formatMetrics(listing: MetricsListing): string {
  const entries = Object.entries(listing.metrics);
  const width = Math.max(0, ...entries.map(([n]) => n.length));
  const lines = [`${listing.scenario} seed ${listing.seed}: ${entries.length} metrics`];
  for (const [name, value] of entries) lines.push(`  ${name.padEnd(width)}  ${value}`);
  if (listing.missing_derived.length > 0)
    lines.push(`not produced by this run: ${listing.missing_derived.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
