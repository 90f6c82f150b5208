/**
 * Use-after-unmap detection (issue 15 fault injection, HW-9): under a shootdown protocol the
 * walk is charged and every CPU's TLB reports a hit on an entry whose frame munmap freed
 * (hw/tlb.ts TLB_STALE, set by vm.ts finishUnmap). Each is recorded with the CPU, the virtual
 * address, the freed frame the entry still maps and what the page table maps there now, and
 * mixed into the trace. Under a correct protocol none happens: the frame is freed only after
 * every CPU that could hold the entry has dropped it.
 */
import { PAGE_SHIFT } from '../../hw/memory.ts';
import { pteFrame, PTE_P } from '../../hw/page-table.ts';
import { TraceKind } from '../../abi/trace.ts';
import type { Kernel } from '../kernel.ts';

export function watchStaleEntries(k: Kernel): void {
  k.mmu.staleChecks = true;
  k.board.memory.tolerateFreeAccess = true;
  k.mmu.walkLevelNs = k.board.costs.pageWalkLevelNs;
  for (const [cpuId, tlb] of k.board.tlbs.entries()) {
    tlb.onStale = (vpn, _pcid, frame, write) => {
      const vaddr = vpn * 2 ** PAGE_SHIFT;
      const space = k.mmu.loaded[cpuId];
      const [lo, hi] = space === null || space === undefined ? [0, 0] : k.mmu.tables.pte(space.root, vaddr);
      const currentFrame = (lo & PTE_P) !== 0 ? pteFrame(lo, hi) : -1;
      k.tlb.stats.staleReads.push({ cpuId, timeNs: k.nowNs, vaddr, staleFrame: frame, currentFrame, write });
      // The address is the first operand, which the hash takes whole (all 48 bits; trace-hash.ts).
      k.board.trace.mix(TraceKind.TlbStaleRead, vaddr, cpuId);
    };
  }
}
