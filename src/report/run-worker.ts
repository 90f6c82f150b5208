/**
 * The entry of a worker thread of the run pool (worker-pool.ts) in the ES-module build
 * (dist/run-worker.mjs, scripts/build.mjs) and from source (through tsx): it serves the jobs
 * the pool sends (serve-jobs.ts). The compiled CLI starts its workers from dist/cached-worker.mjs.
 * @module
 */
import { parentPort } from 'node:worker_threads';
import { serveJobs } from './serve-jobs.ts';

if (parentPort === null) throw new Error('run-worker.ts is a worker thread entry, not a program');
serveJobs(parentPort);
