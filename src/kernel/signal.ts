/**
 * Signals (FUTEX-8's EINTR, and what libc's cancellation, pthread_kill and sigwait stand on):
 * generation by kill/tgkill/tkill, per-thread masks, process-wide and per-thread pending sets,
 * handlers run on the thread at its next return to user mode, and sigtimedwait. The semantics
 * follow Linux's kernel/signal.c in outline:
 * - a signal that is ignored (SIG_IGN, or a default-ignore signal under SIG_DFL) and not
 *   blocked is discarded when sent;
 * - a process-directed signal goes to the first thread that does not block it (the main
 *   thread first, as complete_signal prefers), or stays pending on the process;
 * - a thread blocked in the kernel with a deliverable signal is woken and its call returns
 *   EINTR, or is restarted after the handler (ERESTARTNOINTR, or ERESTARTSYS under SA_RESTART:
 *   restart.ts); a thread running on another CPU gets a reschedule IPI so it reaches user mode;
 * - SIGKILL kills the whole process; a fatal default action kills it with that signal.
 * Stop signals (job control) are not modelled: sending SIGSTOP or SIGCONT's stop relatives
 * answers EINVAL rather than pretending.
 */
import { EAGAIN, EFAULT, EINTR, EINVAL, ESRCH } from '../abi/errno.ts';
import type { Program } from '../abi/effects.ts';
import {
  DEFAULT_IGNORED,
  NSIG_MODEL,
  SA_NODEFER,
  SA_RESETHAND,
  SIG_BLOCK,
  SIG_DFL,
  SIG_IGN,
  SIG_SETMASK,
  SIG_UNBLOCK,
  type SigAction,
  SIGKILL,
  SIGSTOP,
  sigBit,
  UNBLOCKABLE,
} from '../abi/signal.ts';
import {
  SYS_KILL,
  SYS_RT_SIGACTION,
  SYS_RT_SIGPENDING,
  SYS_RT_SIGPROCMASK,
  SYS_RT_SIGRETURN,
  SYS_RT_SIGTIMEDWAIT,
  SYS_TGKILL,
  SYS_TKILL,
} from '../abi/syscalls.ts';
import { FrameKind, makeFrame } from '../hw/context.ts';
import type { Cpu } from '../hw/cpu.ts';
import { type KernelGen, sendIpi, spend } from '../hw/effects.ts';
import { VEC_IPI_SWITCH } from '../hw/vectors.ts';
import { GuestHandle } from './guest-handle.ts';
import type { Kernel } from './kernel.ts';
import { type Process, ProcessState } from './process.ts';
import { afterNs, NO_TIMEOUT, type Timeout } from './timeout.ts';
import { copyTimespecIn, timespecNs, timespecValid } from './timespec.ts';
import { doomThreads, killProcess } from './proc.ts';
import { settleRestart } from './restart.ts';
import { schedule } from './sched/switch.ts';
import { argNum, type SyscallTable } from './syscall-types.ts';
import { type Thread, ThreadState } from './thread.ts';
import { getUser32, putUser32, wordOk } from './uaccess.ts';

/** SIGTSTP, SIGTTIN, SIGTTOU: stop signals besides SIGSTOP, not modelled. */
const STOP_SIGNALS = sigBit(SIGSTOP) | sigBit(20) | sigBit(21) | sigBit(22);

const validSignal = (sig: number) => Number.isInteger(sig) && sig >= 1 && sig <= NSIG_MODEL;

function actionOf(p: Process, sig: number): SigAction | undefined {
  return p.sigActions[sig];
}

/** True when `sig` would be thrown away on arrival by `p`'s disposition. */
function ignoredBy(p: Process, sig: number): boolean {
  const handler = actionOf(p, sig)?.handler ?? SIG_DFL;
  return handler === SIG_IGN || (handler === SIG_DFL && (DEFAULT_IGNORED & sigBit(sig)) !== 0);
}

/**
 * True when `sig` sent to `p` now would be thrown away on arrival: ignored by its disposition
 * and neither blocked nor awaited by any live thread (what signalProcess discards).
 */
export function discards(p: Process, sig: number): boolean {
  const bit = sigBit(sig);
  return (
    ignoredBy(p, sig) &&
    [...p.threads].every(
      (th) => th.state === ThreadState.Dead || ((th.sigMask & bit) === 0 && (th.sigWaitSet & bit) === 0),
    )
  );
}

/** Signals pending for `t` that it does not block. */
export function deliverable(t: Thread): number {
  return ((t.sigPending | t.process.sigPending) & ~t.sigMask) >>> 0;
}

/** Does a blocking call of `t` have to return EINTR (or not block at all)? */
export function signalPending(t: Thread): boolean {
  return deliverable(t) !== 0 || t.killPending;
}

/** Gets `t` to notice a newly pending signal: wake it from a block, or IPI its CPU. */
function* kick(k: Kernel, cpu: Cpu, t: Thread, bit: number): KernelGen<void> {
  if ((bit & ~t.sigMask) === 0 && (bit & t.sigWaitSet) === 0) return;
  if (t.state === ThreadState.Blocked) {
    t.interrupted = true;
    yield* k.wakeThread(cpu, t);
  } else if (t.running && t.lastCpu !== cpu.id) {
    yield sendIpi(t.lastCpu, VEC_IPI_SWITCH);
  }
}

/** Sends `sig` to one thread (tgkill, tkill, pthread_kill). */
export function* signalThread(k: Kernel, cpu: Cpu, t: Thread, sig: number): KernelGen<void> {
  k.stats.signalsSent++;
  if (sig === SIGKILL) return yield* killFromOutside(k, cpu, t.process, sig);
  if (ignoredBy(t.process, sig) && (t.sigMask & sigBit(sig)) === 0 && (t.sigWaitSet & sigBit(sig)) === 0) {
    k.stats.signalsDiscarded++;
    return;
  }
  t.sigPending = (t.sigPending | sigBit(sig)) >>> 0;
  yield* kick(k, cpu, t, sigBit(sig));
}

/** Sends `sig` to a process (kill): one thread that does not block it is made to take it. */
export function* signalProcess(k: Kernel, cpu: Cpu, p: Process, sig: number): KernelGen<void> {
  k.stats.signalsSent++;
  if (sig === SIGKILL) return yield* killFromOutside(k, cpu, p, sig);
  const bit = sigBit(sig);
  const live = [...p.threads].filter((th) => th.state !== ThreadState.Dead);
  if (ignoredBy(p, sig) && live.every((th) => (th.sigMask & bit) === 0 && (th.sigWaitSet & bit) === 0)) {
    k.stats.signalsDiscarded++;
    return;
  }
  p.sigPending = (p.sigPending | bit) >>> 0;
  const taker = live.find((th) => (th.sigWaitSet & bit) !== 0) ?? live.find((th) => (th.sigMask & bit) === 0);
  if (taker !== undefined) yield* kick(k, cpu, taker, bit);
}

/** SIGKILL, or a fatal signal sent from outside: every thread exits at its next return to user. */
function* killFromOutside(k: Kernel, cpu: Cpu, p: Process, sig: number): KernelGen<void> {
  if (p.killedBy === 0) p.killedBy = sig;
  yield* doomThreads(k, cpu, p, null);
}

/**
 * At a return to user mode: takes the lowest deliverable signal and acts on it. A handler is
 * pushed as a user frame that, when it returns, calls rt_sigreturn and hands the interrupted
 * frame back the value it was about to receive; a system call that asked for a restart is
 * restarted under it or ends with EINTR (restart.ts). Returns kernel work to run, or null.
 */
export function takeSignal(k: Kernel, cpu: Cpu, t: Thread): KernelGen<void> | null {
  const bits = deliverable(t);
  const sig = 32 - Math.clz32(bits & -bits);
  const bit = sigBit(sig);
  if ((t.sigPending & bit) !== 0) t.sigPending = (t.sigPending & ~bit) >>> 0;
  else t.process.sigPending = (t.process.sigPending & ~bit) >>> 0;
  const action = actionOf(t.process, sig);
  const handler = action?.handler ?? SIG_DFL;
  if (handler === SIG_IGN || (handler === SIG_DFL && (DEFAULT_IGNORED & bit) !== 0)) {
    settleRestart(t, null);
    restoreSavedSigmask(t);
    return null;
  }
  k.stats.signalsDelivered++;
  if (handler === SIG_DFL) {
    t.restart = null; // the process dies: nothing to restart
    return killProcess(k, cpu, t, sig);
  }
  settleRestart(t, action!.flags);
  // After a masked wait the handler's frame keeps the caller's own mask (setup_rt_frame saves
  // sigmask_to_save(): saved_sigmask when TIF_RESTORE_SIGMASK is set; kernel/signal.c).
  const savedMask = t.savedSigMask ?? t.sigMask;
  t.savedSigMask = null;
  t.sigMask = (t.sigMask | action!.mask | ((action!.flags & SA_NODEFER) !== 0 ? 0 : bit)) & ~UNBLOCKABLE;
  if ((action!.flags & SA_RESETHAND) !== 0) t.process.sigActions[sig] = undefined;
  const interrupted = t.frames[t.frames.length - 1]!;
  const resume = interrupted.resume;
  interrupted.resume = undefined;
  const guest = new GuestHandle(t);
  t.frames.push(makeFrame(runHandler(guest, handler, sig, savedMask, resume), FrameKind.User));
  return null;
}

/**
 * Puts back a mask a masked wait left in place when no handler takes it over (Linux's
 * restore_saved_sigmask at the end of arch_do_signal_or_restart). A no-op without one.
 */
export function restoreSavedSigmask(t: Thread): void {
  if (t.savedSigMask === null) return;
  t.sigMask = t.savedSigMask;
  t.savedSigMask = null;
}

/** The handler's frame: the handler, then rt_sigreturn, then the interrupted frame's value. */
function* runHandler(
  guest: GuestHandle,
  handler: (guest: GuestHandle, sig: number) => Program<void>,
  sig: number,
  savedMask: number,
  resume: unknown,
): Program<unknown> {
  yield* handler(guest, sig);
  yield guest.syscall(SYS_RT_SIGRETURN, savedMask);
  return resume;
}

function* sysKill(k: Kernel, cpu: Cpu, pid: number, sig: number): KernelGen<number> {
  if (sig !== 0 && !validSignal(sig)) return -EINVAL;
  if (sig !== 0 && (STOP_SIGNALS & sigBit(sig)) !== 0) return -EINVAL;
  // Process groups (pid 0, pid < -1) and broadcast (pid -1) are not modelled.
  if (pid <= 0) return -EINVAL;
  const p = k.processes.get(pid);
  if (p === undefined) return -ESRCH;
  yield spend(k.board.costs.signalSendNs);
  if (sig === 0 || p.state !== ProcessState.Alive) return 0;
  yield* signalProcess(k, cpu, p, sig);
  return 0;
}

function* sysTgkill(k: Kernel, cpu: Cpu, tgid: number, tid: number, sig: number): KernelGen<number> {
  if (sig !== 0 && !validSignal(sig)) return -EINVAL;
  if (sig !== 0 && (STOP_SIGNALS & sigBit(sig)) !== 0) return -EINVAL;
  const t = k.threads.get(tid);
  if (t === undefined || t.state === ThreadState.Dead || (tgid >= 0 && t.process.pid !== tgid)) return -ESRCH;
  yield spend(k.board.costs.signalSendNs);
  if (sig !== 0) yield* signalThread(k, cpu, t, sig);
  return 0;
}

/** rt_sigprocmask(how, set, oldset): the sets are 32-bit words in guest memory (0 = none). */
function* sysSigprocmask(t: Thread, how: number, setAddr: number, oldAddr: number): KernelGen<number> {
  if (setAddr !== 0 && !wordOk(t, setAddr, false)) return -EFAULT;
  if (oldAddr !== 0 && !wordOk(t, oldAddr, true)) return -EFAULT;
  const old = t.sigMask;
  if (setAddr !== 0) {
    const set = getUser32(t, setAddr);
    if (how === SIG_BLOCK) t.sigMask = (old | set) >>> 0;
    else if (how === SIG_UNBLOCK) t.sigMask = (old & ~set) >>> 0;
    else if (how === SIG_SETMASK) t.sigMask = set >>> 0;
    else return -EINVAL;
    t.sigMask = (t.sigMask & ~UNBLOCKABLE) >>> 0;
  }
  if (oldAddr !== 0) putUser32(t, oldAddr, old);
  return 0;
}

/** rt_sigaction(sig, act, oldact): `act` is a SigAction value or null; `oldact` an object to fill. */
function* sysSigaction(t: Thread, sig: number, act: unknown, oldact: unknown): KernelGen<number> {
  if (!validSignal(sig)) return -EINVAL;
  if (act !== null && act !== undefined && (UNBLOCKABLE & sigBit(sig)) !== 0) return -EINVAL;
  const p = t.process;
  if (oldact !== null && typeof oldact === 'object') {
    const previous = actionOf(p, sig) ?? { handler: SIG_DFL, mask: 0, flags: 0 };
    Object.assign(oldact, previous);
  }
  if (act === null || act === undefined) return 0;
  const a = act as SigAction;
  if (typeof a.handler !== 'function' && a.handler !== SIG_DFL && a.handler !== SIG_IGN) return -EINVAL;
  p.sigActions[sig] = { handler: a.handler, mask: (a.mask ?? 0) >>> 0, flags: a.flags ?? 0 };
  // POSIX: setting SIG_IGN (or SIG_DFL for a default-ignored signal) discards it where pending.
  if (ignoredBy(p, sig)) {
    const clear = ~sigBit(sig);
    p.sigPending = (p.sigPending & clear) >>> 0;
    for (const th of p.threads) th.sigPending = (th.sigPending & clear) >>> 0;
  }
  return 0;
}

/**
 * rt_sigtimedwait(set, info, timeout): returns the signal taken; EAGAIN on timeout; EINTR. The
 * timeout is a relative struct timespec at `timeoutAddr` (0: wait for ever): EFAULT when it
 * cannot be read, EINVAL when it is not a time (kernel/signal.c do_sigtimedwait:
 * timespec64_valid); its timer has the thread's slack (schedule_hrtimeout_range).
 */
function* sysSigtimedwait(
  k: Kernel,
  cpuAtEntry: Cpu,
  t: Thread,
  setAddr: number,
  infoAddr: number,
  timeoutAddr: number,
): KernelGen<number> {
  if (!wordOk(t, setAddr, false)) return -EFAULT;
  if (infoAddr !== 0 && !wordOk(t, infoAddr, true)) return -EFAULT;
  let timeout: Timeout = NO_TIMEOUT;
  if (timeoutAddr !== 0) {
    const ts = copyTimespecIn(t, timeoutAddr);
    if (ts === null) return -EFAULT;
    if (!timespecValid(ts)) return -EINVAL;
    timeout = afterNs(k, t, timespecNs(ts));
  }
  const set = (getUser32(t, setAddr) & ~UNBLOCKABLE) >>> 0;
  let cpu = cpuAtEntry;
  for (;;) {
    const ready = ((t.sigPending | t.process.sigPending) & set) >>> 0;
    if (ready !== 0) {
      const sig = 32 - Math.clz32(ready & -ready);
      const bit = sigBit(sig);
      if ((t.sigPending & bit) !== 0) t.sigPending = (t.sigPending & ~bit) >>> 0;
      else t.process.sigPending = (t.process.sigPending & ~bit) >>> 0;
      if (infoAddr !== 0) putUser32(t, infoAddr, sig);
      return sig;
    }
    if (signalPending(t)) return -EINTR; // another, unblocked signal: its handler runs first
    if (k.nowNs >= timeout.monotonicNs) return -EAGAIN; // never true of NO_TIMEOUT
    t.sigWaitSet = set;
    k.blockCurrent(cpu, t, 'sigtimedwait', timeout);
    yield* schedule(k, cpu);
    cpu = k.cpuOf(t);
    t.sigWaitSet = 0;
  }
}

export const SIGNAL_SYSCALLS: SyscallTable = {
  [SYS_KILL]: (k, cpu, _t, a) => sysKill(k, cpu, argNum(a[0]), argNum(a[1])),
  [SYS_TGKILL]: (k, cpu, _t, a) => sysTgkill(k, cpu, argNum(a[0]), argNum(a[1]), argNum(a[2])),
  [SYS_TKILL]: (k, cpu, _t, a) => sysTgkill(k, cpu, -1, argNum(a[0]), argNum(a[1])),
  [SYS_RT_SIGPROCMASK]: (_k, _cpu, t, a) => sysSigprocmask(t, argNum(a[0]), argNum(a[1]), argNum(a[2])),
  [SYS_RT_SIGACTION]: (_k, _cpu, t, a) => sysSigaction(t, argNum(a[0]), a[1], a[2]),
  [SYS_RT_SIGRETURN]: function* (_k, _cpu, t, a) {
    t.sigMask = (argNum(a[0]) & ~UNBLOCKABLE) >>> 0;
    return 0;
  },
  [SYS_RT_SIGPENDING]: function* (_k, _cpu, t, a) {
    const addr = argNum(a[0]);
    if (!wordOk(t, addr, true)) return -EFAULT;
    putUser32(t, addr, ((t.sigPending | t.process.sigPending) & t.sigMask) >>> 0);
    return 0;
  },
  [SYS_RT_SIGTIMEDWAIT]: (k, cpu, t, a) =>
    sysSigtimedwait(k, cpu, t, argNum(a[0]), argNum(a[1]), argNum(a[2])),
};
