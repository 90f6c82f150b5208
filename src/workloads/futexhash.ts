/**
 * `futexhash`: shaped like `perf bench futex hash` (tools/perf/bench/futex-hash.c). Each thread
 * owns a set of futex words and calls FUTEX_WAIT on them with a value that never matches, so
 * every call is a hash lookup, a bucket lock and an EAGAIN: it measures the futex table's lock
 * throughput (FUTEX-2), one global lock against shards.
 */
import type { Program } from '../abi/effects.ts';
import { EAGAIN } from '../abi/errno.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { FUTEX_PRIVATE_FLAG, FUTEX_WAIT, SYS_FUTEX } from '../abi/syscalls.ts';
import { malloc } from '../libc/malloc.ts';
import { pthread_create, pthread_join, type pthread_t } from '../libc/pthread.ts';
import { syscall } from '../libc/sys.ts';
import { clock_gettime_ns } from '../libc/time.ts';
import { publish } from './common.ts';

export interface FutexHashArgs {
  threads: number;
  /** Futex words per thread. */
  futexes: number;
  /** FUTEX_WAIT calls per thread. */
  ops: number;
}

/** Cycles of loop work between two calls (perf's loop is a few instructions). */
const CYCLES_BETWEEN_OPS = 30;

interface WorkerArgs {
  words: number;
  futexes: number;
  ops: number;
  failures: number[];
}

function* hashWorker(t: Guest, raw: unknown): Program<number> {
  const a = raw as WorkerArgs;
  for (let i = 0; i < a.ops; i++) {
    const addr = a.words + 4 * (i % a.futexes);
    // The word is 0 and we pass 1: the kernel must answer EAGAIN without sleeping.
    const r = yield* syscall(t, SYS_FUTEX, addr, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 1, 0);
    if (r !== -EAGAIN) a.failures.push(r);
    yield t.compute(CYCLES_BETWEEN_OPS);
  }
  return 0;
}

export function* futexHashMain(t: Guest, raw: unknown): Program<number> {
  const a = raw as FutexHashArgs;
  const failures: number[] = [];
  const workers: WorkerArgs[] = [];
  for (let i = 0; i < a.threads; i++) {
    workers.push({ words: yield* malloc(t, 4 * a.futexes), futexes: a.futexes, ops: a.ops, failures });
  }
  const t0 = yield* clock_gettime_ns(t);
  const threads: pthread_t[] = [];
  for (const w of workers) {
    const [err, th] = yield* pthread_create(t, null, hashWorker, w);
    if (err !== 0) throw new Error(`futexhash: pthread_create failed (${err})`);
    threads.push(th);
  }
  for (const th of threads) yield* pthread_join(t, th);
  const elapsedNs = (yield* clock_gettime_ns(t)) - t0;
  const ops = a.threads * a.ops;
  publish(t, 'futexhash', {
    ops,
    elapsedNs,
    opsPerSec: Math.round((ops * 1e9) / elapsedNs),
    unexpected: failures.length,
  });
  return failures.length === 0 ? 0 : 1;
}

export const FUTEXHASH_MAIN: ProgramImage = { name: 'futexhash', main: futexHashMain };
