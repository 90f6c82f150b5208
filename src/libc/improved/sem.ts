/**
 * The improved semaphore steps (sem.ts has the words): a count plus a waiter count, so post
 * wakes one waiter and only if there is one, and wait is a cancellation point, in glibc's
 * order (nptl/sem_waitcommon.c).
 */
import { AtomicOp, type Program } from '../../abi/effects.ts';
import { EINTR, EINVAL, ETIMEDOUT } from '../../abi/errno.ts';
import type { Guest } from '../../abi/guest.ts';
import { cancellationPoint } from '../cancel.ts';
import { checkDeadline, type Deadline, futexWaitUntil, futexWakeN } from '../futex.ts';
import { shared, tryTake, VALUE, WAITERS } from '../sem.ts';

/**
 * glibc's sem_clockwait order: tv_nsec checked first (EINVAL even with a unit free), then the
 * fast path (a free unit is taken, 0, whatever the deadline), then the futex wait, which a past
 * deadline ends at once with ETIMEDOUT.
 */
export function* wait(t: Guest, s: number, deadline: Deadline | null): Program<number> {
  if (checkDeadline(t, deadline) !== 0) return EINVAL;
  for (;;) {
    if (yield* tryTake(t, s)) return 0;
    yield t.atomic(AtomicOp.FetchAdd, s + WAITERS, 1);
    // A cancellation point (LIBC-7): a waiter cancelled here takes itself off the count.
    const sleep = futexWaitUntil(t, s + VALUE, 0, deadline, shared(t, s));
    const r = yield* cancellationPoint(t, sleep, leaveWaiters, s);
    yield t.atomic(AtomicOp.FetchAdd, s + WAITERS, -1);
    if (r === -ETIMEDOUT) return (yield* tryTake(t, s)) ? 0 : ETIMEDOUT;
    if (r === -EINTR) return EINTR; // POSIX: a signal handler interrupts sem_wait
  }
}

function* leaveWaiters(t: Guest, s: unknown): Program<void> {
  yield t.atomic(AtomicOp.FetchAdd, (s as number) + WAITERS, -1);
}

export function* wakeAfterPost(t: Guest, s: number): Program<void> {
  if (((yield t.atomic(AtomicOp.Load, s + WAITERS)) as number) > 0) {
    yield* futexWakeN(t, s + VALUE, 1, shared(t, s));
  }
}
