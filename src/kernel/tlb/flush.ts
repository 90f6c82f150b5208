/**
 * The kernel's one call after it changed page-table entries that CPUs may cache (munmap,
 * mprotect): `flushTlbRange`, which runs the configured protocol ([kernel] tlb; state.ts), and
 * the TLB IPI's handler, registered on vector 0x41 (interrupts.ts).
 */
import type { Cpu } from '../../hw/cpu.ts';
import type { KernelGen } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import type { AddressSpace } from '../vm.ts';
import { linuxService, linuxShootdown } from './linux.ts';
import { redbearIpi, redbearShootdown } from './redbear.ts';
import { redoxService, redoxShootdown } from './redox.ts';

/** Shoots `pages` pages from virtual page `vpn` of `space` down from every TLB that may hold them. */
export function* flushTlbRange(
  k: Kernel,
  cpu: Cpu,
  space: AddressSpace,
  vpn: number,
  pages: number,
): KernelGen<void> {
  if (pages <= 0) return;
  switch (k.tlb.options.protocol) {
    case 'ideal':
      k.mmu.flushRange(space, vpn, pages);
      return;
    case 'redox':
      yield* redoxShootdown(k, cpu, space, vpn, pages);
      return;
    case 'redbear':
      yield* redbearShootdown(k, cpu, space, vpn, pages);
      return;
    case 'linux':
      yield* linuxShootdown(k, cpu, space, vpn, pages);
      return;
  }
}

/** Vector 0x41 on a receiving CPU. */
export function tlbIpi(k: Kernel, cpu: Cpu): KernelGen<void> | null {
  switch (k.tlb.options.protocol) {
    case 'ideal':
      return null;
    case 'redox':
      return redoxService(k, cpu);
    case 'redbear':
      return redbearIpi(k, cpu);
    case 'linux':
      return linuxService(k, cpu);
  }
}

/**
 * A CPU going offline answers every flush request queued for it without waiting for the IPIs
 * (kernel/smp.c smpcfd_dying_cpu: "flush out any pending callbacks explicitly (without waiting
 * for the IPIs to arrive), to ensure that the outgoing CPU doesn't go offline with work still
 * pending"). Its TLB is already empty (kernel/hotplug-park.ts flushed it), so each request is
 * acknowledged with no flush. Returns the requests answered.
 */
export function answerPendingForOffline(k: Kernel, cpuId: number): number {
  const state = k.tlb;
  switch (state.options.protocol) {
    case 'ideal':
      return 0;
    case 'redox': {
      const req = state.redoxFlag[cpuId] ?? null;
      if (req === null) return 0;
      state.redoxFlag[cpuId] = null;
      req.pending--;
      return 1;
    }
    case 'redbear': {
      if (state.redbearWord[cpuId] === null) return 0;
      state.redbearWord[cpuId] = null;
      state.redbearServed[cpuId]!++;
      return 1;
    }
    case 'linux': {
      const queue = state.linuxQueue[cpuId]!;
      for (const req of queue) req.pending--;
      return queue.splice(0).length;
    }
  }
}
