/**
 * The effects a guest program yields: the only ways guest code touches the machine. Guest code
 * computes in plain TypeScript and yields one of these to spend CPU time, make an atomic memory
 * operation, or enter the kernel.
 */

export enum Op {
  /** Spend `cycles` CPU cycles in user mode. */
  Compute = 0,
  /** Enter the kernel: `nr` and up to six arguments; resumes with the call's result. */
  Syscall = 1,
  /** An atomic read-modify-write on a 32-bit word; resumes with the word's old value. */
  Atomic = 2,
  /**
   * Call a user function without a delegating generator: the CPU runs `program` as a new user
   * frame and resumes the caller with its return value, as a `call` returns to its return
   * address. Each effect the callee yields then goes straight to the CPU; a `yield*` chain
   * would pass it through every generator on the way (the thread entry of a long loop).
   */
  Call = 3,
  /**
   * A shared 32-bit load with an ordering tag (DESIGN.md: shared accesses are effects where they
   * can race); resumes with the value. The machine's CPUs run it sequentially consistent; the
   * explorer applies its memory model (SC, x86-TSO, PSO) and its race detector.
   */
  Load = 4,
  /** A shared 32-bit store with an ordering tag; under TSO/PSO it enters the store buffer. */
  Store = 5,
  /** A memory fence with an ordering tag (SeqCst: MFENCE, drains the store buffer). */
  Fence = 6,
}

/**
 * The last guest opcode. Kernel-only effects (hw/effects.ts `KernelOp`) start at 16; the CPU
 * refuses any op above this one from a user frame with SIGILL.
 */
export const GUEST_OP_LAST = Op.Fence;

export enum AtomicOp {
  Load = 0,
  Store = 1,
  Exchange = 2,
  CompareExchange = 3,
  FetchAdd = 4,
  FetchOr = 5,
  FetchAnd = 6,
}

/**
 * The ordering of a Load, Store or Fence, as C11's memory_order and Linux's accessors: Plain is
 * a non-atomic access (the race detector reports two conflicting ones not ordered by
 * happens-before), Relaxed is READ_ONCE/WRITE_ONCE, Acquire smp_load_acquire, Release
 * smp_store_release, SeqCst a locked or fenced access.
 */
export enum MemOrder {
  Plain = 0,
  Relaxed = 1,
  Acquire = 2,
  Release = 3,
  SeqCst = 4,
}

export interface LoadEffect {
  op: Op.Load;
  addr: number;
  order: MemOrder;
}

export interface StoreEffect {
  op: Op.Store;
  addr: number;
  value: number;
  order: MemOrder;
}

export interface FenceEffect {
  op: Op.Fence;
  order: MemOrder;
}

export interface ComputeEffect {
  op: Op.Compute;
  /** Cycles; converted to time by the running CPU's clock frequency. */
  cycles: number;
  /**
   * A memory-bound burst (HW-14) declares the data it streams, `memAddr`, and which part of its
   * cycles, in thousandths, are memory stalls at local-node latency (`memPermille`): run on a CPU
   * of another node, those stalls stretch by the SLIT ratio. Absent or 0 means cache-resident.
   */
  memAddr?: number;
  memPermille?: number;
}

export interface SyscallEffect {
  op: Op.Syscall;
  nr: number;
  args: unknown[];
}

export interface AtomicEffect {
  op: Op.Atomic;
  kind: AtomicOp;
  addr: number;
  /** Operand: the value to store or add, or the expected value of a compare-exchange. */
  a: number;
  /** The desired value of a compare-exchange. */
  b: number;
}

export interface CallEffect {
  op: Op.Call;
  program: Program<unknown>;
}

export type GuestEffect =
  | ComputeEffect
  | SyscallEffect
  | AtomicEffect
  | CallEffect
  | LoadEffect
  | StoreEffect
  | FenceEffect;

/** A guest program or libc routine: a generator of effects returning T. */
// biome-ignore lint/suspicious/noExplicitAny: what a yield resumes with depends on the effect.
export type Program<T = void> = Generator<GuestEffect, T, any>;
