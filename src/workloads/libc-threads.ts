/**
 * `libc-threads` (LIBC-1, LIBC-6, LIBC-7): thread-specific data, the `_np` calls and
 * cancellation, each probed by a POSIX program as it would use them (no relibc-specific
 * calls), with results the model fixes:
 * - keys (LIBC-1): creates keys until EAGAIN (`keys_created` PTHREAD_KEYS_MAX = 1024); a
 *   destructor that sets its value again runs PTHREAD_DESTRUCTOR_ITERATIONS (4) times.
 * - names, affinity, CPU clocks (LIBC-6): setname/getname round trip, a 16-byte name ERANGE;
 *   a thread pinned to CPU 1 reads back [1]; a thread that computes 1 ms reads its own CPU
 *   clock through pthread_getcpuclockid (relibc: ENOENT, no clock).
 * - cancellation (LIBC-7): a thread sleeping 1 ms a round for 20 rounds is cancelled at
 *   2.5 ms (deferred: it acts in the third sleep, a cancellation point, and its cleanup
 *   handler runs); a thread of asynchronous type computing 1 ms chunks likewise. relibc
 *   starts every thread with cancellation disabled, so neither is cancelled: both run all 20
 *   rounds and their joiners get their ordinary return value.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import {
  PTHREAD_CANCEL_ASYNCHRONOUS,
  PTHREAD_CANCELED,
  pthread_cancel,
  pthread_setcanceltype,
} from '../libc/cancel.ts';
import { pthread_cleanup_pop, pthread_cleanup_push } from '../libc/cleanup.ts';
import { pthread_key_create, pthread_setspecific } from '../libc/key.ts';
import { malloc } from '../libc/malloc.ts';
import { pthread_create, pthread_join, pthread_self } from '../libc/pthread.ts';
import {
  pthread_getaffinity_np,
  pthread_getcpuclockid,
  pthread_getname_np,
  pthread_setaffinity_np,
  pthread_setname_np,
} from '../libc/pthread-sched.ts';
import { clock_gettime_ns, sleep_ns } from '../libc/time.ts';
import { CYCLES_PER_US, publish } from './common.ts';
import type { GuestProgram } from './program.ts';

const ROUNDS = 20;
const ROUND_NS = 1_000_000;
const CANCEL_AT_NS = 2_500_000;

/** Runs `body` in a new thread and returns [its join value]. */
function* inThread(t: Guest, body: (t: Guest) => Program<unknown>): Program<unknown> {
  const [, th] = yield* pthread_create(t, null, body as (t: Guest, arg: unknown) => Program<number>, null);
  return (yield* pthread_join(t, th))[1];
}

/** LIBC-1: [keys created before EAGAIN, the EAGAIN, destructor runs]. */
function* keysProbe(t: Guest): Program<[number, number, number]> {
  let runs = 0;
  let created = 0;
  let err = 0;
  const [, key] = pthread_key_create(t, function* destructor(t2, value) {
    runs++;
    pthread_setspecific(t2, key, value); // sets it again: another round, up to 4
  });
  created++;
  for (;;) {
    const [e] = pthread_key_create(t, null);
    if (e !== 0) {
      err = e;
      break;
    }
    created++;
  }
  yield* inThread(t, function* (t2) {
    pthread_setspecific(t2, key, 1);
    return 0;
  });
  return [created, err, runs];
}

/** LIBC-6: [name round trip 1/0, the 16-byte name's errno, affinity read back, clock errno, CPU ns]. */
function* npProbe(t: Guest): Program<number[]> {
  const out: number[] = [];
  yield* inThread(t, function* (t2) {
    const self = pthread_self(t2);
    yield* pthread_setname_np(t2, self, 'worker-1');
    const [, name] = yield* pthread_getname_np(t2, self, 16);
    out.push(name === 'worker-1' ? 1 : 0, yield* pthread_setname_np(t2, self, 'sixteen-bytes-xx'));
    yield* pthread_setaffinity_np(t2, self, [1]);
    const [, cpus] = yield* pthread_getaffinity_np(t2, self);
    out.push(cpus.length === 1 ? cpus[0]! : -1);
    const [err, clock] = pthread_getcpuclockid(t2, self);
    yield t2.compute(1_000 * CYCLES_PER_US);
    out.push(err, err === 0 ? yield* clock_gettime_ns(t2, clock) : 0);
    return 0;
  });
  return out;
}

/** LIBC-7: [cancelled 1/0, rounds done, cleanup runs] for a deferred or asynchronous thread. */
function* cancelProbe(t: Guest, async: boolean): Program<[number, number, number]> {
  let rounds = 0;
  let cleanups = 0;
  const [, th] = yield* pthread_create(
    t,
    null,
    function* (t2) {
      if (async) yield* pthread_setcanceltype(t2, PTHREAD_CANCEL_ASYNCHRONOUS);
      pthread_cleanup_push(
        t2,
        function* () {
          cleanups++;
        },
        null,
      );
      for (let i = 0; i < ROUNDS; i++) {
        if (async) yield t2.compute((ROUND_NS / 1_000) * CYCLES_PER_US);
        else yield* sleep_ns(t2, ROUND_NS);
        rounds++;
      }
      yield* pthread_cleanup_pop(t2, 0);
      return 0;
    },
    null,
  );
  yield* sleep_ns(t, CANCEL_AT_NS);
  yield* pthread_cancel(t, th);
  const [, value] = yield* pthread_join(t, th);
  return [value === PTHREAD_CANCELED ? 1 : 0, rounds, cleanups];
}

function* libcThreadsMain(t: Guest): Program<number> {
  yield* malloc(t, 16); // the heap exists before the probes' threads
  const [keysCreated, keysErr, destructorRuns] = yield* keysProbe(t);
  const [nameOk, longNameErr, affinityCpu, cpuClockErr, cpuClockNs] = yield* npProbe(t);
  const [deferredCancelled, deferredRounds, deferredCleanups] = yield* cancelProbe(t, false);
  const [asyncCancelled, asyncRounds, asyncCleanups] = yield* cancelProbe(t, true);
  publish(t, 'libc-threads', {
    keysCreated,
    keysErr,
    destructorRuns,
    nameOk,
    longNameErr,
    affinityCpu,
    cpuClockErr,
    cpuClockNs,
    deferredCancelled,
    deferredRounds,
    deferredCleanups,
    asyncCancelled,
    asyncRounds,
    asyncCleanups,
  });
  return 0;
}

export const LIBC_THREADS: GuestProgram = {
  image: { name: 'libc-threads', main: libcThreadsMain },
  doc: 'keys and destructors, thread names, affinity and CPU clocks, deferred and asynchronous cancellation',
  claims: ['LIBC-1', 'LIBC-6', 'LIBC-7'],
  params: [],
};
