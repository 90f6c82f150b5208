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
 */
import type { Program } from '../abi/effects.ts';
import { AtomicOp } from '../abi/effects.ts';
import { EINVAL, ESRCH } from '../abi/errno.ts';
import type { Guest } from '../abi/guest.ts';
import { SIGCANCEL } from '../abi/signal.ts';
import { SYS_GETPID, SYS_TGKILL } from '../abi/syscalls.ts';
import { type CleanupRoutine, pthread_cleanup_pop, pthread_cleanup_push } from './cleanup.ts';
import {
  PTHREAD_CANCEL_ASYNCHRONOUS,
  PTHREAD_CANCEL_DEFERRED,
  PTHREAD_CANCEL_DISABLE,
  PTHREAD_CANCEL_ENABLE,
  THREAD_CANCEL,
  THREAD_TID,
} from './layout.ts';
import { pthread_exit, type pthread_t, selfDescriptor, threadTid } from './pthread.ts';
import { sigaction } from './signal.ts';
import { syscall } from './sys.ts';
import { libcName } from './variant.ts';

export {
  PTHREAD_CANCEL_ASYNCHRONOUS,
  PTHREAD_CANCEL_DEFERRED,
  PTHREAD_CANCEL_DISABLE,
  PTHREAD_CANCEL_ENABLE,
} from './layout.ts';

/** What pthread_join gives for a cancelled thread (glibc's and relibc's `(void *) -1`). */
export const PTHREAD_CANCELED: unique symbol = Symbol('PTHREAD_CANCELED');

// improved: bits of the cancellation word (glibc's cancelhandling, simplified).
/** Cancellation disabled (pthread_setcancelstate). */
const DISABLED = 1;
/** Asynchronous type (pthread_setcanceltype). */
const ASYNC = 2;
/** Inside a cancellation point's blocking call: counts as asynchronous. */
const WINDOW = 4;
/** A request is pending (set by pthread_cancel). */
const CANCELED = 8;
/** The thread is exiting: no further cancellation acts. */
const EXITING = 16;

// relibc: its two AtomicBools, as bits of the same word.
const RELIBC_ENABLED = 1;
const RELIBC_QUEUED = 2;

const cancelWord = (t: Guest) => selfDescriptor(t) + THREAD_CANCEL;

const actsNow = (w: number) => (w & (DISABLED | EXITING)) === 0 && (w & CANCELED) !== 0;

/**
 * pthread_exit's first step (improved): the thread is exiting, so a cancellation point in one
 * of its cleanup handlers or key destructors does not act again (glibc's EXITING_BIT).
 */
export function markExiting(t: Guest): void {
  if (libcName(t) === 'relibc') return;
  const word = cancelWord(t);
  t.store32(word, (t.load32(word) | EXITING | DISABLED) & ~WINDOW);
}

/** Acts on a cancellation request: the thread exits with PTHREAD_CANCELED. */
function* act(t: Guest): Program<never> {
  return yield* pthread_exit(t, PTHREAD_CANCELED);
}

/** The SIGCANCEL handler (installed by the first pthread_cancel of a process). */
function* sigcancelHandler(t: Guest, _sig: number): Program<void> {
  if (libcName(t) === 'relibc') return yield* act(t); // cancel_sighandler: unconditional
  const w = t.load32(cancelWord(t));
  if (actsNow(w) && (w & (ASYNC | WINDOW)) !== 0) yield* act(t);
  // Otherwise the signal came too late for a window that has closed: the request stays
  // pending for the next cancellation point, and the interrupted call returns as it would.
}

function* installHandler(t: Guest): Program<void> {
  if (t.data.sigcancelInstalled === true) return;
  const r = yield* sigaction(t, SIGCANCEL, { handler: sigcancelHandler, mask: 0, flags: 0 });
  if (r < 0) throw new Error(`pthread_cancel: sigaction(SIGCANCEL) failed (${r})`);
  t.data.sigcancelInstalled = true;
}

/** Asks `thread` to cancel; 0, or ESRCH for a handle that names no thread of this process. */
export function* pthread_cancel(t: Guest, thread: pthread_t): Program<number> {
  const tid = threadTid(t, thread);
  if (tid === 0) return ESRCH;
  const word = thread + THREAD_CANCEL;
  if (libcName(t) === 'relibc') {
    const old = (yield t.atomic(AtomicOp.FetchOr, word, RELIBC_QUEUED)) as number;
    if ((old & RELIBC_ENABLED) === 0) return 0;
    yield* installHandler(t);
    // rlct_kill with the tid relibc keeps in its Pthread: ESRCH for a thread already gone.
    const r = yield* syscall(t, SYS_TGKILL, yield* syscall(t, SYS_GETPID), tid, SIGCANCEL);
    return r < 0 ? -r : 0;
  }
  yield* installHandler(t);
  const old = (yield t.atomic(AtomicOp.FetchOr, word, CANCELED)) as number;
  const now = old | CANCELED;
  if ((old & CANCELED) !== 0 || !actsNow(now) || (now & (ASYNC | WINDOW)) === 0) return 0;
  if (thread === selfDescriptor(t)) return yield* act(t); // asynchronous self-cancel
  const liveTid = t.load32(thread + THREAD_TID);
  if (liveTid === 0) return 0; // it has exited already: nothing to interrupt (glibc 2.34: 0)
  yield* syscall(t, SYS_TGKILL, yield* syscall(t, SYS_GETPID), liveTid, SIGCANCEL);
  return 0; // a thread that exits meanwhile makes tgkill ESRCH; the request was still made
}

/** pthread_setcancelstate(state): [0, old state] or [EINVAL, 0]. */
export function* pthread_setcancelstate(t: Guest, state: number): Program<[number, number]> {
  if (state !== PTHREAD_CANCEL_ENABLE && state !== PTHREAD_CANCEL_DISABLE) return [EINVAL, 0];
  const word = cancelWord(t);
  const w = t.load32(word);
  if (libcName(t) === 'relibc') {
    const old = (w & RELIBC_ENABLED) !== 0 ? PTHREAD_CANCEL_ENABLE : PTHREAD_CANCEL_DISABLE;
    if (state === PTHREAD_CANCEL_DISABLE) {
      yield t.atomic(AtomicOp.FetchAnd, word, ~RELIBC_ENABLED);
      return [0, old];
    }
    const now = ((yield t.atomic(AtomicOp.FetchOr, word, RELIBC_ENABLED)) as number) | RELIBC_ENABLED;
    if ((now & RELIBC_QUEUED) !== 0) yield* act(t); // enabling with a request queued exits at once
    return [0, old];
  }
  const old = (w & DISABLED) !== 0 ? PTHREAD_CANCEL_DISABLE : PTHREAD_CANCEL_ENABLE;
  const next = state === PTHREAD_CANCEL_DISABLE ? w | DISABLED : w & ~DISABLED;
  t.store32(word, next);
  if (actsNow(next) && (next & ASYNC) !== 0) yield* act(t);
  return [0, old];
}

/** pthread_setcanceltype(type): [0, old type] or [EINVAL, 0]. */
export function* pthread_setcanceltype(t: Guest, type: number): Program<[number, number]> {
  if (type !== PTHREAD_CANCEL_DEFERRED && type !== PTHREAD_CANCEL_ASYNCHRONOUS) return [EINVAL, 0];
  if (libcName(t) === 'relibc') return [0, PTHREAD_CANCEL_DEFERRED]; // set_cancel_type: a TODO
  const word = cancelWord(t);
  const w = t.load32(word);
  const old = (w & ASYNC) !== 0 ? PTHREAD_CANCEL_ASYNCHRONOUS : PTHREAD_CANCEL_DEFERRED;
  const next = type === PTHREAD_CANCEL_ASYNCHRONOUS ? w | ASYNC : w & ~ASYNC;
  t.store32(word, next);
  if (actsNow(next) && (next & ASYNC) !== 0) yield* act(t);
  return [0, old];
}

/** Acts on a pending request if cancellation is enabled; otherwise returns. */
export function* pthread_testcancel(t: Guest): Program<void> {
  const w = t.load32(cancelWord(t));
  if (libcName(t) === 'relibc') {
    if ((w & RELIBC_QUEUED) !== 0 && (w & RELIBC_ENABLED) !== 0) yield* act(t);
    return;
  }
  if (actsNow(w)) yield* act(t);
}

/**
 * Runs `body` (a blocking call) as a cancellation point. improved: a pending request acts
 * first; during `body` a request sends SIGCANCEL, whose handler acts; `onCancel(arg)`, pushed
 * as a cleanup handler for the duration, runs first when it does (a condvar wait re-takes its
 * mutex there). relibc has no cancellation points: `body` runs as is.
 */
export function* cancellationPoint<T>(
  t: Guest,
  body: Program<T>,
  onCancel: CleanupRoutine | null = null,
  arg: unknown = null,
): Program<T> {
  if (libcName(t) === 'relibc') return yield* body;
  const word = cancelWord(t);
  if (onCancel !== null) pthread_cleanup_push(t, onCancel, arg);
  const before = t.load32(word);
  if (actsNow(before)) yield* act(t);
  t.store32(word, before | WINDOW);
  const result = yield* body;
  t.store32(word, (t.load32(word) & ~WINDOW) | (before & WINDOW));
  if (onCancel !== null) yield* pthread_cleanup_pop(t, 0);
  return result;
}
