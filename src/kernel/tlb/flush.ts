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
    case 'redbear-fixed':
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
    case 'redbear-fixed':
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
export function* answerPendingForOffline(k: Kernel, cpu: Cpu): KernelGen<number> {
  const state = k.tlb;
  switch (state.options.protocol) {
    case 'ideal':
      return 0;
    case 'redox': {
      const req = state.redoxFlag[cpu.id] ?? null;
      if (req === null) return 0;
      state.redoxFlag[cpu.id] = null;
      req.pending--;
      return 1;
    }
    case 'redbear':
    case 'redbear-fixed': {
      // Red Bear's word holds at most one request: served as its IPI would serve it.
      if ((state.words.get(state.layout.mailbox(cpu.id)) ?? 0) === 0) return 0;
      yield* redbearIpi(k, cpu);
      return 1;
    }
    case 'linux': {
      // flush_smp_call_function_queue on the dying CPU: every queued csd run and unlocked.
      const queued = linuxQueued(k, cpu.id);
      if (queued > 0) yield* linuxService(k, cpu);
      return queued;
    }
  }
}

/** The csds on `cpuId`'s call-function list, read off the machine's words. */
export function linuxQueued(k: Kernel, cpuId: number): number {
  const { words, layout } = k.tlb;
  let n = 0;
  for (let csd = words.get(layout.queue(cpuId)) ?? 0; csd !== 0; csd = words.get(layout.csdNext(csd)) ?? 0)
    n++;
  return n;
}
