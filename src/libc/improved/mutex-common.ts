/** What every kind of the improved libc's mutex shares: reading its kind word, and recursion. */
import { AtomicOp, type Program } from '../../abi/effects.ts';
import { EAGAIN } from '../../abi/errno.ts';
import type { Guest } from '../../abi/guest.ts';
import { KIND_PSHARED, KIND_TYPE_MASK, MUTEX_COUNT, MUTEX_KIND, RECURSIVE_COUNT_MAX } from '../layout.ts';

export const kindOf = (t: Guest, m: number) => t.load32(m + MUTEX_KIND);
export const typeOf = (t: Guest, m: number) => kindOf(t, m) & KIND_TYPE_MASK;
export const isShared = (t: Guest, m: number) => (kindOf(t, m) & KIND_PSHARED) !== 0;

/** A recursive mutex relocked by its owner: one more level, or EAGAIN past the u32 count. */
export function addLevel(t: Guest, m: number): number {
  const count = t.load32(m + MUTEX_COUNT);
  if (count === RECURSIVE_COUNT_MAX) return EAGAIN;
  t.store32(m + MUTEX_COUNT, count + 1);
  return 0;
}

/** compare-and-exchange on the word at `addr`; returns the value seen (unsigned). */
export function* cas(t: Guest, addr: number, expected: number, desired: number): Program<number> {
  return ((yield t.atomic(AtomicOp.CompareExchange, addr, expected >>> 0, desired >>> 0)) as number) >>> 0;
}

export function* loadWord(t: Guest, addr: number): Program<number> {
  return ((yield t.atomic(AtomicOp.Load, addr)) as number) >>> 0;
}
