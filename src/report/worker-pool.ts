/**
 * The run pool: threads that run batches of independent runs (runner.ts), this thread and
 * worker threads, each batch's reports given back in its jobs' order (issue 14: `scale`,
 * `policies`, the demo's seed checks and `bench futex` used one core of the host). Several
 * batches may be in flight at once (the demo's three parts); they share the threads.
 *
 * Each run builds its own machine from its configuration and seed, so where it runs does not
 * change it: the reports are the serial runner's, and so is the report a command builds from
 * them. Errors keep their order too: a batch rejects with the error of its earliest job that
 * threw, and its jobs after that one are not started, as the serial loop would have stopped
 * there. A worker that dies (out of memory, a crash) fails its job with an internal error and
 * is replaced; threads that keep dying (an entry that cannot load) fail every queued job, so a
 * batch never waits on a pool with no threads. `close()` ends the threads.
 *
 * This thread takes jobs back: when it is idle it runs a job sent ahead to a worker that has not
 * reached it (a worker still starting, or busy with the job before), whoever claims the job's
 * shared word first running it (worker-messages.ts). So a run with one short variant never waits
 * for a worker thread to load the bundle (the CLI's start-up, issue 14), and the last jobs of a
 * batch are not left queued behind a busy worker while this thread waits.
 *
 * The worker entry is `cached-worker.mjs` beside the compiled CLI (dist/, scripts/build.mjs),
 * `run-worker.mjs` beside the ES-module build, or `run-worker.ts` beside this file when running
 * from source (tsx).
 * @module
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CODE_FORM } from '../machine/code-form.ts';
import { type RunJob, type Runner, runJob, serialRunner } from './runner.ts';
import type { RunReport } from './types.ts';
import { CLAIMED_HERE, type ReplyMessage, rebuiltError, sendableError } from './worker-messages.ts';

/** The default `--jobs`: every core the host gives this process. */
export function defaultJobs(): number {
  return availableParallelism();
}

/** Threads that may die (and be replaced) per thread of the pool before it gives up. */
const DEATHS_PER_THREAD_MAX = 2;

/**
 * How to start a worker thread: the compiled entry beside the bundle, or from source a small
 * script that registers tsx's loader in the thread and then imports the TypeScript entry (on
 * Node 20 a loader given as `--import` in a worker's execArgv does not reach its imports).
 */
function startWorker(): Worker {
  // The compiled CLI: its own bundle, through its code cache.
  if (CODE_FORM === 'cli-bundle') return new Worker(new URL('./cached-worker.mjs', import.meta.url));
  if (CODE_FORM === 'es-build') return new Worker(new URL('./run-worker.mjs', import.meta.url));
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(new URL('./run-worker.ts', import.meta.url).href);
  const boot = `import(${api}).then((tsx) => { tsx.register(); return import(${entry}); });`;
  return new Worker(boot, { eval: true });
}

interface Batch {
  reports: RunReport[];
  /** Each job's claim word, shared with the workers it is sent to (worker-messages.ts). */
  claims: Int32Array;
  /** Jobs neither finished nor skipped. */
  left: number;
  failed: { index: number; error: unknown } | null;
  resolve: (reports: RunReport[]) => void;
  reject: (error: unknown) => void;
}

interface Queued {
  batch: Batch;
  index: number;
  job: RunJob;
}

/**
 * Jobs sent ahead to a worker thread: it starts the next as soon as it posts a report, without
 * waiting for this thread, which may be busy running a job of its own.
 */
const WORKER_DEPTH = 2;

type Done = (reply: ReplyMessage | Error) => void;

function claimOf(item: Queued): number {
  return Atomics.load(item.batch.claims, item.index);
}

interface Sent {
  item: Queued;
  done: Done;
  label: string;
}

/** One worker thread and the jobs sent to it, which it runs (or skips, if taken back) in order. */
class PoolThread {
  readonly #worker: Worker;
  readonly #pending: Sent[] = [];
  dead = false;

  constructor(start: () => Worker, onDeath: (thread: PoolThread, why: string) => void) {
    this.#worker = start();
    this.#worker.on('message', (reply: ReplyMessage) => this.#pending.shift()?.done(reply));
    const die = (why: string) => {
      if (this.dead) return;
      this.dead = true;
      for (const pending of this.#pending.splice(0)) {
        // A job this thread took back has been run here already (runs here are synchronous).
        if (claimOf(pending.item) === CLAIMED_HERE) continue;
        pending.done(new Error(`a worker thread running ${pending.label} died: ${why}`));
      }
      onDeath(this, why);
    };
    this.#worker.on('error', (error) => die(error.message));
    this.#worker.on('exit', (code) => die(`it exited with status ${code}`));
  }

  /** Whether it can take another job now. */
  get ready(): boolean {
    return !this.dead && this.#pending.length < WORKER_DEPTH;
  }

  run(item: Queued, done: Done): void {
    const { batch, index, job } = item;
    this.#pending.push({ item, done, label: `run ${index} of its batch (${job.config.name})` });
    this.#worker.postMessage({ index, job, claims: batch.claims });
  }

  /** A job sent here that the worker has not claimed yet, the latest sent first. */
  unclaimed(): Queued | undefined {
    for (let i = this.#pending.length - 1; i >= 0; i--) {
      const item = this.#pending[i]!.item;
      if (claimOf(item) === 0) return item;
    }
    return undefined;
  }

  end(): Promise<number> {
    this.dead = true;
    return this.#worker.terminate();
  }
}

/**
 * A pool of `size` threads: this one, which runs a job whenever it is otherwise idle (it would
 * only wait), and `size - 1` worker threads, so that `--jobs 2` on two cores pays for one
 * worker's start-up and JIT warm-up, not two.
 */
export class RunPool {
  readonly size: number;
  readonly #threads: PoolThread[] = [];
  readonly #queue: Queued[] = [];
  readonly #start: () => Worker;
  #deaths = 0;
  #broken: Error | null = null;
  #localBusy = false;

  /** Whether this thread runs jobs too (tests of dying workers turn it off, to be exact). */
  readonly #local: boolean;

  /**
   * `start` makes a worker thread (tests give threads that die); by default the run worker.
   * `local: false` leaves every job to the `size - 1` worker threads.
   */
  constructor(size: number, start: () => Worker = startWorker, options: { local?: boolean } = {}) {
    this.size = size;
    this.#start = start;
    this.#local = options.local ?? true;
  }

  /** Whether this thread has said it is busy with work of its own (Runner.busyHere). */
  #busyHere = false;

  /** The pool as a Runner. */
  readonly run: Runner = Object.assign((jobs: readonly RunJob[]) => this.#submit(jobs), {
    busyHere: () => {
      if (this.#busyHere) return;
      this.#busyHere = true;
      this.#dispatch();
    },
  });

  #submit(jobs: readonly RunJob[]): Promise<RunReport[]> {
    if (jobs.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const batch: Batch = {
        reports: new Array(jobs.length),
        claims: new Int32Array(new SharedArrayBuffer(jobs.length * Int32Array.BYTES_PER_ELEMENT)),
        left: jobs.length,
        failed: null,
        resolve,
        reject,
      };
      jobs.forEach((job, index) => {
        this.#queue.push({ batch, index, job });
      });
      this.#pump();
    });
  }

  /** Ends every thread; queued jobs are failed. */
  async close(): Promise<void> {
    this.#broken ??= new Error('run pool closed');
    this.#failQueued();
    await Promise.all(this.#threads.splice(0).map((t) => t.end()));
  }

  /** The next job worth starting, skipping those after a failed one of their batch. */
  #next(): Queued | undefined {
    for (;;) {
      const item = this.#queue.shift();
      if (item === undefined) return undefined;
      const failed = item.batch.failed;
      if (failed === null || item.index < failed.index) return item;
      this.#settle(item.batch);
    }
  }

  #pump(): void {
    if (this.#broken !== null) {
      this.#failQueued();
      return;
    }
    this.#dispatch();
    if (this.#local && !this.#localBusy && (this.#queue.length > 0 || this.#takeBack(false) !== undefined)) {
      this.#localBusy = true;
      // After this turn of the event loop, so that workers' reports are read between local jobs.
      setImmediate(() => this.#runLocal());
    }
  }

  /**
   * Whether queued jobs are worth a worker thread: a thread costs its start-up (loading the
   * bundle, ~100 ms of a core), so a single job this thread is free to run is left to it, unless
   * this thread said it is busy with work of its own (the CLI's start-up, issue 14).
   */
  #workersWanted(): boolean {
    return !this.#local || this.#busyHere || this.#queue.length > (this.#localBusy ? 0 : 1);
  }

  /** Sends queued jobs to worker threads with room, starting threads if they are wanted. */
  #dispatch(): void {
    if (this.#broken !== null) return;
    while (this.#queue.length > 0) {
      let thread = this.#threads.find((t) => t.ready);
      if (thread === undefined && this.#threads.length < this.size - 1 && this.#workersWanted()) {
        thread = new PoolThread(this.#start, (t, why) => this.#onDeath(t, why));
        this.#threads.push(thread);
      }
      if (thread === undefined) break;
      const item = this.#next();
      if (item === undefined) break;
      thread.run(item, (reply) => this.#finish(item, reply));
    }
  }

  #runLocal(): void {
    const item = this.#broken === null ? (this.#next() ?? this.#takeBack(true)) : undefined;
    if (item !== undefined) {
      // What this thread leaves queued goes to workers while it runs this one.
      this.#dispatch();
      let reply: ReplyMessage;
      try {
        reply = { index: item.index, report: runJob(item.job) };
      } catch (error) {
        reply = { index: item.index, error: sendableError(error) };
      }
      this.#finish(item, reply);
    }
    this.#localBusy = false;
    this.#pump();
  }

  /**
   * A job sent ahead to a worker that has not claimed it, if any; with `claim`, claimed for this
   * thread (the worker will skip it).
   */
  #takeBack(claim: boolean): Queued | undefined {
    for (const thread of this.#threads) {
      if (thread.dead) continue;
      const item = thread.unclaimed();
      // Jobs after a failed one of their batch are left to the worker, as before a failure.
      if (item === undefined || (item.batch.failed !== null && item.index > item.batch.failed.index))
        continue;
      if (!claim) return item;
      if (Atomics.compareExchange(item.batch.claims, item.index, 0, CLAIMED_HERE) === 0) return item;
    }
    return undefined;
  }

  #finish(item: Queued, reply: ReplyMessage | Error): void {
    const { batch, index } = item;
    // Taken back and run here: the worker's turn only frees its place for another job.
    if (!(reply instanceof Error) && reply.skipped === true) {
      this.#pump();
      return;
    }
    if (reply instanceof Error) this.#fail(batch, index, reply);
    else if (reply.error !== undefined) this.#fail(batch, index, rebuiltError(reply.error));
    else batch.reports[index] = reply.report;
    this.#settle(batch);
    this.#pump();
  }

  #fail(batch: Batch, index: number, error: unknown): void {
    if (batch.failed === null || index < batch.failed.index) batch.failed = { index, error };
  }

  /** One job of `batch` finished or was skipped; the batch settles with its last. */
  #settle(batch: Batch): void {
    batch.left--;
    if (batch.left > 0) return;
    if (batch.failed !== null) batch.reject(batch.failed.error);
    else batch.resolve(batch.reports);
  }

  #onDeath(thread: PoolThread, why: string): void {
    this.#threads.splice(this.#threads.indexOf(thread), 1);
    this.#deaths++;
    if (this.#deaths > this.size * DEATHS_PER_THREAD_MAX) {
      this.#broken ??= new Error(`run pool: worker threads keep dying (the last: ${why})`);
    }
    // After the death's job has been failed: queue a replacement, or fail what is queued.
    queueMicrotask(() => this.#pump());
  }

  #failQueued(): void {
    for (const item of this.#queue.splice(0)) {
      this.#fail(item.batch, item.index, this.#broken);
      this.#settle(item.batch);
    }
  }
}

/**
 * Calls `body` with a runner over `jobs` threads (this thread alone when `jobs` is 1) and ends
 * the threads when it settles.
 */
export async function withRunner<T>(jobs: number, body: (runner: Runner) => Promise<T>): Promise<T> {
  if (jobs <= 1) return body(serialRunner);
  const pool = new RunPool(jobs);
  try {
    return await body(pool.run);
  } finally {
    await pool.close();
  }
}
