/**
 * The handle a guest thread holds: the machine as guest code sees it. Guest code (libc,
 * workloads, services) imports this and the other abi modules, never the kernel or hardware.
 */
import type {
  AtomicEffect,
  AtomicOp,
  CallEffect,
  ComputeEffect,
  FenceEffect,
  LoadEffect,
  MemOrder,
  Program,
  StoreEffect,
  SyscallEffect,
} from './effects.ts';

/** The entry point of a thread or a program: runs on the thread it is given. */
export type ThreadEntry = (t: Guest, arg: unknown) => Program<unknown>;

/**
 * Called in the thread, in user mode, with the value its entry returned, just before the thread
 * exits: where libc keeps a pthread's exit value. It makes no system calls.
 */
export type ThreadReturnHook = (t: Guest, value: unknown) => void;

export interface Guest {
  readonly pid: number;
  readonly tid: number;
  /** Spend `cycles` CPU cycles (yield the result). */
  compute(cycles: number): ComputeEffect;
  /**
   * Spend `cycles` CPU cycles of which `memPermille` thousandths stall on memory at `addr`
   * (yield the result): those take longer when that memory is on a remote NUMA node.
   */
  computeMem(cycles: number, addr: number, memPermille: number): ComputeEffect;
  /** Enter the kernel (yield the result; it resumes with the call's return value). */
  syscall(nr: number, ...args: unknown[]): SyscallEffect;
  /** An atomic operation on the 32-bit word at `addr` (yield it; resumes with the old value). */
  atomic(kind: AtomicOp, addr: number, a?: number, b?: number): AtomicEffect;
  /**
   * Run `program` as a called user frame (yield the result; it resumes with the program's return
   * value). Same outcome as `yield*`, without the delegation cost on every effect the callee
   * yields; for long-running callees such as a thread's entry.
   */
  call(program: Program<unknown>): CallEffect;
  /** A shared load with an ordering tag (yield it; resumes with the value): an explorable access. */
  load(addr: number, order: MemOrder): LoadEffect;
  /** A shared store with an ordering tag (yield it). */
  store(addr: number, value: number, order: MemOrder): StoreEffect;
  /** A fence (yield it). */
  fence(order: MemOrder): FenceEffect;
  /** A plain 32-bit load from this process's memory; an unmapped address faults (SIGSEGV). */
  load32(addr: number): number;
  /** A plain 32-bit store to this process's memory. */
  store32(addr: number, value: number): void;
  /** Where this thread's mmapped stack ends (its highest address). */
  readonly stackTop: number;
  /** The process's environment (envp): inherited from its parent, read without a system call. */
  readonly env: Readonly<Record<string, string>>;
  /** The process's data segment: where libc keeps its process-wide globals. */
  readonly data: Record<string, unknown>;
}

/** A named guest program that `spawn` can start in a new process. */
export interface ProgramImage {
  name: string;
  main: ThreadEntry;
  /**
   * The process running this image is the system's init for orphans (Linux's pid namespace
   * child_reaper, kernel/orphans.ts). smpsim's pid 1 is the harness's root, so the service init
   * is named by its image, as Linux's kernel_init names pid 1's program by `init=`.
   */
  childReaper?: boolean;
}

/** Helper for raw system calls inside generator code: yields the call and returns its result. */
export function* sys(t: Guest, nr: number, ...args: unknown[]): Program<number> {
  return (yield t.syscall(nr, ...args)) as number;
}

export type { AtomicOp };
