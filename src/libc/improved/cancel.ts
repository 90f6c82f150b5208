/**
 * The improved cancellation steps, glibc's NPTL as of 2.34 (nptl/pthread_cancel.c,
 * pthread_setcancelstate.c, pthread_setcanceltype.c, cancellation.c; cancel.ts has the whole
 * account): deferred by default; a cancellation point's blocking call is a window in which a
 * request acts through SIGCANCEL; asynchronous cancels act at once.
 */
import { AtomicOp, type Program } from '../../abi/effects.ts';
import type { Guest } from '../../abi/guest.ts';
import { SIGCANCEL } from '../../abi/signal.ts';
import { SYS_GETPID, SYS_TGKILL } from '../../abi/syscalls.ts';
import { act, cancelWord, installHandler } from '../cancel.ts';
import { type CleanupRoutine, pthread_cleanup_pop, pthread_cleanup_push } from '../cleanup.ts';
import {
  PTHREAD_CANCEL_ASYNCHRONOUS,
  PTHREAD_CANCEL_DEFERRED,
  PTHREAD_CANCEL_DISABLE,
  PTHREAD_CANCEL_ENABLE,
  THREAD_TID,
} from '../layout.ts';
import { selfDescriptor } from '../pthread.ts';
import { syscall } from '../sys.ts';

// Bits of the cancellation word (glibc's cancelhandling, simplified).
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

const actsNow = (w: number) => (w & (DISABLED | EXITING)) === 0 && (w & CANCELED) !== 0;

export function markExiting(t: Guest): void {
  const word = cancelWord(t);
  t.store32(word, (t.load32(word) | EXITING | DISABLED) & ~WINDOW);
}

export function* onSigcancel(t: Guest): Program<void> {
  const w = t.load32(cancelWord(t));
  if (actsNow(w) && (w & (ASYNC | WINDOW)) !== 0) yield* act(t);
  // Otherwise the signal came too late for a window that has closed: the request stays
  // pending for the next cancellation point, and the interrupted call returns as it would.
}

export function* request(t: Guest, thread: number, _tid: number, word: number): Program<number> {
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

export function* setState(t: Guest, state: number): Program<[number, number]> {
  const word = cancelWord(t);
  const w = t.load32(word);
  const old = (w & DISABLED) !== 0 ? PTHREAD_CANCEL_DISABLE : PTHREAD_CANCEL_ENABLE;
  const next = state === PTHREAD_CANCEL_DISABLE ? w | DISABLED : w & ~DISABLED;
  t.store32(word, next);
  if (actsNow(next) && (next & ASYNC) !== 0) yield* act(t);
  return [0, old];
}

export function* setType(t: Guest, type: number): Program<[number, number]> {
  const word = cancelWord(t);
  const w = t.load32(word);
  const old = (w & ASYNC) !== 0 ? PTHREAD_CANCEL_ASYNCHRONOUS : PTHREAD_CANCEL_DEFERRED;
  const next = type === PTHREAD_CANCEL_ASYNCHRONOUS ? w | ASYNC : w & ~ASYNC;
  t.store32(word, next);
  if (actsNow(next) && (next & ASYNC) !== 0) yield* act(t);
  return [0, old];
}

export function* test(t: Guest): Program<void> {
  if (actsNow(t.load32(cancelWord(t)))) yield* act(t);
}

export function* point<T>(
  t: Guest,
  body: Program<T>,
  onCancel: CleanupRoutine | null,
  arg: unknown,
): Program<T> {
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
