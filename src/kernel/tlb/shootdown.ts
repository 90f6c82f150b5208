/**
 * TLB shootdown (issue 15, HW-8): the entry the kernel calls after it changed or removed page
 * table entries (munmap, mprotect), the pieces the three protocols share, and the TLB IPI's
 * handler (vector 0x41, kernel/irq.ts).
 *
 * The protocols' shared-memory steps (a flag, a mailbox word, an ack counter, a queue) are each
 * a `sharedStep()`: one cache-line transfer of time, and the point where another CPU may act
 * before this one's next step. Each is written as its own yield so that the explorer (issue 17)
 * can take the steps over as ordered load/store effects.
 *
 * Waiting (for a flag to clear, for acknowledgements) spins with an interrupt window each round,
 * as Linux's csd_lock_wait runs with interrupts on and Redox's Flusher waiters service their
 * own pending shootdowns: two CPUs shooting each other down never deadlock.
 */
import type { Cpu } from '../../hw/cpu.ts';
import { IRQ_WINDOW, type KernelGen, spend } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import type { AddressSpace } from '../vm.ts';
import type { FlushRequest } from './state.ts';

/**
 * How long an initiator without a timeout waits before the run is stopped and reported as hung
 * (K16: Redox has no timeout, so a target that never answers hangs the initiator for ever).
 */
export const SHOOTDOWN_HANG_NS = 50_000_000;

/** One access to the protocol's shared memory (see the header). */
export function sharedStep(k: Kernel): ReturnType<typeof spend> {
  return spend(k.board.costs.cacheLineNs);
}

/** CPU `cpu` drops `pages` pages of `space` one by one (INVLPG), at invlpgNs each. */
export function* invlpgRange(
  k: Kernel,
  cpu: number,
  space: AddressSpace,
  vpn: number,
  pages: number,
): KernelGen<void> {
  const tlb = k.mmu.tlbs[cpu]!;
  for (let i = 0; i < pages; i++) tlb.invlpg(vpn + i, space.pcid);
  k.mmu.invlpgPages += pages;
  yield spend(pages * k.board.costs.invlpgNs);
}

/** CPU `cpu` drops every non-global entry (a CR3 reload without PCID: Redox's invalidate_all). */
export function* fullFlush(k: Kernel, cpu: number): KernelGen<void> {
  k.mmu.tlbs[cpu]!.flushNonGlobal();
  k.mmu.fullFlushes++;
  yield spend(k.board.costs.tlbFlushNs);
}

/**
 * A target's flush of `req`, per page when it has at most `ceiling` pages, else whole; a target
 * whose CR3 holds another space drops that space's tagged entries (PCID) or has nothing to
 * drop (its CR3 write flushed them). Time spent is counted as target flush time.
 */
export function* flushFor(k: Kernel, cpu: Cpu, req: FlushRequest, ceiling: number): KernelGen<void> {
  const start = k.nowNs;
  const space = req.space;
  if (k.mmu.loaded[cpu.id] === space) {
    if (req.pages <= ceiling) yield* invlpgRange(k, cpu.id, space, req.vpn, req.pages);
    else yield* fullFlush(k, cpu.id);
  } else if (k.mmu.pcidEnabled) {
    k.mmu.tlbs[cpu.id]!.flushPcid(space.pcid);
    k.mmu.fullFlushes++;
    yield spend(k.board.costs.tlbFlushNs);
  }
  k.tlb.stats.targetFlushNs += k.nowNs - start;
}

/**
 * Spins until `done()`, taking interrupts and running `service` each round (the caller's own
 * pending shootdown work). Returns true when done; false when the protocol's timeout passed
 * (the CPUs `waitingOn()` names are logged, K16's improvement) or the run was stopped as hung.
 */
export function* spinUntil(
  k: Kernel,
  cpu: Cpu,
  done: () => boolean,
  waitingOn: () => number[],
  service: ((k: Kernel, cpu: Cpu) => KernelGen<void>) | null,
  timeoutNs: number,
): KernelGen<boolean> {
  const start = k.nowNs;
  const stats = k.tlb.stats;
  while (!done()) {
    yield IRQ_WINDOW;
    if (service !== null) yield* service(k, cpu);
    if (done()) break;
    yield sharedStep(k); // poll the flag or counter again
    const waitedNs = k.nowNs - start;
    if (timeoutNs > 0 && waitedNs >= timeoutNs) {
      stats.timeouts.push({ initiator: cpu.id, targets: waitingOn(), timeNs: k.nowNs });
      stats.ackWaitNs += waitedNs;
      return false;
    }
    if (waitedNs >= SHOOTDOWN_HANG_NS) {
      const who = waitingOn().join(', ');
      k.stopRun(
        `deadlock: a TLB shootdown hung (K16): CPU ${cpu.id} waited ${waitedNs / 1e6} ms for CPU ${who}, which never acknowledged; the ${k.tlb.options.protocol} protocol has no timeout`,
      );
      stats.ackWaitNs += waitedNs;
      return false;
    }
  }
  stats.ackWaitNs += k.nowNs - start;
  return true;
}
