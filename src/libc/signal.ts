/**
 * Signal calls for guests: kill, pthread_kill, sigaction, pthread_sigmask, sigpending and
 * sigtimedwait/sigwait. Raw calls return the kernel's result (-errno on failure); the pthread_*
 * ones return an errno value as POSIX has them.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import type { SigAction } from '../abi/signal.ts';
import {
  SYS_GETPID,
  SYS_KILL,
  SYS_RT_SIGACTION,
  SYS_RT_SIGPENDING,
  SYS_RT_SIGPROCMASK,
  SYS_RT_SIGTIMEDWAIT,
  SYS_TGKILL,
} from '../abi/syscalls.ts';
import { cancellationPoint } from './cancel.ts';
import { threadScratch } from './scratch.ts';
import { syscall } from './sys.ts';

export function kill(t: Guest, pid: number, sig: number): Program<number> {
  return syscall(t, SYS_KILL, pid, sig);
}

/** pthread_kill(tid, sig): 0 or an errno value (ESRCH, EINVAL). */
export function* pthread_kill(t: Guest, tid: number, sig: number): Program<number> {
  const pid = yield* syscall(t, SYS_GETPID);
  const r = yield* syscall(t, SYS_TGKILL, pid, tid, sig);
  return r < 0 ? -r : 0;
}

/** sigaction(sig, act, oldact): 0 or -errno; `oldact` is filled when given. */
export function sigaction(t: Guest, sig: number, act: SigAction | null, oldact?: SigAction): Program<number> {
  return syscall(t, SYS_RT_SIGACTION, sig, act, oldact ?? null);
}

/**
 * pthread_sigmask(how, set, wantOld): returns [errno, old mask]. `set` null leaves the mask
 * alone (a query). The sets are 32-bit masks (bit sig-1).
 */
export function* pthread_sigmask(t: Guest, how: number, set: number | null): Program<[number, number]> {
  const word = yield* threadScratch(t);
  if (set !== null) t.store32(word, set >>> 0);
  const r = yield* syscall(t, SYS_RT_SIGPROCMASK, how, set === null ? 0 : word, word);
  return r < 0 ? [-r, 0] : [0, t.load32(word)];
}

/** sigpending: the blocked signals that are pending, or -errno. */
export function* sigpending(t: Guest): Program<number> {
  const word = yield* threadScratch(t);
  const r = yield* syscall(t, SYS_RT_SIGPENDING, word);
  return r < 0 ? r : t.load32(word);
}

/**
 * sigtimedwait(set, timeout): the signal taken, or -EAGAIN on timeout, -EINTR, -EINVAL (the
 * relative struct timespec at `timeout` is not a time), -EFAULT. `timeout` 0: wait for ever.
 */
export function* sigtimedwait(t: Guest, set: number, timeout = 0): Program<number> {
  const word = yield* threadScratch(t);
  t.store32(word, set >>> 0);
  // A cancellation point (LIBC-7, cancel.ts).
  return yield* cancellationPoint(t, syscall(t, SYS_RT_SIGTIMEDWAIT, word, 0, timeout));
}

/** sigwait(set): [0, sig] or [errno, 0], as POSIX returns it. */
export function* sigwait(t: Guest, set: number): Program<[number, number]> {
  for (;;) {
    const r = yield* sigtimedwait(t, set);
    if (r > 0) return [0, r];
    if (r !== -4) return [-r, 0]; // EINTR: a handler ran; sigwait restarts
  }
}
