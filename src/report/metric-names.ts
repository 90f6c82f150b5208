/**
 * Metric names are a contract: every name a scenario uses (`expect.metric`, `sweep.metric`,
 * `compare.metrics`, `headline`) must be one its run reports, or the scenario is bad input and
 * the error lists the nearest names (issue 12). A name is checked against the run's own metrics
 * plus the ones its sweep and variants derive, so a typo is told apart from a failed workload:
 * the check runs only after a run that did its work.
 */
import type { RunConfig } from '../machine/config.ts';
import { FAMILIES, metricInfo } from './metric-registry.ts';
import { nearestNames } from './nearest-names.ts';

/** Suggestions shown for an unknown name. */
const NEAREST_SHOWN = 5;

/** An unknown metric name in field `field` of the scenario; the CLI turns it into exit 2. */
export class MetricNameError extends Error {
  override readonly name = 'MetricNameError';
  readonly field: string;
  readonly problem: string;
  readonly allowed: string;

  /** `policy`: the run's scheduling policy, named when the metric is another policy's. */
  constructor(field: string, metric: string, known: readonly string[], policy?: string) {
    const problem = `the run reports no metric ${JSON.stringify(metric)}${otherPolicyNote(metric, policy)}`;
    const allowed = `nearest: ${nearestNames(known, metric, NEAREST_SHOWN)}; smpsim metrics FILE lists them`;
    super(`${field}: ${problem} (allowed: ${allowed})`);
    this.field = field;
    this.problem = problem;
    this.allowed = allowed;
  }
}

/**
 * A registered scheduler metric the run's policy does not report (the registry says whose it
 * is): a policy mismatch, told apart from a typo.
 */
function otherPolicyNote(metric: string, policy: string | undefined): string {
  const info = metricInfo(metric);
  if (policy === undefined || info === undefined || !('policies' in info)) return '';
  if (info.policies.includes(policy as never)) return '';
  return ` (only ${info.policies.join(' and ')} report it; this run uses ${policy})`;
}

/** The names derived from the sweep and the variants, which exist only once those have run. */
export function derivedMetricNames(config: RunConfig): string[] {
  const names: string[] = [];
  if (config.sweep !== null) {
    for (const cpus of config.sweep.cpus)
      names.push(FAMILIES.sweepMedian.of(cpus), FAMILIES.sweepSpeedup.of(cpus));
    names.push(FAMILIES.sweepRejected.of());
  }
  for (const c of config.compare) {
    for (const m of c.metrics) names.push(FAMILIES.compare.of(c.prefix, m), FAMILIES.ratio.of(c.prefix, m));
  }
  return names;
}

/**
 * Checks each variant's `metrics` against the names the run or the variant reports (a variant
 * may change the workload), before the derived names are built from them.
 */
export function checkCompareMetrics(
  config: RunConfig,
  index: number,
  mine: Readonly<Record<string, number>>,
  theirs: Readonly<Record<string, number>>,
): void {
  const variant = config.compare[index]!;
  const field = variant.prefix === '' ? 'compare.metrics' : `compare.${index}.metrics`;
  variant.metrics.forEach((metric, i) => {
    if (Object.hasOwn(mine, metric) || Object.hasOwn(theirs, metric)) return;
    throw new MetricNameError(`${field}.${i}`, metric, [
      ...new Set([...Object.keys(mine), ...Object.keys(theirs)]),
    ]);
  });
}

/** Checks `sweep.metric`, `headline` and every `expect.metric` against the run's names. */
export function checkScenarioMetrics(config: RunConfig, metrics: Readonly<Record<string, number>>): void {
  const known = new Set([...Object.keys(metrics), ...derivedMetricNames(config)]);
  const policy = config.kernel.scheduler;
  const check = (field: string, metric: string) => {
    if (!known.has(metric)) throw new MetricNameError(field, metric, [...known], policy);
  };
  if (config.sweep !== null && !Object.hasOwn(metrics, config.sweep.metric)) {
    throw new MetricNameError('sweep.metric', config.sweep.metric, Object.keys(metrics), policy);
  }
  for (const [i, metric] of config.headline.entries()) check(`headline.${i}`, metric);
  for (const [i, e] of config.expect.entries()) check(`expect.${i}.metric`, e.metric);
}
