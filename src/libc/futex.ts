/**
 * The futex calls libc's primitives make, in the ABI of the calling process's variant
 * (variant.ts). Deadlines are absolute, on CLOCK_REALTIME or CLOCK_MONOTONIC, as POSIX's timed
 * calls take them:
 * - relibc converts a REALTIME deadline to MONOTONIC (`timespec_realtime_to_monotonic`) and
 *   passes Redox's FUTEX_WAIT an absolute monotonic deadline (models.md §2, §3);
 * - the improved libc passes Linux's FUTEX_WAIT_BITSET the absolute deadline on its own clock
 *   (FUTEX_CLOCK_REALTIME for REALTIME), as glibc does, and marks process-private words
 *   FUTEX_PRIVATE_FLAG (§5).
 * Each returns the kernel's result: 0, or a negated errno (-EAGAIN, -ETIMEDOUT, -EINTR).
 */
import type { Program } from '../abi/effects.ts';
import { EINVAL, ETIMEDOUT } from '../abi/errno.ts';
import type { Guest } from '../abi/guest.ts';
import {
  CLOCK_MONOTONIC,
  CLOCK_REALTIME,
  FUTEX_BITSET_MATCH_ANY,
  FUTEX_CLOCK_REALTIME,
  FUTEX_CMP_REQUEUE,
  FUTEX_PRIVATE_FLAG,
  FUTEX_WAIT,
  FUTEX_WAIT_BITSET,
  FUTEX_WAKE,
  SYS_FUTEX,
} from '../abi/syscalls.ts';
import { clock_gettime, syscall } from './sys.ts';
import { libcName } from './variant.ts';

export const INT_MAX = 0x7fffffff;

/** An absolute time on a clock (the simulator's timespec: nanoseconds). */
export interface Deadline {
  clock: typeof CLOCK_REALTIME | typeof CLOCK_MONOTONIC;
  ns: number;
}

/**
 * POSIX's check of an abstime: EINVAL when it is not a time at all (a timespec whose tv_nsec is
 * out of range has no ns form here; a non-integer or non-finite value stands for it), 0 when
 * it is usable. A time before the epoch is valid and already past.
 */
export function checkDeadline(deadline: Deadline | null): number {
  if (deadline === null) return 0;
  return Number.isSafeInteger(deadline.ns) ? 0 : EINVAL;
}

/** Has the deadline passed? (An EINTR or spurious wake checks this before sleeping again.) */
export function* deadlinePassed(t: Guest, deadline: Deadline | null): Program<boolean> {
  if (deadline === null) return false;
  return (yield* clock_gettime(t, deadline.clock)) >= deadline.ns;
}

/** Sleeps while the word at `addr` is `expected`, until `deadline`; 0, -EAGAIN, -ETIMEDOUT or -EINTR. */
export function* futexWaitUntil(
  t: Guest,
  addr: number,
  expected: number,
  deadline: Deadline | null,
  shared: boolean,
): Program<number> {
  if (libcName(t) === 'relibc') {
    let abs = -1;
    if (deadline !== null) {
      abs = deadline.ns;
      if (deadline.clock === CLOCK_REALTIME) {
        // timespec_realtime_to_monotonic: the offset between the clocks, read now.
        const realtime = yield* clock_gettime(t, CLOCK_REALTIME);
        const monotonic = yield* clock_gettime(t, CLOCK_MONOTONIC);
        abs = deadline.ns - (realtime - monotonic);
      }
      if (abs < 0) return -ETIMEDOUT; // before boot: already past, and -1 would mean "none"
    }
    const r = yield* syscall(t, SYS_FUTEX, addr, FUTEX_WAIT, expected, abs);
    // relibc reports ETIMEDOUT only when a deadline was given (models.md §3).
    return r === -ETIMEDOUT && deadline === null ? 0 : r;
  }
  const flags = shared ? 0 : FUTEX_PRIVATE_FLAG;
  if (deadline === null) return yield* syscall(t, SYS_FUTEX, addr, FUTEX_WAIT | flags, expected, -1);
  if (deadline.ns < 0) return -ETIMEDOUT;
  const clockFlag = deadline.clock === CLOCK_REALTIME ? FUTEX_CLOCK_REALTIME : 0;
  return yield* syscall(
    t,
    SYS_FUTEX,
    addr,
    FUTEX_WAIT_BITSET | flags | clockFlag,
    expected,
    deadline.ns,
    0,
    FUTEX_BITSET_MATCH_ANY,
  );
}

/** Wakes up to `count` waiters of the word at `addr`; returns how many (or -errno). */
export function futexWakeN(t: Guest, addr: number, count: number, shared: boolean): Program<number> {
  const flags = libcName(t) === 'improved' && !shared ? FUTEX_PRIVATE_FLAG : 0;
  return syscall(t, SYS_FUTEX, addr, FUTEX_WAKE | flags, count);
}

/**
 * FUTEX_CMP_REQUEUE (improved libc only): if the word at `addr` still holds `expected`, wakes
 * `wake` waiters and moves up to `move` of the rest to `addr2`. Returns woken + moved or -errno.
 */
export function futexCmpRequeue(
  t: Guest,
  addr: number,
  wake: number,
  move: number,
  addr2: number,
  expected: number,
  shared: boolean,
): Program<number> {
  const flags = shared ? 0 : FUTEX_PRIVATE_FLAG;
  return syscall(t, SYS_FUTEX, addr, FUTEX_CMP_REQUEUE | flags, wake, move, addr2, expected);
}
