/**
 * The entry of a worker thread of the run pool (worker-pool.ts): runs each job it is sent, one
 * at a time, and posts back the report or the error. scripts/build.mjs bundles it beside the CLI
 * as dist/run-worker.mjs; from source it runs through tsx.
 * @module
 */
import { parentPort } from 'node:worker_threads';
import { runJob } from './runner.ts';
import { type JobMessage, type ReplyMessage, sendableError } from './worker-messages.ts';

const port = parentPort;
if (port === null) throw new Error('run-worker.ts is a worker thread entry, not a program');

port.on('message', (message: JobMessage) => {
  let reply: ReplyMessage;
  try {
    reply = { index: message.index, report: runJob(message.job) };
  } catch (error) {
    reply = { index: message.index, error: sendableError(error) };
  }
  port.postMessage(reply);
});
