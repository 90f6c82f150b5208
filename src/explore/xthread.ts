/**
 * The handle a model thread runs with: the abi `Guest` (so the real libc runs on the explorer
 * unchanged: its atomics and futex calls become explored steps) plus the explorer's effects.
 * Plain `load32`/`store32` go straight to memory without a scheduling point: they are the
 * uninstrumented accesses (libc's mutex kind and count words, read only by their owner).
 */
import {
  type AtomicEffect,
  AtomicOp,
  type CallEffect,
  type ComputeEffect,
  type FenceEffect,
  type LoadEffect,
  MemOrder,
  Op,
  type Program,
  type StoreEffect,
  type SyscallEffect,
} from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import {
  type AwaitEffect,
  type BitsEffect,
  type FailEffect,
  type SleepEffect,
  type ViolationKind,
  XOp,
  type XProgram,
} from './model.ts';

/** Plain memory the handle reads and writes without a step. */
export interface PlainMemory {
  read(addr: number): number;
  write(addr: number, value: number): void;
}

export class XThread implements Guest {
  readonly index: number;
  readonly name: string;
  readonly pid = 1;
  readonly stackTop = 0;
  readonly env: Readonly<Record<string, string>>;
  readonly data: Record<string, unknown> = {};
  readonly #mem: PlainMemory;

  constructor(index: number, name: string, mem: PlainMemory, env: Readonly<Record<string, string>>) {
    this.index = index;
    this.name = name;
    this.#mem = mem;
    this.env = env;
  }

  /** Thread ids start at 1 (0 is libc's "unowned" mutex word). */
  get tid(): number {
    return this.index + 1;
  }

  compute(cycles: number): ComputeEffect {
    return { op: Op.Compute, cycles };
  }

  computeMem(cycles: number, _addr: number, _memPermille: number): ComputeEffect {
    return { op: Op.Compute, cycles };
  }

  syscall(nr: number, ...args: unknown[]): SyscallEffect {
    return { op: Op.Syscall, nr, args };
  }

  atomic(kind: AtomicOp, addr: number, a = 0, b = 0): AtomicEffect {
    return { op: Op.Atomic, kind, addr, a, b };
  }

  call(program: Program<unknown>): CallEffect {
    return { op: Op.Call, program };
  }

  load(addr: number, order: MemOrder = MemOrder.Relaxed): LoadEffect {
    return { op: Op.Load, addr, order };
  }

  store(addr: number, value: number, order: MemOrder = MemOrder.Relaxed): StoreEffect {
    return { op: Op.Store, addr, value, order };
  }

  fence(order: MemOrder = MemOrder.SeqCst): FenceEffect {
    return { op: Op.Fence, order };
  }

  load32(addr: number): number {
    return this.#mem.read(addr);
  }

  store32(addr: number, value: number): void {
    this.#mem.write(addr, value);
  }

  /** Blocks until `until` holds of the words at `addrs` (a spin loop as one step); resumes with them. */
  await(
    addrs: readonly number[],
    until: (v: readonly number[]) => boolean,
    order = MemOrder.Acquire,
    masks?: readonly number[],
  ): AwaitEffect {
    return masks === undefined
      ? { op: XOp.Await, addrs, until, order }
      : { op: XOp.Await, addrs, until, order, masks };
  }

  /** An RMW setting (`or`) or clearing (`and`) `bits` whose old value is not read (set_bit). */
  bits(kind: 'or' | 'and', addr: number, bits: number): BitsEffect {
    return { op: XOp.Bits, kind, addr, bits: bits >>> 0 };
  }

  fail(kind: ViolationKind, message: string): FailEffect {
    return { op: XOp.Fail, kind, message };
  }

  /** Sleeps on `addr` until woken, without comparing the word (the bug a futex wait exists to avoid). */
  sleep(addr: number, believed: number): SleepEffect {
    return { op: XOp.Sleep, addr, believed };
  }

  /** `yield* t.check(cond, ...)`: a Fail step only when `cond` is false. */
  *check(cond: boolean, kind: ViolationKind, message: string): XProgram<void> {
    if (!cond) yield this.fail(kind, message);
  }

  /** Convenience RMWs (seq_cst, locked on x86). */
  fetchAdd(addr: number, n: number): AtomicEffect {
    return this.atomic(AtomicOp.FetchAdd, addr, n);
  }

  cas(addr: number, expected: number, desired: number): AtomicEffect {
    return this.atomic(AtomicOp.CompareExchange, addr, expected, desired);
  }

  xchg(addr: number, value: number): AtomicEffect {
    return this.atomic(AtomicOp.Exchange, addr, value);
  }
}
