/**
 * A pool of detached worker threads for init's jobs (SVC-9): a start's watcher (readiness byte,
 * then waitpid) and a health check. A thread per job, as init first had, costs a creation each
 * time and, with libc's bump allocator (libc/malloc.ts: nothing is freed), leaves the thread's
 * scratch and I/O buffers behind for good: every 5 s health check leaked ~700 bytes, 16 frames
 * per 10 minutes in the stress run's census. Pooled, the threads and their buffers are reused;
 * the pool grows only while every thread is busy (a watcher is busy for as long as its service
 * lives), so it holds as many threads as jobs ever ran at once.
 *
 * A worker waits on the pool's condition variable while no job is queued. `submit` makes a new
 * thread when the queued jobs outnumber the waiting workers, so a job never waits behind a
 * watcher that blocks for a service's lifetime.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import { pthread_cond_broadcast, pthread_cond_new, pthread_cond_wait } from '../libc/cond.ts';
import { PTHREAD_CREATE_DETACHED } from '../libc/layout.ts';
import { pthread_mutex_lock, pthread_mutex_new, pthread_mutex_unlock } from '../libc/mutex.ts';
import {
  pthread_attr_init,
  pthread_attr_setdetachstate,
  pthread_attr_t,
  pthread_create,
} from '../libc/pthread.ts';

export type Job = (t: Guest, arg: unknown) => Program<number>;

export interface WorkerPool {
  readonly mutex: number;
  readonly cond: number;
  readonly jobs: { entry: Job; arg: unknown }[];
  /** Workers waiting for a job. */
  idle: number;
  /** Threads the pool has made. */
  threads: number;
}

export function* newWorkerPool(t: Guest): Program<WorkerPool> {
  return {
    mutex: yield* pthread_mutex_new(t),
    cond: yield* pthread_cond_new(t),
    jobs: [],
    idle: 0,
    threads: 0,
  };
}

function* worker(t: Guest, raw: unknown): Program<number> {
  const pool = raw as WorkerPool;
  for (;;) {
    yield* pthread_mutex_lock(t, pool.mutex);
    while (pool.jobs.length === 0) {
      pool.idle++;
      yield* pthread_cond_wait(t, pool.cond, pool.mutex);
      pool.idle--;
    }
    const job = pool.jobs.shift()!;
    yield* pthread_mutex_unlock(t, pool.mutex);
    yield* job.entry(t, job.arg);
  }
}

/** Runs `entry(arg)` on a pool thread: a waiting one, or a new one when none is free. */
export function* submit(t: Guest, pool: WorkerPool, entry: Job, arg: unknown): Program<void> {
  yield* pthread_mutex_lock(t, pool.mutex);
  pool.jobs.push({ entry, arg });
  const spawn = pool.jobs.length > pool.idle;
  if (!spawn) yield* pthread_cond_broadcast(t, pool.cond);
  yield* pthread_mutex_unlock(t, pool.mutex);
  if (!spawn) return;
  const attr = new pthread_attr_t();
  pthread_attr_init(attr);
  pthread_attr_setdetachstate(attr, PTHREAD_CREATE_DETACHED);
  const [err] = yield* pthread_create(t, attr, worker, pool);
  if (err !== 0) throw new Error(`init: worker thread creation failed (${err})`);
  pool.threads++;
}
