/**
 * The improved libc's mutex (LIBC-2): Drepper's three-state futex word ("Futexes Are Tricky",
 * mutex 2; glibc's lowlevellock): 0 free, 1 locked, 2 locked with waiters, so an uncontended
 * lock and unlock make no system call and an unlock wakes one waiter, only when there are any.
 * Recursive and errorcheck mutexes keep the owner's tid and a count beside the word, as glibc's
 * __owner and __count.
 */
import { AtomicOp, type Program } from '../../abi/effects.ts';
import { EAGAIN, EBUSY, EDEADLK, EPERM, ETIMEDOUT } from '../../abi/errno.ts';
import type { Guest } from '../../abi/guest.ts';
import { type Deadline, futexWaitUntil, futexWakeN } from '../futex.ts';
import {
  KIND_PSHARED,
  KIND_TYPE_MASK,
  MUTEX_COUNT,
  MUTEX_KIND,
  MUTEX_OWNER,
  PTHREAD_MUTEX_NORMAL,
  PTHREAD_MUTEX_RECURSIVE,
  RECURSIVE_COUNT_MAX,
} from '../layout.ts';

const kindOf = (t: Guest, m: number) => t.load32(m + MUTEX_KIND);
export const isShared = (t: Guest, m: number) => (kindOf(t, m) & KIND_PSHARED) !== 0;

/** The owner relocking: recursion, EDEADLK, or null when the type does not track owners. */
function relock(t: Guest, m: number, trying: boolean): number | null {
  const type = kindOf(t, m) & KIND_TYPE_MASK;
  if (type === PTHREAD_MUTEX_NORMAL || t.load32(m + MUTEX_OWNER) !== t.tid) return null;
  if (type === PTHREAD_MUTEX_RECURSIVE) {
    const count = t.load32(m + MUTEX_COUNT);
    if (count === RECURSIVE_COUNT_MAX) return EAGAIN;
    t.store32(m + MUTEX_COUNT, count + 1);
    return 0;
  }
  return trying ? EBUSY : EDEADLK; // errorcheck
}

function acquired(t: Guest, m: number, count = 1): void {
  if ((kindOf(t, m) & KIND_TYPE_MASK) === PTHREAD_MUTEX_NORMAL) return;
  t.store32(m + MUTEX_OWNER, t.tid);
  t.store32(m + MUTEX_COUNT, count);
}

/** Takes the word, waiting as a contender (state 2) until `deadline`; 0 or ETIMEDOUT. */
function* lockWord(t: Guest, m: number, deadline: Deadline | null, contended: boolean): Program<number> {
  const shared = isShared(t, m);
  let c: number;
  if (contended) c = (yield t.atomic(AtomicOp.Exchange, m, 2)) as number;
  else {
    c = (yield t.atomic(AtomicOp.CompareExchange, m, 0, 1)) as number;
    if (c === 0) return 0;
    if (c !== 2) c = (yield t.atomic(AtomicOp.Exchange, m, 2)) as number;
  }
  while (c !== 0) {
    const r = yield* futexWaitUntil(t, m, 2, deadline, shared);
    if (r === -ETIMEDOUT) return ETIMEDOUT;
    c = (yield t.atomic(AtomicOp.Exchange, m, 2)) as number;
  }
  return 0;
}

export function* lock(t: Guest, m: number, deadline: Deadline | null): Program<number> {
  const again = relock(t, m, false);
  if (again !== null) return again;
  const r = yield* lockWord(t, m, deadline, false);
  if (r === 0) acquired(t, m);
  return r;
}

export function* trylock(t: Guest, m: number): Program<number> {
  const again = relock(t, m, true);
  if (again !== null) return again;
  const c = (yield t.atomic(AtomicOp.CompareExchange, m, 0, 1)) as number;
  if (c !== 0) return EBUSY;
  acquired(t, m);
  return 0;
}

/** EPERM when a recursive or errorcheck mutex is not the caller's. */
export function* unlock(t: Guest, m: number): Program<number> {
  const type = kindOf(t, m) & KIND_TYPE_MASK;
  if (type !== PTHREAD_MUTEX_NORMAL) {
    if (t.load32(m + MUTEX_OWNER) !== t.tid) return EPERM;
    const count = t.load32(m + MUTEX_COUNT) - 1;
    if (type === PTHREAD_MUTEX_RECURSIVE && count > 0) {
      t.store32(m + MUTEX_COUNT, count);
      return 0;
    }
    t.store32(m + MUTEX_OWNER, 0);
    t.store32(m + MUTEX_COUNT, 0);
  }
  const old = (yield t.atomic(AtomicOp.Exchange, m, 0)) as number;
  if (old === 2) yield* futexWakeN(t, m, 1, isShared(t, m));
  return 0;
}

/**
 * For pthread_cond_wait: releases the mutex entirely (a recursive one at any depth) and returns
 * the count to restore, or -EPERM when the caller does not own an owner-tracking mutex.
 */
export function* releaseForWait(t: Guest, m: number): Program<number> {
  const type = kindOf(t, m) & KIND_TYPE_MASK;
  let count = 1;
  if (type !== PTHREAD_MUTEX_NORMAL) {
    if (t.load32(m + MUTEX_OWNER) !== t.tid) return -EPERM;
    count = t.load32(m + MUTEX_COUNT);
    t.store32(m + MUTEX_COUNT, 1);
  }
  yield* unlock(t, m);
  return count;
}

/**
 * Relocks after a condvar wait. A waiter may have been requeued onto the mutex word by a
 * broadcast, so it locks as a contender (state 2): its unlock then wakes the next requeued
 * waiter, as glibc's __pthread_mutex_cond_lock does.
 */
export function* reacquireAfterWait(t: Guest, m: number, count: number): Program<void> {
  yield* lockWord(t, m, null, true);
  acquired(t, m, count);
}
