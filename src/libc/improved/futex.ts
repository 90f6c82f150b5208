/**
 * The improved libc's futex wait (futex.ts explains both variants): Linux's FUTEX_WAIT, or
 * FUTEX_WAIT_BITSET with the caller's timespec on its own clock (FUTEX_CLOCK_REALTIME for
 * REALTIME), as glibc's __futex_abstimed_wait_common; private words carry FUTEX_PRIVATE_FLAG.
 */
import type { Program } from '../../abi/effects.ts';
import { ETIMEDOUT } from '../../abi/errno.ts';
import type { Guest } from '../../abi/guest.ts';
import {
  CLOCK_REALTIME,
  FUTEX_BITSET_MATCH_ANY,
  FUTEX_CLOCK_REALTIME,
  FUTEX_PRIVATE_FLAG,
  FUTEX_WAIT,
  FUTEX_WAIT_BITSET,
  SYS_FUTEX,
} from '../../abi/syscalls.ts';
import type { Deadline } from '../futex.ts';
import { syscall } from '../sys.ts';
import { timespec_load } from '../time.ts';

/**
 * A plain function handing back the futex call's own program, not a generator around it: a
 * thread parked here holds one suspended generator fewer (issue 14, memory per idle thread).
 * Its checks run where that generator's first step ran them: the caller's yield* runs it now.
 */
export function waitUntil(
  t: Guest,
  addr: number,
  expected: number,
  deadline: Deadline | null,
  shared: boolean,
): Program<number> {
  const flags = shared ? 0 : FUTEX_PRIVATE_FLAG;
  if (deadline === null) return syscall(t, SYS_FUTEX, addr, FUTEX_WAIT | flags, expected, 0);
  // glibc's one check: a negative tv_sec is ETIMEDOUT without a call (the kernel says EINVAL).
  if (timespec_load(t, deadline.abstime).tv_sec < 0) return returned(-ETIMEDOUT);
  const clockFlag = deadline.clock === CLOCK_REALTIME ? FUTEX_CLOCK_REALTIME : 0;
  return syscall(
    t,
    SYS_FUTEX,
    addr,
    FUTEX_WAIT_BITSET | flags | clockFlag,
    expected,
    deadline.abstime,
    0,
    FUTEX_BITSET_MATCH_ANY,
  );
}

/** A result with no call to make, as a program. */
function* returned(value: number): Program<number> {
  return value;
}
