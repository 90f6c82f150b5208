/**
 * Joining a thread (LIBC-1): pthread_join, and glibc's extensions pthread_tryjoin_np,
 * pthread_timedjoin_np and pthread_clockjoin_np (nptl/pthread_join_common.c
 * __pthread_clockjoin_ex, pthread_tryjoin.c, pthread_timedjoin.c, pthread_clockjoin.c). A join
 * waits on the thread descriptor's tid word, which the kernel clears and futex-wakes when the
 * thread exits (CLONE_CHILD_CLEARTID); the wait is a cancellation point (LIBC-7).
 *
 * Deadlines are a `struct timespec *` on the clock, as the libc's other timed calls take them
 * (pthread_mutex_timedlock, sem_timedwait); a tv_nsec outside [0, 1e9) is EINVAL, checked only
 * when the call has to wait (glibc's join loop would retry an invalid timespec's EINVAL for ever).
 *
 * relibc has none of the _np calls (its src/header/pthread/mod.rs exports pthread_join only),
 * so a C program calling them would not link; the relibc variant fails loudly instead: the
 * call aborts the process.
 */
import type { Program } from '../abi/effects.ts';
import { EBUSY, EDEADLK, EINVAL, ESRCH, ETIMEDOUT } from '../abi/errno.ts';
import type { Guest } from '../abi/guest.ts';
import { CLOCK_MONOTONIC, CLOCK_REALTIME } from '../abi/syscalls.ts';
import { cancellationPoint } from './cancel.ts';
import { checkDeadline, type Deadline, futexWaitUntil } from './futex.ts';
import { type pthread_t, releaseThread, type ThreadRecord, threadRecord } from './pthread.ts';
import { libcOf } from './select.ts';

function relibcLacks(call: string): never {
  throw new Error(`relibc: ${call} is not implemented (relibc's pthread.h has no ${call})`);
}

/**
 * The common join: ESRCH for a handle that names no thread (never created, or joined), EDEADLK
 * joining oneself, EINVAL for a detached thread or one another thread is joining; then it waits
 * for the tid word to clear, until `deadline` when one is given (ETIMEDOUT, and the thread can
 * be joined again). [0, the thread's value] once it has exited.
 */
function* joinUntil(t: Guest, thread: pthread_t, deadline: Deadline | null): Program<[number, unknown]> {
  const record = threadRecord(t, thread);
  if (record === undefined) return [ESRCH, undefined];
  if (record.tid === t.tid) return [EDEADLK, undefined];
  if (record.detached || (record.joiner !== 0 && record.joiner !== t.tid)) return [EINVAL, undefined];
  if (t.load32(thread) !== 0 && checkDeadline(t, deadline) !== 0) return [EINVAL, undefined];
  record.joiner = t.tid;
  for (;;) {
    const current = t.load32(thread);
    if (current === 0) break;
    // The kernel's clear-tid wake is a shared (non-private) FUTEX_WAKE, as glibc's join expects.
    // A joiner cancelled here leaves the thread joinable.
    const r = yield* cancellationPoint(
      t,
      futexWaitUntil(t, thread, current, deadline, true),
      forgetJoiner,
      record,
    );
    if (r === -ETIMEDOUT) {
      record.joiner = 0; // glibc: pd->joinid = NULL, another join may try again
      return [ETIMEDOUT, undefined];
    }
  }
  releaseThread(t, record);
  return [0, record.value];
}

function* forgetJoiner(_t: Guest, record: unknown): Program<void> {
  (record as ThreadRecord).joiner = 0;
}

/** Waits for the thread to exit; [0, its value] or [ESRCH | EDEADLK | EINVAL, undefined]. */
export function pthread_join(t: Guest, thread: pthread_t): Program<[number, unknown]> {
  return joinUntil(t, thread, null);
}

/**
 * pthread_tryjoin_np: EBUSY while the thread runs (its tid word is not yet cleared, so also for
 * the caller itself, as glibc checks the word first), else pthread_join without waiting.
 */
export function* pthread_tryjoin_np(t: Guest, thread: pthread_t): Program<[number, unknown]> {
  if (!libcOf(t).thread.hasJoinNp) relibcLacks('pthread_tryjoin_np');
  if (threadRecord(t, thread) === undefined) return [ESRCH, undefined];
  if (t.load32(thread) !== 0) return [EBUSY, undefined];
  return yield* joinUntil(t, thread, null);
}

/** pthread_timedjoin_np: pthread_join giving up with ETIMEDOUT at `*abstime` (a struct timespec) on CLOCK_REALTIME. */
export function* pthread_timedjoin_np(
  t: Guest,
  thread: pthread_t,
  abstime: number,
): Program<[number, unknown]> {
  if (!libcOf(t).thread.hasJoinNp) relibcLacks('pthread_timedjoin_np');
  return yield* joinUntil(t, thread, { clock: CLOCK_REALTIME, abstime });
}

/**
 * pthread_clockjoin_np (glibc 2.31): the deadline on CLOCK_REALTIME or CLOCK_MONOTONIC; any
 * other clock is EINVAL before anything else (futex_abstimed_supported_clockid).
 */
export function* pthread_clockjoin_np(
  t: Guest,
  thread: pthread_t,
  clock: number,
  abstime: number,
): Program<[number, unknown]> {
  if (!libcOf(t).thread.hasJoinNp) relibcLacks('pthread_clockjoin_np');
  if (clock !== CLOCK_REALTIME && clock !== CLOCK_MONOTONIC) return [EINVAL, undefined];
  return yield* joinUntil(t, thread, { clock, abstime });
}
