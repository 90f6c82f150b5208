/**
 * The improved pthread_once, as glibc's __pthread_once_slow (nptl/pthread_once.c): callers
 * that find the routine running wait at once, and the routine runs under a cleanup handler
 * (clear_once_control) that puts the word back to "not run" and wakes the waiters when it does
 * not return, so a waiter then runs it itself.
 */
import { AtomicOp, type Program } from '../../abi/effects.ts';
import type { Guest } from '../../abi/guest.ts';
import { pthread_cleanup_pop, pthread_cleanup_push } from '../cleanup.ts';
import { futexWaitUntil, futexWakeN, INT_MAX } from '../futex.ts';
import { DONE, finish, INCOMPLETE, RUNNING, WAITING } from '../once.ts';

export function* once(t: Guest, word: number, init: (t: Guest) => Program<void>): Program<number> {
  for (;;) {
    const seen = (yield t.atomic(AtomicOp.CompareExchange, word, INCOMPLETE, RUNNING)) as number;
    if (seen === INCOMPLETE) {
      pthread_cleanup_push(t, clearOnceControl, word);
      yield* init(t);
      yield* pthread_cleanup_pop(t, 0);
      yield* finish(t, word);
      return 0;
    }
    if (seen === DONE) return 0;
    if (
      seen === RUNNING &&
      ((yield t.atomic(AtomicOp.CompareExchange, word, RUNNING, WAITING)) as number) !== RUNNING
    ) {
      continue; // it finished, or was reset, in between: look again
    }
    // Woken by the finisher (DONE) or by clear_once_control (INCOMPLETE: try to run it ourselves).
    yield* futexWaitUntil(t, word, WAITING, null, false);
  }
}

/** glibc's clear_once_control: the routine did not return, so the once is "not run" again. */
function* clearOnceControl(t: Guest, word: unknown): Program<void> {
  const old = (yield t.atomic(AtomicOp.Exchange, word as number, INCOMPLETE)) as number;
  if (old === WAITING) yield* futexWakeN(t, word as number, INT_MAX, false);
}
