/**
 * relibc's barrier steps (src/header/pthread/barrier.rs @08fc95fc, models.md §3; barrier.ts
 * has the shared words): the waiters sleep as its Cond::wait does (unlock, wait on the
 * generation, relock, recheck under the lock), its internal Mutex wakes ALL when contended,
 * and destroy is a no-op.
 */
import type { Program } from '../../abi/effects.ts';
import type { Guest } from '../../abi/guest.ts';
import { GENERATION, lockInternal, shared, unlockInternal } from '../barrier.ts';
import { futexWaitUntil } from '../futex.ts';

export function* destroy(_t: Guest, _b: number): Program<number> {
  return 0;
}

export function* awaitCycle(t: Guest, b: number, generation: number): Program<void> {
  while (t.load32(b + GENERATION) === generation) {
    yield* unlockInternal(t, b);
    yield* futexWaitUntil(t, b + GENERATION, generation, null, shared(t, b));
    yield* lockInternal(t, b);
  }
  yield* unlockInternal(t, b);
}
