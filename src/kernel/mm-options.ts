/**
 * How the kernel backs private anonymous memory (issue 15; HW-14's first touch): when a page gets
 * its frame, and what fork does with the parent's private pages. Scenario keys `[kernel] paging`
 * and `[kernel] fork` (scenario/tlb.ts).
 *
 * - `paging = "eager"` (the default, every preset): mmap takes every frame at once on the mapping
 *   CPU's node, as the model always has (vm.ts's header: physical addresses are futex keys, and
 *   taking frames later moved nine seeds' figures). models.md §6.3/§7 say nothing of when Redox
 *   takes frames, so the baseline stays as the simulator has measured it.
 * - `paging = "demand"` (Linux, mm/memory.c do_anonymous_page): a private anonymous page has no
 *   frame until its first access, which faults (`pageFaultNs`), takes a zeroed frame on the
 *   touching CPU's node, and maps it. MAP_SHARED and shared-memory objects stay eager.
 * - `fork = "copy"` (the default: the baseline's eager copy, kernel/clone.ts): every private page
 *   copied into a new frame at fork.
 * - `fork = "cow"` (Linux, kernel/fork.c dup_mmap -> copy_page_range; mm/memory.c do_wp_page):
 *   parent and child share the frames read-only with a reference count; the parent's writable
 *   entries are shot down through the configured protocol; the first write copies the page, or
 *   takes it back writable when its count fell to one (wp_can_reuse_anon_folio).
 */
import type { CostModel } from '../hw/cost-model.ts';
import type { Mmu } from './mmu.ts';

export const PAGING_MODES = ['eager', 'demand'] as const;
export type PagingMode = (typeof PAGING_MODES)[number];
export const FORK_MODES = ['copy', 'cow'] as const;
export type ForkMode = (typeof FORK_MODES)[number];

export interface MmOptions {
  paging: PagingMode;
  fork: ForkMode;
}

export const MM_OPTIONS_DEFAULT: Readonly<MmOptions> = { paging: 'eager', fork: 'copy' };

/** Sets the MMU's fault handling from the options and the cost model (kernel.ts at boot). */
export function configureMm(mmu: Mmu, options: Readonly<MmOptions>, costs: CostModel): void {
  mmu.demandPaging = options.paging === 'demand';
  mmu.cowFork = options.fork === 'cow';
  mmu.faultCosts = {
    faultNs: costs.pageFaultNs,
    zeroNs: costs.pageZeroNs,
    copyNs: costs.pageCopyNs,
    mapNs: costs.pageMapNs,
  };
}
