/**
 * relibc's Once::call_once (src/sync/once.rs, models.md §3): it spins 999 times before it
 * marks the word and futex-waits, and it has no cleanup, so a routine that never returns leaves
 * the word running and every later caller waits for good.
 */
import { AtomicOp, type Program } from '../../abi/effects.ts';
import type { Guest } from '../../abi/guest.ts';
import { futexWaitUntil } from '../futex.ts';
import { DONE, finish, INCOMPLETE, RUNNING, WAITING } from '../once.ts';

/** relibc's wait_until_generic spins this many times before it sleeps. */
const RELIBC_SPINS = 999;

export function* once(t: Guest, word: number, init: (t: Guest) => Program<void>): Program<number> {
  const seen = (yield t.atomic(AtomicOp.CompareExchange, word, INCOMPLETE, RUNNING)) as number;
  if (seen === INCOMPLETE) {
    yield* init(t);
    yield* finish(t, word);
    return 0;
  }
  let spins = RELIBC_SPINS;
  for (;;) {
    const state = (yield t.atomic(AtomicOp.Load, word)) as number;
    if (state === DONE) return 0;
    if (spins > 0) {
      spins--;
      yield t.compute(1);
      continue;
    }
    if (state === RUNNING) yield t.atomic(AtomicOp.CompareExchange, word, RUNNING, WAITING);
    yield* futexWaitUntil(t, word, WAITING, null, false);
  }
}
