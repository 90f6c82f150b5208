/**
 * `sync-prims` (LIBC-4): libc's other synchronisation primitives under load, each in a phase
 * whose outcome the model fixes, so one scenario shows where relibc's code (models.md §3)
 * parts from glibc's:
 * - **semaphore**: a producer posts `items` items into a ring, one every 20 us; a consumer
 *   takes them with sem_wait. glibc's wait blocks on an empty count, so every take finds an
 *   item (`sem_phantom` 0). relibc @08fc95fc's test is inverted: a wait on a zero count returns
 *   0 at once, and one on a count above zero drains it, so the consumer "takes" empty slots.
 * - **rwlock**: two readers hold the lock in turns that overlap (100 us each, 50 us apart) for
 *   `rounds` rounds; a writer arrives 1 ms in, on an rwlock of kind
 *   PREFER_WRITER_NONRECURSIVE_NP. glibc holds new readers back once a writer waits, so the
 *   writer waits for at most the reads already in (`rw_writer_wait_ns`); relibc has no writer
 *   preference (readers keep WAITING_WR and get in), so the writer waits out the readers.
 * - **barrier**: 4 threads, `rounds` rounds: exactly one PTHREAD_BARRIER_SERIAL_THREAD per round.
 * - **once**: 4 threads race pthread_once: the routine runs once.
 * - **spinlock**: 4 threads add 1 to a plain word 1000 times each under a spinlock: 4000.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import {
  PTHREAD_BARRIER_SERIAL_THREAD,
  PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP,
} from '../libc/layout.ts';
import { pthread_barrier_new, pthread_barrier_wait } from '../libc/barrier.ts';
import { malloc } from '../libc/malloc.ts';
import { pthread_once } from '../libc/once.ts';
import { pthread_create, pthread_join, type pthread_t } from '../libc/pthread.ts';
import {
  pthread_rwlock_new,
  pthread_rwlock_rdlock,
  pthread_rwlock_unlock,
  pthread_rwlock_wrlock,
  pthread_rwlockattr_init,
  pthread_rwlockattr_setkind_np,
  pthread_rwlockattr_t,
} from '../libc/rwlock.ts';
import { sem_init, sem_post, sem_wait } from '../libc/sem.ts';
import { pthread_spin_init, pthread_spin_lock, pthread_spin_unlock } from '../libc/spin.ts';
import { clock_gettime_ns, sleep_ns } from '../libc/time.ts';
import { publish } from './common.ts';
import { type GuestProgram, intArg, type ProgramArgs } from './program.ts';

const THREADS = 4;
const SPIN_ADDS = 1000;
const POST_GAP_NS = 20_000;
const READ_HOLD_NS = 100_000;
const READ_OFFSET_NS = 50_000;
const WRITER_ARRIVES_NS = 1_000_000;

/** Starts `n` threads running `body(t, i)` and joins them all. */
function* all(t: Guest, n: number, body: (t: Guest, i: number) => Program<void>): Program<void> {
  const threads: pthread_t[] = [];
  for (let i = 0; i < n; i++) {
    const main = function* (t2: Guest): Program<number> {
      yield* body(t2, i);
      return 0;
    };
    threads.push((yield* pthread_create(t, null, main, null))[1]);
  }
  for (const th of threads) yield* pthread_join(t, th);
}

/** The semaphore phase: takes that found no item in the ring. */
function* semaphorePhase(t: Guest, items: number): Program<number> {
  const sem = yield* malloc(t, 16);
  sem_init(t, sem, 0, 0);
  const ring = yield* malloc(t, 4 * items); // slot i: 1 once produced
  let phantom = 0;
  yield* all(t, 2, function* (t2, role) {
    for (let i = 0; i < items; i++) {
      if (role === 0) {
        yield* sleep_ns(t2, POST_GAP_NS);
        t2.store32(ring + 4 * i, 1);
        yield* sem_post(t2, sem);
      } else {
        yield* sem_wait(t2, sem);
        if (t2.load32(ring + 4 * i) === 0) phantom++;
      }
    }
  });
  return phantom;
}

/** The rwlock phase: how long the writer waited, in ns. */
function* rwlockPhase(t: Guest, rounds: number): Program<number> {
  const attr = new pthread_rwlockattr_t();
  pthread_rwlockattr_init(attr);
  pthread_rwlockattr_setkind_np(attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  const rw = yield* pthread_rwlock_new(t, attr);
  let writerWaitNs = 0;
  yield* all(t, 3, function* (t2, role) {
    if (role === 2) {
      yield* sleep_ns(t2, WRITER_ARRIVES_NS);
      const t0 = yield* clock_gettime_ns(t2);
      yield* pthread_rwlock_wrlock(t2, rw);
      writerWaitNs = (yield* clock_gettime_ns(t2)) - t0;
      yield* pthread_rwlock_unlock(t2, rw);
      return;
    }
    if (role === 1) yield* sleep_ns(t2, READ_OFFSET_NS);
    for (let i = 0; i < rounds; i++) {
      yield* pthread_rwlock_rdlock(t2, rw);
      yield* sleep_ns(t2, READ_HOLD_NS);
      yield* pthread_rwlock_unlock(t2, rw);
    }
  });
  return writerWaitNs;
}

/** The barrier phase: PTHREAD_BARRIER_SERIAL_THREAD returns over all threads and rounds. */
function* barrierPhase(t: Guest, rounds: number): Program<number> {
  const b = yield* pthread_barrier_new(t, THREADS);
  let serial = 0;
  yield* all(t, THREADS, function* (t2, i) {
    for (let r = 0; r < rounds; r++) {
      yield t2.compute(1_000 * (i + 1)); // arrivals in a different order each thread
      if ((yield* pthread_barrier_wait(t2, b)) === PTHREAD_BARRIER_SERIAL_THREAD) serial++;
    }
  });
  return serial;
}

/** The once phase: how many times the routine ran. */
function* oncePhase(t: Guest): Program<number> {
  const once = yield* malloc(t, 4);
  t.store32(once, 0);
  let runs = 0;
  yield* all(t, THREADS, function* (t2) {
    yield* pthread_once(t2, once, function* (t3) {
      runs++;
      yield t3.compute(30_000); // long enough that the others arrive while it runs
    });
  });
  return runs;
}

/** The spinlock phase: the counter after every add. */
function* spinPhase(t: Guest): Program<number> {
  const lock = yield* malloc(t, 8);
  const counter = lock + 4;
  pthread_spin_init(t, lock, 0);
  t.store32(counter, 0);
  yield* all(t, THREADS, function* (t2) {
    for (let i = 0; i < SPIN_ADDS; i++) {
      yield* pthread_spin_lock(t2, lock);
      const v = t2.load32(counter);
      yield t2.compute(20); // a window a missing lock would lose updates in
      t2.store32(counter, v + 1);
      yield* pthread_spin_unlock(t2, lock);
    }
  });
  return t.load32(counter);
}

function* syncPrimsMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const rounds = intArg(args, 'rounds');
  publish(t, 'sync-prims', {
    semPhantom: yield* semaphorePhase(t, intArg(args, 'items')),
    rwWriterWaitNs: yield* rwlockPhase(t, rounds),
    barrierSerial: yield* barrierPhase(t, rounds),
    onceRuns: yield* oncePhase(t),
    spinCounter: yield* spinPhase(t),
  });
  return 0;
}

export const SYNC_PRIMS: GuestProgram = {
  image: { name: 'sync-prims', main: syncPrimsMain },
  doc: 'semaphore, rwlock writer preference, barrier, once and spinlock, each with a fixed outcome',
  claims: ['LIBC-4'],
  params: [
    {
      kind: 'int',
      name: 'items',
      doc: 'items the semaphore phase produces',
      min: 1,
      max: 100_000,
      fallback: 100,
    },
    {
      kind: 'int',
      name: 'rounds',
      doc: 'rounds of the rwlock and barrier phases',
      min: 1,
      max: 10_000,
      fallback: 50,
    },
  ],
};
