/**
 * What the worker pool (worker-pool.ts) and its worker threads (run-worker.ts) say to each other:
 * a job out, a report or an error back. Errors cross as plain data and are rebuilt on this side
 * as the class they were thrown as, so the CLI maps a run's error in a worker to the same message
 * and exit status as the same error thrown in a serial run.
 * @module
 */
import { ModuleError } from '../machine/load-module.ts';
import { MetricNameError } from './metric-names.ts';
import type { RunJob } from './runner.ts';
import type { RunReport } from './types.ts';
import { WallClockLimitError } from './wall-budget.ts';

/**
 * Parent to worker: run job `index` of its batch, if nobody has claimed it yet. `claims` is the
 * batch's claim word per job, shared with the parent: 0 unclaimed, CLAIMED_BY_WORKER,
 * CLAIMED_HERE; whoever turns a job's word from 0 runs it (worker-pool.ts lets this thread take
 * back jobs sent ahead to a worker that has not reached them, e.g. one still starting).
 */
export interface JobMessage {
  index: number;
  job: RunJob;
  claims: Int32Array;
}

/** A job's claim word once a worker thread has taken it. */
export const CLAIMED_BY_WORKER = 1;
/** A job's claim word once the pool's own thread has taken it back. */
export const CLAIMED_HERE = 2;

/** An error as plain data: its class name, message, stack and own fields. */
export interface SentError {
  name: string;
  message: string;
  stack: string | undefined;
  fields: Record<string, unknown>;
}

/**
 * Worker to parent: job `index` gave this report, or threw this error, or (`skipped`) had been
 * claimed by the parent before the worker reached it.
 */
export type ReplyMessage =
  | { index: number; report: RunReport; error?: undefined; skipped?: undefined }
  | { index: number; report?: undefined; error: SentError; skipped?: undefined }
  | { index: number; report?: undefined; error?: undefined; skipped: true };

/** The error classes a run can throw that the CLI treats apart from an internal error. */
const KNOWN: Record<string, { prototype: Error }> = {
  MetricNameError,
  ModuleError, // issue 22: a user module's one-line error, from a worker's load or build
  WallClockLimitError,
};

export function sendableError(error: unknown): SentError {
  if (!(error instanceof Error)) {
    return { name: 'Error', message: String(error), stack: undefined, fields: {} };
  }
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) fields[key] = value;
  }
  return { name: error.name, message: error.message, stack: error.stack, fields };
}

/** The error again, as an instance of its class when it is one of KNOWN, else a plain Error. */
export function rebuiltError(sent: SentError): Error {
  const known = Object.hasOwn(KNOWN, sent.name) ? KNOWN[sent.name]! : null;
  const error: Error = known === null ? new Error(sent.message) : Object.create(known.prototype);
  Object.assign(error, sent.fields);
  Object.defineProperty(error, 'message', { value: sent.message, writable: true, configurable: true });
  if (sent.stack !== undefined) {
    Object.defineProperty(error, 'stack', { value: sent.stack, writable: true, configurable: true });
  }
  return error;
}
