/**
 * pthread mutexes and condition variables, first form. The mutex is Drepper's three-state futex
 * word ("Futexes Are Tricky", 2011, mutex 2): 0 free, 1 locked, 2 locked with waiters, so an
 * uncontended lock and unlock make no system call. The condvar is a sequence word.
 */
import { AtomicOp, type Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import { EBUSY } from '../abi/errno.ts';
import { malloc } from './malloc.ts';
import { futex_wait, futex_wake } from './sys.ts';

export type pthread_mutex_t = number;
export type pthread_cond_t = number;

const INT_MAX = 0x7fffffff;

export function* pthread_mutex_init(t: Guest): Program<pthread_mutex_t> {
  return yield* malloc(t, 4);
}

export function* pthread_mutex_lock(t: Guest, m: pthread_mutex_t): Program<number> {
  let c = (yield t.atomic(AtomicOp.CompareExchange, m, 0, 1)) as number;
  if (c === 0) return 0;
  if (c !== 2) c = (yield t.atomic(AtomicOp.Exchange, m, 2)) as number;
  while (c !== 0) {
    yield* futex_wait(t, m, 2);
    c = (yield t.atomic(AtomicOp.Exchange, m, 2)) as number;
  }
  return 0;
}

export function* pthread_mutex_trylock(t: Guest, m: pthread_mutex_t): Program<number> {
  const c = (yield t.atomic(AtomicOp.CompareExchange, m, 0, 1)) as number;
  return c === 0 ? 0 : EBUSY;
}

export function* pthread_mutex_unlock(t: Guest, m: pthread_mutex_t): Program<number> {
  const old = (yield t.atomic(AtomicOp.Exchange, m, 0)) as number;
  if (old === 2) yield* futex_wake(t, m, 1);
  return 0;
}

export function* pthread_cond_init(t: Guest): Program<pthread_cond_t> {
  return yield* malloc(t, 4);
}

/** Waits for a signal; the mutex is released while waiting and held again on return. */
export function* pthread_cond_wait(t: Guest, c: pthread_cond_t, m: pthread_mutex_t): Program<number> {
  const seq = (yield t.atomic(AtomicOp.Load, c)) as number;
  yield* pthread_mutex_unlock(t, m);
  yield* futex_wait(t, c, seq);
  yield* pthread_mutex_lock(t, m);
  return 0;
}

export function* pthread_cond_signal(t: Guest, c: pthread_cond_t): Program<number> {
  yield t.atomic(AtomicOp.FetchAdd, c, 1);
  yield* futex_wake(t, c, 1);
  return 0;
}

export function* pthread_cond_broadcast(t: Guest, c: pthread_cond_t): Program<number> {
  yield t.atomic(AtomicOp.FetchAdd, c, 1);
  yield* futex_wake(t, c, INT_MAX);
  return 0;
}
