/**
 * The improved libc's PTHREAD_PRIO_INHERIT mutex (LIBC-2, LIBC-10), robust or not, as glibc's
 * PTHREAD_MUTEX_PI_*_NP: the lock word is the kernel's PI word (owner tid | WAITERS |
 * OWNER_DIED, FUTEX-6). An uncontended lock is a CAS 0 -> tid and an uncontended unlock a CAS
 * tid -> 0, all in user space; only a contended word goes to the kernel, whose FUTEX_LOCK_PI
 * queues the caller by priority and boosts the owner (and the chain of owners it waits for), and
 * whose FUTEX_UNLOCK_PI hands the lock to the top waiter.
 *
 * A robust PI mutex is linked on the robust list with the PI mark, so a dying owner's lock is
 * handed by the kernel to the top waiter with OWNER_DIED set: that waiter gets EOWNERDEAD. A
 * relock by the owner of a normal PI mutex (the kernel answers EDEADLK), or a lock of a
 * non-robust PI mutex whose owner died (ESRCH), blocks for good, as POSIX has a normal mutex
 * deadlock and as glibc parks the thread; a timed lock then ends with ETIMEDOUT.
 */
import { AtomicOp, type Program } from '../../abi/effects.ts';
import { EAGAIN, EBUSY, EDEADLK, ENOTRECOVERABLE, EOWNERDEAD, ESRCH, ETIMEDOUT } from '../../abi/errno.ts';
import type { Guest } from '../../abi/guest.ts';
import { FUTEX_OWNER_DIED, FUTEX_TID_MASK } from '../../abi/syscalls.ts';
import { type Deadline, futexLockPi, futexTrylockPi, futexUnlockPi, futexWaitUntil } from '../futex.ts';
import {
  KIND_ROBUST,
  MUTEX_COUNT,
  MUTEX_INCONSISTENT,
  MUTEX_NOTRECOVERABLE,
  MUTEX_OWNER,
  PTHREAD_MUTEX_ERRORCHECK,
  PTHREAD_MUTEX_RECURSIVE,
} from '../layout.ts';
import { malloc } from '../malloc.ts';
import { clearPending, dequeue, enqueue, robustHead, setPending } from '../robust-list.ts';
import { addLevel, cas, unlockLevel, isShared, kindOf, loadWord, typeOf } from './mutex-common.ts';

/** Locks (or with `trying`, tries once): 0, EOWNERDEAD, EBUSY, ETIMEDOUT, EDEADLK, EAGAIN, ENOTRECOVERABLE. */
export function* piLock(t: Guest, m: number, deadline: Deadline | null, trying: boolean): Program<number> {
  const type = typeOf(t, m);
  const robust = (kindOf(t, m) & KIND_ROBUST) !== 0;
  const shared = isShared(t, m);
  const id = t.tid;
  const head = robust ? yield* robustHead(t) : 0;
  if (robust) setPending(t, head, m, true);
  const done = (r: number) => {
    if (robust) clearPending(t, head);
    return r;
  };
  if (((yield* loadWord(t, m)) & FUTEX_TID_MASK) === id) {
    if (type === PTHREAD_MUTEX_ERRORCHECK) return done(EDEADLK);
    if (type === PTHREAD_MUTEX_RECURSIVE) return done(addLevel(t, m));
  }
  for (;;) {
    const word = yield* cas(t, m, 0, id);
    if (word === 0) break;
    if (trying) {
      // Held: EBUSY, unless its owner died; then the kernel takes it for us (OWNER_DIED kept).
      if ((word & FUTEX_OWNER_DIED) === 0) return done(EBUSY);
      const r = yield* futexTrylockPi(t, m, shared);
      if (r === 0) break;
      return done(r === -EAGAIN ? EBUSY : -r);
    }
    const r = yield* futexLockPi(t, m, deadline, shared);
    if (r === 0) break;
    if (r === -EAGAIN) continue; // the owner was exiting: look at the word again
    if (r === -ETIMEDOUT) return done(ETIMEDOUT);
    if (r === -EDEADLK || r === -ESRCH) return done(yield* blockForGood(t, deadline));
    return done(-r);
  }
  return done(yield* piOwned(t, m, head, 1));
}

/**
 * The caller owns the word (by CAS, from the kernel, or by a requeue-PI hand-off): EOWNERDEAD
 * if its last owner died, ENOTRECOVERABLE (released again) if it was unlocked inconsistent,
 * else 0. Links a robust mutex on the list at `head`; `count` is the recursion depth to keep.
 */
export function* piOwned(t: Guest, m: number, head: number, count: number): Program<number> {
  const robust = head !== 0;
  if (((yield* loadWord(t, m)) & FUTEX_OWNER_DIED) !== 0) {
    yield t.atomic(AtomicOp.FetchAnd, m, ~FUTEX_OWNER_DIED >>> 0);
    t.store32(m + MUTEX_OWNER, MUTEX_INCONSISTENT);
    t.store32(m + MUTEX_COUNT, count);
    if (robust) enqueue(t, head, m, true);
    return EOWNERDEAD;
  }
  if (robust && t.load32(m + MUTEX_OWNER) === MUTEX_NOTRECOVERABLE) {
    t.store32(m + MUTEX_COUNT, 0);
    yield* releasePi(t, m);
    return ENOTRECOVERABLE;
  }
  t.store32(m + MUTEX_OWNER, t.tid);
  t.store32(m + MUTEX_COUNT, count);
  if (robust) enqueue(t, head, m, true);
  return 0;
}

/** CAS tid -> 0 when nobody waits; otherwise FUTEX_UNLOCK_PI hands the lock on. */
function* releasePi(t: Guest, m: number): Program<void> {
  const id = t.tid;
  for (;;) {
    const word = yield* loadWord(t, m);
    if (word !== id) {
      yield* futexUnlockPi(t, m, isShared(t, m));
      return;
    }
    if ((yield* cas(t, m, id, 0)) === id) return;
  }
}

/** EPERM unless the caller's tid is in the word; an inconsistent robust mutex becomes unrecoverable. */
export function* piUnlock(t: Guest, m: number): Program<number> {
  const level = unlockLevel(t, m);
  if (level !== null) return level;
  const robust = (kindOf(t, m) & KIND_ROBUST) !== 0;
  const inconsistent = t.load32(m + MUTEX_OWNER) === MUTEX_INCONSISTENT;
  const head = robust ? yield* robustHead(t) : 0;
  if (robust) {
    setPending(t, head, m, true);
    dequeue(t, m);
  }
  t.store32(m + MUTEX_OWNER, robust && inconsistent ? MUTEX_NOTRECOVERABLE : 0);
  t.store32(m + MUTEX_COUNT, 0);
  yield* releasePi(t, m);
  if (robust) clearPending(t, head);
  return 0;
}

/**
 * Blocks the caller for good on a private word nobody wakes (glibc's answer to EDEADLK/ESRCH
 * from LOCK_PI), or until `deadline`: then ETIMEDOUT. The simulator reports a run where every
 * thread is so blocked as a deadlock.
 */
function* blockForGood(t: Guest, deadline: Deadline | null): Program<number> {
  const word = yield* malloc(t, 4);
  for (;;) {
    if ((yield* futexWaitUntil(t, word, 0, deadline, false)) === -ETIMEDOUT) return ETIMEDOUT;
  }
}
