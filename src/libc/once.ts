/**
 * pthread_once (LIBC-4): the init routine runs exactly once; callers that arrive while it runs
 * wait for it. Word states as relibc's (src/sync/once.rs, models.md §3): 0 not run, 1 running,
 * 2 running with waiters, 3 done. relibc spins 999 times before it marks the word and
 * futex-waits; the improved libc waits at once, as glibc. The finisher wakes all waiters.
 */
import { AtomicOp, type Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
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
  const seen = (yield t.atomic(AtomicOp.CompareExchange, once, INCOMPLETE, RUNNING)) as number;
  if (seen === INCOMPLETE) {
    yield* init(t);
    const old = (yield t.atomic(AtomicOp.Exchange, once, DONE)) as number;
    if (old === WAITING) yield* futexWakeN(t, once, INT_MAX, false);
    return 0;
  }
  let spins = libcName(t) === 'relibc' ? RELIBC_SPINS : 0;
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
