/**
 * Signals as Linux x86-64 numbers them (asm-generic/signal.h) and the system calls that send,
 * mask, catch and wait for them. This model keeps signal sets in one 32-bit word: signals
 * 1..32, where 32 is glibc's SIGCANCEL (the first real-time signal, used for cancellation);
 * higher real-time signals are refused with EINVAL.
 */
import type { Program } from './effects.ts';
import type { Guest } from './guest.ts';

export const SIGHUP = 1;
export const SIGINT = 2;
export const SIGQUIT = 3;
export const SIGILL = 4;
export const SIGTRAP = 5;
export const SIGABRT = 6;
export const SIGBUS = 7;
export const SIGFPE = 8;
export const SIGKILL = 9;
export const SIGUSR1 = 10;
export const SIGSEGV = 11;
/** si_code of a memory fault (uapi/asm-generic/siginfo.h): no mapping, or the protection refused. */
export const SEGV_MAPERR = 1;
export const SEGV_ACCERR = 2;
/** si_code of SIGBUS: a misaligned address, or one past the end of the object behind it. */
export const BUS_ADRALN = 1;
export const BUS_ADRERR = 2;
/**
 * si_code of a signal the kernel raised for no address (uapi/asm-generic/siginfo.h SI_KERNEL):
 * the SIGSEGV of a general-protection fault, as a non-canonical address raises (issue 15;
 * arch/x86/kernel/traps.c gp_user_force_sig_segv, which sends force_sig(SIGSEGV) with no si_addr).
 */
export const SI_KERNEL = 0x80;
export const SIGUSR2 = 12;
export const SIGPIPE = 13;
export const SIGALRM = 14;
export const SIGTERM = 15;
export const SIGCHLD = 17;
export const SIGCONT = 18;
export const SIGSTOP = 19;
export const SIGURG = 23;
export const SIGWINCH = 28;
/** glibc's cancellation signal (SIGRTMIN, 32). */
export const SIGCANCEL = 32;
export const NSIG_MODEL = 32;

/** The bit of `sig` in a signal set. */
export function sigBit(sig: number): number {
  return (1 << (sig - 1)) >>> 0;
}

/** Signals whose default action is to do nothing (signal(7)); SIGCONT also resumes. */
export const DEFAULT_IGNORED = sigBit(SIGCHLD) | sigBit(SIGCONT) | sigBit(SIGURG) | sigBit(SIGWINCH);
/** SIGKILL and SIGSTOP can be neither caught, nor ignored, nor blocked. */
export const UNBLOCKABLE = (sigBit(SIGKILL) | sigBit(SIGSTOP)) >>> 0;

/** rt_sigprocmask's `how`. */
export const SIG_BLOCK = 0;
export const SIG_UNBLOCK = 1;
export const SIG_SETMASK = 2;

/** A guest signal handler: runs on the thread's stack at its next return to user mode. */
export type SignalHandler = (guest: Guest, sig: number) => Program<void>;

/** sa_handler values besides a function. */
export const SIG_DFL = 0;
export const SIG_IGN = 1;

/** struct sigaction, as a value the guest passes (the codebase passes code as functions). */
export interface SigAction {
  handler: SignalHandler | typeof SIG_DFL | typeof SIG_IGN;
  /** Signals blocked while the handler runs (the signal itself is blocked too unless SA_NODEFER). */
  mask: number;
  flags: number;
}

/** Restart a call the handler interrupted when the call allows it (ERESTARTSYS; kernel/restart.ts). */
export const SA_RESTART = 0x10000000;
export const SA_NODEFER = 0x40000000;
export const SA_RESETHAND = 0x80000000;
