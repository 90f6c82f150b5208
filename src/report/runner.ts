/**
 * A batch of independent runs and who runs it. Multi-run commands (`scale`, `policies`, `demo`,
 * `bench futex`) build their list of runs first, hand it to a `Runner`, and assemble their report
 * from the reports in the order given; so a serial runner and the worker pool (worker-pool.ts)
 * give the same report byte for byte, by construction (issue 14).
 * @module
 */
import type { RunConfig } from '../machine/config.ts';
import { runConfig } from './run.ts';
import type { RunReport } from './types.ts';
import { type SharedWallBudget, WallBudget } from './wall-budget.ts';

/** One run of a batch: plain data, so that it can be sent to a worker thread. */
export interface RunJob {
  config: RunConfig;
  /** As RunOptions.skipNameChecks: a multi-run table reads metrics some runs do not report. */
  skipNameChecks?: boolean;
  /** The invocation's wall-clock budget, shared with the other runs (a sweep's, variants'). */
  wall?: SharedWallBudget;
}

/**
 * Runs every job and resolves to their reports in the jobs' order. A job whose run throws
 * rejects the batch with the error of the earliest such job, as running them in order would.
 */
export interface Runner {
  (jobs: readonly RunJob[]): Promise<RunReport[]>;
  /**
   * Said from time to time by a long computation in this thread while a batch is out (the run
   * itself, beside its variants): a pool then starts worker threads for the batch, which it
   * otherwise leaves to this thread when one job is all there is (worker-pool.ts).
   */
  busyHere?: () => void;
}

/** One job in this thread: what a worker does with each job it is given. */
export function runJob(job: RunJob): RunReport {
  const wall = job.wall === undefined ? undefined : WallBudget.fromShared(job.wall);
  return runConfig(job.config, { skipNameChecks: job.skipNameChecks === true, wall });
}

/** Runs the jobs one after another in this thread. */
export const serialRunner: Runner = async (jobs) => jobs.map(runJob);
