/**
 * pthread read-write locks (LIBC-4): rdlock, wrlock, their try and timed (CLOCK_REALTIME) and
 * clock variants, unlock, and rwlockattr's kind (reader or writer preference) and pshared.
 * The algorithm is the process's libc variant's (relibc/rwlock.ts, improved/rwlock.ts).
 */
import type { Program } from '../abi/effects.ts';
import { EINVAL } from '../abi/errno.ts';
import type { Guest } from '../abi/guest.ts';
import { CLOCK_MONOTONIC, CLOCK_REALTIME } from '../abi/syscalls.ts';
import { attrDestroy, attrGet, attrSet, PSHARED_VALUES } from './attr.ts';
import { checkDeadline, type Deadline } from './futex.ts';
import {
  PTHREAD_PROCESS_PRIVATE,
  PTHREAD_PROCESS_SHARED,
  PTHREAD_RWLOCK_PREFER_READER_NP,
  PTHREAD_RWLOCK_PREFER_WRITER_NP,
  PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP,
  RWLOCK_BYTES,
} from './layout.ts';
import { malloc } from './malloc.ts';
import { libcOf } from './select.ts';

/** The address of a pthread_rwlock_t (RWLOCK_BYTES; zeros is a default rwlock). */
export type pthread_rwlock_t = number;

export class pthread_rwlockattr_t {
  initialized = false;
  kind = PTHREAD_RWLOCK_PREFER_READER_NP;
  pshared = PTHREAD_PROCESS_PRIVATE;
}

export function pthread_rwlockattr_init(attr: pthread_rwlockattr_t): number {
  Object.assign(attr, new pthread_rwlockattr_t());
  attr.initialized = true;
  return 0;
}

export function pthread_rwlockattr_destroy(attr: pthread_rwlockattr_t): number {
  return attrDestroy(attr);
}

/** pthread_rwlockattr_setkind_np: PREFER_READER_NP (0), PREFER_WRITER_NP (1), PREFER_WRITER_NONRECURSIVE_NP (2). */
export function pthread_rwlockattr_setkind_np(attr: pthread_rwlockattr_t, kind: number): number {
  return attrSet(attr, 'kind', kind, [
    PTHREAD_RWLOCK_PREFER_READER_NP,
    PTHREAD_RWLOCK_PREFER_WRITER_NP,
    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP,
  ]);
}

export function pthread_rwlockattr_getkind_np(attr: pthread_rwlockattr_t): [number, number] {
  return attrGet(attr, 'kind');
}

export function pthread_rwlockattr_setpshared(attr: pthread_rwlockattr_t, pshared: number): number {
  return attrSet(attr, 'pshared', pshared, PSHARED_VALUES);
}

export function pthread_rwlockattr_getpshared(attr: pthread_rwlockattr_t): [number, number] {
  return attrGet(attr, 'pshared');
}

export function pthread_rwlock_init(
  t: Guest,
  rw: pthread_rwlock_t,
  attr: pthread_rwlockattr_t | null,
): number {
  if (attr !== null && !attr.initialized) return EINVAL;
  const flags = (attr?.kind ?? 0) | (attr?.pshared === PTHREAD_PROCESS_SHARED ? 0x80 : 0);
  libcOf(t).rwlock.init(t, rw, flags);
  return 0;
}

/** Allocates and initialises an rwlock; returns its address. */
export function* pthread_rwlock_new(
  t: Guest,
  attr: pthread_rwlockattr_t | null = null,
): Program<pthread_rwlock_t> {
  const rw = yield* malloc(t, RWLOCK_BYTES);
  const err = pthread_rwlock_init(t, rw, attr);
  if (err !== 0) throw new Error(`pthread_rwlock_new: pthread_rwlock_init failed (${err})`);
  return rw;
}

export function pthread_rwlock_destroy(_t: Guest, _rw: pthread_rwlock_t): number {
  return 0;
}

function* rd(t: Guest, rw: number, deadline: Deadline | null, trying: boolean): Program<number> {
  if (checkDeadline(t, deadline) !== 0) return EINVAL;
  return yield* libcOf(t).rwlock.rdlock(t, rw, deadline, trying);
}

function* wr(t: Guest, rw: number, deadline: Deadline | null, trying: boolean): Program<number> {
  if (checkDeadline(t, deadline) !== 0) return EINVAL;
  return yield* libcOf(t).rwlock.wrlock(t, rw, deadline, trying);
}

/** A deadline (the address of a struct timespec) on a supported clock, or null (EINVAL). */
function clockDeadline(clock: number, abstime: number): Deadline | null {
  return clock === CLOCK_REALTIME || clock === CLOCK_MONOTONIC ? { clock, abstime } : null;
}

export const pthread_rwlock_rdlock = (t: Guest, rw: pthread_rwlock_t) => rd(t, rw, null, false);
export const pthread_rwlock_tryrdlock = (t: Guest, rw: pthread_rwlock_t) => rd(t, rw, null, true);
export const pthread_rwlock_timedrdlock = (t: Guest, rw: pthread_rwlock_t, abstime: number) =>
  rd(t, rw, { clock: CLOCK_REALTIME, abstime }, false);
export function* pthread_rwlock_clockrdlock(t: Guest, rw: pthread_rwlock_t, clock: number, abstime: number) {
  const deadline = clockDeadline(clock, abstime);
  return deadline === null ? EINVAL : yield* rd(t, rw, deadline, false);
}
export const pthread_rwlock_wrlock = (t: Guest, rw: pthread_rwlock_t) => wr(t, rw, null, false);
export const pthread_rwlock_trywrlock = (t: Guest, rw: pthread_rwlock_t) => wr(t, rw, null, true);
export const pthread_rwlock_timedwrlock = (t: Guest, rw: pthread_rwlock_t, abstime: number) =>
  wr(t, rw, { clock: CLOCK_REALTIME, abstime }, false);
export function* pthread_rwlock_clockwrlock(t: Guest, rw: pthread_rwlock_t, clock: number, abstime: number) {
  const deadline = clockDeadline(clock, abstime);
  return deadline === null ? EINVAL : yield* wr(t, rw, deadline, false);
}

export function pthread_rwlock_unlock(t: Guest, rw: pthread_rwlock_t): Program<number> {
  return libcOf(t).rwlock.unlock(t, rw);
}
