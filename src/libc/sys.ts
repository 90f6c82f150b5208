/** Raw system-call wrappers used by the rest of libc; each returns the kernel's result (or -errno). */
import type { GuestEffect, Program, SyscallEffect } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import {
  FUTEX_WAIT,
  FUTEX_WAKE,
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  PROT_READ,
  PROT_WRITE,
  SYS_FUTEX,
  SYS_GETTID,
  SYS_MMAP,
  SYS_MPROTECT,
  SYS_SCHED_YIELD,
} from '../abi/syscalls.ts';

export function syscall(t: Guest, nr: number, ...args: unknown[]): Program<number> {
  return new SyscallStep(t.syscall(nr, ...args));
}

/**
 * The program `syscall` returns: it yields the system call and returns the kernel's answer, as
 * `function* () { return yield call; }` would. A two-field iterator rather than a generator,
 * since a thread blocked in a system call holds it for as long as it sleeps (issue 14: a
 * suspended generator is ~180 bytes, this is ~40).
 */
class SyscallStep implements Program<number> {
  #call: SyscallEffect | null;
  readonly [Symbol.toStringTag] = 'SyscallStep';

  constructor(call: SyscallEffect) {
    this.#call = call;
  }

  next(answer?: unknown): IteratorResult<GuestEffect, number> {
    const call = this.#call;
    if (call === null) return { value: answer as number, done: true };
    this.#call = null;
    return { value: call, done: false };
  }

  return(value: number): IteratorResult<GuestEffect, number> {
    this.#call = null;
    return { value, done: true };
  }

  throw(error: unknown): IteratorResult<GuestEffect, number> {
    this.#call = null;
    throw error;
  }

  [Symbol.iterator](): this {
    return this;
  }
}

/**
 * The raw futex(2) call, every argument as Linux's SYSCALL_DEFINE6(futex) takes it: the
 * timeout slot is a struct timespec pointer (0: none) or val2; 0 or a count, or -errno.
 */
export function futex(
  t: Guest,
  addr: number,
  op: number,
  val = 0,
  val2 = 0,
  addr2 = 0,
  val3 = 0,
): Program<number> {
  return syscall(t, SYS_FUTEX, addr, op, val, val2, addr2, val3);
}

/**
 * Raw futex(FUTEX_WAIT): sleeps while the word equals `expected`; 0, -EAGAIN, -ETIMEDOUT, -EINTR.
 * `timeout` is the address of a struct timespec (0: none), passed as is: an absolute monotonic
 * deadline to Redox, a relative timeout to Linux (src/kernel/futex/syscall.ts). libc's
 * primitives use futex.ts instead.
 */
export function futex_wait(t: Guest, addr: number, expected: number, timeout = 0): Program<number> {
  return syscall(t, SYS_FUTEX, addr, FUTEX_WAIT, expected, timeout);
}

/** futex(FUTEX_WAKE): wakes up to `count` waiters; returns how many. */
export function futex_wake(t: Guest, addr: number, count: number): Program<number> {
  return syscall(t, SYS_FUTEX, addr, FUTEX_WAKE, count);
}

export function mmap_anonymous(t: Guest, bytes: number, flags = MAP_PRIVATE): Program<number> {
  return syscall(t, SYS_MMAP, 0, bytes, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS);
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
