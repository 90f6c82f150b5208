/**
 * The improved libc's robust mutex without priority inheritance (LIBC-2 over FUTEX-7), as
 * glibc's pthread_mutex_lock.c has it for PTHREAD_MUTEX_ROBUST_*_NP. The lock word is the
 * owner's tid with the WAITERS bit, the layout the kernel's robust-list walk understands: when
 * the owner dies the kernel stores `(old & WAITERS) | OWNER_DIED` and wakes one waiter.
 *
 * - lock: CAS 0 -> tid; a word with OWNER_DIED is taken by CAS too, and the taker gets
 *   EOWNERDEAD with the mutex marked inconsistent (owner word MUTEX_INCONSISTENT) until it
 *   calls pthread_mutex_consistent; otherwise set WAITERS and futex-wait. A thread that has
 *   slept takes the word with WAITERS kept set ("assume other futex waiters"), since others may
 *   sleep behind it.
 * - unlock: unlink from the robust list, mark the owner word NOTRECOVERABLE if still
 *   inconsistent, swap the word to 0 and wake one waiter if WAITERS was set.
 * - A locker that takes a NOTRECOVERABLE mutex releases it at once and returns
 *   ENOTRECOVERABLE, waking the next, so every later locker gets ENOTRECOVERABLE.
 *
 * Errorcheck relock and trylock by the owner are EDEADLK, recursive ones add a level; a normal
 * relock waits on itself (POSIX: deadlock) and a normal trylock is EBUSY, as glibc.
 */
import { AtomicOp, type Program } from '../../abi/effects.ts';
import { EBUSY, EDEADLK, EINVAL, ENOTRECOVERABLE, EOWNERDEAD, ETIMEDOUT } from '../../abi/errno.ts';
import type { Guest } from '../../abi/guest.ts';
import { FUTEX_OWNER_DIED, FUTEX_TID_MASK, FUTEX_WAITERS } from '../../abi/syscalls.ts';
import { checkDeadline, type Deadline, futexWaitUntil, futexWakeN } from '../futex.ts';
import {
  MUTEX_COUNT,
  MUTEX_INCONSISTENT,
  MUTEX_NOTRECOVERABLE,
  MUTEX_OWNER,
  PTHREAD_MUTEX_ERRORCHECK,
  PTHREAD_MUTEX_RECURSIVE,
} from '../layout.ts';
import { clearPending, dequeue, enqueue, robustHead, setPending } from '../robust-list.ts';
import { addLevel, cas, unlockLevel, isShared, loadWord, typeOf } from './mutex-common.ts';

/**
 * Locks (or with `trying`, tries once); `assumeWaiters` is set by a condvar waiter coming back,
 * which may have been requeued onto the word behind others. Returns 0, EOWNERDEAD, EBUSY,
 * ETIMEDOUT, EDEADLK, EAGAIN or ENOTRECOVERABLE.
 */
export function* robustLock(
  t: Guest,
  m: number,
  deadline: Deadline | null,
  trying: boolean,
  assumeWaiters = false,
): Program<number> {
  const type = typeOf(t, m);
  const shared = isShared(t, m);
  const id = t.tid;
  const head = yield* robustHead(t);
  setPending(t, head, m, false);
  const done = (r: number) => {
    clearPending(t, head);
    return r;
  };
  let word = yield* loadWord(t, m);
  if ((word & FUTEX_TID_MASK) === id) {
    if (type === PTHREAD_MUTEX_ERRORCHECK) return done(EDEADLK);
    if (type === PTHREAD_MUTEX_RECURSIVE) return done(addLevel(t, m));
  }
  let assume = assumeWaiters ? FUTEX_WAITERS : 0;
  for (;;) {
    if ((word & FUTEX_OWNER_DIED) !== 0) {
      // The owner died holding it: the kernel's robust walk left OWNER_DIED. Take it over.
      const seen = yield* cas(t, m, word, id | (word & FUTEX_WAITERS) | assume);
      if (seen !== word) {
        word = seen;
        continue;
      }
      t.store32(m + MUTEX_OWNER, MUTEX_INCONSISTENT);
      t.store32(m + MUTEX_COUNT, 1);
      enqueue(t, head, m, false);
      return done(EOWNERDEAD);
    }
    if (word === 0) {
      word = yield* cas(t, m, 0, id | assume);
      if (word === 0) break;
      continue;
    }
    if (trying) return done(EBUSY);
    if ((word & FUTEX_WAITERS) === 0) {
      const seen = yield* cas(t, m, word, word | FUTEX_WAITERS);
      if (seen !== word) {
        word = seen;
        continue;
      }
      word = (word | FUTEX_WAITERS) >>> 0;
    }
    assume = FUTEX_WAITERS; // others may sleep behind this thread: its unlock must wake one
    // About to block: glibc checks the deadline here, not before (pthread_mutex_timedlock.c).
    if (checkDeadline(t, deadline) !== 0) return done(EINVAL);
    if ((yield* futexWaitUntil(t, m, word, deadline, shared)) === -ETIMEDOUT) return done(ETIMEDOUT);
    word = yield* loadWord(t, m);
  }
  if (t.load32(m + MUTEX_OWNER) === MUTEX_NOTRECOVERABLE) {
    t.store32(m + MUTEX_COUNT, 0);
    yield* releaseWord(t, m, shared);
    return done(ENOTRECOVERABLE);
  }
  t.store32(m + MUTEX_OWNER, id);
  t.store32(m + MUTEX_COUNT, 1);
  enqueue(t, head, m, false);
  return done(0);
}

/** Frees the word, waking one sleeper if WAITERS was set. */
function* releaseWord(t: Guest, m: number, shared: boolean): Program<void> {
  const old = ((yield t.atomic(AtomicOp.Exchange, m, 0)) as number) >>> 0;
  if ((old & FUTEX_WAITERS) !== 0) yield* futexWakeN(t, m, 1, shared);
}

/** EPERM unless the caller's tid is in the word; an inconsistent mutex becomes unrecoverable. */
export function* robustUnlock(t: Guest, m: number): Program<number> {
  const level = unlockLevel(t, m);
  if (level !== null) return level;
  const head = yield* robustHead(t);
  const inconsistent = t.load32(m + MUTEX_OWNER) === MUTEX_INCONSISTENT;
  setPending(t, head, m, false);
  dequeue(t, m);
  t.store32(m + MUTEX_OWNER, inconsistent ? MUTEX_NOTRECOVERABLE : 0);
  t.store32(m + MUTEX_COUNT, 0);
  yield* releaseWord(t, m, isShared(t, m));
  clearPending(t, head);
  return 0;
}
