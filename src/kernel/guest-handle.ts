/** The kernel's implementation of the `Guest` handle a guest thread's code receives. */
import {
  type AtomicEffect,
  AtomicOp,
  type CallEffect,
  type ComputeEffect,
  type FenceEffect,
  type LoadEffect,
  type MemOrder,
  Op,
  type Program,
  type StoreEffect,
  type SyscallEffect,
} from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import type { Thread } from './thread.ts';

export class GuestHandle implements Guest {
  readonly #thread: Thread;
  /** Reused: a compute effect is consumed before the guest can yield the next one. */
  // Both compute effects have one shape, so the CPU's reads of them stay monomorphic.
  readonly #compute: ComputeEffect = { op: Op.Compute, cycles: 0, memAddr: 0, memPermille: 0 };
  readonly #computeMem: ComputeEffect = { op: Op.Compute, cycles: 0, memAddr: 0, memPermille: 0 };
  readonly #atomic: AtomicEffect = { op: Op.Atomic, kind: AtomicOp.Load, addr: 0, a: 0, b: 0 };

  constructor(thread: Thread) {
    this.#thread = thread;
  }

  get pid(): number {
    return this.#thread.process.pid;
  }

  get tid(): number {
    return this.#thread.id;
  }

  get stackTop(): number {
    return this.#thread.stackTop;
  }

  get env(): Readonly<Record<string, string>> {
    return this.#thread.process.env;
  }

  get data(): Record<string, unknown> {
    return this.#thread.process.data;
  }

  compute(cycles: number): ComputeEffect {
    const effect = this.#compute;
    effect.cycles = cycles;
    return effect;
  }

  computeMem(cycles: number, addr: number, memPermille: number): ComputeEffect {
    const effect = this.#computeMem;
    effect.cycles = cycles;
    effect.memAddr = addr;
    effect.memPermille = Math.max(0, Math.min(1000, memPermille));
    return effect;
  }

  call(program: Program<unknown>): CallEffect {
    return { op: Op.Call, program };
  }

  syscall(nr: number, ...args: unknown[]): SyscallEffect {
    return { op: Op.Syscall, nr, args };
  }

  atomic(kind: AtomicOp, addr: number, a = 0, b = 0): AtomicEffect {
    const effect = this.#atomic;
    effect.kind = kind;
    effect.addr = addr;
    effect.a = a;
    effect.b = b;
    return effect;
  }

  load(addr: number, order: MemOrder): LoadEffect {
    return { op: Op.Load, addr, order };
  }

  store(addr: number, value: number, order: MemOrder): StoreEffect {
    return { op: Op.Store, addr, value, order };
  }

  fence(order: MemOrder): FenceEffect {
    return { op: Op.Fence, order };
  }

  load32(addr: number): number {
    return this.#thread.process.vm.load32(addr);
  }

  store32(addr: number, value: number): void {
    this.#thread.process.vm.store32(addr, value);
  }
}
