/**
 * The improved libc's condition variable (LIBC-3, FUTEX-3). Words: a sequence number (the
 * futex word), the count of waiters, and the mutex last waited with. signal bumps the sequence
 * and wakes one waiter; broadcast bumps it and calls FUTEX_CMP_REQUEUE to wake one waiter and
 * move the rest onto the mutex's word, so they wake one at a time as the mutex is handed on
 * instead of all at once (the pre-2.25 glibc design; FUTEX-3). Neither makes a system call when
 * nobody waits.
 */
import { AtomicOp, type Program } from '../../abi/effects.ts';
import { EPERM, ETIMEDOUT } from '../../abi/errno.ts';
import type { Guest } from '../../abi/guest.ts';
import { cancellationPoint } from '../cancel.ts';
import { type Deadline, futexCmpRequeue, futexWaitUntil, futexWakeN, INT_MAX } from '../futex.ts';
import { COND_FLAGS } from '../layout.ts';
import { isShared, reacquireAfterWait, releaseForWait } from './mutex.ts';

export const COND_SEQ = 0;
export const COND_WAITERS = 4;
export const COND_MUTEX = 8;
const COND_PSHARED = 0x80;

const shared = (t: Guest, c: number) => (t.load32(c + COND_FLAGS) & COND_PSHARED) !== 0;

export function init(t: Guest, c: number, flags: number): void {
  t.store32(c + COND_SEQ, 0);
  t.store32(c + COND_WAITERS, 0);
  t.store32(c + COND_MUTEX, 0);
  t.store32(c + COND_FLAGS, flags);
}

export function* wait(t: Guest, c: number, m: number, deadline: Deadline | null): Program<number> {
  yield t.atomic(AtomicOp.FetchAdd, c + COND_WAITERS, 1);
  const seq = (yield t.atomic(AtomicOp.Load, c + COND_SEQ)) as number;
  t.store32(c + COND_MUTEX, m);
  const count = yield* releaseForWait(t, m);
  if (count < 0) {
    yield t.atomic(AtomicOp.FetchAdd, c + COND_WAITERS, -1);
    return EPERM;
  }
  // A cancellation point (LIBC-7): cancelled here, the waiter leaves the count and re-takes the
  // mutex before the caller's cleanup handlers run, as POSIX requires.
  const sleep = futexWaitUntil(t, c + COND_SEQ, seq, deadline, shared(t, c));
  const r = yield* cancellationPoint(t, sleep, cancelledWait, { c, m, count });
  yield t.atomic(AtomicOp.FetchAdd, c + COND_WAITERS, -1);
  yield* reacquireAfterWait(t, m, count);
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
  yield t.atomic(AtomicOp.FetchAdd, c + COND_SEQ, 1);
  yield* futexWakeN(t, c + COND_SEQ, 1, shared(t, c));
  return 0;
}

export function* broadcast(t: Guest, c: number): Program<number> {
  if (((yield t.atomic(AtomicOp.Load, c + COND_WAITERS)) as number) === 0) return 0;
  const seq = (((yield t.atomic(AtomicOp.FetchAdd, c + COND_SEQ, 1)) as number) + 1) >>> 0;
  const m = t.load32(c + COND_MUTEX);
  const sharedCond = shared(t, c);
  // Requeue needs both words under the same key kind (private or shared).
  if (m !== 0 && isShared(t, m) === sharedCond) {
    const r = yield* futexCmpRequeue(t, c + COND_SEQ, 1, INT_MAX, m, seq, sharedCond);
    if (r >= 0) return 0;
    // -EAGAIN: the sequence moved on (a concurrent signal or broadcast); wake everyone instead.
  }
  yield* futexWakeN(t, c + COND_SEQ, INT_MAX, sharedCond);
  return 0;
}
