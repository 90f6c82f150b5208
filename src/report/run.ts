/**
 * Runs one configuration to completion and builds its report: the run itself, its sweep and its
 * compare variants, each held to its declared outcome, all under one wall-clock budget.
 * @module
 */
import { evaluateExpectations } from './expect.ts';
import { buildReport } from './build.ts';
import { ChromeTraceRecorder, type ChromeTraceSummary } from './chrome-trace.ts';
import { checkCompareMetrics, checkScenarioMetrics } from './metric-names.ts';
import { FAMILIES } from './metric-registry.ts';
import { outcomeFailure } from './outcome.ts';
import type { RunReport } from './types.ts';
import { ratio3 } from './stats.ts';
import { combineHashes, runSweep } from './sweep.ts';
import { WallBudget } from './wall-budget.ts';
import { waitForGraph } from '../kernel/deadlock.ts';
import { type BuildOptions, buildMachine, type Machine } from '../machine/build.ts';
import type { LimitsConfig, RunConfig } from '../machine/config.ts';

export interface RunOptions extends BuildOptions {
  /** Write a Chrome trace-event JSON here (one track per CPU), streamed as the run goes. */
  traceFile?: string;
  /**
   * The wall-clock budget this run shares with the rest of its invocation; by default a new one
   * of the scenario's `limits.wall_s_max`.
   */
  wall?: WallBudget;
  /**
   * Skip the metric-name checks (`smpsim metrics` lists a run's names whatever the scenario's
   * expectations call them).
   */
  skipNameChecks?: boolean;
  /** The trace file's bound in bytes (chrome-trace.ts's default when absent). */
  traceBytesMax?: number;
  /** Told how the trace went: slices written, and a message when the bound stopped it. */
  onTrace?: (summary: ChromeTraceSummary) => void;
}

export function runConfig(config: RunConfig, options: RunOptions = {}): RunReport {
  const wall = options.wall ?? new WallBudget(config.limits.wallSMax, 'limits.wall_s_max');
  const machine = buildMachine(config, options);
  const recorder =
    options.traceFile === undefined
      ? null
      : new ChromeTraceRecorder(machine.kernel, options.traceFile, { bytesMax: options.traceBytesMax });
  let reason: string;
  try {
    reason = runEngine(machine, config.limits, wall);
  } finally {
    const summary = recorder?.finish();
    if (summary !== undefined) options.onTrace?.(summary);
  }
  const error = stopError(machine, config, reason);
  const report = buildReport(config, machine, error);
  report.failure = outcomeFailure(config, machine.kernel, error);
  if (config.sweep !== null) {
    const sweep = runSweep(config, wall, options.idleFold);
    Object.assign(report.metrics, sweep.metrics);
    report.sweep_hashes = sweep.hashes;
    report.trace_hash = combineHashes([report.trace_hash, ...sweep.hashes]);
  }
  runVariants(config, report, wall, options);
  if (report.failure === null && options.skipNameChecks !== true)
    checkScenarioMetrics(config, report.metrics);
  report.expectations = evaluateExpectations(config.expect, report.metrics);
  report.passed = report.failure === null && report.expectations.every((e) => e.pass);
  return report;
}

/** Runs each `[compare]` variant; its metrics join the report and its failure fails the run. */
function runVariants(config: RunConfig, report: RunReport, wall: WallBudget, options: RunOptions): void {
  const skipNameChecks = options.skipNameChecks === true;
  if (config.compare.length > 0) report.compare = [];
  config.compare.forEach((compare, index) => {
    const variant = runConfig(compare.config, { wall, skipNameChecks: true, idleFold: options.idleFold });
    report.compare?.push({
      name: compare.name,
      trace_hash: variant.trace_hash,
      error: variant.error ?? null,
    });
    if (variant.failure !== null) report.failure ??= `[compare] ${compare.name}: ${variant.failure}`;
    else if (report.failure === null && !skipNameChecks) {
      checkCompareMetrics(config, index, report.metrics, variant.metrics);
    }
    for (const metric of compare.metrics) {
      const mine = report.metrics[metric];
      const theirs = variant.metrics[metric];
      if (theirs !== undefined) report.metrics[FAMILIES.compare.of(compare.prefix, metric)] = theirs;
      if (mine !== undefined && theirs !== undefined && theirs !== 0) {
        report.metrics[FAMILIES.ratio.of(compare.prefix, metric)] = ratio3(mine, theirs);
      }
    }
    report.trace_hash = combineHashes([report.trace_hash, variant.trace_hash]);
  });
}

/**
 * Events between two looks at the wall clock: at a few million events a second that is a look
 * every fraction of a second, and nothing on the per-event path.
 */
const EVENTS_PER_SLICE = 1 << 20;

/**
 * The engine's run in slices of events, the wall budget checked between them. A slice ends as an
 * event limit does, between two events, so the run is the same event for event as one call.
 */
function runEngine(machine: Machine, limits: LimitsConfig, wall: WallBudget): string {
  const engine = machine.board.engine;
  for (;;) {
    const eventsMax = Math.min(limits.eventsMax, engine.events + EVENTS_PER_SLICE);
    const reason = engine.run({ simNsMax: limits.simNsMax, eventsMax });
    if (reason !== 'event-limit' || engine.events >= limits.eventsMax) return reason;
    wall.check();
  }
}

function stopError(machine: Machine, config: RunConfig, reason: string): string | undefined {
  const kernel = machine.kernel;
  if (kernel.finished) return undefined;
  if (kernel.stopReason !== null) return kernel.stopReason;
  const what =
    reason === 'sim-time-limit'
      ? `sim-time limit hit (limits.sim_ns_max = ${config.limits.simNsMax} ns)`
      : reason === 'event-limit'
        ? `event limit hit (limits.events_max = ${config.limits.eventsMax} events)`
        : `the machine went quiet before the root process exited (${reason})`;
  return `${what}\n${waitForGraph(kernel)}`;
}
