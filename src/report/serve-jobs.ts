/**
 * What a worker thread of the run pool (worker-pool.ts) does: runs each job it is sent, one at a
 * time, and posts back the report or the error; a job the parent took back before this thread
 * reached it, it skips. Its entries: run-worker.ts (the ES-module build, and from source), and
 * the compiled CLI's bundle (cli/cli-bundle.ts) through dist/cached-worker.mjs.
 * @module
 */
import type { MessagePort } from 'node:worker_threads';
import { preloadModules } from '../machine/preload.ts';
import { runJob } from './runner.ts';
import { CLAIMED_BY_WORKER, type JobMessage, type ReplyMessage, sendableError } from './worker-messages.ts';

/** Serves `port`'s jobs; `afterFirst` runs once, after the first reply is posted. */
export function serveJobs(port: MessagePort, afterFirst: () => void = () => {}): void {
  let first = true;
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
    if (first) {
      first = false;
      afterFirst();
    }
  });
}
