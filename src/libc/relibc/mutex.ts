/**
 * relibc's pthread mutex as its code behaves (src/sync/pthread_mutex.rs @08fc95fc, models.md
 * §3): the word is 0 or the owner's tid, SPIN_COUNT is 0, a contended locker futex-waits on the
 * tid it saw, and every unlock stores 0 and calls futex_wake(ALL): one system call per unlock
 * and a thundering herd when there are waiters. Its quirks are kept: an errorcheck relock
 * returns EAGAIN (trylock EDEADLK), and the recursion count starts at 1 on the first lock.
 * Robustness is stored but not implemented: a robust mutex's only difference is that a
 * non-owner's unlock is EPERM (as for recursive and errorcheck ones); a dead owner's waiters
 * wait forever. The priority protocol is ignored (models.md §3): pthread_mutex_consistent does
 * nothing and returns 0, and the ceiling calls answer 0 (old ceiling 0) without doing anything
 * (RlctMutex::prioceiling and replace_prioceiling print a TODO and return Ok(0)).
 */
import { AtomicOp, type Program } from '../../abi/effects.ts';
import { EAGAIN, EBUSY, EDEADLK, EINVAL, EPERM, ETIMEDOUT } from '../../abi/errno.ts';
import type { Guest } from '../../abi/guest.ts';
import { CLOCK_REALTIME } from '../../abi/syscalls.ts';
import {
  checkDeadline,
  type Deadline,
  deadlinePassed,
  futexWaitUntil,
  futexWakeN,
  INT_MAX,
} from '../futex.ts';
import {
  KIND_ROBUST,
  KIND_TYPE_MASK,
  MUTEX_COUNT,
  MUTEX_KIND,
  PTHREAD_MUTEX_ERRORCHECK,
  PTHREAD_MUTEX_NORMAL,
  PTHREAD_MUTEX_RECURSIVE,
  RECURSIVE_COUNT_MAX,
} from '../layout.ts';

const typeOf = (t: Guest, m: number) => t.load32(m + MUTEX_KIND) & KIND_TYPE_MASK;

function incrementCount(t: Guest, m: number): number {
  const count = t.load32(m + MUTEX_COUNT);
  if (count === RECURSIVE_COUNT_MAX) return EAGAIN;
  t.store32(m + MUTEX_COUNT, count + 1);
  return 0;
}

export function* lock(t: Guest, m: number, deadline: Deadline | null): Program<number> {
  const type = typeOf(t, m);
  for (;;) {
    const seen = (yield t.atomic(AtomicOp.CompareExchange, m, 0, t.tid)) as number;
    if (seen === 0) return type === PTHREAD_MUTEX_RECURSIVE ? incrementCount(t, m) : 0;
    if (seen === t.tid && type === PTHREAD_MUTEX_RECURSIVE) return incrementCount(t, m);
    if (seen === t.tid && type === PTHREAD_MUTEX_ERRORCHECK) return EAGAIN;
    if ((yield* futexWaitUntil(t, m, seen, deadline, false)) === -ETIMEDOUT) return ETIMEDOUT;
  }
}

export function* trylock(t: Guest, m: number): Program<number> {
  const type = typeOf(t, m);
  const seen = (yield t.atomic(AtomicOp.CompareExchange, m, 0, t.tid)) as number;
  if (type === PTHREAD_MUTEX_RECURSIVE) {
    if (seen !== 0 && seen !== t.tid) return EBUSY;
    return incrementCount(t, m);
  }
  if (seen === 0) return 0;
  return seen === t.tid && type === PTHREAD_MUTEX_ERRORCHECK ? EDEADLK : EBUSY;
}

export function* unlock(t: Guest, m: number): Program<number> {
  const type = typeOf(t, m);
  const robust = (t.load32(m + MUTEX_KIND) & KIND_ROBUST) !== 0;
  if ((robust || type !== PTHREAD_MUTEX_NORMAL) && (t.load32(m) & 0x7fffffff) !== t.tid) return EPERM;
  if (type === PTHREAD_MUTEX_RECURSIVE) {
    const next = t.load32(m + MUTEX_COUNT) - 1;
    t.store32(m + MUTEX_COUNT, next);
    if (next > 0) return 0;
  }
  yield t.atomic(AtomicOp.Store, m, 0);
  yield* futexWakeN(t, m, INT_MAX, false);
  return 0;
}

/**
 * pthread_mutex_timedlock/clocklock: relibc converts the deadline to monotonic before anything
 * else (timespec_realtime_to_monotonic), so a past one is ETIMEDOUT even on a free mutex.
 */
export function* lockUntil(t: Guest, m: number, deadline: Deadline | null): Program<number> {
  if (deadline === null) return yield* lock(t, m, null);
  if (checkDeadline(t, deadline) !== 0) return EINVAL;
  if (deadline.clock === CLOCK_REALTIME && (yield* deadlinePassed(t, deadline))) return ETIMEDOUT;
  return yield* lock(t, m, deadline);
}

/** The word is 0 or the owner's tid. */
export function isLocked(t: Guest, m: number): boolean {
  return t.load32(m) !== 0;
}

export function consistent(_t: Guest, _m: number): number {
  return 0;
}

export function getprioceiling(_t: Guest, _m: number): [number, number] {
  return [0, 0];
}

export function* setprioceiling(_t: Guest, _m: number, _ceiling: number): Program<[number, number]> {
  return [0, 0];
}
