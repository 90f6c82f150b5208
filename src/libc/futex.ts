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
  FUTEX_CMP_REQUEUE_PI,
  FUTEX_LOCK_PI,
  FUTEX_LOCK_PI2,
  FUTEX_PRIVATE_FLAG,
  FUTEX_TRYLOCK_PI,
  FUTEX_UNLOCK_PI,
  FUTEX_WAIT,
  FUTEX_WAIT_BITSET,
  FUTEX_WAIT_REQUEUE_PI,
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

/*
 * The PI operations (improved libc only; FUTEX-6). Each word is private unless `shared`.
 */
const privateFlag = (shared: boolean) => (shared ? 0 : FUTEX_PRIVATE_FLAG);

/**
 * FUTEX_LOCK_PI: 0 owning the word, or -errno (-ETIMEDOUT, -EDEADLK, -ESRCH, -EAGAIN). A
 * REALTIME deadline goes to LOCK_PI (absolute on CLOCK_REALTIME), a MONOTONIC one to LOCK_PI2
 * (absolute on CLOCK_MONOTONIC), as glibc 2.35 chooses.
 */
export function* futexLockPi(
  t: Guest,
  addr: number,
  deadline: Deadline | null,
  shared: boolean,
): Program<number> {
  const flags = privateFlag(shared);
  if (deadline === null) return yield* syscall(t, SYS_FUTEX, addr, FUTEX_LOCK_PI | flags, 0, -1);
  if (deadline.ns < 0) return -ETIMEDOUT;
  const op = deadline.clock === CLOCK_REALTIME ? FUTEX_LOCK_PI : FUTEX_LOCK_PI2;
  return yield* syscall(t, SYS_FUTEX, addr, op | flags, 0, deadline.ns);
}

/** FUTEX_TRYLOCK_PI: 0 owning the word, -EAGAIN when it is held. */
export function futexTrylockPi(t: Guest, addr: number, shared: boolean): Program<number> {
  return syscall(t, SYS_FUTEX, addr, FUTEX_TRYLOCK_PI | privateFlag(shared), 0, -1);
}

/** FUTEX_UNLOCK_PI: hands the word to the top waiter (or frees it); -EPERM for a non-owner. */
export function futexUnlockPi(t: Guest, addr: number, shared: boolean): Program<number> {
  return syscall(t, SYS_FUTEX, addr, FUTEX_UNLOCK_PI | privateFlag(shared));
}

/**
 * FUTEX_WAIT_REQUEUE_PI: sleeps on `addr` while it holds `expected` until a CMP_REQUEUE_PI moves
 * it to the PI word `pi`; 0 means it returns owning `pi`. -EAGAIN (a plain wake, a stale
 * value, or a signal once requeued) and -ETIMEDOUT mean it does not own it; a signal before the
 * requeue restarts the call in the kernel (ERESTARTNOINTR), so it never answers -EINTR.
 */
export function* futexWaitRequeuePi(
  t: Guest,
  addr: number,
  expected: number,
  pi: number,
  deadline: Deadline | null,
  shared: boolean,
): Program<number> {
  let op = FUTEX_WAIT_REQUEUE_PI | privateFlag(shared);
  let timeout = -1;
  if (deadline !== null) {
    if (deadline.ns < 0) return -ETIMEDOUT;
    if (deadline.clock === CLOCK_REALTIME) op |= FUTEX_CLOCK_REALTIME;
    timeout = deadline.ns;
  }
  return yield* syscall(t, SYS_FUTEX, addr, op, expected, timeout, pi, 0);
}

/**
 * FUTEX_CMP_REQUEUE_PI: if `addr` still holds `expected`, gives the PI word `pi` to the top
 * waiter when it is free (or queues that waiter on it) and moves up to `move` more onto it.
 * Returns woken + moved, or -errno (-EAGAIN when the value moved on).
 */
export function futexCmpRequeuePi(
  t: Guest,
  addr: number,
  move: number,
  pi: number,
  expected: number,
  shared: boolean,
): Program<number> {
  return syscall(t, SYS_FUTEX, addr, FUTEX_CMP_REQUEUE_PI | privateFlag(shared), 1, move, pi, expected);
}
