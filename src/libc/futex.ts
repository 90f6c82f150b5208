/**
 * The futex calls libc's primitives make, in the ABI of the calling process's variant
 * (variant.ts). Deadlines are absolute, on CLOCK_REALTIME or CLOCK_MONOTONIC, as POSIX's timed
 * calls take them: the caller's struct timespec in guest memory.
 * - relibc converts a REALTIME deadline to MONOTONIC (`timespec_realtime_to_monotonic`: the
 *   deadline minus the realtime clock now, plus the monotonic clock now, ETIMEDOUT when that
 *   difference is negative, so a past realtime deadline never reaches the kernel) and passes
 *   Redox's FUTEX_WAIT an absolute monotonic timespec (models.md §2, §3);
 * - the improved libc passes Linux's FUTEX_WAIT_BITSET the caller's timespec on its own clock
 *   (FUTEX_CLOCK_REALTIME for REALTIME), as glibc's __futex_abstimed_wait_common does, after
 *   its one check: a negative tv_sec is ETIMEDOUT without a call (the kernel would say EINVAL);
 *   process-private words get FUTEX_PRIVATE_FLAG (§5). The kernel ends a wait whose deadline
 *   already passed at once (its hrtimer fires as it is armed).
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
import { threadScratch } from './scratch.ts';
import { syscall } from './sys.ts';
import {
  clockNow,
  timespec_load,
  timespec_store,
  timespecCmp,
  timespecNormal,
  timespecSub,
  validNanoseconds,
} from './time.ts';
import { libcName } from './variant.ts';

export const INT_MAX = 0x7fffffff;

/** An absolute time on a clock: the address of the caller's struct timespec. */
export interface Deadline {
  clock: typeof CLOCK_REALTIME | typeof CLOCK_MONOTONIC;
  abstime: number;
}

/** Where futexWaitUntil writes relibc's converted deadline in the thread's scratch buffer. */
const SCRATCH_MONOTONIC_DEADLINE = 160;

/**
 * POSIX's check of an abstime (glibc's valid_nanoseconds): EINVAL when its tv_nsec is outside
 * [0, 999,999,999], 0 when it is usable. A time before the epoch is valid and already past.
 */
export function checkDeadline(t: Guest, deadline: Deadline | null): number {
  if (deadline === null) return 0;
  return validNanoseconds(timespec_load(t, deadline.abstime)) ? 0 : EINVAL;
}

/** Has the deadline passed? (An EINTR or spurious wake checks this before sleeping again.) */
export function* deadlinePassed(t: Guest, deadline: Deadline | null): Program<boolean> {
  if (deadline === null) return false;
  const now = yield* clockNow(t, deadline.clock);
  return timespecCmp(now, timespec_load(t, deadline.abstime)) >= 0;
}

/**
 * relibc's timespec_realtime_to_monotonic (src/header/time, used by every timed call): the
 * address of the monotonic timespec to pass Redox, or -ETIMEDOUT when the deadline has passed.
 */
function* monotonicDeadline(t: Guest, deadline: Deadline): Program<number> {
  const abs = timespec_load(t, deadline.abstime);
  let mono = abs;
  if (deadline.clock === CLOCK_REALTIME) {
    const delta = timespecSub(abs, yield* clockNow(t, CLOCK_REALTIME));
    if (delta.tv_sec < 0) return -ETIMEDOUT;
    const now = yield* clockNow(t, CLOCK_MONOTONIC);
    mono = timespecNormal(now.tv_sec + delta.tv_sec, now.tv_nsec + delta.tv_nsec);
  } else if (abs.tv_sec < 0) {
    return -ETIMEDOUT; // before boot: already past (Redox would read it as a huge unsigned time)
  }
  const addr = (yield* threadScratch(t)) + SCRATCH_MONOTONIC_DEADLINE;
  timespec_store(t, addr, mono.tv_sec, mono.tv_nsec);
  return addr;
}

/** Sleeps while the word at `addr` is `expected`, until `deadline`; 0, -EAGAIN, -ETIMEDOUT or -EINTR. */
export function futexWaitUntil(
  t: Guest,
  addr: number,
  expected: number,
  deadline: Deadline | null,
  shared: boolean,
): Program<number> {
  // A plain function handing back the futex call's own program, not a generator around it: a
  // thread parked here holds one suspended generator fewer (issue 14, memory per idle thread).
  // Its checks run where that generator's first step ran them: the caller's yield* runs it now.
  if (libcName(t) === 'relibc') return futexWaitRelibc(t, addr, expected, deadline);
  const flags = shared ? 0 : FUTEX_PRIVATE_FLAG;
  if (deadline === null) return syscall(t, SYS_FUTEX, addr, FUTEX_WAIT | flags, expected, 0);
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

function* futexWaitRelibc(
  t: Guest,
  addr: number,
  expected: number,
  deadline: Deadline | null,
): Program<number> {
  const timeout = deadline === null ? 0 : yield* monotonicDeadline(t, deadline);
  if (timeout < 0) return timeout;
  const r = yield* syscall(t, SYS_FUTEX, addr, FUTEX_WAIT, expected, timeout);
  // relibc reports ETIMEDOUT only when a deadline was given (models.md §3).
  return r === -ETIMEDOUT && deadline === null ? 0 : r;
}

/** A result with no call to make, as a program. */
function* returned(value: number): Program<number> {
  return value;
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
 * (absolute on CLOCK_MONOTONIC), as glibc 2.35 chooses; the timespec goes unchecked, so a
 * negative tv_sec is the kernel's EINVAL (glibc's __futex_lock_pi64).
 */
export function* futexLockPi(
  t: Guest,
  addr: number,
  deadline: Deadline | null,
  shared: boolean,
): Program<number> {
  const flags = privateFlag(shared);
  if (deadline === null) return yield* syscall(t, SYS_FUTEX, addr, FUTEX_LOCK_PI | flags, 0, 0);
  const op = deadline.clock === CLOCK_REALTIME ? FUTEX_LOCK_PI : FUTEX_LOCK_PI2;
  return yield* syscall(t, SYS_FUTEX, addr, op | flags, 0, deadline.abstime);
}

/** FUTEX_TRYLOCK_PI: 0 owning the word, -EAGAIN when it is held. */
export function futexTrylockPi(t: Guest, addr: number, shared: boolean): Program<number> {
  return syscall(t, SYS_FUTEX, addr, FUTEX_TRYLOCK_PI | privateFlag(shared), 0, 0);
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
  let timeout = 0;
  if (deadline !== null) {
    if (timespec_load(t, deadline.abstime).tv_sec < 0) return -ETIMEDOUT;
    if (deadline.clock === CLOCK_REALTIME) op |= FUTEX_CLOCK_REALTIME;
    timeout = deadline.abstime;
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
