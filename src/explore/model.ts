/**
 * What the explorer explores: a model is a set of threads (one per simulated CPU or guest
 * thread) written as generators of effects, the same abi effects guest and kernel code yield
 * (Load, Store, Fence, Atomic, futex system calls), plus two the explorer adds: Await, a spin
 * loop folded into one blocking step (enabled once the words it reads satisfy its condition, as
 * CHESS and GenMC treat spin loops), and Fail, a violated check. Models plug in through
 * `Model` (registry.ts lists the built-in ones), so the boot and TLB code of other issues can
 * replace the small effect programs here when it lands.
 */
import type { GuestEffect, MemOrder } from '../abi/effects.ts';
import type { LockEffect, SpendEffect } from '../hw/effects.ts';
import type { SpinLock } from '../hw/spinlock.ts';
import type { OwnedBits } from './owned.ts';
import type { XThread } from './xthread.ts';

/** Explorer-only opcodes, after the guest (0..) and kernel (16..) ones. */
export enum XOp {
  Await = 32,
  Fail = 33,
  /** Sleep on a futex word without re-checking it (the lost-wakeup bug's wait). */
  Sleep = 34,
  /** A fetchOr or fetchAnd whose old value is not read (set_bit, clear_bit): footprint.ts. */
  Bits = 35,
}

export const VIOLATION_KINDS = [
  'assertion',
  'deadlock',
  'lost-wakeup',
  'duplicate-cpu-id',
  'data-race',
  'stale-tlb',
  'livelock',
] as const;
export type ViolationKind = (typeof VIOLATION_KINDS)[number];

export interface AwaitEffect {
  op: XOp.Await;
  addrs: readonly number[];
  /** Called with the values the thread sees at `addrs` (its own buffered stores forwarded). */
  until: (values: readonly number[]) => boolean;
  order: MemOrder;
  /**
   * When present, the bits of each word `until` depends on: it is called with (and the thread
   * resumes with) each word ANDed with its mask, so the step reads only those bits (footprint.ts).
   */
  masks?: readonly number[];
}

/** Sets (`or`) or clears (`and`, `bits` the ones cleared) bits of a word; resumes with nothing. */
export interface BitsEffect {
  op: XOp.Bits;
  kind: 'or' | 'and';
  addr: number;
  bits: number;
}

export interface FailEffect {
  op: XOp.Fail;
  kind: ViolationKind;
  message: string;
}

export interface SleepEffect {
  op: XOp.Sleep;
  addr: number;
  /** The value the sleeper believes the word holds: a wakeup is lost if it differs at the end. */
  believed: number;
}

/** Kernel code under the explorer may also take real spinlocks (kernel-locks.ts) and spend time. */
export type XEffect =
  | GuestEffect
  | AwaitEffect
  | BitsEffect
  | FailEffect
  | SleepEffect
  | LockEffect
  | SpendEffect;
// biome-ignore lint/suspicious/noExplicitAny: what a yield resumes with depends on the effect.
export type XProgram<T = void> = Generator<XEffect, T, any>;

export const MEMORY_MODELS = ['sc', 'tso', 'pso'] as const;
export type MemoryModelName = (typeof MEMORY_MODELS)[number];

/** A thread of a model: its name and its code, run with an XThread handle (a libc Guest too). */
export interface ModelThread {
  name: string;
  run: (t: XThread) => XProgram<unknown>;
}

export interface Violation {
  kind: ViolationKind;
  message: string;
}

/** One instance of a model for a CPU count: its threads, initial memory and end-of-run check. */
export interface ModelInstance {
  threads: ModelThread[];
  /** Initial words (address, value); every other word is 0. */
  init?: readonly (readonly [number, number])[];
  /** Names of addresses, for messages and traces. */
  names?: ReadonlyMap<number, string>;
  /** Words that hold their owner's tid (mutexes): the wait-for graph names the holder. */
  locks?: readonly number[];
  /** The process environment libc code sees (its variant). */
  env?: Readonly<Record<string, string>>;
  /** Litmus tests: the outcome of a finished run (its registers), e.g. `r0=1 r1=0`. */
  outcome?: () => string;
  /** Kernel spinlocks the threads' kernel code takes (kernel-locks.ts), in a fixed order. */
  spinlocks?: readonly SpinLock[];
  /** The kernel lock code they run: MCS (the default here) or the ticket lock. */
  lockKind?: 'mcs' | 'ticket';
  /** Bits only one thread changes (owned.ts: checked on every write; lets DPOR skip reversals). */
  owned?: readonly OwnedBits[];
  /** Checked when every thread has finished or blocked; `read` sees memory. */
  finalCheck?: (read: (addr: number) => number) => Violation | null;
}

export interface Model {
  name: string;
  /** One line: what it models and what the bug or fix is. */
  description: string;
  /** The claims it checks (HW-4, K1 ...). */
  claims: string;
  /** Whether a violation is expected (a buggy model) under `memory`. */
  buggy: boolean;
  memory: MemoryModelName;
  cpus: number;
  cpusMin: number;
  cpusMax: number;
  /** Where its code comes from: the real code path, or a stand-in for code not landed yet. */
  source: string;
  build: (cpus: number) => ModelInstance;
}
