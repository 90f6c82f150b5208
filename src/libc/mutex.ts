/**
 * pthread mutexes (LIBC-2): normal, recursive and errorcheck; robust (EOWNERDEAD,
 * pthread_mutex_consistent, ENOTRECOVERABLE); PTHREAD_PRIO_INHERIT and PTHREAD_PRIO_PROTECT
 * (ceilings); lock, trylock, timedlock and clocklock; mutex attributes. The algorithm is the
 * calling process's libc variant's: relibc's tid word with a wake-all unlock (relibc/mutex.ts)
 * or the improved libc's words (improved/mutex.ts and the files it dispatches to).
 *
 * relibc at 08fc95fc (models.md §3) stores the robust, protocol and ceiling attributes but
 * implements none of them: a robust mutex differs only in that a non-owner's unlock is EPERM,
 * pthread_mutex_consistent does nothing and returns 0, the protocol is ignored, and
 * pthread_mutex_getprioceiling/setprioceiling answer 0 (old ceiling 0) without doing anything
 * (its RlctMutex::prioceiling and replace_prioceiling print a TODO and return Ok(0)).
 * Attribute setters check their values POSIX-style in both variants (relibc's store anything
 * and its pthread_mutex_init rejects a bad robust or type value; the setters here have no
 * process to ask which libc they belong to).
 */
import type { Program } from '../abi/effects.ts';
import { EBUSY, EINVAL, ENOTSUP } from '../abi/errno.ts';
import type { Guest } from '../abi/guest.ts';
import { CLOCK_MONOTONIC, CLOCK_REALTIME } from '../abi/syscalls.ts';
import { attrDestroy, attrGet, attrSet, PSHARED_VALUES } from './attr.ts';
import type { Deadline } from './futex.ts';
import { validCeiling } from './improved/mutex-pp.ts';
import {
  KIND_PI,
  KIND_PP,
  KIND_PSHARED,
  KIND_ROBUST,
  MUTEX_BYTES,
  MUTEX_COUNT,
  MUTEX_KIND,
  MUTEX_OWNER,
  MUTEX_PREV,
  PRIO_CEILING_SHIFT,
  PTHREAD_MUTEX_DEFAULT,
  PTHREAD_MUTEX_ERRORCHECK,
  PTHREAD_MUTEX_NORMAL,
  PTHREAD_MUTEX_RECURSIVE,
  PTHREAD_MUTEX_ROBUST,
  PTHREAD_MUTEX_STALLED,
  PTHREAD_PRIO_INHERIT,
  PTHREAD_PRIO_NONE,
  PTHREAD_PRIO_PROTECT,
  PTHREAD_PROCESS_PRIVATE,
  PTHREAD_PROCESS_SHARED,
} from './layout.ts';
import { malloc } from './malloc.ts';
import { libcOf } from './select.ts';

/** The address of a pthread_mutex_t (MUTEX_BYTES of guest memory; all zeros is a default mutex). */
export type pthread_mutex_t = number;

export class pthread_mutexattr_t {
  initialized = false;
  type = PTHREAD_MUTEX_DEFAULT;
  pshared = PTHREAD_PROCESS_PRIVATE;
  robust = PTHREAD_MUTEX_STALLED;
  protocol = PTHREAD_PRIO_NONE;
  /** 0 until set: a PRIO_PROTECT mutex then gets the lowest FIFO priority, 1, as glibc's. */
  prioceiling = 0;
}

export function pthread_mutexattr_init(attr: pthread_mutexattr_t): number {
  Object.assign(attr, new pthread_mutexattr_t());
  attr.initialized = true;
  return 0;
}

export function pthread_mutexattr_destroy(attr: pthread_mutexattr_t): number {
  return attrDestroy(attr);
}

export function pthread_mutexattr_settype(attr: pthread_mutexattr_t, type: number): number {
  return attrSet(attr, 'type', type, [
    PTHREAD_MUTEX_NORMAL,
    PTHREAD_MUTEX_RECURSIVE,
    PTHREAD_MUTEX_ERRORCHECK,
  ]);
}

export function pthread_mutexattr_gettype(attr: pthread_mutexattr_t): [number, number] {
  return attrGet(attr, 'type');
}

export function pthread_mutexattr_setpshared(attr: pthread_mutexattr_t, pshared: number): number {
  return attrSet(attr, 'pshared', pshared, PSHARED_VALUES);
}

export function pthread_mutexattr_getpshared(attr: pthread_mutexattr_t): [number, number] {
  return attrGet(attr, 'pshared');
}

/** PTHREAD_MUTEX_STALLED (default) or PTHREAD_MUTEX_ROBUST. */
export function pthread_mutexattr_setrobust(attr: pthread_mutexattr_t, robust: number): number {
  return attrSet(attr, 'robust', robust, [PTHREAD_MUTEX_STALLED, PTHREAD_MUTEX_ROBUST]);
}

export function pthread_mutexattr_getrobust(attr: pthread_mutexattr_t): [number, number] {
  return attrGet(attr, 'robust');
}

/** PTHREAD_PRIO_NONE (default), PTHREAD_PRIO_INHERIT or PTHREAD_PRIO_PROTECT. */
export function pthread_mutexattr_setprotocol(attr: pthread_mutexattr_t, protocol: number): number {
  return attrSet(attr, 'protocol', protocol, [PTHREAD_PRIO_NONE, PTHREAD_PRIO_INHERIT, PTHREAD_PRIO_PROTECT]);
}

export function pthread_mutexattr_getprotocol(attr: pthread_mutexattr_t): [number, number] {
  return attrGet(attr, 'protocol');
}

/** A ceiling in SCHED_FIFO's range, 1..99 (sched_get_priority_min/max); EINVAL outside it. */
export function pthread_mutexattr_setprioceiling(attr: pthread_mutexattr_t, ceiling: number): number {
  if (!attr.initialized || !validCeiling(ceiling)) return EINVAL;
  attr.prioceiling = ceiling;
  return 0;
}

/** The ceiling; 1 (the lowest FIFO priority) while none was set, as glibc's. */
export function pthread_mutexattr_getprioceiling(attr: pthread_mutexattr_t): [number, number] {
  return attr.initialized ? [0, Math.max(attr.prioceiling, 1)] : [EINVAL, 0];
}

/**
 * Initialises the mutex at `m` (MUTEX_BYTES of memory); EINVAL for an uninitialised attr. The
 * improved libc refuses a robust PRIO_PROTECT mutex with ENOTSUP, as glibc does.
 */
export function pthread_mutex_init(t: Guest, m: pthread_mutex_t, attr: pthread_mutexattr_t | null): number {
  if (attr !== null && !attr.initialized) return EINVAL;
  const robust = attr?.robust === PTHREAD_MUTEX_ROBUST;
  const protocol = libcOf(t).mutex.honoursProtocol
    ? (attr?.protocol ?? PTHREAD_PRIO_NONE)
    : PTHREAD_PRIO_NONE;
  if (robust && protocol === PTHREAD_PRIO_PROTECT) return ENOTSUP;
  const kind =
    (attr?.type ?? PTHREAD_MUTEX_DEFAULT) |
    (attr?.pshared === PTHREAD_PROCESS_SHARED ? KIND_PSHARED : 0) |
    (robust ? KIND_ROBUST : 0) |
    (protocol === PTHREAD_PRIO_INHERIT ? KIND_PI : 0) |
    (protocol === PTHREAD_PRIO_PROTECT ? KIND_PP : 0);
  const ceiling = protocol === PTHREAD_PRIO_PROTECT ? Math.max(attr?.prioceiling ?? 0, 1) : 0;
  t.store32(m, ceiling << PRIO_CEILING_SHIFT);
  t.store32(m + MUTEX_KIND, kind);
  t.store32(m + MUTEX_OWNER, 0);
  t.store32(m + MUTEX_COUNT, 0);
  for (let w = 0; w < 16; w += 4) t.store32(m + MUTEX_PREV + w, 0); // the 8-byte prev and next
  return 0;
}

/** Allocates and initialises a mutex; returns its address (a convenience for guest programs). */
export function* pthread_mutex_new(
  t: Guest,
  attr: pthread_mutexattr_t | null = null,
): Program<pthread_mutex_t> {
  const m = yield* malloc(t, MUTEX_BYTES);
  const err = pthread_mutex_init(t, m, attr);
  if (err !== 0) throw new Error(`pthread_mutex_new: pthread_mutex_init failed (${err})`);
  return m;
}

/** EBUSY while locked. */
export function pthread_mutex_destroy(t: Guest, m: pthread_mutex_t): number {
  return libcOf(t).mutex.isLocked(t, m) ? EBUSY : 0;
}

export function pthread_mutex_lock(t: Guest, m: pthread_mutex_t): Program<number> {
  return libcOf(t).mutex.lock(t, m, null);
}

/** EBUSY when held (by another thread, or by the caller for a normal or errorcheck mutex). */
export function pthread_mutex_trylock(t: Guest, m: pthread_mutex_t): Program<number> {
  return libcOf(t).mutex.trylock(t, m);
}

/**
 * As lock, giving up with ETIMEDOUT at the struct timespec at `abstime` on CLOCK_REALTIME.
 * improved, as glibc's __pthread_mutex_clocklock_common: the lock is tried first, so a free
 * mutex is taken (0) whatever the deadline; only a call that would block looks at it (EINVAL
 * for a bad tv_nsec, from the kernel or, PI and robust, from libc; ETIMEDOUT at once when past).
 * relibc converts the deadline to monotonic before anything else (pthread_mutex_timedlock:
 * timespec_realtime_to_monotonic), so a past one is ETIMEDOUT even on a free mutex.
 */
export function pthread_mutex_timedlock(t: Guest, m: pthread_mutex_t, abstime: number): Program<number> {
  return pthread_mutex_clocklock(t, m, CLOCK_REALTIME, abstime);
}

/** pthread_mutex_clocklock (glibc 2.30): the deadline on CLOCK_REALTIME or CLOCK_MONOTONIC. */
export function* pthread_mutex_clocklock(
  t: Guest,
  m: pthread_mutex_t,
  clock: number,
  abstime: number,
): Program<number> {
  if (clock !== CLOCK_REALTIME && clock !== CLOCK_MONOTONIC) return EINVAL;
  const deadline: Deadline = { clock, abstime };
  return yield* libcOf(t).mutex.lock(t, m, deadline);
}

export function pthread_mutex_unlock(t: Guest, m: pthread_mutex_t): Program<number> {
  return libcOf(t).mutex.unlock(t, m);
}

/**
 * Marks a robust mutex the caller took with EOWNERDEAD consistent again (improved: EINVAL if it
 * is not robust, not inconsistent, or not the caller's). relibc: a no-op returning 0.
 */
export function pthread_mutex_consistent(t: Guest, m: pthread_mutex_t): number {
  return libcOf(t).mutex.consistent(t, m);
}

/** [0, ceiling] of a PRIO_PROTECT mutex, [EINVAL, 0] for another. relibc: always [0, 0]. */
export function pthread_mutex_getprioceiling(t: Guest, m: pthread_mutex_t): [number, number] {
  return libcOf(t).mutex.getprioceiling(t, m);
}

/**
 * Changes a PRIO_PROTECT mutex's ceiling, locking it meanwhile: [0, old ceiling], or [EINVAL, 0]
 * (not PRIO_PROTECT, ceiling outside 1..99), [EDEADLK, 0] (an errorcheck mutex the caller
 * holds). relibc: [0, 0], nothing changed.
 */
export function* pthread_mutex_setprioceiling(
  t: Guest,
  m: pthread_mutex_t,
  ceiling: number,
): Program<[number, number]> {
  return yield* libcOf(t).mutex.setprioceiling(t, m, ceiling);
}
