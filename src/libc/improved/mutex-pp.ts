/**
 * The improved libc's PTHREAD_PRIO_PROTECT mutex (LIBC-2's priority ceiling), as glibc's
 * PTHREAD_MUTEX_PP_*_NP: the lock word holds the ceiling in bits 19-31 and a three-state lock
 * (0 free, 1 locked, 2 locked with waiters) in the low bits. Locking raises the caller to the
 * ceiling first (tpp.ts) and fails with EINVAL when the caller's own priority is above it;
 * unlocking frees the word, wakes one waiter if there were any, and lowers the caller again.
 * A lock attempt that finds the ceiling changed under it starts over at the new ceiling.
 */
import { AtomicOp, type Program } from '../../abi/effects.ts';
import { EBUSY, EDEADLK, EINVAL, EPERM, ETIMEDOUT } from '../../abi/errno.ts';
import type { Guest } from '../../abi/guest.ts';
import { RT_PRIO_MAX, RT_PRIO_MIN } from '../../abi/sched.ts';
import { checkDeadline, type Deadline, futexWaitUntil, futexWakeN, INT_MAX } from '../futex.ts';
import {
  KIND_PP,
  MUTEX_COUNT,
  MUTEX_OWNER,
  PRIO_CEILING_MASK,
  PRIO_CEILING_SHIFT,
  PTHREAD_MUTEX_ERRORCHECK,
  PTHREAD_MUTEX_RECURSIVE,
} from '../layout.ts';
import { addLevel, cas, isShared, kindOf, loadWord, typeOf } from './mutex-common.ts';
import { changePriority, ownPriority } from './tpp.ts';

const ceilingOf = (word: number) => ((word & PRIO_CEILING_MASK) >>> PRIO_CEILING_SHIFT) >>> 0;
const ceilingBits = (word: number) => (word & PRIO_CEILING_MASK) >>> 0;

/**
 * Takes the word at its current ceiling `c` (bits) or sees that the ceiling moved: 'locked',
 * 'moved', 'busy' (trying) or 'timeout'. The first attempt marks the word 1; a contender marks
 * it 2 so the unlock wakes someone, as Drepper's mutex 2.
 */
function* takeWord(
  t: Guest,
  m: number,
  c: number,
  deadline: Deadline | null,
  trying: boolean,
): Program<'locked' | 'moved' | 'busy' | 'timeout' | 'invalid'> {
  let seen = yield* cas(t, m, c, c | 1);
  if (seen === c) return 'locked';
  if (ceilingBits(seen) !== c) return 'moved';
  if (trying) return 'busy';
  const shared = isShared(t, m);
  for (;;) {
    seen = yield* cas(t, m, c, c | 2);
    if (seen === c) return 'locked';
    if (ceilingBits(seen) !== c) return 'moved';
    if (seen === (c | 1) >>> 0 && (yield* cas(t, m, c | 1, c | 2)) !== (c | 1) >>> 0) continue;
    // About to block: glibc checks the deadline here (pthread_mutex_timedlock.c, PP case).
    if (checkDeadline(t, deadline) !== 0) return 'invalid';
    const r = yield* futexWaitUntil(t, m, (c | 2) >>> 0, deadline, shared);
    if (r === -ETIMEDOUT) return 'timeout';
  }
}

/** Locks (or tries once): 0, EINVAL (own priority above the ceiling), EBUSY, ETIMEDOUT, EDEADLK, EAGAIN, or a sched_* errno. */
export function* ppLock(t: Guest, m: number, deadline: Deadline | null, trying: boolean): Program<number> {
  const type = typeOf(t, m);
  if (t.load32(m + MUTEX_OWNER) === t.tid) {
    if (type === PTHREAD_MUTEX_ERRORCHECK) return EDEADLK;
    if (type === PTHREAD_MUTEX_RECURSIVE) return addLevel(t, m);
  }
  let raisedTo = -1; // the ceiling the caller is raised for while it tries
  const giveUp = function* (err: number): Program<number> {
    if (raisedTo !== -1) yield* changePriority(t, raisedTo, -1);
    return err;
  };
  for (;;) {
    const word = yield* loadWord(t, m);
    const ceiling = ceilingOf(word);
    const [err, own] = yield* ownPriority(t);
    if (err !== 0) return yield* giveUp(err);
    if (own > ceiling) return yield* giveUp(EINVAL);
    if (raisedTo !== ceiling) {
      const r = yield* changePriority(t, raisedTo, ceiling);
      if (r !== 0) return yield* giveUp(r);
      raisedTo = ceiling;
    }
    const got = yield* takeWord(t, m, ceilingBits(word), deadline, trying);
    if (got === 'locked') break;
    if (got === 'busy') return yield* giveUp(EBUSY);
    if (got === 'timeout') return yield* giveUp(ETIMEDOUT);
    if (got === 'invalid') return yield* giveUp(EINVAL);
  }
  t.store32(m + MUTEX_OWNER, t.tid);
  t.store32(m + MUTEX_COUNT, 1);
  return 0;
}

/** EPERM unless the caller owns it (any type: the priority it lowers is the owner's). */
export function* ppUnlock(t: Guest, m: number): Program<number> {
  if (t.load32(m + MUTEX_OWNER) !== t.tid) return EPERM;
  if (typeOf(t, m) === PTHREAD_MUTEX_RECURSIVE) {
    const count = t.load32(m + MUTEX_COUNT) - 1;
    if (count > 0) {
      t.store32(m + MUTEX_COUNT, count);
      return 0;
    }
  }
  t.store32(m + MUTEX_OWNER, 0);
  t.store32(m + MUTEX_COUNT, 0);
  let old = yield* loadWord(t, m);
  for (;;) {
    const seen = yield* cas(t, m, old, ceilingBits(old));
    if (seen === old) break;
    old = seen;
  }
  if ((old & ~PRIO_CEILING_MASK) > 1) yield* futexWakeN(t, m, 1, isShared(t, m));
  return yield* changePriority(t, ceilingOf(old), -1);
}

export function validCeiling(ceiling: number): boolean {
  return Number.isInteger(ceiling) && ceiling >= RT_PRIO_MIN && ceiling <= RT_PRIO_MAX;
}

/** pthread_mutex_getprioceiling: [0, ceiling], or [EINVAL, 0] for a mutex without PRIO_PROTECT. */
export function getCeiling(t: Guest, m: number): [number, number] {
  if ((kindOf(t, m) & KIND_PP) === 0) return [EINVAL, 0];
  return [0, ceilingOf(t.load32(m))];
}

/**
 * pthread_mutex_setprioceiling: locks the mutex without the protocol (or uses the caller's own
 * hold of it), stores the new ceiling, and releases it, waking every waiter so each retries at
 * the new ceiling. Returns [0, old ceiling] or [EINVAL | EDEADLK | sched errno, 0]. An errorcheck
 * mutex held by the caller is EDEADLK, as glibc; a recursive or normal one it holds is changed
 * in place, re-raising the caller (glibc would deadlock on the normal one).
 */
export function* setCeiling(t: Guest, m: number, ceiling: number): Program<[number, number]> {
  if ((kindOf(t, m) & KIND_PP) === 0 || !validCeiling(ceiling)) return [EINVAL, 0];
  const held = t.load32(m + MUTEX_OWNER) === t.tid;
  if (held && typeOf(t, m) === PTHREAD_MUTEX_ERRORCHECK) return [EDEADLK, 0];
  let word = yield* loadWord(t, m);
  while (!held && (yield* takeWord(t, m, ceilingBits(word), null, false)) !== 'locked') {
    word = yield* loadWord(t, m);
  }
  const old = ceilingOf(word);
  if (held) {
    const r = yield* changePriority(t, old, ceiling);
    if (r !== 0) return [r, 0];
  }
  const state = held ? (yield* loadWord(t, m)) & ~PRIO_CEILING_MASK : 0;
  yield t.atomic(AtomicOp.Store, m, ((ceiling << PRIO_CEILING_SHIFT) | state) >>> 0);
  yield* futexWakeN(t, m, INT_MAX, isShared(t, m));
  return [0, old];
}
