/**
 * Effects that kernel code yields to the CPU: spending time, spinlocks, IPIs, halting and the
 * context switch itself. Guest effects (compute, syscall, atomic, call) are in `abi/effects.ts`;
 * these are not part of the ABI: a user frame that yields one gets SIGILL (IllegalEffect).
 */
import type {
  AtomicEffect,
  CallEffect,
  ComputeEffect,
  FenceEffect,
  LoadEffect,
  StoreEffect,
  SyscallEffect,
} from '../abi/effects.ts';
import { GUEST_OP_LAST, Op } from '../abi/effects.ts';
import { SIGILL } from '../abi/signal.ts';
import type { AtomicOp, MemOrder } from '../abi/effects.ts';
import type { ExecContext } from './context.ts';
import type { LockWords } from './lock-words.ts';
import type { SpinLock } from './spinlock.ts';

/**
 * Kernel-only opcodes, numbered after the guest ones (abi `Op`, 0 to GUEST_OP_LAST) so the CPU
 * tells them apart with one comparison. The values are part of the trace hash (Switch is mixed).
 */
export enum KernelOp {
  Spend = 16,
  Lock = 17,
  Unlock = 18,
  TryLock = 19,
  SendIpi = 20,
  Halt = 21,
  Switch = 22,
  IrqWindow = 23,
  /** A queued lock's access to its words (lock-words.ts): a load, store or RMW, with an order. */
  Word = 24,
  /** A queued lock's spin on one of its words until a condition holds (the MCS local spin). */
  SpinWord = 25,
}

/**
 * What a user frame yielded that the CPU must not run: not an effect at all, an unknown op, a
 * malformed guest effect, or a kernel-only effect. It becomes a guest fault with SIGILL, the
 * signal of an illegal or privileged instruction (signal(7): SIGILL "Illegal Instruction"; a
 * privileged instruction in user mode raises #GP, which Linux delivers as SIGSEGV, but these
 * are not memory accesses, and SIGILL names the class: an operation this CPU refuses to decode).
 */
export class IllegalEffect extends Error {
  override name = 'IllegalEffect';
  readonly signal = SIGILL;

  constructor(yielded: unknown) {
    super(`illegal effect: user code yielded ${describeYield(yielded)}`);
  }
}

/** A one-line description of what a guest yielded, naming the effect when it is one. */
export function describeYield(yielded: unknown): string {
  if (yielded === null || typeof yielded !== 'object') {
    const shown = typeof yielded === 'string' ? JSON.stringify(yielded) : String(yielded);
    return `${shown} (${typeof yielded}), not an effect`;
  }
  const op: unknown = (yielded as { op?: unknown }).op;
  if (op === undefined) return 'an object without an op, not an effect';
  if (typeof op === 'number' && op > GUEST_OP_LAST && KernelOp[op] !== undefined) {
    return `the kernel-only effect ${KernelOp[op]} (op ${op})`;
  }
  if (typeof op === 'number' && op >= 0 && op <= GUEST_OP_LAST && Number.isInteger(op)) {
    return `a malformed ${Op[op]} effect (op ${op})`;
  }
  return `an effect with unknown op ${typeof op === 'string' ? JSON.stringify(op) : String(op)}`;
}

export interface SpendEffect {
  op: KernelOp.Spend;
  /** Kernel time to spend, in nanoseconds. */
  ns: number;
}
export interface LockEffect {
  op: KernelOp.Lock | KernelOp.Unlock | KernelOp.TryLock;
  lock: SpinLock;
}
/** Destination shorthands of the ICR (Intel SDM vol. 3 §11.6.1): bits 18-19. */
export const IPI_SELF = -1;
export const IPI_ALL = -2;
export const IPI_ALL_BUT_SELF = -3;
export interface SendIpiEffect {
  op: KernelOp.SendIpi;
  /** A CPU id or one of the IPI_* shorthands. */
  target: number;
  vector: number;
}
export interface HaltEffect {
  op: KernelOp.Halt | KernelOp.IrqWindow;
}
export interface SwitchEffect {
  op: KernelOp.Switch;
  next: ExecContext;
  /** Kernel code that runs first on the next context's stack (Redox's switch_finish_hook). */
  finish: KernelGen<void> | null;
}

/** `mem`'s word at `addr`: AtomicOp `kind` with operands a, b; resumes with the old value. */
export interface WordEffect {
  op: KernelOp.Word;
  mem: LockWords;
  kind: AtomicOp;
  addr: number;
  a: number;
  b: number;
  /** Its ordering, as the lock code states it (the SC machine needs none; the explorer does). */
  order: MemOrder;
}
/** Spins until `until` holds of the word at `addr`; resumes with the value that satisfied it. */
export interface SpinWordEffect {
  op: KernelOp.SpinWord;
  mem: LockWords;
  addr: number;
  until: (value: number) => boolean;
  order: MemOrder;
}

export type KernelEffect =
  | SpendEffect
  | WordEffect
  | SpinWordEffect
  | LockEffect
  | SendIpiEffect
  | HaltEffect
  | SwitchEffect
  | AtomicEffect
  | ComputeEffect
  | SyscallEffect
  | CallEffect
  | LoadEffect
  | StoreEffect
  | FenceEffect;

/** Kernel code: a generator of effects returning T. */
// biome-ignore lint/suspicious/noExplicitAny: the resume value depends on the effect yielded.
export type KernelGen<T = void> = Generator<KernelEffect, T, any>;

export function spend(ns: number): SpendEffect {
  return { op: KernelOp.Spend, ns };
}
export function lock(l: SpinLock): LockEffect {
  return { op: KernelOp.Lock, lock: l };
}
export function unlock(l: SpinLock): LockEffect {
  return { op: KernelOp.Unlock, lock: l };
}
/** Resumes with true when the lock was taken. */
export function tryLock(l: SpinLock): LockEffect {
  return { op: KernelOp.TryLock, lock: l };
}
export function sendIpi(target: number, vector: number): SendIpiEffect {
  return { op: KernelOp.SendIpi, target, vector };
}
/** `sti; hlt`: wait for an interrupt (returns at once if one is pending). */
export const HALT: HaltEffect = { op: KernelOp.Halt };
/** `sti; nop; cli`: let pending interrupts in, then continue. */
export const IRQ_WINDOW: HaltEffect = { op: KernelOp.IrqWindow };
export function switchTo(next: ExecContext, finish: KernelGen<void> | null): SwitchEffect {
  return { op: KernelOp.Switch, next, finish };
}
