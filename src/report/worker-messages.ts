/**
 * What the worker pool (worker-pool.ts) and its worker threads (run-worker.ts) say to each other:
 * a job out, a report or an error back. Errors cross as plain data and are rebuilt on this side
 * as the class they were thrown as, so the CLI maps a run's error in a worker to the same message
 * and exit status as the same error thrown in a serial run.
 * @module
 */
import { MetricNameError } from './metric-names.ts';
import type { RunJob } from './runner.ts';
import type { RunReport } from './types.ts';
import { WallClockLimitError } from './wall-budget.ts';

/** Parent to worker: run job `index`. */
export interface JobMessage {
  index: number;
  job: RunJob;
}

/** An error as plain data: its class name, message, stack and own fields. */
export interface SentError {
  name: string;
  message: string;
  stack: string | undefined;
  fields: Record<string, unknown>;
}

/** Worker to parent: job `index` gave this report, or threw this error. */
export type ReplyMessage =
  | { index: number; report: RunReport; error?: undefined }
  | { index: number; report?: undefined; error: SentError };

/** The error classes a run can throw that the CLI treats apart from an internal error. */
const KNOWN: Record<string, { prototype: Error }> = {
  MetricNameError,
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
