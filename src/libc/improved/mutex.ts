/**
 * The improved libc's mutex (LIBC-2). A plain mutex is Drepper's three-state futex word
 * ("Futexes Are Tricky", mutex 2; glibc's lowlevellock): 0 free, 1 locked, 2 locked with
 * waiters, so an uncontended lock and unlock make no system call and an unlock wakes one
 * waiter, only when there are any. Recursive and errorcheck mutexes keep the owner's tid and a
 * count beside the word, as glibc's __owner and __count. Robust mutexes (mutex-robust.ts),
 * priority-inheritance mutexes (mutex-pi.ts, robust or not) and priority-protection mutexes
 * (mutex-pp.ts) have words of their own; this module picks by the kind word.
 */
import { AtomicOp, type Program } from '../../abi/effects.ts';
import { EBUSY, EDEADLK, EINVAL, EOWNERDEAD, EPERM, ETIMEDOUT } from '../../abi/errno.ts';
import type { Guest } from '../../abi/guest.ts';
import { FUTEX_TID_MASK } from '../../abi/syscalls.ts';
import { type Deadline, futexWaitUntil, futexWakeN } from '../futex.ts';
import {
  KIND_PI,
  KIND_PP,
  KIND_ROBUST,
  MUTEX_COUNT,
  MUTEX_INCONSISTENT,
  MUTEX_OWNER,
  PRIO_CEILING_MASK,
  PTHREAD_MUTEX_NORMAL,
  PTHREAD_MUTEX_RECURSIVE,
} from '../layout.ts';
import { addLevel, isShared, kindOf, typeOf } from './mutex-common.ts';
import { piLock, piOwned, piUnlock } from './mutex-pi.ts';
import { ppLock, ppUnlock } from './mutex-pp.ts';
import { robustLock, robustUnlock } from './mutex-robust.ts';

export { isShared } from './mutex-common.ts';

/** The owner relocking a plain mutex: recursion, EDEADLK, or null when the type does not track owners. */
function relock(t: Guest, m: number, trying: boolean): number | null {
  const type = typeOf(t, m);
  if (type === PTHREAD_MUTEX_NORMAL || t.load32(m + MUTEX_OWNER) !== t.tid) return null;
  if (type === PTHREAD_MUTEX_RECURSIVE) return addLevel(t, m);
  return trying ? EBUSY : EDEADLK; // errorcheck
}

function acquired(t: Guest, m: number, count = 1): void {
  if (typeOf(t, m) === PTHREAD_MUTEX_NORMAL) return;
  t.store32(m + MUTEX_OWNER, t.tid);
  t.store32(m + MUTEX_COUNT, count);
}

/**
 * Takes the word, waiting as a contender (state 2) until `deadline`; 0, ETIMEDOUT, or EINVAL
 * when the kernel refuses the deadline (glibc's __futex_clocklock64 returns it as is).
 */
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
    if (r === -ETIMEDOUT || r === -EINVAL) return -r;
    c = (yield t.atomic(AtomicOp.Exchange, m, 2)) as number;
  }
  return 0;
}

export function* lock(t: Guest, m: number, deadline: Deadline | null): Program<number> {
  const kind = kindOf(t, m);
  if ((kind & KIND_PI) !== 0) return yield* piLock(t, m, deadline, false);
  if ((kind & KIND_ROBUST) !== 0) return yield* robustLock(t, m, deadline, false);
  if ((kind & KIND_PP) !== 0) return yield* ppLock(t, m, deadline, false);
  const again = relock(t, m, false);
  if (again !== null) return again;
  const r = yield* lockWord(t, m, deadline, false);
  if (r === 0) acquired(t, m);
  return r;
}

export function* trylock(t: Guest, m: number): Program<number> {
  const kind = kindOf(t, m);
  if ((kind & KIND_PI) !== 0) return yield* piLock(t, m, null, true);
  if ((kind & KIND_ROBUST) !== 0) return yield* robustLock(t, m, null, true);
  if ((kind & KIND_PP) !== 0) return yield* ppLock(t, m, null, true);
  const again = relock(t, m, true);
  if (again !== null) return again;
  const c = (yield t.atomic(AtomicOp.CompareExchange, m, 0, 1)) as number;
  if (c !== 0) return EBUSY;
  acquired(t, m);
  return 0;
}

/** EPERM when a recursive or errorcheck mutex (or any robust, PI or PP one) is not the caller's. */
export function* unlock(t: Guest, m: number): Program<number> {
  const kind = kindOf(t, m);
  if ((kind & KIND_PI) !== 0) return yield* piUnlock(t, m);
  if ((kind & KIND_ROBUST) !== 0) return yield* robustUnlock(t, m);
  if ((kind & KIND_PP) !== 0) return yield* ppUnlock(t, m);
  const type = typeOf(t, m);
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

/** Is the mutex held (by anyone)? For pthread_mutex_destroy's EBUSY. */
export function isLocked(t: Guest, m: number): boolean {
  const kind = kindOf(t, m);
  const word = t.load32(m);
  if ((kind & (KIND_PI | KIND_ROBUST)) !== 0) return (word & FUTEX_TID_MASK) !== 0;
  if ((kind & KIND_PP) !== 0) return (word & ~PRIO_CEILING_MASK) !== 0;
  return word !== 0;
}

/**
 * pthread_mutex_consistent: a robust mutex its caller took with EOWNERDEAD becomes an ordinary
 * held mutex again. EINVAL for a mutex that is not robust, not inconsistent, or not the
 * caller's (glibc does not check the owner; POSIX leaves it undefined).
 */
export function consistent(t: Guest, m: number): number {
  if ((kindOf(t, m) & KIND_ROBUST) === 0) return EINVAL;
  if (t.load32(m + MUTEX_OWNER) !== MUTEX_INCONSISTENT) return EINVAL;
  if ((t.load32(m) & FUTEX_TID_MASK) !== t.tid) return EINVAL;
  t.store32(m + MUTEX_OWNER, t.tid);
  return 0;
}

/** Does the mutex own its lock word's owner field (robust, PI: the tid word; PP and others: MUTEX_OWNER)? */
function ownedByCaller(t: Guest, m: number): boolean {
  if ((kindOf(t, m) & (KIND_PI | KIND_ROBUST)) !== 0) return (t.load32(m) & FUTEX_TID_MASK) === t.tid;
  return t.load32(m + MUTEX_OWNER) === t.tid;
}

/**
 * For pthread_cond_wait: releases the mutex entirely (a recursive one at any depth) and returns
 * the count to restore, or -EPERM when the caller does not own an owner-tracking mutex.
 */
export function* releaseForWait(t: Guest, m: number): Program<number> {
  const special = (kindOf(t, m) & (KIND_PI | KIND_ROBUST | KIND_PP)) !== 0;
  const type = typeOf(t, m);
  let count = 1;
  if (special || type !== PTHREAD_MUTEX_NORMAL) {
    if (!ownedByCaller(t, m)) return -EPERM;
    if (type === PTHREAD_MUTEX_RECURSIVE) count = t.load32(m + MUTEX_COUNT);
    t.store32(m + MUTEX_COUNT, 1);
  }
  yield* unlock(t, m);
  return count;
}

/**
 * Relocks after a condvar wait; returns 0 or the lock's error (EOWNERDEAD, ENOTRECOVERABLE,
 * a PP mutex's EINVAL). A waiter may have been requeued onto the mutex word by a broadcast, so
 * a plain mutex is locked as a contender (state 2) and a robust one with WAITERS kept: its
 * unlock then wakes the next requeued waiter, as glibc's __pthread_mutex_cond_lock does.
 */
export function* reacquireAfterWait(t: Guest, m: number, count: number): Program<number> {
  const kind = kindOf(t, m);
  let r: number;
  if ((kind & KIND_PI) !== 0) r = yield* piLock(t, m, null, false);
  else if ((kind & KIND_ROBUST) !== 0) r = yield* robustLock(t, m, null, false, true);
  else if ((kind & KIND_PP) !== 0) r = yield* ppLock(t, m, null, false);
  else {
    yield* lockWord(t, m, null, true);
    acquired(t, m, count);
    return 0;
  }
  if (r === 0 || r === EOWNERDEAD)
    t.store32(m + MUTEX_COUNT, typeOf(t, m) === PTHREAD_MUTEX_RECURSIVE ? count : 1);
  return r;
}

/** After FUTEX_WAIT_REQUEUE_PI returned 0: the kernel made the caller the owner of the PI word. */
export function* ownedAfterRequeuePi(t: Guest, m: number, count: number): Program<number> {
  return yield* piOwned(t, m, 0, count);
}
