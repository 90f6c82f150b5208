/**
 * pthread_once (LIBC-4): the init routine runs exactly once; callers that arrive while it runs
 * wait for it. Word states as relibc's (src/sync/once.rs, models.md §3): 0 not run, 1 running,
 * 2 running with waiters, 3 done. relibc spins 999 times before it marks the word and
 * futex-waits; the improved libc waits at once, as glibc. The finisher wakes all waiters.
 *
 * An init routine that does not return (it is cancelled at a cancellation point, or calls
 * pthread_exit): the improved libc runs it under a cleanup handler that puts the word back to
 * "not run" and wakes the waiters, and a waiter (or any later caller) then runs the routine
 * itself, as glibc's __pthread_once_slow with clear_once_control (nptl/pthread_once.c).
 * relibc's Once has no such handler: the word stays "running" and every later caller waits
 * for good.
 */
import { AtomicOp, type Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import { pthread_cleanup_pop, pthread_cleanup_push } from './cleanup.ts';
import { futexWaitUntil, futexWakeN, INT_MAX } from './futex.ts';
import { libcName } from './variant.ts';

/** The address of a pthread_once_t (one word, PTHREAD_ONCE_INIT = 0). */
export type pthread_once_t = number;

const INCOMPLETE = 0;
const RUNNING = 1;
const WAITING = 2;
const DONE = 3;
/** relibc's wait_until_generic spins this many times before it sleeps. */
const RELIBC_SPINS = 999;

export function* pthread_once(
  t: Guest,
  once: pthread_once_t,
  init: (t: Guest) => Program<void>,
): Program<number> {
  if (libcName(t) === 'relibc') return yield* relibcOnce(t, once, init);
  for (;;) {
    const seen = (yield t.atomic(AtomicOp.CompareExchange, once, INCOMPLETE, RUNNING)) as number;
    if (seen === INCOMPLETE) {
      pthread_cleanup_push(t, clearOnceControl, once);
      yield* init(t);
      yield* pthread_cleanup_pop(t, 0);
      yield* finish(t, once);
      return 0;
    }
    if (seen === DONE) return 0;
    if (
      seen === RUNNING &&
      ((yield t.atomic(AtomicOp.CompareExchange, once, RUNNING, WAITING)) as number) !== RUNNING
    ) {
      continue; // it finished, or was reset, in between: look again
    }
    // Woken by the finisher (DONE) or by clear_once_control (INCOMPLETE: try to run it ourselves).
    yield* futexWaitUntil(t, once, WAITING, null, false);
  }
}

/** The routine returned: done, and the waiters (if it had any) wake. */
function* finish(t: Guest, once: pthread_once_t): Program<void> {
  const old = (yield t.atomic(AtomicOp.Exchange, once, DONE)) as number;
  if (old === WAITING) yield* futexWakeN(t, once, INT_MAX, false);
}

/** glibc's clear_once_control: the routine did not return, so the once is "not run" again. */
function* clearOnceControl(t: Guest, once: unknown): Program<void> {
  const old = (yield t.atomic(AtomicOp.Exchange, once as number, INCOMPLETE)) as number;
  if (old === WAITING) yield* futexWakeN(t, once as number, INT_MAX, false);
}

/** relibc's Once::call_once: no cleanup, so a routine that never returns leaves the word running. */
function* relibcOnce(t: Guest, once: pthread_once_t, init: (t: Guest) => Program<void>): Program<number> {
  const seen = (yield t.atomic(AtomicOp.CompareExchange, once, INCOMPLETE, RUNNING)) as number;
  if (seen === INCOMPLETE) {
    yield* init(t);
    yield* finish(t, once);
    return 0;
  }
  let spins = RELIBC_SPINS;
  for (;;) {
    const state = (yield t.atomic(AtomicOp.Load, once)) as number;
    if (state === DONE) return 0;
    if (spins > 0) {
      spins--;
      yield t.compute(1);
      continue;
    }
    if (state === RUNNING) yield t.atomic(AtomicOp.CompareExchange, once, RUNNING, WAITING);
    yield* futexWaitUntil(t, once, WAITING, null, false);
  }
}
