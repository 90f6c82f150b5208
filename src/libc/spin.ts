/**
 * pthread spinlocks (LIBC-4): one word, 0 free and 1 held, taken by compare-exchange and waited
 * for by reading it (test-and-test-and-set); no futex, in both variants (relibc's is the same
 * 0/1 CAS spin, models.md §3).
 */
import { AtomicOp, type Program } from '../abi/effects.ts';
import { EBUSY, EINVAL } from '../abi/errno.ts';
import type { Guest } from '../abi/guest.ts';
import { PSHARED_VALUES } from './attr.ts';

/** The address of a pthread_spinlock_t (one word). */
export type pthread_spinlock_t = number;

/** Cycles of a `pause` between two reads of a held lock. */
const PAUSE_CYCLES = 40;

export function pthread_spin_init(t: Guest, s: pthread_spinlock_t, pshared: number): number {
  if (!PSHARED_VALUES.includes(pshared)) return EINVAL;
  t.store32(s, 0);
  return 0;
}

export function pthread_spin_destroy(_t: Guest, _s: pthread_spinlock_t): number {
  return 0;
}

export function* pthread_spin_lock(t: Guest, s: pthread_spinlock_t): Program<number> {
  for (;;) {
    if (((yield t.atomic(AtomicOp.CompareExchange, s, 0, 1)) as number) === 0) return 0;
    while (((yield t.atomic(AtomicOp.Load, s)) as number) !== 0) yield t.compute(PAUSE_CYCLES);
  }
}

export function* pthread_spin_trylock(t: Guest, s: pthread_spinlock_t): Program<number> {
  return ((yield t.atomic(AtomicOp.CompareExchange, s, 0, 1)) as number) === 0 ? 0 : EBUSY;
}

export function* pthread_spin_unlock(t: Guest, s: pthread_spinlock_t): Program<number> {
  yield t.atomic(AtomicOp.Store, s, 0);
  return 0;
}
