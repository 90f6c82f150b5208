/**
 * relibc's rwlock as its code behaves (src/sync/rwlock.rs @08fc95fc, models.md §3): one u32,
 * bit 31 WAITING_WR, the low 31 bits the reader count, 0x7FFFFFFF meaning a writer holds it.
 * A reader increments the count and keeps WAITING_WR, so waiting writers never hold readers
 * back (writers can starve). A writer CASes (waiting bit only) to EXCLUSIVE, else sets
 * WAITING_WR and futex-waits while the count is non-zero, spinning when only the bit is set.
 * Every unlock that frees the lock wakes ALL. There is no owner, so no EDEADLK.
 */
import { AtomicOp, type Program } from '../../abi/effects.ts';
import { EAGAIN, EBUSY, ETIMEDOUT } from '../../abi/errno.ts';
import type { Guest } from '../../abi/guest.ts';
import { type Deadline, deadlinePassed, futexWaitUntil, futexWakeN, INT_MAX } from '../futex.ts';

const WAITING_WR = 0x8000_0000;
const COUNT_MASK = 0x7fff_ffff;
const EXCLUSIVE = 0x7fff_ffff;

export function init(t: Guest, rw: number): void {
  t.store32(rw, 0);
}

export function* rdlock(t: Guest, rw: number, deadline: Deadline | null, trying: boolean): Program<number> {
  for (;;) {
    const s = (yield t.atomic(AtomicOp.Load, rw)) as number;
    const count = s & COUNT_MASK;
    if (count === EXCLUSIVE) {
      if (trying) return EBUSY;
      if ((yield* futexWaitUntil(t, rw, s, deadline, false)) === -ETIMEDOUT) return ETIMEDOUT;
      continue;
    }
    if (count + 1 === EXCLUSIVE) return EAGAIN;
    if (((yield t.atomic(AtomicOp.CompareExchange, rw, s, s + 1)) as number) === s) return 0;
  }
}

export function* wrlock(t: Guest, rw: number, deadline: Deadline | null, trying: boolean): Program<number> {
  for (;;) {
    const s = (yield t.atomic(AtomicOp.Load, rw)) as number;
    const bitOnly = (s & WAITING_WR) >>> 0;
    if (((yield t.atomic(AtomicOp.CompareExchange, rw, bitOnly, EXCLUSIVE)) as number) === bitOnly) return 0;
    if (trying) return EBUSY;
    const count = s & COUNT_MASK;
    const seen =
      count === EXCLUSIVE ? s : ((yield t.atomic(AtomicOp.FetchOr, rw, WAITING_WR)) as number) | WAITING_WR;
    if ((seen & COUNT_MASK) !== 0) {
      if ((yield* futexWaitUntil(t, rw, seen >>> 0, deadline, false)) === -ETIMEDOUT) return ETIMEDOUT;
    } else {
      yield t.compute(1); // only the waiting bit is set: spin
      if (yield* deadlinePassed(t, deadline)) return ETIMEDOUT;
    }
  }
}

export function* unlock(t: Guest, rw: number): Program<number> {
  const s = (yield t.atomic(AtomicOp.Load, rw)) as number;
  if ((s & COUNT_MASK) === EXCLUSIVE) {
    yield t.atomic(AtomicOp.Store, rw, 0);
    yield* futexWakeN(t, rw, INT_MAX, false);
    return 0;
  }
  const old = (yield t.atomic(AtomicOp.FetchAdd, rw, -1)) as number;
  if (((old - 1) & COUNT_MASK) === 0) yield* futexWakeN(t, rw, INT_MAX, false);
  return 0;
}
