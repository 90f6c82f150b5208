/**
 * relibc @08fc95fc's semaphore steps (src/sync/semaphore.rs, models.md §3; sem.ts has the
 * words and the module comment): post wakes ALL, and wait's test is inverted, so a wait on a
 * zero count returns 0 at once and one on a count above zero takes units until it is 0.
 */
import type { Program } from '../../abi/effects.ts';
import { EINVAL, ETIMEDOUT } from '../../abi/errno.ts';
import type { Guest } from '../../abi/guest.ts';
import {
  checkDeadline,
  type Deadline,
  deadlinePassed,
  futexWaitUntil,
  futexWakeN,
  INT_MAX,
} from '../futex.ts';
import { tryTake, VALUE } from '../sem.ts';

/** Semaphore::wait, inverted test included. */
export function* wait(t: Guest, s: number, deadline: Deadline | null): Program<number> {
  if (checkDeadline(t, deadline) !== 0) return EINVAL;
  for (;;) {
    const taken = yield* tryTake(t, s);
    if (!taken) return 0;
    if (yield* deadlinePassed(t, deadline)) return ETIMEDOUT;
    const value = t.load32(s + VALUE) + 1; // the value try_wait saw
    yield* futexWaitUntil(t, s + VALUE, value, deadline, false);
  }
}

export function* wakeAfterPost(t: Guest, s: number): Program<void> {
  yield* futexWakeN(t, s + VALUE, INT_MAX, false);
}
