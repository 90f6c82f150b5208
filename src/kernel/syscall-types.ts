/**
 * The shape of system-call handlers. Each subsystem exports a table of its own calls (as
 * `FUTEX_SYSCALLS`), and `syscall.ts` joins them, so adding a call touches only its subsystem.
 */
import type { Cpu } from '../hw/cpu.ts';
import type { KernelGen } from '../hw/effects.ts';
import type { Kernel } from './kernel.ts';
import type { Thread } from './thread.ts';

export type SyscallHandler = (k: Kernel, cpu: Cpu, t: Thread, args: unknown[]) => KernelGen<unknown>;
export type SyscallTable = Record<number, SyscallHandler>;

/** Argument `v` as a number, or `fallback` when the guest passed something else or nothing. */
export const argNum = (v: unknown, fallback = 0): number => (typeof v === 'number' ? v : fallback);
