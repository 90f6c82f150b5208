/** What every kind of the improved libc's mutex shares: reading its kind word, and recursion. */
import { AtomicOp, type Program } from '../../abi/effects.ts';
import { EAGAIN, EPERM } from '../../abi/errno.ts';
import { FUTEX_TID_MASK } from '../../abi/syscalls.ts';
import type { Guest } from '../../abi/guest.ts';
import {
  KIND_PSHARED,
  KIND_TYPE_MASK,
  MUTEX_COUNT,
  MUTEX_KIND,
  PTHREAD_MUTEX_RECURSIVE,
  RECURSIVE_COUNT_MAX,
} from '../layout.ts';

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

/**
 * The start of every unlock of a tid-word mutex (robust, PI): EPERM unless the caller's tid is
 * in the word; a recursive mutex held more than once just drops a level (0). Null: the caller
 * releases the word.
 */
export function unlockLevel(t: Guest, m: number): number | null {
  if ((t.load32(m) & FUTEX_TID_MASK) !== t.tid) return EPERM;
  if (typeOf(t, m) === PTHREAD_MUTEX_RECURSIVE) {
    const count = t.load32(m + MUTEX_COUNT) - 1;
    if (count > 0) {
      t.store32(m + MUTEX_COUNT, count);
      return 0;
    }
  }
  return null;
}

/** compare-and-exchange on the word at `addr`; returns the value seen (unsigned). */
export function* cas(t: Guest, addr: number, expected: number, desired: number): Program<number> {
  return ((yield t.atomic(AtomicOp.CompareExchange, addr, expected >>> 0, desired >>> 0)) as number) >>> 0;
}

export function* loadWord(t: Guest, addr: number): Program<number> {
  return ((yield t.atomic(AtomicOp.Load, addr)) as number) >>> 0;
}
