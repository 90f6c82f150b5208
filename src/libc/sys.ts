/** Raw system-call wrappers used by the rest of libc; each returns the kernel's result (or -errno). */
import type { Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import {
  CLOCK_MONOTONIC,
  FUTEX_WAIT,
  FUTEX_WAKE,
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  PROT_READ,
  PROT_WRITE,
  SYS_CLOCK_GETTIME,
  SYS_FUTEX,
  SYS_GETTID,
  SYS_MMAP,
  SYS_MPROTECT,
  SYS_NANOSLEEP,
  SYS_SCHED_YIELD,
} from '../abi/syscalls.ts';
import { cancellationPoint } from './cancel.ts';

export function* syscall(t: Guest, nr: number, ...args: unknown[]): Program<number> {
  return (yield t.syscall(nr, ...args)) as number;
}

/**
 * Raw futex(FUTEX_WAIT): sleeps while the word equals `expected`; 0, -EAGAIN, -ETIMEDOUT, -EINTR.
 * `timeoutNs` is passed as is: an absolute monotonic deadline to Redox, a relative timeout to
 * Linux (src/kernel/futex/syscall.ts). libc's primitives use futex.ts instead.
 */
export function futex_wait(t: Guest, addr: number, expected: number, timeoutNs = -1): Program<number> {
  return syscall(t, SYS_FUTEX, addr, FUTEX_WAIT, expected, timeoutNs);
}

/** futex(FUTEX_WAKE): wakes up to `count` waiters; returns how many. */
export function futex_wake(t: Guest, addr: number, count: number): Program<number> {
  return syscall(t, SYS_FUTEX, addr, FUTEX_WAKE, count);
}

export function mmap_anonymous(t: Guest, bytes: number, flags = MAP_PRIVATE): Program<number> {
  return syscall(t, SYS_MMAP, 0, bytes, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS);
}

export function clock_gettime(t: Guest, clockId = CLOCK_MONOTONIC): Program<number> {
  return syscall(t, SYS_CLOCK_GETTIME, clockId);
}

/** nanosleep: 0, -EINTR or -EINVAL; a cancellation point (LIBC-7, cancel.ts). */
export function nanosleep(t: Guest, durationNs: number): Program<number> {
  return cancellationPoint(t, syscall(t, SYS_NANOSLEEP, durationNs));
}

/** sleep(seconds): 0, or the whole seconds left (rounded up) when a signal ended it; a cancellation point. */
export function* sleep(t: Guest, seconds: number): Program<number> {
  const start = yield* clock_gettime(t, CLOCK_MONOTONIC);
  const r = yield* nanosleep(t, seconds * 1_000_000_000);
  if (r === 0) return 0;
  const slept = (yield* clock_gettime(t, CLOCK_MONOTONIC)) - start;
  return Math.max(0, Math.ceil((seconds * 1_000_000_000 - slept) / 1_000_000_000));
}

export function sched_yield(t: Guest): Program<number> {
  return syscall(t, SYS_SCHED_YIELD);
}

/** mprotect(addr, length, prot): 0 or -errno. */
export function mprotect(t: Guest, addr: number, bytes: number, prot: number): Program<number> {
  return syscall(t, SYS_MPROTECT, addr, bytes, prot);
}

export function gettid(t: Guest): Program<number> {
  return syscall(t, SYS_GETTID);
}
