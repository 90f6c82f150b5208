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
  /** The space's flush generation, and each CPU's (Linux's tlb_gen; kernel/tlb/linux.ts). */
  readonly tlbGen: number;
  readonly cpuGen: Float64Array;
}

/** What resolving a page fault costs (kernel.ts fills it from the cost model). */
export interface FaultCosts {
  faultNs: number;
  zeroNs: number;
  copyNs: number;
  mapNs: number;
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
  /**
   * Mark TLB entries that still map a frame munmap freed (vm.ts finishUnmap), so a read through
   * one is reported. Off under the ideal shootdown, which leaves no such entry.
   */
  staleChecks = false;
  /** Per CPU: 1 while it runs its idle context with a user space still in CR3 (lazy TLB). */
  readonly lazy: Uint8Array;
  /** Cost of one page-table level read by a walk, charged to the CPU (0: walks are free). */
  walkLevelNs = 0;
  /** Per CPU: walk time not yet charged (the guest's next compute pays it: guest-handle.ts). */
  readonly pendingWalkNs: Float64Array;
  /** `[kernel] paging = "demand"`: private anonymous pages get a frame at first touch (mm-options.ts). */
  demandPaging = false;
  /** `[kernel] fork = "cow"`: fork shares private frames read-only until a write (mm-options.ts). */
  cowFork = false;
  /** The fault path's costs (cost model: pageFaultNs, pageZeroNs, pageCopyNs, pageMapNs), charged as walks are. */
  faultCosts: FaultCosts = { faultNs: 0, zeroNs: 0, copyNs: 0, mapNs: 0 };
  /** Faults the handler resolved: first touches, copy-on-write copies, and writes that reused the frame. */
  readonly faults = { demand: 0, cowCopies: 0, cowReuses: 0 };
  /** Pages fork copied eagerly, and pages it shared copy-on-write (kernel/clone.ts). */
  forkCopiedPages = 0;
  forkSharedPages = 0;
  readonly #cyclesPerNs: readonly number[];

  constructor(
    tables: PageTableStore,
    tlbs: readonly Tlb[],
    pcidEnabled = false,
    nodeOfCpu: (cpuId: number) => number = () => 0,
    cyclesPerNs: readonly number[] = [],
  ) {
    this.#cyclesPerNs = cyclesPerNs;
    this.tables = tables;
    this.tlbs = tlbs;
    this.pcidEnabled = pcidEnabled;
    this.loaded = tlbs.map(() => null);
    this.walks = new Float64Array(tlbs.length);
    this.walkLevels = new Float64Array(tlbs.length);
    this.nodeOfCpu = nodeOfCpu;
    this.lazy = new Uint8Array(tlbs.length);
    this.pendingWalkNs = new Float64Array(tlbs.length);
  }

  /** A machine-less MMU for an address space used alone (unit tests): no CPU, so no TLB. */
  static standalone(): Mmu {
    return new Mmu(new PageTableStore(), []);
  }

  /**
   * The walk time CPU `cpuId` owes, as cycles of its clock, now paid: a guest's loads and stores
   * are not effects, so their misses are charged to its next compute burst.
   */
  takeWalkCycles(cpuId: number): number {
    const ns = this.pendingWalkNs[cpuId] ?? 0;
    if (ns === 0) return 0;
    this.pendingWalkNs[cpuId] = 0;
    return ns * (this.#cyclesPerNs[cpuId] ?? 1);
  }

  /** True when an access can fault and be resolved (demand paging or copy-on-write is on). */
  get lazyMm(): boolean {
    return this.demandPaging || this.cowFork;
  }

  /** Charges `ns` of fault handling to CPU `cpuId` (-1: a software walk, charged to no one). */
  chargeFault(cpuId: number, ns: number): void {
    if (cpuId >= 0) this.pendingWalkNs[cpuId]! += ns;
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
      next.cpuGen[cpuId] = next.tlbGen; // the CR3 write left nothing of `next` to catch up on
    }
    next.usedBy[cpuId] = 1;
    this.loaded[cpuId] = next;
    this.catchUp(cpuId, next);
  }

  /**
   * A CPU enters `space` (a switch to one of its threads, CR3 written or not): when flushes of
   * the space went by it (lazy, or tagged entries kept under PCID), it drops the space's
   * entries now and is up to date (Linux switch_mm_irqs_off's tlb_gen check). Returns true
   * when it flushed.
   */
  catchUp(cpuId: number, space: MmuSpace): boolean {
    if (space.cpuGen[cpuId]! >= space.tlbGen) return false;
    if (this.pcidEnabled) this.tlbs[cpuId]!.flushPcid(space.pcid);
    else this.tlbs[cpuId]!.flushNonGlobal();
    this.fullFlushes++;
    space.cpuGen[cpuId] = space.tlbGen;
    return true;
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
