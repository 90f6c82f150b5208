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
