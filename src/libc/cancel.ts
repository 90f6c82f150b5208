/**
 * Thread cancellation (LIBC-7): pthread_cancel, pthread_setcancelstate, pthread_setcanceltype,
 * pthread_testcancel, and the cancellation points the rest of libc wraps its blocking calls in.
 * A cancelled thread exits as pthread_exit(PTHREAD_CANCELED) does: cleanup handlers (cleanup.ts)
 * last pushed first, then key destructors; its joiner gets PTHREAD_CANCELED. The state lives in
 * the thread descriptor's cancellation word (layout.ts THREAD_CANCEL), which pthread_cancel
 * sets with an atomic OR from the cancelling thread.
 *
 * improved (glibc's NPTL as of 2.34):
 * - a thread starts with cancellation enabled and deferred;
 * - deferred: a request is acted on at the next cancellation point: pthread_testcancel,
 *   pthread_join, pthread_cond_wait/timedwait/clockwait, sem_wait/timedwait/clockwait,
 *   nanosleep and sleep, sigwait/sigtimedwait. Around its blocking system call a cancellation
 *   point opens a window in which it counts as asynchronous (glibc's
 *   __pthread_enable_asynccancel): a request already pending acts as the window opens, and one
 *   that arrives inside it is sent as SIGCANCEL (32), which wakes the blocked call (EINTR) and
 *   whose handler acts;
 * - asynchronous (pthread_setcanceltype): pthread_cancel sends SIGCANCEL at once and the
 *   handler acts at the thread's next return to user mode, wherever it was;
 * - disabled: requests stay pending until re-enabled; enabling does not act by itself in
 *   deferred mode;
 * - a cancelled condvar wait re-takes its mutex before the cleanup handlers run (POSIX), and a
 *   cancelled sem_wait or pthread_join undoes its bookkeeping (the waiter count, the joiner);
 * - the SIGCANCEL handler is installed by the first pthread_cancel of the process, as glibc
 *   2.34 does.
 *
 * relibc (src/pthread/mod.rs, header/pthread/mod.rs; models.md §3 does not cover it), as its
 * code behaves:
 * - cancellation starts DISABLED in every thread (`has_enabled_cancelation: false` in both
 *   `init` and `Tcb::new`), so a thread that never enables it cannot be cancelled;
 * - pthread_cancel sets `has_queued_cancelation` and, only if the target has enabled
 *   cancellation, sends it the cancel signal (`rlct_kill(SIGRT_RLCT_CANCEL)`), whose handler
 *   exits the thread at its next return to user mode: every cancel is asynchronous;
 * - pthread_setcanceltype checks its argument, stores nothing and reports DEFERRED as the old
 *   type (a `// TODO`);
 * - pthread_setcancelstate(ENABLE) with a request queued exits at once, in any type;
 * - pthread_testcancel acts when a request is queued and cancellation is enabled; there are
 *   no other cancellation points (blocking calls are ended by the signal instead), so a
 *   condvar waiter is cancelled without its mutex;
 * - SIGRT_RLCT_CANCEL is 32 or 33 depending on the relibc version; this model sends 32, the
 *   one real-time signal it has. The sources read do not show where relibc installs
 *   `cancel_sighandler` for it; the model installs it at the first pthread_cancel, as the
 *   improved libc does, so the handler relibc defines is the one that runs.
 *
 * The two variants' steps: relibc/cancel.ts and improved/cancel.ts.
 */
import type { Program } from '../abi/effects.ts';
import { EINVAL, ESRCH } from '../abi/errno.ts';
import type { Guest } from '../abi/guest.ts';
import { SIGCANCEL } from '../abi/signal.ts';
import type { CleanupRoutine } from './cleanup.ts';
import {
  PTHREAD_CANCEL_ASYNCHRONOUS,
  PTHREAD_CANCEL_DEFERRED,
  PTHREAD_CANCEL_DISABLE,
  PTHREAD_CANCEL_ENABLE,
  THREAD_CANCEL,
} from './layout.ts';
import { pthread_exit, type pthread_t, selfDescriptor, threadTid } from './pthread.ts';
import { libcOf } from './select.ts';
import { sigaction } from './signal.ts';

export {
  PTHREAD_CANCEL_ASYNCHRONOUS,
  PTHREAD_CANCEL_DEFERRED,
  PTHREAD_CANCEL_DISABLE,
  PTHREAD_CANCEL_ENABLE,
} from './layout.ts';

/** What pthread_join gives for a cancelled thread (glibc's and relibc's `(void *) -1`). */
export const PTHREAD_CANCELED: unique symbol = Symbol('PTHREAD_CANCELED');

/** The calling thread's cancellation word. */
export const cancelWord = (t: Guest) => selfDescriptor(t) + THREAD_CANCEL;

/**
 * pthread_exit's first step (improved): the thread is exiting, so a cancellation point in one
 * of its cleanup handlers or key destructors does not act again (glibc's EXITING_BIT).
 */
export function markExiting(t: Guest): void {
  libcOf(t).cancel.markExiting(t);
}

/** Acts on a cancellation request: the thread exits with PTHREAD_CANCELED. */
export function* act(t: Guest): Program<never> {
  return yield* pthread_exit(t, PTHREAD_CANCELED);
}

/** The SIGCANCEL handler (installed by the first pthread_cancel of a process). */
function sigcancelHandler(t: Guest, _sig: number): Program<void> {
  return libcOf(t).cancel.onSigcancel(t);
}

export function* installHandler(t: Guest): Program<void> {
  if (t.data.sigcancelInstalled === true) return;
  const r = yield* sigaction(t, SIGCANCEL, { handler: sigcancelHandler, mask: 0, flags: 0 });
  if (r < 0) throw new Error(`pthread_cancel: sigaction(SIGCANCEL) failed (${r})`);
  t.data.sigcancelInstalled = true;
}

/** Asks `thread` to cancel; 0, or ESRCH for a handle that names no thread of this process. */
export function* pthread_cancel(t: Guest, thread: pthread_t): Program<number> {
  const tid = threadTid(t, thread);
  if (tid === 0) return ESRCH;
  return yield* libcOf(t).cancel.request(t, thread, tid, thread + THREAD_CANCEL);
}

/** pthread_setcancelstate(state): [0, old state] or [EINVAL, 0]. */
export function* pthread_setcancelstate(t: Guest, state: number): Program<[number, number]> {
  if (state !== PTHREAD_CANCEL_ENABLE && state !== PTHREAD_CANCEL_DISABLE) return [EINVAL, 0];
  return yield* libcOf(t).cancel.setState(t, state);
}

/** pthread_setcanceltype(type): [0, old type] or [EINVAL, 0]. */
export function* pthread_setcanceltype(t: Guest, type: number): Program<[number, number]> {
  if (type !== PTHREAD_CANCEL_DEFERRED && type !== PTHREAD_CANCEL_ASYNCHRONOUS) return [EINVAL, 0];
  return yield* libcOf(t).cancel.setType(t, type);
}

/** Acts on a pending request if cancellation is enabled; otherwise returns. */
export function pthread_testcancel(t: Guest): Program<void> {
  return libcOf(t).cancel.test(t);
}

/**
 * Runs `body` (a blocking call) as a cancellation point. improved: a pending request acts
 * first; during `body` a request sends SIGCANCEL, whose handler acts; `onCancel(arg)`, pushed
 * as a cleanup handler for the duration, runs first when it does (a condvar wait re-takes its
 * mutex there). relibc has no cancellation points: `body` runs as is.
 */
export function cancellationPoint<T>(
  t: Guest,
  body: Program<T>,
  onCancel: CleanupRoutine | null = null,
  arg: unknown = null,
): Program<T> {
  return libcOf(t).cancel.point(t, body, onCancel, arg);
}
