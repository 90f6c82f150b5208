/**
 * `futex-bench`: the shapes of Linux's `perf bench futex` (tools/perf/bench/futex-*.c), for the
 * futex table's throughput and lock contention (FUTEX-2..6):
 * - `wake`: `threads` waiters block on one futex; the main thread wakes them one FUTEX_WAKE at
 *   a time; repeated `rounds` times. An op is one wake call.
 * - `wake-parallel`: as `wake`, but 4 waker threads each wake their share in parallel.
 * - `requeue`: waiters block on futex 1; the main thread moves them to futex 2 one
 *   FUTEX_CMP_REQUEUE (nr_wake 0, nr_requeue 1) at a time, then wakes them from futex 2. An op
 *   is one requeue call.
 * - `lock-pi`: every thread takes and releases one shared PI lock (the userspace CAS fast path,
 *   LOCK_PI/UNLOCK_PI when contended) `rounds` times with a little work inside. An op is one
 *   lock-unlock pair.
 * Publishes ops, the simulated time they took and ops per simulated second.
 */
import { AtomicOp, type Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import { SYS_FUTEX, SYS_GETTID } from '../abi/syscalls.ts';
import { malloc } from '../libc/malloc.ts';
import { pthread_create, pthread_join, type pthread_t } from '../libc/pthread.ts';
import { futex_wait, futex_wake, syscall } from '../libc/sys.ts';
import { clock_gettime_ns, sleep_ns } from '../libc/time.ts';
import { type GuestProgram, intArg, type ProgramArgs, stringArg } from './program.ts';
import { publish } from './common.ts';

const FUTEX_PRIVATE = 128;
const CMP_REQUEUE = 4; // shared keys, as libc's futex_wait uses
const LOCK_PI = 6 | FUTEX_PRIVATE;
const UNLOCK_PI = 7 | FUTEX_PRIVATE;
const WAKERS = 4;

interface Shared {
  word: number;
  word2: number;
  /** Waiters that have announced themselves in the current round. */
  ready: number;
  rounds: number;
  ops: number;
}

function* waiter(t: Guest, raw: unknown): Program<number> {
  const s = raw as Shared;
  for (let r = 0; r < s.rounds; r++) {
    s.ready++;
    // Wait until this round's generation moves on (requeue leaves the word alone: the value on
    // futex 2 is what the requeued waiter wakes from).
    while (((yield t.atomic(AtomicOp.Load, s.word)) as number) === r) yield* futex_wait(t, s.word, r);
  }
  return 0;
}

/** Waits until every waiter is (very likely) asleep on the futex. */
function* settle(t: Guest, s: Shared, n: number): Program<void> {
  while (s.ready < n) yield* sleep_ns(t, 20_000);
  yield* sleep_ns(t, 200_000);
  s.ready = 0;
}

function* waker(t: Guest, raw: unknown): Program<number> {
  const { s, count } = raw as { s: Shared; count: number };
  for (let i = 0; i < count; i++) {
    yield* futex_wake(t, s.word, 1);
    s.ops++;
  }
  return 0;
}

function* pi(t: Guest, raw: unknown): Program<number> {
  const s = raw as Shared;
  const me = yield* syscall(t, SYS_GETTID);
  for (let r = 0; r < s.rounds; r++) {
    if (((yield t.atomic(AtomicOp.CompareExchange, s.word, 0, me)) as number) !== 0) {
      const rc = yield* syscall(t, SYS_FUTEX, s.word, LOCK_PI, 0, 0);
      if (rc !== 0) throw new Error(`futex-bench: LOCK_PI returned ${rc}`);
    }
    yield t.compute(300); // 100 ns inside
    if (((yield t.atomic(AtomicOp.CompareExchange, s.word, me, 0)) as number) !== me) {
      const rc = yield* syscall(t, SYS_FUTEX, s.word, UNLOCK_PI);
      if (rc !== 0) throw new Error(`futex-bench: UNLOCK_PI returned ${rc}`);
    }
    s.ops++;
    yield t.compute(600);
  }
  return 0;
}

function* benchMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const kind = stringArg(args, 'bench');
  const n = intArg(args, 'threads');
  const words = yield* malloc(t, 8);
  const s: Shared = { word: words, word2: words + 4, ready: 0, rounds: intArg(args, 'rounds'), ops: 0 };
  const threads: pthread_t[] = [];
  const start = (entry: typeof waiter, arg: unknown) => pthread_create(t, null, entry, arg);
  let busyNs = 0;
  if (kind === 'lock-pi') {
    const t0 = yield* clock_gettime_ns(t);
    for (let i = 0; i < n; i++) threads.push((yield* start(pi, s))[1]);
    for (const th of threads) yield* pthread_join(t, th);
    busyNs = (yield* clock_gettime_ns(t)) - t0;
  } else {
    for (let i = 0; i < n; i++) threads.push((yield* start(waiter, s))[1]);
    for (let r = 0; r < s.rounds; r++) {
      yield* settle(t, s, n);
      yield t.atomic(AtomicOp.Store, s.word, r + 1);
      const t0 = yield* clock_gettime_ns(t);
      if (kind === 'wake') {
        for (let i = 0; i < n; i++) {
          yield* futex_wake(t, s.word, 1);
          s.ops++;
        }
      } else if (kind === 'wake-parallel') {
        const wakers: pthread_t[] = [];
        for (let w = 0; w < WAKERS; w++) {
          const count = Math.floor(n / WAKERS) + (w < n % WAKERS ? 1 : 0);
          wakers.push((yield* pthread_create(t, null, waker, { s, count }))[1]);
        }
        for (const th of wakers) yield* pthread_join(t, th);
      } else {
        // requeue: one waiter per call from futex 1 to futex 2, then wake them all from futex 2.
        for (let i = 0; i < n; i++) {
          const rc = yield* syscall(t, SYS_FUTEX, s.word, CMP_REQUEUE, 0, 1, s.word2, r + 1);
          if (rc < 0) throw new Error(`futex-bench: CMP_REQUEUE returned ${rc}`);
          s.ops++;
        }
        yield* futex_wake(t, s.word2, 0x7fffffff);
      }
      busyNs += (yield* clock_gettime_ns(t)) - t0;
    }
    for (const th of threads) yield* pthread_join(t, th);
  }
  publish(t, 'futex-bench', {
    ops: s.ops,
    busyNs,
    opsPerSec: busyNs > 0 ? Math.round((s.ops * 1e9) / busyNs) : 0,
  });
  return 0;
}

export const FUTEX_BENCH: GuestProgram = {
  image: { name: 'futex-bench', main: benchMain },
  doc: 'perf bench futex shapes: wake, wake-parallel, requeue, lock-pi (ops per simulated second)',
  claims: ['FUTEX-2', 'FUTEX-3', 'FUTEX-6'],
  params: [
    {
      kind: 'choice',
      name: 'bench',
      doc: 'which perf-bench-futex shape',
      choices: ['wake', 'wake-parallel', 'requeue', 'lock-pi'],
    },
    { kind: 'int', name: 'threads', doc: 'waiter (or locker) threads', min: 1, max: 1024, fallback: 16 },
    {
      kind: 'int',
      name: 'rounds',
      doc: 'rounds (wake, requeue) or lock-unlock pairs per thread (lock-pi)',
      min: 1,
      max: 1_000_000,
      fallback: 10,
    },
  ],
};
