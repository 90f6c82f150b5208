/**
 * relibc's condition variable as its code behaves (src/sync/cond.rs @08fc95fc, models.md §3,
 * after remlab's futex condvar): two counters, `cur` and `prev`. A waiter reads cur, stores it
 * into prev, unlocks, futex-waits on cur and relocks. wake(n) sets cur = prev + 1 and wakes n;
 * signal() is broadcast(), so every signal wakes ALL waiters, who then herd on the mutex.
 */
import { AtomicOp, type Program } from '../../abi/effects.ts';
import { ETIMEDOUT } from '../../abi/errno.ts';
import type { Guest } from '../../abi/guest.ts';
import { type Deadline, futexWaitUntil, futexWakeN, INT_MAX } from '../futex.ts';
import { COND_FLAGS } from '../layout.ts';
import { lock, unlock } from './mutex.ts';

const CUR = 0;
const PREV = 4;

export function init(t: Guest, c: number, flags: number): void {
  t.store32(c + CUR, 0);
  t.store32(c + PREV, 0);
  t.store32(c + COND_FLAGS, flags);
}

export function* wait(t: Guest, c: number, m: number, deadline: Deadline | null): Program<number> {
  const seen = (yield t.atomic(AtomicOp.Load, c + CUR)) as number;
  yield t.atomic(AtomicOp.Store, c + PREV, seen);
  const err = yield* unlock(t, m);
  if (err !== 0) return err;
  const r = yield* futexWaitUntil(t, c + CUR, seen, deadline, false);
  yield* lock(t, m, null);
  return r === -ETIMEDOUT ? ETIMEDOUT : 0;
}

function* wake(t: Guest, c: number, n: number): Program<number> {
  const prev = (yield t.atomic(AtomicOp.Load, c + PREV)) as number;
  yield t.atomic(AtomicOp.Store, c + CUR, prev + 1);
  yield* futexWakeN(t, c + CUR, n, false);
  return 0;
}

/** relibc's signal() calls broadcast(): it wakes every waiter. */
export function signal(t: Guest, c: number): Program<number> {
  return broadcast(t, c);
}

export function broadcast(t: Guest, c: number): Program<number> {
  return wake(t, c, INT_MAX);
}
