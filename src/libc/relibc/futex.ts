/**
 * relibc's futex wait (futex.ts explains both variants): Redox's FUTEX_WAIT with an absolute
 * monotonic timespec, a REALTIME deadline converted first (timespec_realtime_to_monotonic),
 * and ETIMEDOUT reported only when a deadline was given (models.md §2, §3).
 */
import type { Program } from '../../abi/effects.ts';
import { ETIMEDOUT } from '../../abi/errno.ts';
import type { Guest } from '../../abi/guest.ts';
import { CLOCK_MONOTONIC, CLOCK_REALTIME, FUTEX_WAIT, SYS_FUTEX } from '../../abi/syscalls.ts';
import type { Deadline } from '../futex.ts';
import { threadScratch } from '../scratch.ts';
import { syscall } from '../sys.ts';
import { clockNow, timespec_load, timespec_store, timespecNormal, timespecSub } from '../time.ts';

/** Where waitUntil writes the converted deadline in the thread's scratch buffer. */
const SCRATCH_MONOTONIC_DEADLINE = 160;

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

/** Redox has no private futexes: `shared` changes nothing. */
export function* waitUntil(
  t: Guest,
  addr: number,
  expected: number,
  deadline: Deadline | null,
  _shared: boolean,
): Program<number> {
  const timeout = deadline === null ? 0 : yield* monotonicDeadline(t, deadline);
  if (timeout < 0) return timeout;
  const r = yield* syscall(t, SYS_FUTEX, addr, FUTEX_WAIT, expected, timeout);
  // relibc reports ETIMEDOUT only when a deadline was given (models.md §3).
  return r === -ETIMEDOUT && deadline === null ? 0 : r;
}
