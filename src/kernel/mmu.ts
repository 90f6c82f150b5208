/**
 * The kernel's side of the MMU (issue 15): the page-table store every address space's tables
 * live in, the CPUs' TLBs, which address space each CPU has in CR3, and the flushes the kernel
 * makes after changing entries.
 *
 * An address space records the CPUs that may hold its translations (`usedBy`: Redox's
 * `used_by`, Linux's `mm_cpumask`): a CPU joins when it loads the space's CR3. Without PCID the
 * CR3 write of the next space flushes every non-global entry, so the CPU leaves the old space's
 * set then; with PCID its entries stay tagged and it stays in the set until a flush drops them.
 * A CPU that switches to its idle context keeps CR3 (Linux's lazy TLB), and stays in the set.
 *
 * `flushRange` is the ideal shootdown: every CPU in the set drops the pages at once and at no
 * cost. It keeps every scenario's results as they were before TLBs existed; the shootdown
 * protocols that cost time and can race (redox, redbear, linux) replace it (issue 15 stage 3).
 */
import { PageTableStore } from '../hw/page-table.ts';
import type { Tlb } from '../hw/tlb.ts';

/** What the MMU needs of an address space. */
export interface MmuSpace {
  readonly root: number;
  readonly pcid: number;
  /** Per CPU: 1 while it may hold this space's translations. */
  readonly usedBy: Uint8Array;
}

export class Mmu {
  readonly tables: PageTableStore;
  readonly tlbs: readonly Tlb[];
  /** CR4.PCIDE: entries tagged by address space, kept across CR3 writes. */
  readonly pcidEnabled: boolean;
  /** Per CPU: the space in its CR3 (null before the first user switch). */
  readonly loaded: (MmuSpace | null)[];
  /** Per CPU: page walks, and page-table levels they read. */
  readonly walks: Float64Array;
  readonly walkLevels: Float64Array;
  /** The NUMA node of a CPU (where a page it touches first is placed). */
  readonly nodeOfCpu: (cpuId: number) => number;
  /** Pages dropped from TLBs by per-page invalidation, and full flushes, over all CPUs. */
  invlpgPages = 0;
  fullFlushes = 0;

  constructor(
    tables: PageTableStore,
    tlbs: readonly Tlb[],
    pcidEnabled = false,
    nodeOfCpu: (cpuId: number) => number = () => 0,
  ) {
    this.tables = tables;
    this.tlbs = tlbs;
    this.pcidEnabled = pcidEnabled;
    this.loaded = tlbs.map(() => null);
    this.walks = new Float64Array(tlbs.length);
    this.walkLevels = new Float64Array(tlbs.length);
    this.nodeOfCpu = nodeOfCpu;
  }

  /** A machine-less MMU for an address space used alone (unit tests): no CPU, so no TLB. */
  static standalone(): Mmu {
    return new Mmu(new PageTableStore(), []);
  }

  get cpuCount(): number {
    return this.tlbs.length;
  }

  /** The PCID an address space with id `asid` gets (0 for all when PCID is off). */
  pcidOf(asid: number): number {
    return this.pcidEnabled ? asid % 4096 : 0;
  }

  /** CPU `cpuId` loads `next` into CR3 (switch_mm). */
  switchMm(cpuId: number, next: MmuSpace): void {
    const prev = this.loaded[cpuId] ?? null;
    if (prev === next) return;
    if (!this.pcidEnabled) {
      if (prev !== null) prev.usedBy[cpuId] = 0;
      this.tlbs[cpuId]!.flushNonGlobal();
      this.fullFlushes++;
    }
    next.usedBy[cpuId] = 1;
    this.loaded[cpuId] = next;
  }

  /** The ideal shootdown of `pages` pages from virtual page `vpn` (see the header). */
  flushRange(space: MmuSpace, vpn: number, pages: number): void {
    for (let cpu = 0; cpu < this.tlbs.length; cpu++) {
      if (space.usedBy[cpu] === 0) continue;
      const tlb = this.tlbs[cpu]!;
      for (let i = 0; i < pages; i++) tlb.invlpg(vpn + i, space.pcid);
      this.invlpgPages += pages;
    }
  }

  /** Drops every translation of `space` from every CPU (its teardown); the CPUs leave its set. */
  flushSpace(space: MmuSpace): void {
    for (let cpu = 0; cpu < this.tlbs.length; cpu++) {
      if (space.usedBy[cpu] === 0) continue;
      if (this.pcidEnabled) this.tlbs[cpu]!.flushPcid(space.pcid);
      else this.tlbs[cpu]!.flushNonGlobal();
      this.fullFlushes++;
      if (this.loaded[cpu] !== space) space.usedBy[cpu] = 0;
    }
  }
}
