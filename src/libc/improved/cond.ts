/**
 * The improved libc's condition variable (LIBC-3, FUTEX-3). Words: a sequence number (the
 * futex word), the count of waiters, and the mutex last waited with. signal bumps the sequence
 * and wakes one waiter; broadcast bumps it and calls FUTEX_CMP_REQUEUE to wake one waiter and
 * move the rest onto the mutex's word, so they wake one at a time as the mutex is handed on
 * instead of all at once (the pre-2.25 glibc design; FUTEX-3). Neither makes a system call when
 * nobody waits.
 *
 * With a (non-robust) PTHREAD_PRIO_INHERIT mutex the waiters sleep in FUTEX_WAIT_REQUEUE_PI and
 * signal/broadcast use FUTEX_CMP_REQUEUE_PI (wake 1, move 0 or all), so a waiter returns from
 * the kernel already owning the PI mutex, and the mutex is never without an owner while threads
 * queue on it: priority inheritance holds across the wait (pre-2.25 glibc's USE_REQUEUE_PI).
 * Robust PI and PRIO_PROTECT mutexes are not requeued onto: their waiters are woken and lock
 * the mutex themselves, as glibc's.
 */
import { AtomicOp, type Program } from '../../abi/effects.ts';
import { EPERM, ETIMEDOUT } from '../../abi/errno.ts';
import type { Guest } from '../../abi/guest.ts';
import { cancellationPoint, pthread_testcancel } from '../cancel.ts';
import {
  type Deadline,
  futexCmpRequeue,
  futexCmpRequeuePi,
  futexWaitRequeuePi,
  futexWaitUntil,
  futexWakeN,
  INT_MAX,
} from '../futex.ts';
import { COND_FLAGS, KIND_PI, KIND_PP, KIND_ROBUST } from '../layout.ts';
import { loadPtr, storePtr } from '../ptr.ts';
import { kindOf } from './mutex-common.ts';
import { isShared, ownedAfterRequeuePi, reacquireAfterWait, releaseForWait } from './mutex.ts';

export const COND_SEQ = 0;
export const COND_WAITERS = 4;
/** The mutex waited with: an 8-byte pointer (libc/ptr.ts). */
export const COND_MUTEX = 8;
const COND_PSHARED = 0x80;

const shared = (t: Guest, c: number) => (t.load32(c + COND_FLAGS) & COND_PSHARED) !== 0;

/** How waiters reach the mutex `m`: requeued onto its word, requeue-PI, or all woken. */
function handOff(t: Guest, m: number, sharedCond: boolean): 'requeue' | 'requeue-pi' | 'wake' {
  // Requeue needs both words under the same key kind (private or shared).
  if (m === 0 || isShared(t, m) !== sharedCond) return 'wake';
  const kind = kindOf(t, m);
  if ((kind & KIND_PI) !== 0) return (kind & KIND_ROBUST) !== 0 ? 'wake' : 'requeue-pi';
  if ((kind & KIND_PP) !== 0) return 'wake';
  return 'requeue'; // the three-state word, or a robust tid word (relocked with WAITERS kept)
}

export function init(t: Guest, c: number, flags: number): void {
  t.store32(c + COND_SEQ, 0);
  t.store32(c + COND_WAITERS, 0);
  storePtr(t, c + COND_MUTEX, 0);
  t.store32(c + COND_FLAGS, flags);
}

export function* wait(t: Guest, c: number, m: number, deadline: Deadline | null): Program<number> {
  yield t.atomic(AtomicOp.FetchAdd, c + COND_WAITERS, 1);
  const seq = (yield t.atomic(AtomicOp.Load, c + COND_SEQ)) as number;
  storePtr(t, c + COND_MUTEX, m);
  const count = yield* releaseForWait(t, m);
  if (count < 0) {
    yield t.atomic(AtomicOp.FetchAdd, c + COND_WAITERS, -1);
    return EPERM;
  }
  const sharedCond = shared(t, c);
  let r: number;
  if (handOff(t, m, sharedCond) === 'requeue-pi') {
    // A cancellation point too (LIBC-7), but only on entry: a requeue-PI waiter leaves its wait
    // owning the mutex, so a request made during it acts at the next cancellation point.
    yield* pthread_testcancel(t);
    r = yield* futexWaitRequeuePi(t, c + COND_SEQ, seq, m, deadline, sharedCond);
    yield t.atomic(AtomicOp.FetchAdd, c + COND_WAITERS, -1);
    if (r === 0) return yield* ownedAfterRequeuePi(t, m, count);
  } else {
    // A cancellation point (LIBC-7): cancelled here, the waiter leaves the count and re-takes the
    // mutex before the caller's cleanup handlers run, as POSIX requires.
    const sleep = futexWaitUntil(t, c + COND_SEQ, seq, deadline, sharedCond);
    r = yield* cancellationPoint(t, sleep, cancelledWait, { c, m, count });
    yield t.atomic(AtomicOp.FetchAdd, c + COND_WAITERS, -1);
  }
  const err = yield* reacquireAfterWait(t, m, count);
  if (err !== 0) return err; // EOWNERDEAD, ENOTRECOVERABLE (robust mutexes)
  // A waiter signalled (or requeued) just as its deadline passed reports the wakeup.
  if (r === -ETIMEDOUT && t.load32(c + COND_SEQ) === seq) return ETIMEDOUT;
  return 0;
}

function* cancelledWait(t: Guest, raw: unknown): Program<void> {
  const { c, m, count } = raw as { c: number; m: number; count: number };
  yield t.atomic(AtomicOp.FetchAdd, c + COND_WAITERS, -1);
  yield* reacquireAfterWait(t, m, count);
}

export function* signal(t: Guest, c: number): Program<number> {
  if (((yield t.atomic(AtomicOp.Load, c + COND_WAITERS)) as number) === 0) return 0;
  const seq = (((yield t.atomic(AtomicOp.FetchAdd, c + COND_SEQ, 1)) as number) + 1) >>> 0;
  const m = loadPtr(t, c + COND_MUTEX);
  const sharedCond = shared(t, c);
  if (handOff(t, m, sharedCond) === 'requeue-pi') {
    // The top waiter gets the PI mutex if it is free, or queues on it behind its owner.
    if ((yield* futexCmpRequeuePi(t, c + COND_SEQ, 0, m, seq, sharedCond)) >= 0) return 0;
  }
  yield* futexWakeN(t, c + COND_SEQ, 1, sharedCond);
  return 0;
}

export function* broadcast(t: Guest, c: number): Program<number> {
  if (((yield t.atomic(AtomicOp.Load, c + COND_WAITERS)) as number) === 0) return 0;
  const seq = (((yield t.atomic(AtomicOp.FetchAdd, c + COND_SEQ, 1)) as number) + 1) >>> 0;
  const m = loadPtr(t, c + COND_MUTEX);
  const sharedCond = shared(t, c);
  const how = handOff(t, m, sharedCond);
  // -EAGAIN: the sequence moved on (a concurrent signal or broadcast); wake everyone instead.
  if (how === 'requeue' && (yield* futexCmpRequeue(t, c + COND_SEQ, 1, INT_MAX, m, seq, sharedCond)) >= 0)
    return 0;
  if (how === 'requeue-pi' && (yield* futexCmpRequeuePi(t, c + COND_SEQ, INT_MAX, m, seq, sharedCond)) >= 0)
    return 0;
  yield* futexWakeN(t, c + COND_SEQ, INT_MAX, sharedCond);
  return 0;
}
