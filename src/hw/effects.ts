/**
 * Effects that kernel code yields to the CPU: spending time, spinlocks, IPIs, halting and the
 * context switch itself. Guest effects (compute, syscall, atomic) are in `abi/effects.ts`.
 */
import {
  type AtomicEffect,
  type CallEffect,
  type ComputeEffect,
  Op,
  type SyscallEffect,
} from '../abi/effects.ts';
import type { ExecContext } from './context.ts';
import type { SpinLock } from './spinlock.ts';

export interface SpendEffect {
  op: Op.Spend;
  n: number;
}
export interface LockEffect {
  op: Op.Lock | Op.Unlock | Op.TryLock;
  lock: SpinLock;
}
/** Destination shorthands of the ICR (Intel SDM vol. 3 §11.6.1): bits 18-19. */
export const IPI_SELF = -1;
export const IPI_ALL = -2;
export const IPI_ALL_BUT_SELF = -3;
export interface SendIpiEffect {
  op: Op.SendIpi;
  /** A CPU id or one of the IPI_* shorthands. */
  target: number;
  vector: number;
}
export interface HaltEffect {
  op: Op.Halt | Op.IrqWindow;
}
export interface SwitchEffect {
  op: Op.Switch;
  next: ExecContext;
  /** Kernel code that runs first on the next context's stack (Redox's switch_finish_hook). */
  finish: KernelGen<void> | null;
}

export type KernelEffect =
  | SpendEffect
  | LockEffect
  | SendIpiEffect
  | HaltEffect
  | SwitchEffect
  | AtomicEffect
  | ComputeEffect
  | SyscallEffect
  | CallEffect;

/** Kernel code: a generator of effects returning T. */
// biome-ignore lint/suspicious/noExplicitAny: the resume value depends on the effect yielded.
export type KernelGen<T = void> = Generator<KernelEffect, T, any>;

export function spend(n: number): SpendEffect {
  return { op: Op.Spend, n };
}
export function lock(l: SpinLock): LockEffect {
  return { op: Op.Lock, lock: l };
}
export function unlock(l: SpinLock): LockEffect {
  return { op: Op.Unlock, lock: l };
}
/** Resumes with true when the lock was taken. */
export function tryLock(l: SpinLock): LockEffect {
  return { op: Op.TryLock, lock: l };
}
export function sendIpi(target: number, vector: number): SendIpiEffect {
  return { op: Op.SendIpi, target, vector };
}
/** `sti; hlt`: wait for an interrupt (returns at once if one is pending). */
export const HALT: HaltEffect = { op: Op.Halt };
/** `sti; nop; cli`: let pending interrupts in, then continue. */
export const IRQ_WINDOW: HaltEffect = { op: Op.IrqWindow };
export function switchTo(next: ExecContext, finish: KernelGen<void> | null): SwitchEffect {
  return { op: Op.Switch, next, finish };
}
