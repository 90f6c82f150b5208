/**
 * Unnamed POSIX semaphores (LIBC-4): sem_init, sem_destroy, sem_wait, sem_trywait,
 * sem_timedwait (CLOCK_REALTIME), sem_clockwait, sem_post, sem_getvalue. As POSIX has it, a
 * failing call returns -1 and sets errno (errno.ts). A semaphore made with pshared = 1 in
 * MAP_SHARED memory works across processes (shared futex keys, FUTEX-1).
 *
 * relibc's semaphore is kept as its code behaves at @08fc95fc (src/sync/semaphore.rs,
 * models.md §3): post adds one and wakes ALL; wait's test is inverted, so sem_wait on a zero
 * count returns 0 at once without taking anything, and on a count above zero it takes units
 * until the count is 0. (Red Bear ships P3-semaphore-fixes; upstream HEAD fixed it.) The
 * improved semaphore is a count plus a waiter count: post wakes one waiter, and only if any.
 * The two algorithms: relibc/sem.ts and improved/sem.ts.
 */
import { AtomicOp, type Program } from '../abi/effects.ts';
import { EAGAIN, EINVAL, EOVERFLOW } from '../abi/errno.ts';
import type { Guest } from '../abi/guest.ts';
import { CLOCK_MONOTONIC, CLOCK_REALTIME } from '../abi/syscalls.ts';
import { failWith } from './errno.ts';
import type { Deadline } from './futex.ts';
import { SEM_VALUE_MAX } from './layout.ts';
import { libcOf } from './select.ts';

/** The address of a sem_t (SEM_BYTES of guest memory). */
export type sem_t = number;

export const VALUE = 0;
export const WAITERS = 4;
const FLAGS = 8;
const PSHARED = 1;

export const shared = (t: Guest, s: number) => (t.load32(s + FLAGS) & PSHARED) !== 0;

/** 0, or -1 with errno EINVAL when `value` exceeds SEM_VALUE_MAX. */
export function sem_init(t: Guest, s: sem_t, pshared: number, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > SEM_VALUE_MAX) return failWith(t, EINVAL);
  t.store32(s + VALUE, value);
  t.store32(s + WAITERS, 0);
  t.store32(s + FLAGS, pshared !== 0 ? PSHARED : 0);
  return 0;
}

export function sem_destroy(_t: Guest, _s: sem_t): number {
  return 0;
}

/** Takes one unit if there is one: true when it did. */
export function* tryTake(t: Guest, s: sem_t): Program<boolean> {
  for (;;) {
    const v = (yield t.atomic(AtomicOp.Load, s + VALUE)) as number;
    if (v === 0) return false;
    if (((yield t.atomic(AtomicOp.CompareExchange, s + VALUE, v, v - 1)) as number) === v) return true;
  }
}

function* semWait(t: Guest, s: sem_t, deadline: Deadline | null): Program<number> {
  return failWith(t, yield* libcOf(t).sem.wait(t, s, deadline));
}

export const sem_wait = (t: Guest, s: sem_t) => semWait(t, s, null);

/**
 * -1 with errno ETIMEDOUT at the struct timespec at `abstime` on CLOCK_REALTIME, EINVAL for a
 * bad tv_nsec.
 */
export const sem_timedwait = (t: Guest, s: sem_t, abstime: number) =>
  semWait(t, s, { clock: CLOCK_REALTIME, abstime });

export function* sem_clockwait(t: Guest, s: sem_t, clock: number, abstime: number): Program<number> {
  if (clock !== CLOCK_REALTIME && clock !== CLOCK_MONOTONIC) return failWith(t, EINVAL);
  return yield* semWait(t, s, { clock, abstime });
}

/** 0, or -1 with errno EAGAIN when the count is 0. */
export function* sem_trywait(t: Guest, s: sem_t): Program<number> {
  return (yield* tryTake(t, s)) ? 0 : failWith(t, EAGAIN);
}

/** 0, or -1 with errno EOVERFLOW at SEM_VALUE_MAX. */
export function* sem_post(t: Guest, s: sem_t): Program<number> {
  for (;;) {
    const v = (yield t.atomic(AtomicOp.Load, s + VALUE)) as number;
    if (v >= SEM_VALUE_MAX) return failWith(t, EOVERFLOW);
    if (((yield t.atomic(AtomicOp.CompareExchange, s + VALUE, v, v + 1)) as number) === v) break;
  }
  yield* libcOf(t).sem.wakeAfterPost(t, s);
  return 0;
}

/** Returns [0, the count]. */
export function* sem_getvalue(t: Guest, s: sem_t): Program<[number, number]> {
  return [0, (yield t.atomic(AtomicOp.Load, s + VALUE)) as number];
}
