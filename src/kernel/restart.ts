/**
 * System-call restarts (issue 11): the kernel-internal return values Linux gives a call that a
 * signal interrupted and that is to be issued again (include/linux/errno.h), and what the way
 * back to user mode does with them (arch/x86/kernel/signal.c, handle_signal and
 * arch_do_signal_or_restart):
 * - ERESTARTNOINTR: the call is restarted, after the handler runs if a signal is delivered,
 *   whatever its SA_RESTART says (futex_lock_pi; futex_wait_requeue_pi woken before its
 *   requeue);
 * - ERESTARTSYS: restarted when no handler runs, or the handler has SA_RESTART; otherwise the
 *   caller gets EINTR (futex_wait with no timeout).
 * Neither value ever reaches a guest. x86 restarts by moving the user IP back onto the syscall
 * instruction with the original registers; here a user frame that issues the same system call
 * again (same number, same arguments) goes under the handler's frame, so the handler runs first
 * and the interrupted program receives the restarted call's result.
 */
import { type Program, Op, type SyscallEffect } from '../abi/effects.ts';
import { EINTR } from '../abi/errno.ts';
import { SA_RESTART } from '../abi/signal.ts';
import { FrameKind, makeFrame } from '../hw/context.ts';
import type { Thread } from './thread.ts';

export const ERESTARTSYS = 512;
export const ERESTARTNOINTR = 513;

/** A system call that returned a restart code, waiting for the return to user mode. */
export interface PendingRestart {
  code: typeof ERESTARTSYS | typeof ERESTARTNOINTR;
  call: SyscallEffect;
}

/** Remembers the call `nr(args)` of `t` if its handler's `result` asks for a restart. */
export function noteRestart(t: Thread, nr: number, args: unknown[], result: unknown): void {
  if (result !== -ERESTARTSYS && result !== -ERESTARTNOINTR) return;
  t.restart = { code: -result as PendingRestart['code'], call: { op: Op.Syscall, nr, args: [...args] } };
}

/** The user frame that issues the interrupted call again and returns its result to the program. */
function* reissue(call: SyscallEffect): Program<unknown> {
  return yield call;
}

/**
 * At a return to user mode with a restart pending: restarts the call, or (ERESTARTSYS under a
 * handler without SA_RESTART) makes it return EINTR. `handlerFlags` is the sa_flags of the
 * handler about to be set up, or null when no handler runs. Returns whether a frame was pushed.
 */
export function settleRestart(t: Thread, handlerFlags: number | null): boolean {
  const pending = t.restart;
  if (pending === null) return false;
  t.restart = null;
  const restart =
    pending.code === ERESTARTNOINTR || handlerFlags === null || (handlerFlags & SA_RESTART) !== 0;
  const interrupted = t.frames[t.frames.length - 1]!;
  if (!restart) {
    interrupted.resume = -EINTR;
    return false;
  }
  interrupted.resume = undefined; // the restarted call's result replaces the restart code
  t.frames.push(makeFrame(reissue(pending.call), FrameKind.User));
  return true;
}
