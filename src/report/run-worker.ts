/**
 * The entry of a worker thread of the run pool (worker-pool.ts): runs each job it is sent, one
 * at a time, and posts back the report or the error; a job the parent took back before this
 * thread reached it, it skips. scripts/build.mjs bundles it beside the CLI as
 * dist/run-worker.mjs; from source it runs through tsx.
 * @module
 */
import { parentPort } from 'node:worker_threads';
import { preloadModules } from '../machine/preload.ts';
import { runJob } from './runner.ts';
import { CLAIMED_BY_WORKER, type JobMessage, type ReplyMessage, sendableError } from './worker-messages.ts';

const port = parentPort;
if (port === null) throw new Error('run-worker.ts is a worker thread entry, not a program');

port.on('message', async (message: JobMessage) => {
  // The parent may have run it already, while this thread was starting or busy (worker-pool.ts).
  if (Atomics.compareExchange(message.claims, message.index, 0, CLAIMED_BY_WORKER) !== 0) {
    port.postMessage({ index: message.index, skipped: true } satisfies ReplyMessage);
    return;
  }
  let reply: ReplyMessage;
  try {
    // issue 22: the user modules the job names (its policy, its programs) load in this thread too.
    await preloadModules(message.job.config);
    reply = { index: message.index, report: runJob(message.job) };
  } catch (error) {
    reply = { index: message.index, error: sendableError(error) };
  }
  port.postMessage(reply);
});
