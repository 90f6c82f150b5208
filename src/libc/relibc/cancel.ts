/**
 * relibc's cancellation steps, as its code behaves (src/pthread/mod.rs, header/pthread/mod.rs;
 * cancel.ts has the whole account): two AtomicBools (enabled, queued) as bits of the
 * cancellation word; cancellation starts disabled; a request is acted on by the cancel signal
 * at once (every cancel is asynchronous) or when cancellation is enabled with one queued;
 * setcanceltype is a TODO; there are no cancellation points.
 */
import { AtomicOp, type Program } from '../../abi/effects.ts';
import type { Guest } from '../../abi/guest.ts';
import { SIGCANCEL } from '../../abi/signal.ts';
import { SYS_GETPID, SYS_TGKILL } from '../../abi/syscalls.ts';
import { act, cancelWord, installHandler } from '../cancel.ts';
import type { CleanupRoutine } from '../cleanup.ts';
import { PTHREAD_CANCEL_DEFERRED, PTHREAD_CANCEL_DISABLE, PTHREAD_CANCEL_ENABLE } from '../layout.ts';
import { syscall } from '../sys.ts';

const RELIBC_ENABLED = 1;
const RELIBC_QUEUED = 2;

/** relibc has no exiting state: nothing to mark. */
export function markExiting(_t: Guest): void {}

/** cancel_sighandler: unconditional. */
export function onSigcancel(t: Guest): Program<void> {
  return act(t);
}

export function* request(t: Guest, _thread: number, tid: number, word: number): Program<number> {
  const old = (yield t.atomic(AtomicOp.FetchOr, word, RELIBC_QUEUED)) as number;
  if ((old & RELIBC_ENABLED) === 0) return 0;
  yield* installHandler(t);
  // rlct_kill with the tid relibc keeps in its Pthread: ESRCH for a thread already gone.
  const r = yield* syscall(t, SYS_TGKILL, yield* syscall(t, SYS_GETPID), tid, SIGCANCEL);
  return r < 0 ? -r : 0;
}

export function* setState(t: Guest, state: number): Program<[number, number]> {
  const word = cancelWord(t);
  const w = t.load32(word);
  const old = (w & RELIBC_ENABLED) !== 0 ? PTHREAD_CANCEL_ENABLE : PTHREAD_CANCEL_DISABLE;
  if (state === PTHREAD_CANCEL_DISABLE) {
    yield t.atomic(AtomicOp.FetchAnd, word, ~RELIBC_ENABLED);
    return [0, old];
  }
  const now = ((yield t.atomic(AtomicOp.FetchOr, word, RELIBC_ENABLED)) as number) | RELIBC_ENABLED;
  if ((now & RELIBC_QUEUED) !== 0) yield* act(t); // enabling with a request queued exits at once
  return [0, old];
}

/** set_cancel_type: a TODO; the old type reported is always DEFERRED. */
export function* setType(_t: Guest, _type: number): Program<[number, number]> {
  return [0, PTHREAD_CANCEL_DEFERRED];
}

export function* test(t: Guest): Program<void> {
  const w = t.load32(cancelWord(t));
  if ((w & RELIBC_QUEUED) !== 0 && (w & RELIBC_ENABLED) !== 0) yield* act(t);
}

/** No cancellation points: the blocking call runs as is. */
export function* point<T>(
  _t: Guest,
  body: Program<T>,
  _onCancel: CleanupRoutine | null,
  _arg: unknown,
): Program<T> {
  return yield* body;
}
