/**
 * A per-CPU pool of pre-created contexts (issue 24, T4.2 of the fix plan): kernel stacks and
 * context structures allocated ahead of need, so a thread creation on that CPU pays only a pop
 * and the part of its setup that depends on the new thread (its TLS, its registers). Linux
 * keeps such a cache for kernel stacks: kernel/fork.c `cached_stacks`, NR_CACHED_STACKS per CPU,
 * which alloc_thread_stack_node tries before vmalloc and free_thread_stack refills.
 *
 * Refill happens in the background: a CPU that goes idle with its pool below its target
 * allocates one context at a time, charging `contextAllocNs` to its idle time (idleLoop in
 * sched/switch.ts), so the cost lands where it runs and a wakeup that arrives during a refill
 * waits for that one allocation. A creation that finds its CPU's pool empty allocates in line,
 * at the full cost, as without a pool. A context that dies is not put back (its stack goes
 * back to the allocator, as a Redox context's does); only idle time fills the pool.
 */

/**
 * What one pooled context holds: a kernel stack and the context structure with its saved
 * FPU/SIMD area (about 4 KiB with AVX-512 XSAVE state). The stack size is an assumption of this
 * model, 64 KiB, not checked against Redox's source (Linux x86-64 uses 16 KiB, THREAD_SIZE in
 * arch/x86/include/asm/page_64_types.h); the metric scales with it.
 */
export const CONTEXT_POOL_ENTRY_BYTES = 64 * 1024 + 4 * 1024;

export class ContextPool {
  /** Contexts each CPU keeps ready; 0 turns the pool off. */
  readonly target: number;
  readonly #ready: Int32Array;
  /** Creations served from a pool, and creations that found theirs empty. */
  hits = 0;
  misses = 0;
  /** Contexts allocated by idle CPUs into their pools. */
  refills = 0;
  /** The most bytes the pools held at once, over the run. */
  peakBytesHeld = 0;

  constructor(cpus: number, target: number) {
    this.target = target;
    this.#ready = new Int32Array(cpus);
  }

  /** Takes a ready context of CPU `cpuId`'s pool: false when it is empty (or there is no pool). */
  take(cpuId: number): boolean {
    if (this.target === 0) return false;
    if (this.#ready[cpuId]! === 0) {
      this.misses++;
      return false;
    }
    this.#ready[cpuId]!--;
    this.hits++;
    return true;
  }

  /** Whether CPU `cpuId`'s pool is below its target (an idle CPU then refills it). */
  wantsRefill(cpuId: number): boolean {
    return this.#ready[cpuId]! < this.target;
  }

  /** One context allocated into CPU `cpuId`'s pool (the caller charged its cost). */
  refill(cpuId: number): void {
    this.#ready[cpuId]!++;
    this.refills++;
    this.peakBytesHeld = Math.max(this.peakBytesHeld, this.bytesHeld());
  }

  /** Contexts ready in CPU `cpuId`'s pool. */
  ready(cpuId: number): number {
    return this.#ready[cpuId]!;
  }

  /** Bytes the pools hold now: every ready context's stack and structure. */
  bytesHeld(): number {
    let contexts = 0;
    for (const n of this.#ready) contexts += n;
    return contexts * CONTEXT_POOL_ENTRY_BYTES;
  }
}
