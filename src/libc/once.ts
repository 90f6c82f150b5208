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
 * for good. The two algorithms: relibc/once.ts and improved/once.ts.
 */
import { AtomicOp, type Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import { futexWakeN, INT_MAX } from './futex.ts';
import { libcOf } from './select.ts';

/** The address of a pthread_once_t (one word, PTHREAD_ONCE_INIT = 0). */
export type pthread_once_t = number;

export const INCOMPLETE = 0;
export const RUNNING = 1;
export const WAITING = 2;
export const DONE = 3;

export function pthread_once(
  t: Guest,
  once: pthread_once_t,
  init: (t: Guest) => Program<void>,
): Program<number> {
  return libcOf(t).once.once(t, once, init);
}

/** The routine returned: done, and the waiters (if it had any) wake. */
export function* finish(t: Guest, once: pthread_once_t): Program<void> {
  const old = (yield t.atomic(AtomicOp.Exchange, once, DONE)) as number;
  if (old === WAITING) yield* futexWakeN(t, once, INT_MAX, false);
}
