/**
 * pthread barriers (LIBC-4): exactly one thread of each cycle gets
 * PTHREAD_BARRIER_SERIAL_THREAD, the others 0. Words: an internal three-state lock, the count,
 * the arrivals of the current cycle, and a generation number the others futex-wait on.
 * relibc (upstream @08fc95fc, models.md §3) builds it from its internal Mutex, whose unlock
 * wakes ALL when contended, and its Cond, whose wake is a broadcast; the improved libc's
 * internal lock wakes one, and the last arrival wakes the cycle's waiters once.
 *
 * Destroy while threads are still leaving: POSIX lets the serial thread destroy and
 * re-initialise the barrier as soon as its wait returns, while the others may not yet have
 * seen the generation move. The improved libc counts the waiters still inside the barrier
 * (INSIDE, bit 31 marking a destroyer asleep on it) and pthread_barrier_destroy waits until
 * every one has left, as glibc's does (nptl/pthread_barrier_destroy.c waits for the round's
 * threads to confirm their exit; pthread_barrier_wait.c). relibc's destroy is a no-op
 * (src/header/pthread/barrier.rs), so a re-init that resets the generation under a waiter that
 * has not re-checked it yet leaves that waiter asleep for good.
 */
import { AtomicOp, type Program } from '../abi/effects.ts';
import { EINVAL } from '../abi/errno.ts';
import type { Guest } from '../abi/guest.ts';
import { attrDestroy, attrGet, attrSet, PSHARED_VALUES } from './attr.ts';
import { futexWaitUntil, futexWakeN, INT_MAX } from './futex.ts';
import {
  BARRIER_BYTES,
  PTHREAD_BARRIER_SERIAL_THREAD,
  PTHREAD_PROCESS_PRIVATE,
  PTHREAD_PROCESS_SHARED,
} from './layout.ts';
import { malloc } from './malloc.ts';
import { libcOf } from './select.ts';

/** The address of a pthread_barrier_t (BARRIER_BYTES). */
export type pthread_barrier_t = number;

const LOCK = 0;
const COUNT = 4;
const ARRIVED = 8;
export const GENERATION = 12;
const FLAGS = 16;
/** improved: waiters of the last cycle that have not left yet, and DESTROYER. */
export const INSIDE = 20;
const PSHARED = 0x80;
/** In INSIDE: pthread_barrier_destroy sleeps until the count reaches 0. */
export const DESTROYER = 0x8000_0000;
export const INSIDE_COUNT = 0x7fff_ffff;

export class pthread_barrierattr_t {
  initialized = false;
  pshared = PTHREAD_PROCESS_PRIVATE;
}

export function pthread_barrierattr_init(attr: pthread_barrierattr_t): number {
  Object.assign(attr, new pthread_barrierattr_t());
  attr.initialized = true;
  return 0;
}

export function pthread_barrierattr_destroy(attr: pthread_barrierattr_t): number {
  return attrDestroy(attr);
}

export function pthread_barrierattr_setpshared(attr: pthread_barrierattr_t, pshared: number): number {
  return attrSet(attr, 'pshared', pshared, PSHARED_VALUES);
}

export function pthread_barrierattr_getpshared(attr: pthread_barrierattr_t): [number, number] {
  return attrGet(attr, 'pshared');
}

/** EINVAL for a count of 0 (or an uninitialised attr). */
export function pthread_barrier_init(
  t: Guest,
  b: pthread_barrier_t,
  attr: pthread_barrierattr_t | null,
  count: number,
): number {
  if (
    (attr !== null && !attr.initialized) ||
    !Number.isSafeInteger(count) ||
    count < 1 ||
    count > 0x7fffffff
  ) {
    return EINVAL;
  }
  t.store32(b + LOCK, 0);
  t.store32(b + COUNT, count);
  t.store32(b + ARRIVED, 0);
  t.store32(b + GENERATION, 0);
  t.store32(b + FLAGS, attr?.pshared === PTHREAD_PROCESS_SHARED ? PSHARED : 0);
  t.store32(b + INSIDE, 0);
  return 0;
}

/** Allocates and initialises a barrier for `count` threads; returns its address. */
export function* pthread_barrier_new(t: Guest, count: number): Program<pthread_barrier_t> {
  const b = yield* malloc(t, BARRIER_BYTES);
  const err = pthread_barrier_init(t, b, null, count);
  if (err !== 0) throw new Error(`pthread_barrier_new: pthread_barrier_init failed (${err})`);
  return b;
}

/**
 * 0. improved: first waits until every waiter of the last cycle has left pthread_barrier_wait
 * (glibc's destroy); relibc: nothing (its destroy is a no-op).
 */
export function pthread_barrier_destroy(t: Guest, b: pthread_barrier_t): Program<number> {
  return libcOf(t).barrier.destroy(t, b);
}

export const shared = (t: Guest, b: number) => (t.load32(b + FLAGS) & PSHARED) !== 0;

export function* lockInternal(t: Guest, b: number): Program<void> {
  let c = (yield t.atomic(AtomicOp.CompareExchange, b + LOCK, 0, 1)) as number;
  if (c === 0) return;
  if (c !== 2) c = (yield t.atomic(AtomicOp.Exchange, b + LOCK, 2)) as number;
  while (c !== 0) {
    yield* futexWaitUntil(t, b + LOCK, 2, null, shared(t, b));
    c = (yield t.atomic(AtomicOp.Exchange, b + LOCK, 2)) as number;
  }
}

export function* unlockInternal(t: Guest, b: number): Program<void> {
  const old = (yield t.atomic(AtomicOp.Exchange, b + LOCK, 0)) as number;
  // relibc's internal Mutex wakes ALL waiters when it was contended (models.md §3).
  if (old === 2) yield* futexWakeN(t, b + LOCK, libcOf(t).barrier.lockWakeCount, shared(t, b));
}

/** Returns PTHREAD_BARRIER_SERIAL_THREAD to the last arrival of a cycle and 0 to the others. */
export function* pthread_barrier_wait(t: Guest, b: pthread_barrier_t): Program<number> {
  yield* lockInternal(t, b);
  const arrived = t.load32(b + ARRIVED) + 1;
  const generation = t.load32(b + GENERATION);
  if (arrived === t.load32(b + COUNT)) {
    t.store32(b + ARRIVED, 0);
    yield t.atomic(AtomicOp.Store, b + GENERATION, generation + 1);
    yield* futexWakeN(t, b + GENERATION, INT_MAX, shared(t, b));
    yield* unlockInternal(t, b);
    return PTHREAD_BARRIER_SERIAL_THREAD;
  }
  t.store32(b + ARRIVED, arrived);
  yield* libcOf(t).barrier.awaitCycle(t, b, generation);
  return 0;
}
