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
import type { Mmu } from './mmu.ts';
import type { Thread } from './thread.ts';
import { guestLoad32, guestStore32 } from './uaccess.ts';

export class GuestHandle implements Guest {
  readonly #thread: Thread;
  /**
   * Reused: an effect is consumed before the guest can yield the next one. Made on first use, so
   * a thread that never computes or makes an atomic holds none (issue 14: memory per thread).
   */
  #compute: ComputeEffect | null = null;
  #computeMem: ComputeEffect | null = null;
  #atomic: AtomicEffect | null = null;
  /**
   * The thread's MMU, read once: thread.process and process.vm are fixed for the thread's life
   * and the MMU is the kernel's one, so every burst need not walk thread, process and address
   * space to it (issue 14: that chain was 4% of a 256-CPU spin run's time).
   */
  readonly #mmu: Mmu;

  constructor(thread: Thread) {
    this.#thread = thread;
    this.#mmu = thread.process.vm.mmu;
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
    const effect = this.#compute ?? (this.#compute = computeEffect());
    effect.cycles = cycles + this.#walkCycles();
    return effect;
  }

  /** TLB-miss walks and page faults since the last burst, paid now (mmu.ts takeWalkCycles; 0 when both are free). */
  #walkCycles(): number {
    const mmu = this.#mmu;
    return mmu.walkLevelNs === 0 && !mmu.lazyMm ? 0 : mmu.takeWalkCycles(this.#thread.lastCpu);
  }

  computeMem(cycles: number, addr: number, memPermille: number): ComputeEffect {
    const effect = this.#computeMem ?? (this.#computeMem = computeEffect());
    effect.cycles = cycles + this.#walkCycles();
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
    const effect =
      this.#atomic ?? (this.#atomic = { op: Op.Atomic, kind: AtomicOp.Load, addr: 0, a: 0, b: 0 });
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
    return guestLoad32(this.#thread, addr);
  }

  store32(addr: number, value: number): void {
    guestStore32(this.#thread, addr, value);
  }
}

/** Both compute effects come from here, with one shape, so the CPU's reads of them stay monomorphic. */
function computeEffect(): ComputeEffect {
  return { op: Op.Compute, cycles: 0, memAddr: 0, memPermille: 0 };
}
