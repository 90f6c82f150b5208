/**
 * time.h's clocks and sleeps over struct timespec in guest memory (abi/time.ts), as POSIX has
 * them: clock_gettime, clock_settime, nanosleep, clock_nanosleep, sleep. Each passes the
 * caller's timespec pointers to the kernel, which reads and writes them itself.
 *
 * Seconds are JS numbers here (exact to 2^53 s) and nanoseconds stay apart, so a CLOCK_REALTIME
 * reading at a real date keeps every nanosecond; compare and subtract timespecs with the helpers
 * below rather than through a nanosecond number. A few helpers are not POSIX: `sleep_ns` (a
 * nanosleep of a duration, with its timespec in the thread's scratch buffer, as a C caller
 * writes a compound literal), `deadline_after` and `timespec_at` (a timespec for a timed call,
 * in the thread's deadline slot) and `clock_gettime_ns` (a monotonic or CPU-time reading as one
 * number, which those clocks stay small enough for; it refuses CLOCK_REALTIME).
 */
import type { Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import {
  CLOCK_MONOTONIC,
  CLOCK_REALTIME,
  SYS_CLOCK_GETTIME,
  SYS_CLOCK_NANOSLEEP,
  SYS_CLOCK_SETTIME,
  SYS_NANOSLEEP,
} from '../abi/syscalls.ts';
import { NSEC_PER_SEC, TIMESPEC_BYTES, TV_NSEC, TV_SEC } from '../abi/time.ts';
import { cancellationPoint } from './cancel.ts';
import { failWith } from './errno.ts';
import { malloc } from './malloc.ts';
import { threadScratch } from './scratch.ts';
import { syscall } from './sys.ts';

export { TIMER_ABSTIME, TIMESPEC_BYTES } from '../abi/time.ts';

/** A struct timespec's value: whole seconds (may be negative) and nanoseconds. */
export interface timespec {
  tv_sec: number;
  tv_nsec: number;
}

/** Where in the thread's scratch buffer the helpers keep their timespecs (two of them). */
const SCRATCH_TIMESPEC = 128;

/** Stores a timespec at `addr`: tv_sec as a signed 64-bit value, tv_nsec as a 64-bit one. */
export function timespec_store(t: Guest, addr: number, sec: number, nsec: number): void {
  const hi = Math.floor(sec / 2 ** 32);
  t.store32(addr + TV_SEC, sec - hi * 2 ** 32);
  t.store32(addr + TV_SEC + 4, hi);
  const nsecHi = Math.floor(nsec / 2 ** 32);
  t.store32(addr + TV_NSEC, nsec - nsecHi * 2 ** 32);
  t.store32(addr + TV_NSEC + 4, nsecHi);
}

/** Reads the timespec at `addr` (tv_sec exact to 2^53). */
export function timespec_load(t: Guest, addr: number): timespec {
  return {
    tv_sec: (t.load32(addr + TV_SEC + 4) | 0) * 2 ** 32 + t.load32(addr + TV_SEC),
    tv_nsec: (t.load32(addr + TV_NSEC + 4) | 0) * 2 ** 32 + t.load32(addr + TV_NSEC),
  };
}

/** Allocates a struct timespec holding {sec, nsec}; returns its address. */
export function* timespec_new(t: Guest, sec = 0, nsec = 0): Program<number> {
  const addr = yield* malloc(t, TIMESPEC_BYTES);
  timespec_store(t, addr, sec, nsec);
  return addr;
}

/** A nanosecond count as a timespec (for durations and monotonic times, which fit a number). */
export function timespecOfNs(ns: number): timespec {
  const sec = Math.floor(ns / NSEC_PER_SEC);
  return { tv_sec: sec, tv_nsec: ns - sec * NSEC_PER_SEC };
}

/** Normalises {sec, nsec} so that 0 <= nsec < 10^9. */
export function timespecNormal(sec: number, nsec: number): timespec {
  const carry = Math.floor(nsec / NSEC_PER_SEC);
  return { tv_sec: sec + carry, tv_nsec: nsec - carry * NSEC_PER_SEC };
}

/** a - b, normalised (negative when b is later). */
export function timespecSub(a: timespec, b: timespec): timespec {
  return timespecNormal(a.tv_sec - b.tv_sec, a.tv_nsec - b.tv_nsec);
}

/** a + ns, normalised. */
export function timespecAddNs(a: timespec, ns: number): timespec {
  const d = timespecOfNs(ns);
  return timespecNormal(a.tv_sec + d.tv_sec, a.tv_nsec + d.tv_nsec);
}

/** -1, 0 or 1 as a is before, at or after b. */
export function timespecCmp(a: timespec, b: timespec): number {
  if (a.tv_sec !== b.tv_sec) return a.tv_sec < b.tv_sec ? -1 : 1;
  return a.tv_nsec === b.tv_nsec ? 0 : a.tv_nsec < b.tv_nsec ? -1 : 1;
}

/** POSIX valid_nanoseconds: tv_nsec in [0, 999,999,999]. */
export function validNanoseconds(ts: timespec): boolean {
  return Number.isInteger(ts.tv_nsec) && ts.tv_nsec >= 0 && ts.tv_nsec < NSEC_PER_SEC;
}

/** clock_gettime(clockid, tp): 0, or -1 with errno (EINVAL, EFAULT). */
export function* clock_gettime(t: Guest, clockId: number, tp: number): Program<number> {
  const r = yield* syscall(t, SYS_CLOCK_GETTIME, clockId, tp);
  return r < 0 ? failWith(t, -r) : 0;
}

/** The clock's reading as a timespec (through the scratch buffer); throws on a bad clock. */
export function* clockNow(t: Guest, clockId: number): Program<timespec> {
  const tp = (yield* threadScratch(t)) + SCRATCH_TIMESPEC;
  const r = yield* syscall(t, SYS_CLOCK_GETTIME, clockId, tp);
  if (r < 0) throw new Error(`clock_gettime(${clockId}) failed (${-r})`);
  return timespec_load(t, tp);
}

/**
 * A monotonic or CPU-time clock's reading in ns, one number, or -errno (-EINVAL for a bad
 * clock) (not POSIX). CLOCK_REALTIME is refused (a guest fault): at a real date its nanoseconds
 * do not fit a number exactly; use clock_gettime and the timespec helpers.
 */
export function* clock_gettime_ns(t: Guest, clockId: number = CLOCK_MONOTONIC): Program<number> {
  if (clockId === CLOCK_REALTIME) throw new Error('clock_gettime_ns: CLOCK_REALTIME needs a timespec');
  const tp = (yield* threadScratch(t)) + SCRATCH_TIMESPEC;
  const r = yield* syscall(t, SYS_CLOCK_GETTIME, clockId, tp);
  if (r < 0) return r;
  const ts = timespec_load(t, tp);
  return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/** clock_settime(clockid, tp): 0, or -1 with errno (EPERM, EINVAL, EFAULT). */
export function* clock_settime(t: Guest, clockId: number, tp: number): Program<number> {
  const r = yield* syscall(t, SYS_CLOCK_SETTIME, clockId, tp);
  return r < 0 ? failWith(t, -r) : 0;
}

/**
 * nanosleep(req, rem): 0, or -1 with errno: EINTR (a signal; the time left at `rem` unless it
 * is 0), EINVAL (`req` not a time), EFAULT. A cancellation point (LIBC-7, cancel.ts).
 */
export function* nanosleep(t: Guest, req: number, rem: number): Program<number> {
  const r = yield* cancellationPoint(t, syscall(t, SYS_NANOSLEEP, req, rem));
  return r < 0 ? failWith(t, -r) : 0;
}

/**
 * clock_nanosleep(clockid, flags, req, rem): 0 or an error number, returned (POSIX: errno is
 * left alone): EINTR, EINVAL, EFAULT, ENOTSUP. With TIMER_ABSTIME `req` is a time on the clock
 * and `rem` is not written. A cancellation point.
 */
export function* clock_nanosleep(
  t: Guest,
  clockId: number,
  flags: number,
  req: number,
  rem: number,
): Program<number> {
  const r = yield* cancellationPoint(t, syscall(t, SYS_CLOCK_NANOSLEEP, clockId, flags, req, rem));
  return r < 0 ? -r : 0;
}

/** The thread's deadline slot in its scratch buffer (deadline_after), apart from the others. */
const SCRATCH_DEADLINE = 192;

/**
 * A deadline `ns` from now on `clock` (not POSIX): the address of a struct timespec holding the
 * clock's reading plus `ns`, exactly, in the thread's deadline slot (the next call overwrites
 * it). What a C caller writes with clock_gettime and a few additions before a timed call.
 */
export function* deadline_after(t: Guest, clockId: number, ns: number): Program<number> {
  const at = timespecAddNs(yield* clockNow(t, clockId), ns);
  const addr = (yield* threadScratch(t)) + SCRATCH_DEADLINE;
  timespec_store(t, addr, at.tv_sec, at.tv_nsec);
  return addr;
}

/** Writes {sec, nsec} into the thread's deadline slot (not POSIX); returns its address. */
export function* timespec_at(t: Guest, sec: number, nsec: number): Program<number> {
  const addr = (yield* threadScratch(t)) + SCRATCH_DEADLINE;
  timespec_store(t, addr, sec, nsec);
  return addr;
}

/** Writes a nanosecond count as a timespec into the thread's deadline slot (not POSIX). */
export function timespec_ns(t: Guest, ns: number): Program<number> {
  const ts = timespecOfNs(ns);
  return timespec_at(t, ts.tv_sec, ts.tv_nsec);
}

/** Sleeps `ns` nanoseconds (not POSIX): nanosleep's result, the timespec in scratch. */
export function* sleep_ns(t: Guest, ns: number): Program<number> {
  const req = (yield* threadScratch(t)) + SCRATCH_TIMESPEC;
  const d = timespecOfNs(Math.max(0, ns));
  timespec_store(t, req, d.tv_sec, d.tv_nsec);
  return yield* nanosleep(t, req, 0);
}

/**
 * sleep(seconds): 0, or the whole seconds not yet slept when a signal ended it (glibc
 * sysdeps/posix/sleep.c: nanosleep's remaining tv_sec, the fraction dropped); a cancellation
 * point.
 */
export function* sleep(t: Guest, seconds: number): Program<number> {
  const base = (yield* threadScratch(t)) + SCRATCH_TIMESPEC;
  timespec_store(t, base, seconds, 0);
  timespec_store(t, base + TIMESPEC_BYTES, 0, 0);
  const r = yield* nanosleep(t, base, base + TIMESPEC_BYTES);
  if (r === 0) return 0;
  return timespec_load(t, base + TIMESPEC_BYTES).tv_sec;
}
