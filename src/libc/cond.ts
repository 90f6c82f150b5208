/**
 * pthread condition variables (LIBC-3): wait, timedwait and clockwait, signal, broadcast, and
 * condattr's clock (CLOCK_REALTIME by default, or CLOCK_MONOTONIC, which wall-clock jumps do
 * not move) and pshared. The algorithm is the process's libc variant's: relibc's wake-all
 * (relibc/cond.ts) or signal-one and broadcast-by-requeue (improved/cond.ts).
 */
import type { Program } from '../abi/effects.ts';
import { EINVAL } from '../abi/errno.ts';
import type { Guest } from '../abi/guest.ts';
import { CLOCK_MONOTONIC, CLOCK_REALTIME } from '../abi/syscalls.ts';
import { attrDestroy, attrGet, attrSet, PSHARED_VALUES } from './attr.ts';
import { checkDeadline, type Deadline } from './futex.ts';
import {
  COND_BYTES,
  COND_FLAGS,
  COND_MONOTONIC,
  PTHREAD_PROCESS_PRIVATE,
  PTHREAD_PROCESS_SHARED,
} from './layout.ts';
import { malloc } from './malloc.ts';
import type { pthread_mutex_t } from './mutex.ts';
import { libcOf } from './select.ts';

/** The address of a pthread_cond_t (COND_BYTES of guest memory; zeros is a default condvar). */
export type pthread_cond_t = number;

const COND_PSHARED = 0x80;

export class pthread_condattr_t {
  initialized = false;
  clock: number = CLOCK_REALTIME;
  pshared = PTHREAD_PROCESS_PRIVATE;
}

export function pthread_condattr_init(attr: pthread_condattr_t): number {
  Object.assign(attr, new pthread_condattr_t());
  attr.initialized = true;
  return 0;
}

export function pthread_condattr_destroy(attr: pthread_condattr_t): number {
  return attrDestroy(attr);
}

/** CLOCK_REALTIME or CLOCK_MONOTONIC; any other clock is EINVAL (as glibc and relibc). */
export function pthread_condattr_setclock(attr: pthread_condattr_t, clock: number): number {
  return attrSet(attr, 'clock', clock, [CLOCK_REALTIME, CLOCK_MONOTONIC]);
}

export function pthread_condattr_getclock(attr: pthread_condattr_t): [number, number] {
  return attrGet(attr, 'clock');
}

export function pthread_condattr_setpshared(attr: pthread_condattr_t, pshared: number): number {
  return attrSet(attr, 'pshared', pshared, PSHARED_VALUES);
}

export function pthread_condattr_getpshared(attr: pthread_condattr_t): [number, number] {
  return attrGet(attr, 'pshared');
}

export function pthread_cond_init(t: Guest, c: pthread_cond_t, attr: pthread_condattr_t | null): number {
  if (attr !== null && !attr.initialized) return EINVAL;
  const flags =
    (attr?.clock === CLOCK_MONOTONIC ? COND_MONOTONIC : 0) |
    (attr?.pshared === PTHREAD_PROCESS_SHARED ? COND_PSHARED : 0);
  libcOf(t).cond.init(t, c, flags);
  return 0;
}

/** Allocates and initialises a condition variable; returns its address. */
export function* pthread_cond_new(t: Guest, attr: pthread_condattr_t | null = null): Program<pthread_cond_t> {
  const c = yield* malloc(t, COND_BYTES);
  const err = pthread_cond_init(t, c, attr);
  if (err !== 0) throw new Error(`pthread_cond_new: pthread_cond_init failed (${err})`);
  return c;
}

export function pthread_cond_destroy(_t: Guest, _c: pthread_cond_t): number {
  return 0;
}

/** Waits for a signal; the mutex is released while waiting and held again on return. */
export function pthread_cond_wait(t: Guest, c: pthread_cond_t, m: pthread_mutex_t): Program<number> {
  return libcOf(t).cond.wait(t, c, m, null);
}

/**
 * As wait, until the struct timespec at `abstime` on the condvar's clock: ETIMEDOUT then (at
 * once when it has already passed), EINVAL for a tv_nsec out of range (checked first, as glibc's
 * pthread_cond_timedwait does).
 */
export function pthread_cond_timedwait(
  t: Guest,
  c: pthread_cond_t,
  m: pthread_mutex_t,
  abstime: number,
): Program<number> {
  const clock = (t.load32(c + COND_FLAGS) & COND_MONOTONIC) !== 0 ? CLOCK_MONOTONIC : CLOCK_REALTIME;
  return pthread_cond_clockwait(t, c, m, clock, abstime);
}

/** pthread_cond_clockwait (glibc 2.30): the deadline (a timespec address) on the given clock. */
export function* pthread_cond_clockwait(
  t: Guest,
  c: pthread_cond_t,
  m: pthread_mutex_t,
  clock: number,
  abstime: number,
): Program<number> {
  if (clock !== CLOCK_REALTIME && clock !== CLOCK_MONOTONIC) return EINVAL;
  const deadline: Deadline = { clock, abstime };
  if (checkDeadline(t, deadline) !== 0) return EINVAL;
  return yield* libcOf(t).cond.wait(t, c, m, deadline);
}

/** Wakes one waiter (relibc: all of them, models.md §3). */
export function pthread_cond_signal(t: Guest, c: pthread_cond_t): Program<number> {
  return libcOf(t).cond.signal(t, c);
}

/** Wakes every waiter (improved: one, the rest requeued onto the mutex). */
export function pthread_cond_broadcast(t: Guest, c: pthread_cond_t): Program<number> {
  return libcOf(t).cond.broadcast(t, c);
}
