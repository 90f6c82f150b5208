/**
 * `mutexloop` (LIBC-2, issue 23): the mutex-contention loop. `threads` threads each take one
 * default pthread mutex `iterations` times: lock, add one to a shared counter and work
 * `cs_cycles` inside, unlock, then work `outside_cycles`. The improved libc's mutex is Drepper's
 * three-state word (an uncontended lock and unlock are one atomic each, a contended lock sleeps
 * in FUTEX_WAIT and its unlock wakes one); relibc's wakes every waiter. The timed section is
 * from before the first thread is created to after the last is joined, as the host program
 * fidelity/mutexloop.c does it step for step. Publishes `acquisitions` (the counter: every
 * increment under the lock, so it equals threads × iterations unless exclusion failed),
 * `elapsed_ns` and `ns_per_acquisition`.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { malloc } from '../libc/malloc.ts';
import { pthread_mutex_lock, pthread_mutex_new, pthread_mutex_unlock } from '../libc/mutex.ts';
import { pthread_create, pthread_join, type pthread_t } from '../libc/pthread.ts';
import { clock_gettime_ns } from '../libc/time.ts';
import { publish } from './common.ts';
import { type GuestProgram, intArg, type ProgramArgs } from './program.ts';

interface Loop {
  mutex: number;
  counter: number;
  iterations: number;
  csCycles: number;
  outsideCycles: number;
}

function* locker(t: Guest, raw: unknown): Program<number> {
  const l = raw as Loop;
  for (let i = 0; i < l.iterations; i++) {
    yield* pthread_mutex_lock(t, l.mutex);
    t.store32(l.counter, t.load32(l.counter) + 1);
    if (l.csCycles > 0) yield t.compute(l.csCycles);
    yield* pthread_mutex_unlock(t, l.mutex);
    if (l.outsideCycles > 0) yield t.compute(l.outsideCycles);
  }
  return 0;
}

function* mutexLoopMain(t: Guest, raw: unknown): Program<number> {
  const a = raw as ProgramArgs;
  const l: Loop = {
    mutex: yield* pthread_mutex_new(t),
    counter: yield* malloc(t, 4),
    iterations: intArg(a, 'iterations'),
    csCycles: intArg(a, 'cs_cycles'),
    outsideCycles: intArg(a, 'outside_cycles'),
  };
  const t0 = yield* clock_gettime_ns(t);
  const threads: pthread_t[] = [];
  for (let i = 0; i < intArg(a, 'threads'); i++) {
    const [err, th] = yield* pthread_create(t, null, locker, l);
    if (err !== 0) throw new Error(`mutexloop: pthread_create failed (${err})`);
    threads.push(th);
  }
  for (const th of threads) yield* pthread_join(t, th);
  const elapsedNs = (yield* clock_gettime_ns(t)) - t0;
  const acquisitions = t.load32(l.counter);
  publish(t, 'mutexloop', {
    acquisitions,
    elapsedNs,
    nsPerAcquisition: acquisitions > 0 ? elapsedNs / acquisitions : 0,
  });
  return 0;
}

export const MUTEXLOOP: GuestProgram = {
  image: { name: 'mutexloop', main: mutexLoopMain } satisfies ProgramImage,
  doc: 'threads contending for one mutex: lock, tiny critical section, unlock (ns per acquisition)',
  claims: ['LIBC-2'],
  params: [
    { name: 'threads', kind: 'int', min: 1, max: 1024, fallback: 4, doc: 'threads taking the mutex' },
    {
      name: 'iterations',
      kind: 'int',
      min: 1,
      max: 10_000_000,
      fallback: 10_000,
      doc: 'lock-unlock pairs per thread',
    },
    {
      name: 'cs_cycles',
      kind: 'int',
      min: 0,
      max: 1_000_000_000,
      fallback: 100,
      doc: 'work inside the lock (cycles)',
    },
    {
      name: 'outside_cycles',
      kind: 'int',
      min: 0,
      max: 1_000_000_000,
      fallback: 0,
      doc: 'work between an unlock and the next lock (cycles)',
    },
  ],
};
