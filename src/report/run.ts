/**
 * Runs one configuration to completion and builds its report.
 * @module
 */
import { evaluateExpectations } from './expect.ts';
import { buildReport } from './build.ts';
import { ChromeTraceRecorder, type ChromeTraceSummary } from './chrome-trace.ts';
import type { RunReport } from './types.ts';
import { ratio3 } from './stats.ts';
import { combineHashes, runSweep } from './sweep.ts';
import { type BuildOptions, buildMachine, type Machine } from '../machine/build.ts';
import type { RunConfig } from '../machine/config.ts';

export interface RunOptions extends BuildOptions {
  /** Write a Chrome trace-event JSON here (one track per CPU), streamed as the run goes. */
  traceFile?: string;
  /** The trace file's bound in bytes (chrome-trace.ts's default when absent). */
  traceBytesMax?: number;
  /** Told how the trace went: slices written, and a message when the bound stopped it. */
  onTrace?: (summary: ChromeTraceSummary) => void;
}

export function runConfig(config: RunConfig, options: RunOptions = {}): RunReport {
  const machine = buildMachine(config, options);
  const recorder =
    options.traceFile === undefined
      ? null
      : new ChromeTraceRecorder(machine.kernel, options.traceFile, { bytesMax: options.traceBytesMax });
  let reason: string;
  try {
    reason = machine.board.engine.run(config.limits);
  } finally {
    const summary = recorder?.finish();
    if (summary !== undefined) options.onTrace?.(summary);
  }
  const error = stopError(machine, config, reason);
  const report = buildReport(config, machine, error);
  if (config.sweep !== null) {
    const sweep = runSweep(config);
    Object.assign(report.metrics, sweep.metrics);
    report.sweep_hashes = sweep.hashes;
    report.trace_hash = combineHashes([report.trace_hash, ...sweep.hashes]);
  }
  if (config.compare.length > 0) report.compare = [];
  for (const compare of config.compare) {
    const variant = runConfig(compare.config, {});
    report.compare?.push({
      name: compare.name,
      trace_hash: variant.trace_hash,
      error: variant.error ?? null,
    });
    for (const metric of compare.metrics) {
      const mine = report.metrics[metric];
      const theirs = variant.metrics[metric];
      if (theirs !== undefined) report.metrics[`compare.${compare.prefix}${metric}`] = theirs;
      if (mine !== undefined && theirs !== undefined && theirs !== 0) {
        report.metrics[`ratio.${compare.prefix}${metric}`] = ratio3(mine, theirs);
      }
    }
    report.trace_hash = combineHashes([report.trace_hash, variant.trace_hash]);
  }
  report.expectations = evaluateExpectations(config.expect, report.metrics);
  report.passed = error === undefined && report.expectations.every((e) => e.pass);
  return report;
}

function stopError(machine: Machine, config: RunConfig, reason: string): string | undefined {
  const kernel = machine.kernel;
  if (kernel.finished) return undefined;
  if (kernel.stopReason !== null) return kernel.stopReason;
  const what =
    reason === 'sim-time-limit'
      ? `sim-time limit hit (${config.limits.simNsMax} ns)`
      : reason === 'event-limit'
        ? `event limit hit (${config.limits.eventsMax} events)`
        : `the machine went quiet before the root process exited (${reason})`;
  return `${what}\n${kernel.waitForGraph()}`;
}
