/**
 * The improved barrier steps (barrier.ts has the shared words): the internal lock wakes one,
 * each waiter counts itself INSIDE until it has left, and destroy waits until the last cycle's
 * waiters have all left, as glibc's (nptl/pthread_barrier_destroy.c, pthread_barrier_wait.c).
 */
import { AtomicOp, type Program } from '../../abi/effects.ts';
import type { Guest } from '../../abi/guest.ts';
import { DESTROYER, GENERATION, INSIDE, INSIDE_COUNT, shared, unlockInternal } from '../barrier.ts';
import { futexWaitUntil, futexWakeN, INT_MAX } from '../futex.ts';

export function* destroy(t: Guest, b: number): Program<number> {
  for (;;) {
    const inside = (yield t.atomic(AtomicOp.Load, b + INSIDE)) as number;
    if ((inside & INSIDE_COUNT) === 0) return 0;
    const marked = (inside | DESTROYER) >>> 0;
    if (
      inside !== marked &&
      ((yield t.atomic(AtomicOp.CompareExchange, b + INSIDE, inside, marked)) as number) !== inside
    ) {
      continue;
    }
    yield* futexWaitUntil(t, b + INSIDE, marked, null, shared(t, b));
  }
}

export function* awaitCycle(t: Guest, b: number, generation: number): Program<void> {
  yield t.atomic(AtomicOp.FetchAdd, b + INSIDE, 1); // under the lock: before the cycle can end
  yield* unlockInternal(t, b);
  while (((yield t.atomic(AtomicOp.Load, b + GENERATION)) as number) === generation) {
    yield* futexWaitUntil(t, b + GENERATION, generation, null, shared(t, b));
  }
  yield* leave(t, b);
}

/** A waiter has left; the last one out wakes a destroyer waiting for it. */
function* leave(t: Guest, b: number): Program<void> {
  const old = (yield t.atomic(AtomicOp.FetchAdd, b + INSIDE, -1)) as number;
  if ((old & INSIDE_COUNT) === 1 && (old & DESTROYER) !== 0) {
    yield* futexWakeN(t, b + INSIDE, INT_MAX, shared(t, b));
  }
}
