/**
 * struct timespec across the user boundary (kernel/time/time.c get_timespec64/put_timespec64):
 * copied in and out through the caller's address space (uaccess.ts copyin/copyout, the
 * copy_from_user/copy_to_user door, EFAULT for an unmapped or unreadable pointer), and held
 * exactly, as a bigint count of nanoseconds, so a CLOCK_REALTIME value at a real date keeps
 * every nanosecond (2^53 ns is only about 104 days).
 */
import { NSEC_PER_SEC, TIMESPEC_BYTES, TV_NSEC, TV_SEC } from '../abi/time.ts';
import type { Thread } from './thread.ts';
import { copyin, copyout } from './uaccess.ts';
import { NO_DEADLINE } from '../engine/deadline.ts';

const NSEC = BigInt(NSEC_PER_SEC);

/** A timespec as read from guest memory: both fields as the signed 64-bit values they hold. */
export interface Timespec {
  sec: bigint;
  nsec: bigint;
}

/** get_timespec64: the timespec at `addr`, or null when it cannot be read (EFAULT). */
export function copyTimespecIn(t: Thread, addr: number): Timespec | null {
  if (addr === 0) return null;
  const bytes = copyin(t, addr, TIMESPEC_BYTES);
  if (bytes === null) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { sec: view.getBigInt64(TV_SEC, true), nsec: view.getBigInt64(TV_NSEC, true) };
}

/** put_timespec64: writes `ns` (>= 0) at `addr` as seconds and nanoseconds; false for EFAULT. */
export function copyTimespecOut(t: Thread, addr: number, ns: bigint): boolean {
  if (addr === 0) return false;
  const bytes = new Uint8Array(TIMESPEC_BYTES);
  const view = new DataView(bytes.buffer);
  view.setBigInt64(TV_SEC, ns / NSEC, true);
  view.setBigInt64(TV_NSEC, ns % NSEC, true);
  return copyout(t, addr, bytes);
}

/** timespec64_valid (include/linux/time64.h): tv_sec >= 0 and tv_nsec in [0, 999,999,999]. */
export function timespecValid(ts: Timespec): boolean {
  return ts.sec >= 0n && ts.nsec >= 0n && ts.nsec < NSEC;
}

/** The timespec as nanoseconds, exactly (timespec64_to_ktime, without its KTIME_MAX clamp). */
export function timespecNs(ts: Timespec): bigint {
  return ts.sec * NSEC + ts.nsec;
}

/**
 * A nanosecond count as a simulated-time number: exact below 2^53 ns; anything larger is past
 * every run's time limit (at most hours), so it is NO_DEADLINE, "never" (timespec64_to_ktime
 * saturates at KTIME_MAX the same way).
 */
export function nsToNumber(ns: bigint): number {
  if (ns > BigInt(Number.MAX_SAFE_INTEGER)) return NO_DEADLINE;
  if (ns < BigInt(Number.MIN_SAFE_INTEGER)) return Number.NEGATIVE_INFINITY;
  return Number(ns);
}
