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
import type { Runner } from './runner.ts';
import { combineHashes, runSweep, type SweepResult, sweepFromReports, sweepRunConfigs } from './sweep.ts';
import { WallBudget } from './wall-budget.ts';
import type { TraceWindow } from './trace/window.ts';
import { waitForGraph } from '../kernel/deadlock.ts';
import { type BuildOptions, buildMachine, type Machine } from '../machine/build.ts';
import type { LimitsConfig, RunConfig } from '../machine/config.ts';
import { MEMORY_MIB_MAX, THREADS_LIMIT_MAX } from '../machine/defaults.ts';

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
  /** The stretch of simulated time the trace file holds (`--trace-window`); the whole run when absent. */
  traceWindow?: TraceWindow;
  /** Told how the trace went: slices written, and a message when the bound stopped it. */
  onTrace?: (summary: ChromeTraceSummary) => void;
  /** Told the simulated time reached between slices of the run (a progress line, issue 21). */
  onProgress?: (simNs: number) => void;
}

export function runConfig(config: RunConfig, options: RunOptions = {}): RunReport {
  const wall = options.wall ?? new WallBudget(config.limits.wallSMax, 'limits.wall_s_max');
  const report = runMain(config, options, wall);
  const sweep = config.sweep === null ? null : runSweep(config, wall, options.idleFold);
  const idleFold = options.idleFold;
  const variants = config.compare.map((c) => runConfig(c.config, { wall, skipNameChecks: true, idleFold }));
  return completeRun(config, report, sweep, variants, options.skipNameChecks === true);
}

/**
 * runConfig with the sweep's runs and the variants given to `runner` (the worker pool), while
 * the run itself (and its trace) goes on in this thread; the report is runConfig's, since it is
 * assembled from the same reports in the same order.
 */
export async function runConfigOn(
  config: RunConfig,
  options: RunOptions,
  runner: Runner,
): Promise<RunReport> {
  const wall = options.wall ?? new WallBudget(config.limits.wallSMax, 'limits.wall_s_max');
  const points = sweepRunConfigs(config);
  const others = [...points.flat(), ...config.compare.map((c) => c.config)];
  const pending = runner(others.map((c) => ({ config: c, skipNameChecks: true, wall: wall.shared() })));
  // Awaited below; a throw from the run here must not leave the batch's rejection unhandled.
  pending.catch(() => {});
  // A long run here says so between its slices, so its variants get worker threads meanwhile.
  const report = runMain(config, options, wall, runner.busyHere);
  const reports = await pending;
  const swept = points.flat().length;
  const sweep = config.sweep === null ? null : sweepFromReports(config, points, reports.slice(0, swept));
  return completeRun(config, report, sweep, reports.slice(swept), options.skipNameChecks === true);
}

/** The run itself: its machine, trace and report, held to its declared outcome. */
function runMain(config: RunConfig, options: RunOptions, wall: WallBudget, onSlice?: () => void): RunReport {
  const machine = buildMachine(config, options);
  const recorder =
    options.traceFile === undefined
      ? null
      : new ChromeTraceRecorder(machine.kernel, options.traceFile, {
          bytesMax: options.traceBytesMax,
          window: options.traceWindow,
        });
  let reason = 'the run stopped by an error';
  try {
    const progress = options.onProgress;
    const slice =
      progress === undefined
        ? onSlice
        : () => {
            onSlice?.();
            progress(machine.board.engine.nowNs);
          };
    reason = runEngine(machine, config.limits, wall, slice);
  } finally {
    const summary = recorder?.finish(reason);
    if (summary !== undefined) options.onTrace?.(summary);
  }
  const error = stopError(machine, config, reason);
  const report = buildReport(config, machine, error);
  report.failure = withLimitNotes(outcomeFailure(config, machine.kernel, error), config, machine);
  return report;
}

/** Joins the sweep's and the variants' results to the run's report, then checks its expectations. */
function completeRun(
  config: RunConfig,
  report: RunReport,
  sweep: SweepResult | null,
  variants: readonly RunReport[],
  skipNameChecks: boolean,
): RunReport {
  if (sweep !== null) {
    Object.assign(report.metrics, sweep.metrics);
    report.sweep_hashes = sweep.hashes;
    report.trace_hash = combineHashes([report.trace_hash, ...sweep.hashes]);
  }
  joinVariants(config, report, variants, skipNameChecks);
  if (report.failure === null && !skipNameChecks) checkScenarioMetrics(config, report.metrics);
  report.expectations = evaluateExpectations(config.expect, report.metrics);
  report.passed = report.failure === null && report.expectations.every((e) => e.pass);
  return report;
}

/** Each `[compare]` variant's report: its metrics join the report and its failure fails the run. */
function joinVariants(
  config: RunConfig,
  report: RunReport,
  variants: readonly RunReport[],
  skipNameChecks: boolean,
): void {
  if (config.compare.length > 0) report.compare = [];
  config.compare.forEach((compare, index) => {
    const variant = variants[index]!;
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
 * every few tens of milliseconds, and nothing on the per-event path. Also how long a run here
 * goes before its variants are given worker threads (Runner.busyHere): about one worker's start-up.
 */
const EVENTS_PER_SLICE = 1 << 18;

/**
 * The engine's run in slices of events, the wall budget checked between them. A slice ends as an
 * event limit does, between two events, so the run is the same event for event as one call.
 */
function runEngine(machine: Machine, limits: LimitsConfig, wall: WallBudget, onSlice?: () => void): string {
  const engine = machine.board.engine;
  for (;;) {
    const eventsMax = Math.min(limits.eventsMax, engine.events + EVENTS_PER_SLICE);
    const reason = engine.run({ simNsMax: limits.simNsMax, eventsMax });
    if (reason !== 'event-limit' || engine.events >= limits.eventsMax) return reason;
    wall.check();
    onSlice?.();
  }
}

/**
 * A failed run that was refused threads at `limits.threads_max`, or frames because simulated
 * memory ran out, says so: the guest sees only EAGAIN or ENOMEM, and its message names no limit.
 */
function withLimitNotes(failure: string | null, config: RunConfig, machine: Machine): string | null {
  if (failure === null) return null;
  const notes: string[] = [];
  const refused = machine.kernel.stats.threadLimitHits;
  if (refused > 0) {
    notes.push(
      `${refused} thread creation${refused === 1 ? ' was' : 's were'} refused at limits.threads_max = ` +
        `${config.limits.threadsMax} (up to ${THREADS_LIMIT_MAX}; memory grows with it)`,
    );
  }
  const memory = machine.board.memory;
  if (memory.exhaustedAllocations > 0) {
    const mib = Math.floor((memory.frameCount * 4096) / (1024 * 1024));
    notes.push(
      `simulated memory ran out (${mib} MiB; limits.memory_mib, up to ${MEMORY_MIB_MAX}, or a higher limits.threads_max sizes it)`,
    );
  }
  return [failure, ...notes].join('; ');
}

function stopError(machine: Machine, config: RunConfig, reason: string): string | undefined {
  const kernel = machine.kernel;
  if (kernel.finished) return undefined;
  if (kernel.stopReason !== null) return kernel.stopReason;
  const what =
    reason === 'sim-time-limit'
      ? `sim-time limit hit (limits.sim_ns_max = ${config.limits.simNsMax} ns; raise it with --set limits.sim_ns_max=N)`
      : reason === 'event-limit'
        ? `event limit hit (limits.events_max = ${config.limits.eventsMax} events; raise it with --set limits.events_max=N)`
        : `the machine went quiet before the root process exited (${reason})`;
  return `${what}\n${waitForGraph(kernel)}`;
}
