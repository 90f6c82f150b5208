/**
 * pthread mutexes (LIBC-2): normal, recursive and errorcheck; lock, trylock, timedlock and
 * clocklock; mutex attributes. The algorithm is the calling process's libc variant's: relibc's
 * tid word with a wake-all unlock (relibc/mutex.ts) or the three-state word (improved/mutex.ts).
 * Robust and priority-protocol mutexes are not offered yet: their attribute setters are absent
 * rather than accepted and ignored.
 */
import type { Program } from '../abi/effects.ts';
import { EBUSY, EINVAL } from '../abi/errno.ts';
import type { Guest } from '../abi/guest.ts';
import { CLOCK_MONOTONIC, CLOCK_REALTIME } from '../abi/syscalls.ts';
import { checkDeadline, type Deadline } from './futex.ts';
import * as improved from './improved/mutex.ts';
import {
  KIND_PSHARED,
  MUTEX_BYTES,
  MUTEX_COUNT,
  MUTEX_KIND,
  MUTEX_OWNER,
  PTHREAD_MUTEX_DEFAULT,
  PTHREAD_MUTEX_ERRORCHECK,
  PTHREAD_MUTEX_NORMAL,
  PTHREAD_MUTEX_RECURSIVE,
  PTHREAD_PRIO_NONE,
  PTHREAD_PROCESS_PRIVATE,
  PTHREAD_PROCESS_SHARED,
  PTHREAD_MUTEX_STALLED,
} from './layout.ts';
import { malloc } from './malloc.ts';
import * as relibc from './relibc/mutex.ts';
import { libcName } from './variant.ts';

/** The address of a pthread_mutex_t (MUTEX_BYTES of guest memory; all zeros is a default mutex). */
export type pthread_mutex_t = number;

export class pthread_mutexattr_t {
  initialized = false;
  type = PTHREAD_MUTEX_DEFAULT;
  pshared = PTHREAD_PROCESS_PRIVATE;
  /** Kept for pthread_mutexattr_setrobust (robust futex list, LIBC-2). */
  robust = PTHREAD_MUTEX_STALLED;
  /** Kept for pthread_mutexattr_setprotocol (PI and priority ceiling, LIBC-2, LIBC-10). */
  protocol = PTHREAD_PRIO_NONE;
  prioceiling = 0;
}

export function pthread_mutexattr_init(attr: pthread_mutexattr_t): number {
  Object.assign(attr, new pthread_mutexattr_t());
  attr.initialized = true;
  return 0;
}

export function pthread_mutexattr_destroy(attr: pthread_mutexattr_t): number {
  if (!attr.initialized) return EINVAL;
  attr.initialized = false;
  return 0;
}

export function pthread_mutexattr_settype(attr: pthread_mutexattr_t, type: number): number {
  if (!attr.initialized) return EINVAL;
  if (
    type !== PTHREAD_MUTEX_NORMAL &&
    type !== PTHREAD_MUTEX_RECURSIVE &&
    type !== PTHREAD_MUTEX_ERRORCHECK
  ) {
    return EINVAL;
  }
  attr.type = type;
  return 0;
}

export function pthread_mutexattr_gettype(attr: pthread_mutexattr_t): [number, number] {
  return attr.initialized ? [0, attr.type] : [EINVAL, 0];
}

export function pthread_mutexattr_setpshared(attr: pthread_mutexattr_t, pshared: number): number {
  if (!attr.initialized) return EINVAL;
  if (pshared !== PTHREAD_PROCESS_PRIVATE && pshared !== PTHREAD_PROCESS_SHARED) return EINVAL;
  attr.pshared = pshared;
  return 0;
}

export function pthread_mutexattr_getpshared(attr: pthread_mutexattr_t): [number, number] {
  return attr.initialized ? [0, attr.pshared] : [EINVAL, 0];
}

/** Initialises the mutex at `m` (MUTEX_BYTES of memory); EINVAL for an uninitialised attr. */
export function pthread_mutex_init(t: Guest, m: pthread_mutex_t, attr: pthread_mutexattr_t | null): number {
  if (attr !== null && !attr.initialized) return EINVAL;
  const kind =
    (attr?.type ?? PTHREAD_MUTEX_DEFAULT) | (attr?.pshared === PTHREAD_PROCESS_SHARED ? KIND_PSHARED : 0);
  t.store32(m, 0);
  t.store32(m + MUTEX_KIND, kind);
  t.store32(m + MUTEX_OWNER, 0);
  t.store32(m + MUTEX_COUNT, 0);
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

/** EBUSY while locked, as glibc. */
export function pthread_mutex_destroy(t: Guest, m: pthread_mutex_t): number {
  return t.load32(m) !== 0 ? EBUSY : 0;
}

export function pthread_mutex_lock(t: Guest, m: pthread_mutex_t): Program<number> {
  return libcName(t) === 'relibc' ? relibc.lock(t, m, null) : improved.lock(t, m, null);
}

/** EBUSY when held (by another thread, or by the caller for a normal or errorcheck mutex). */
export function pthread_mutex_trylock(t: Guest, m: pthread_mutex_t): Program<number> {
  return libcName(t) === 'relibc' ? relibc.trylock(t, m) : improved.trylock(t, m);
}

/** As lock, giving up with ETIMEDOUT at `abstimeNs` on CLOCK_REALTIME; EINVAL for a bad abstime. */
export function pthread_mutex_timedlock(t: Guest, m: pthread_mutex_t, abstimeNs: number): Program<number> {
  return pthread_mutex_clocklock(t, m, CLOCK_REALTIME, abstimeNs);
}

/** pthread_mutex_clocklock (glibc 2.30): the deadline on CLOCK_REALTIME or CLOCK_MONOTONIC. */
export function* pthread_mutex_clocklock(
  t: Guest,
  m: pthread_mutex_t,
  clock: number,
  abstimeNs: number,
): Program<number> {
  if (clock !== CLOCK_REALTIME && clock !== CLOCK_MONOTONIC) return EINVAL;
  const deadline: Deadline = { clock, ns: abstimeNs };
  // POSIX: abstime need not be checked when the lock is free, but an invalid one is EINVAL.
  if (checkDeadline(deadline) !== 0) return EINVAL;
  return libcName(t) === 'relibc' ? yield* relibc.lock(t, m, deadline) : yield* improved.lock(t, m, deadline);
}

export function pthread_mutex_unlock(t: Guest, m: pthread_mutex_t): Program<number> {
  return libcName(t) === 'relibc' ? relibc.unlock(t, m) : improved.unlock(t, m);
}
