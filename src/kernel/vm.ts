/**
 * Address spaces: anonymous mmap regions backed by frames, their page tables, translation of
 * guest addresses through the running CPU's TLB, and the faults a bad access raises. Addresses
 * are 48-bit (x86-64's canonical lower half); the user range is [USER_BASE, TASK_SIZE) and its
 * layout is user-layout.ts's. No 32-bit operator touches an address here: page numbers are
 * `vpnOf`, page indexes `pageIndex`; a non-canonical address is a #GP (SIGSEGV, SI_KERNEL).
 *
 * Each region (Linux's VMA) holds the frame behind each of its pages (regions.ts), and every
 * mapped page also has a leaf entry in the space's 4-level page table (hw/page-table.ts), which
 * the hardware walk reads on a TLB miss (issue 15). An access by a CPU goes through that CPU's
 * TLB (hw/tlb.ts): what it cached stays until it is flushed, so mprotect and munmap write the
 * entries, then flush (mmu.ts), then free frames, in Linux's order (mm/mmu_gather.c). A walk
 * that finds no entry is a page fault, classified by the regions: no region is SIGSEGV for
 * unmapped memory, a region whose protection refuses is SIGSEGV for protected memory. By default
 * (`[kernel] paging = "eager"`, kernel/mm-options.ts) mmap takes the frames at once, on the mapping CPU's node, since physical
 * addresses are visible (futex keys hash them; taking frames at first touch instead moved nine
 * seed scenarios' figures); what waits for the first write is the frames' host storage
 * (memory.ts), without which a page reads zeros, as Linux's untouched anonymous pages read its
 * zero page (mm/memory.c, do_anonymous_page). The guard page below a stack is a PROT_NONE region
 * and stays a fault. With `paging = "demand"` a private page has NO_FRAME until its first touch,
 * which the fault handler resolves (#faultKind: a frame on the toucher's node); with
 * `fork = "cow"` fork shares private frames read-only (shareCowInto) and a write fault copies
 * or reuses them (#breakCow); a shared page with NO_FRAME lies past the end of its object
 * (shm_truncate) and is SIGBUS.
 *
 * Why it is about 820 lines, over the house ~400: regions, page-table entries and frame references are one
 * invariant (each mapping call must keep the three in step, and the property tests check them
 * together), so they share private state here; the region list (regions.ts), the MMU and its
 * flushes (mmu.ts), the shootdown protocols (tlb/) and the layout of the 48-bit space
 * (user-layout.ts) already live apart. The fault handler
 * (demand paging, copy-on-write) writes the same three, so it is here too, and so does a device
window (reserveWindow, issue 18: a region with no frames, ~20 lines). Next
 * out: the two-phase munmap and madvise batches, and fork's copy and share, into an mm file of
 * their own over a small interface to the frame references.
 */
import { PAGE_SIZE, PTE_READ, PTE_USER, PTE_WRITE, type PhysicalMemory } from '../hw/memory.ts';
import { PTE_P, PTE_RW, PTE_US, WALK_NONCANONICAL } from '../hw/page-table.ts';
import { EINVAL, ENOMEM } from '../abi/errno.ts';
import {
  BUS_ADRALN,
  BUS_ADRERR,
  SEGV_ACCERR,
  SEGV_MAPERR,
  SI_KERNEL,
  SIGBUS,
  SIGSEGV,
} from '../abi/signal.ts';
import { FrameLists } from './frame-lists.ts';
import { Mmu, type MmuSpace } from './mmu.ts';
import { type Region, RegionList } from './regions.ts';
import {
  isCanonical,
  MMAP_BASE,
  pageIndex,
  STACK_TOP,
  USER_BASE,
  unsignedAddr,
  vpnOf,
} from './user-layout.ts';

export type { Region } from './regions.ts';
export { TASK_SIZE, USER_BASE, USER_TOP } from './user-layout.ts';

/** A guest memory access that the hardware refuses: delivered to the process as a signal. */
export class GuestFault extends Error {
  override name = 'GuestFault';
  readonly signal: number;
  /**
   * si_addr: the faulting address as an unsigned 64-bit value (a negative one sign-extended;
   * exact below 2^53), or 0 for a general-protection fault, which reports none (SI_KERNEL).
   */
  readonly addr: number;
  /** si_code: SEGV_MAPERR / SEGV_ACCERR / SI_KERNEL, or BUS_ADRALN / BUS_ADRERR. */
  readonly code: number;

  constructor(signal: number, addr: number, what: string, code = 0) {
    super(`${what} at 0x${BigInt.asUintN(64, BigInt(addr)).toString(16)}`);
    this.signal = signal;
    this.addr = code === SI_KERNEL ? 0 : unsignedAddr(addr);
    this.code = code;
  }
}

/** Why a translation failed (negative, so a frame number is never one). */
const FAULT_UNMAPPED = -1;
const FAULT_WRITE = -2;
const FAULT_READ = -3;
/** A demand or copy-on-write fault that found no free frame. */
const FAULT_OOM = -4;
/** A page of a shared mapping past the end of its object (shm_truncate shrank it): SIGBUS. */
const FAULT_BUS = -5;
/** A non-canonical address: the CPU raises #GP, not a page fault (no region is consulted). */
const FAULT_GP = -6;

/** A page of a region that has no frame yet (demand paging: taken at its first touch). */
export const NO_FRAME = -1;

/** The part of a munmap done before its shootdown: regions cut, entries cleared (see unmapEntries). */
export interface UnmapBatch {
  readonly regions: readonly Region[];
  readonly vpn: number;
  readonly pages: number;
  /** madvise: part of the range was not mapped (ENOMEM once the rest is done). */
  readonly gap?: boolean;
}

export class AddressSpace implements MmuSpace {
  readonly #regions = new RegionList();
  /** Where allocFrames cuts its lists from (frame-lists.ts). */
  readonly #frameLists = new FrameLists();
  readonly #memory: PhysicalMemory;
  readonly #mmu: Mmu;
  /** The PML4's table id: this space's CR3 (0 once torn down). */
  root: number;
  readonly pcid: number = 0;
  readonly usedBy: Uint8Array;
  /**
   * Reference counts of frames that may be mapped more than once (shared mappings and
   * shared-memory objects), kernel-wide. A private frame has one mapping and no entry.
   */
  readonly #frameRefs: Map<number, number>;
  /** mmap hands out addresses downward from here (mm->mmap_base, user-layout.ts). */
  #mmapNext = MMAP_BASE;

  /** Flushes of this space so far (Linux's mm->context.tlb_gen; kernel/tlb/linux.ts). */
  tlbGen = 0;
  /** Per CPU: the generation its TLB is up to date with for this space (cpu_tlbstate.ctxs[].tlb_gen). */
  readonly cpuGen: Float64Array;
  /** Accesses by a CPU whose CR3 did not hold this space (walked without its TLB; a bug if > 0). */
  untaggedAccesses = 0;
  /**
   * The private futex keys of this mm, by word address (futex/table.ts privateKey): Linux keys a
   * private futex by (mm, address), and a 48-bit address leaves no room beside an mm id in one
   * exact number, so each address gets a kernel-wide serial number the first time it is keyed.
   */
  readonly futexKeys = new Map<number, number>();

  constructor(memory: PhysicalMemory, frameRefs: Map<number, number>, mmu = Mmu.standalone(), asid = 0) {
    this.#memory = memory;
    this.#frameRefs = frameRefs;
    this.#mmu = mmu;
    this.root = mmu.tables.allocTable();
    this.pcid = mmu.pcidOf(asid);
    this.usedBy = new Uint8Array(mmu.cpuCount);
    this.cpuGen = new Float64Array(mmu.cpuCount);
  }

  /** The MMU this space's tables and TLB entries live in. */
  get mmu(): Mmu {
    return this.#mmu;
  }

  /** Writes the leaf entries of a region's pages (its frames, its protection). */
  #mapRegion(r: Region): void {
    if (this.#mmu.lazyMm || (r.shared && r.frames.includes(NO_FRAME))) {
      for (let i = 0; i < r.pages; i++) this.#mapPage(r, i);
      return;
    }
    this.#mmu.tables.setPteRun(
      this.root,
      r.start,
      r.pages,
      r.frames,
      pteFlags(r.prot),
      (r.prot & PROT_EXEC) === 0,
    );
  }

  /**
   * Writes page `i`'s leaf entry: not present while it has no frame (demand paging), read-only
   * while its private frame is shared with another space (copy-on-write after fork).
   */
  #mapPage(r: Region, i: number): void {
    const frame = r.frames[i]!;
    let flags = frame === NO_FRAME ? 0 : pteFlags(r.prot);
    if (!r.shared && flags !== 0 && this.#refs(frame) > 1) flags &= ~PTE_RW;
    const va = r.start + i * PAGE_SIZE;
    this.#mmu.tables.setPteRun(
      this.root,
      va,
      1,
      r.frames.subarray(i, i + 1),
      flags,
      (r.prot & PROT_EXEC) === 0,
    );
  }

  /** The references to `frame` (a frame with no entry has one). */
  #refs(frame: number): number {
    return this.#frameRefs.get(frame) ?? 1;
  }

  /** Clears the leaf entries of a region's pages. */
  #unmapRegion(r: Region): void {
    this.#mmu.tables.setPteRun(this.root, r.start, r.pages, r.frames, 0, false);
  }

  #insert(r: Region): void {
    this.#regions.insert(r);
    this.#mapRegion(r);
  }

  /** The mapped regions, highest address first. */
  get regions(): readonly Region[] {
    return this.#regions.all;
  }

  /**
   * Maps `bytes` of zeroed anonymous memory; returns the address, or -1 when out of memory or
   * address space. Frames are taken on `node` (the caller's: the model places a mapping's pages
   * where the mapping thread, their first toucher under Linux's first-touch policy, runs) while
   * it has any.
   */
  mmapAnonymous(bytes: number, prot: number, shared: boolean, node = 0, at = -1): number {
    const pages = Math.ceil(bytes / PAGE_SIZE);
    const start = at >= 0 ? at : this.findFree(pages);
    if (start < 0) return -1;
    const frames = this.freshFrames(pages, shared, node);
    if (frames === null) return -1;
    if (at < 0) this.#mmapNext = start;
    this.#insert({ start, pages, prot, shared, frames });
    return start;
  }

  /**
   * Maps a main thread's stack of `bytes` (its guard page included) just below STACK_TOP, as
   * Linux's setup_arg_pages puts the stack at the top of user space, above the mmap area's gap
   * (user-layout.ts). Returns its lowest address, or -1 when out of memory or already mapped.
   */
  mapMainStack(bytes: number, node: number): number {
    const start = STACK_TOP - Math.ceil(bytes / PAGE_SIZE) * PAGE_SIZE;
    if (!this.isFree(start, STACK_TOP)) return -1;
    return this.mmapAnonymous(bytes, PROT_READ_WRITE, false, node, start);
  }

  /**
   * Where `pages` new pages go without a hint: just below the last mapping handed out (the
   * downward bump the model has always used), and below any region a MAP_FIXED or a hint put
   * in the way (the top-down search of mm/mmap.c, unmapped_area_topdown). -1 when there is no room.
   */
  findFree(pages: number): number {
    let top = this.#mmapNext;
    for (;;) {
      const start = top - pages * PAGE_SIZE;
      if (start < USER_BASE) return -1;
      const inTheWay = this.#regions.highestIn(start, top);
      if (inTheWay === undefined) return start;
      top = inTheWay.start;
    }
  }

  /** True when no page of [start, end) is mapped. */
  isFree(start: number, end: number): boolean {
    return !this.#regions.overlaps(start, end);
  }

  /** True when a new mapping (`shared` or private) takes its frames now: always but for demand-paged private memory. */
  mapsEagerly(shared: boolean): boolean {
    return shared || !this.#mmu.demandPaging;
  }

  /**
   * The frames of `pages` new pages: fresh ones (allocFrames), or NO_FRAME for each when they
   * are private and demand-paged (each taken at its first touch). Null when memory ran out.
   */
  freshFrames(pages: number, shared: boolean, node: number): Int32Array | null {
    if (this.mapsEagerly(shared)) return this.allocFrames(pages, shared, node);
    return new Int32Array(pages).fill(NO_FRAME);
  }

  /** `pages` fresh frames on `node` (each referenced once when `shared`), or null when memory ran out. */
  allocFrames(pages: number, shared: boolean, node: number): Int32Array | null {
    const frames = this.#frameLists.take(pages);
    for (let i = 0; i < pages; i++) {
      const frame = this.#memory.allocFrame(node);
      if (frame < 0) {
        for (let j = 0; j < i; j++) this.#memory.freeFrame(frames[j]!);
        return null;
      }
      frames[i] = frame;
      if (shared) this.#frameRefs.set(frame, 1);
    }
    return frames;
  }

  /**
   * mremap's primitives (mremap.ts): the regions inside [start, end), split at its ends, without
   * changing anything else (they stay mapped).
   */
  regionsIn(start: number, end: number): Region[] {
    return this.#regions.carve(start, end);
  }

  /**
   * Removes the regions inside [start, end) and clears their entries, keeping their frames
   * referenced (move_page_tables: the caller maps them again elsewhere, after its shootdown).
   */
  detach(start: number, end: number): Region[] {
    const regions = this.#regions.cut(start, end);
    for (const r of regions) this.#unmapRegion(r);
    return regions;
  }

  /** Maps `r` (over free pages), writing its entries; its frames' references are the caller's. */
  attach(r: Region): void {
    this.#insert(r);
  }

  /**
   * mprotect: changes the protection of every page in [addr, addr + bytes). Returns 0, -EINVAL
   * for an address that is not page-aligned, or -ENOMEM when part of the range is not mapped
   * (mm/mprotect.c's answers). Guard pages (LIBC-8) are pages made PROT_NONE this way.
   */
  mprotect(addr: number, bytes: number, prot: number, flush = true): number {
    if (addr % PAGE_SIZE !== 0 || !(bytes >= 0)) return -EINVAL;
    const end = addr + Math.ceil(bytes / PAGE_SIZE) * PAGE_SIZE;
    if (end === addr) return 0;
    if (!this.#regions.covers(addr, end)) return -ENOMEM;
    // mprotect_fixup: the regions straddling either end are split, and the inside gets `prot`;
    // change_protection rewrites the entries, then flush_tlb_range.
    for (const r of this.#regions.carve(addr, end)) {
      r.prot = prot;
      this.#mapRegion(r);
    }
    // `flush` false: the caller runs a shootdown protocol over the range itself (kernel/tlb/).
    if (flush) this.#mmu.flushRange(this, vpnOf(addr), (end - addr) / PAGE_SIZE);
    return 0;
  }

  /** Gives `child` the same frames for every shared region (MAP_SHARED survives spawn). */
  inheritShared(child: AddressSpace): void {
    for (const region of this.regions) {
      if (!region.shared) continue;
      for (const frame of region.frames) {
        if (frame !== NO_FRAME) this.#frameRefs.set(frame, (this.#frameRefs.get(frame) ?? 1) + 1);
      }
      child.#insert({ ...region, frames: region.frames.slice() });
      child.#mmapNext = Math.min(child.#mmapNext, region.start);
    }
  }

  /**
   * fork: gives `child` a copy of every private region, with each part's own protection (guard
   * pages stay PROT_NONE), in new frames. Shared regions are not touched here: `inheritShared`
   * gave the child the same frames. Returns the pages copied, or -1 when memory ran out (the
   * regions already copied stay mapped in the child, whose teardown frees them). The copies are
   * taken on `node`, the forking CPU's: the copier is their first toucher.
   */
  copyPrivateInto(child: AddressSpace, node = 0): number {
    let copied = 0;
    for (const region of this.regions) {
      if (region.shared) continue;
      const frames = new Int32Array(region.pages);
      for (let i = 0; i < region.pages; i++) {
        if (region.frames[i] === NO_FRAME) {
          frames[i] = NO_FRAME; // never touched: the child's first touch takes its own
          continue;
        }
        const frame = this.#memory.allocFrame(node);
        if (frame < 0) {
          for (let j = 0; j < i; j++) this.#memory.freeFrame(frames[j]!);
          return -1;
        }
        this.#memory.copyFrame(frame, region.frames[i]!);
        frames[i] = frame;
        copied++;
      }
      child.#insert({ ...region, frames });
      child.#mmapNext = Math.min(child.#mmapNext, region.start);
    }
    return copied;
  }

  /**
   * Copy-on-write fork (`[kernel] fork = "cow"`; kernel/fork.c dup_mmap, mm/memory.c
   * copy_present_pte): `child` maps every private region's frames too, each gaining a reference,
   * and both spaces' entries for them become read-only, so the first write to a page on either
   * side faults and copies it (or, when the other side has let go, takes it back writable).
   * Returns the pages now shared and the parent's regions whose entries lost their write bit, as
   * [vpn, pages] runs (the caller shoots them down: TLBs may hold them writable).
   */
  shareCowInto(child: AddressSpace): { pages: number; runs: [number, number][] } {
    let pages = 0;
    const runs: [number, number][] = [];
    for (const region of this.regions) {
      if (region.shared) continue;
      const frames = region.frames.slice();
      let sharedHere = 0;
      for (const frame of frames) {
        if (frame === NO_FRAME) continue;
        this.#frameRefs.set(frame, this.#refs(frame) + 1);
        sharedHere++;
      }
      pages += sharedHere;
      this.#mapRegion(region); // the write bit goes from every shared page
      child.#insert({ ...region, frames });
      child.#mmapNext = Math.min(child.#mmapNext, region.start);
      if (sharedHere > 0) runs.push([region.start / PAGE_SIZE, region.pages]);
    }
    return { pages, runs };
  }

  /**
   * Reserves `pages` of address space as one private PROT_NONE region with no frames behind it
   * (a device window mapped by the `memory:` scheme, devio/memory-scheme.ts: no plain access
   * reaches it; the driver's register calls name addresses in it). Returns the region, or null
   * when the address space is full.
   */
  reserveWindow(pages: number): Region | null {
    const start = this.findFree(pages);
    if (start < 0) return null;
    this.#mmapNext = start;
    const region: Region = {
      start,
      pages,
      prot: 0,
      shared: false,
      frames: new Int32Array(pages).fill(NO_FRAME),
    };
    this.#insert(region);
    return region;
  }

  /**
   * Maps existing frames (a shared-memory object's) as one MAP_SHARED region with `prot`; each
   * frame gains a reference. Returns the address, or -1 when the address space is full.
   */
  mapFrames(frames: readonly number[], prot: number): number {
    const start = this.findFree(frames.length);
    if (start < 0) return -1;
    for (const frame of frames) this.#frameRefs.set(frame, (this.#frameRefs.get(frame) ?? 0) + 1);
    this.#mmapNext = start;
    this.#insert({
      start,
      pages: frames.length,
      prot,
      shared: true,
      frames: Int32Array.from(frames),
    });
    return start;
  }

  /**
   * munmap: unmaps every mapped page in [addr, addr + bytes), dropping a reference to each frame
   * (the last one frees it) and cutting the regions around the hole. Unmapped pages in the range
   * are no error, as on Linux. Returns the pages unmapped, or -EINVAL for an address that is not
   * page-aligned or a length that is not positive (mm/mmap.c's answers).
   */
  munmap(addr: number, bytes: number): number {
    const batch = this.unmapEntries(addr, bytes);
    if (typeof batch === 'number') return batch;
    if (batch.regions.length > 0) this.#mmu.flushRange(this, batch.vpn, batch.pages);
    return this.finishUnmap(batch);
  }

  /**
   * munmap's first half (unmap_region): cuts the regions and clears their entries; the caller
   * then shoots the range down from every TLB and calls `finishUnmap`, which frees the frames,
   * so no CPU can reach a frame after it has gone back to the allocator (tlb_finish_mmu).
   * Returns -EINVAL as `munmap` does.
   */
  unmapEntries(addr: number, bytes: number): UnmapBatch | number {
    if ((addr & (PAGE_SIZE - 1)) !== 0 || !(bytes > 0) || addr < 0) return -EINVAL;
    const end = addr + Math.ceil(bytes / PAGE_SIZE) * PAGE_SIZE;
    const regions = this.#regions.cut(addr, end);
    for (const region of regions) this.#unmapRegion(region);
    return { regions, vpn: vpnOf(addr), pages: (end - addr) / PAGE_SIZE };
  }

  /**
   * munmap's second half, after the shootdown: drops the frames (the last reference frees one).
   * A TLB entry that still maps a freed frame is marked stale in every CPU's TLB, so a guest
   * that later reads through it is reported (a missed or broken shootdown). Returns the pages.
   */
  finishUnmap(batch: UnmapBatch): number {
    let pages = 0;
    const tlbs = this.#mmu.staleChecks ? this.#mmu.tlbs : [];
    for (const region of batch.regions) {
      for (let i = 0; i < region.pages; i++) {
        const frame = region.frames[i]!;
        if (!this.#dropFrame(frame)) continue;
        const vpn = vpnOf(region.start) + i;
        for (const tlb of tlbs) tlb.markStale(vpn, this.pcid, frame);
      }
      pages += region.pages;
    }
    return pages;
  }

  /**
   * shm_truncate's first half in this space (mm/truncate.c truncate_pagecache ->
   * unmap_mapping_range): every shared page mapping one of `frames` loses its frame and entry,
   * so a touch is SIGBUS. Returns the pages cut, as [vpn, frame] pairs, for the caller's
   * shootdown and `releaseCut`.
   */
  cutSharedFrames(frames: ReadonlySet<number>): [number, number][] {
    const cut: [number, number][] = [];
    for (const r of this.#regions.all) {
      if (!r.shared) continue;
      for (let i = 0; i < r.pages; i++) {
        const frame = r.frames[i]!;
        if (!frames.has(frame)) continue;
        r.frames[i] = NO_FRAME;
        this.#mapPage(r, i);
        cut.push([vpnOf(r.start) + i, frame]);
      }
    }
    return cut;
  }

  /** shm_truncate's second half, after the shootdown: the cut pages' references go (stale-marked when freed). */
  releaseCut(cut: readonly [number, number][]): void {
    for (const [vpn, frame] of cut) {
      if (!this.#dropFrame(frame)) continue;
      for (const tlb of this.#mmu.staleChecks ? this.#mmu.tlbs : []) tlb.markStale(vpn, this.pcid, frame);
    }
  }

  /** Drops the frames of a region already cut from the list; returns its pages. */
  #release(region: Region): number {
    for (const frame of region.frames) this.#dropFrame(frame);
    return region.pages;
  }

  /**
   * madvise(MADV_DONTNEED)'s first half (mm/madvise.c, zap_page_range_single): the pages of
   * private regions in [addr, addr + bytes) lose their entries, so that after the caller's
   * shootdown `finishDontneed` gives each a fresh zeroed frame: the next read sees zeros, as a
   * zapped anonymous page refaults the zero page. Shared pages keep their frames (their data
   * lives in the shared object). -EINVAL for an unaligned address or a negative length,
   * -ENOMEM when part of the range is not mapped (the mapped parts are still done).
   */
  dontneedEntries(addr: number, bytes: number): UnmapBatch | number {
    if (addr % PAGE_SIZE !== 0 || !(bytes >= 0)) return -EINVAL;
    const end = addr + Math.ceil(bytes / PAGE_SIZE) * PAGE_SIZE;
    const regions = end === addr ? [] : this.#regions.carve(addr, end).filter((r) => !r.shared);
    for (const r of regions) this.#unmapRegion(r);
    const gap = end !== addr && !this.#regions.covers(addr, end);
    return { regions, vpn: vpnOf(addr), pages: (end - addr) / PAGE_SIZE, gap };
  }

  /** madvise's second half: fresh zeroed frames, on each old frame's node, mapped again. */
  finishDontneed(batch: UnmapBatch): number {
    for (const r of batch.regions) {
      const frames = new Int32Array(r.pages);
      for (let i = 0; i < r.pages; i++) {
        const old = r.frames[i]!;
        if (old === NO_FRAME || this.#mmu.demandPaging) {
          frames[i] = NO_FRAME; // demand paging: no frame again until the next touch (zap_pte_range)
          this.#dropUnmapped(r, i, old);
          continue;
        }
        const fresh = this.#memory.allocFrame(this.#memory.nodeOf(old));
        frames[i] = fresh < 0 ? old : fresh; // out of memory: keep the old frame, zeroed
        if (fresh < 0) this.#memory.words(old).fill(0);
        else this.#dropUnmapped(r, i, old);
      }
      r.frames = frames;
      this.#mapRegion(r);
    }
    return batch.gap === true ? -ENOMEM : 0;
  }

  /** Drops page `i`'s old frame after its shootdown; a freed frame is marked stale in every TLB still holding it. */
  #dropUnmapped(r: Region, i: number, old: number): void {
    if (!this.#dropFrame(old)) return;
    for (const tlb of this.#mmu.staleChecks ? this.#mmu.tlbs : []) {
      tlb.markStale(vpnOf(r.start) + i, this.pcid, old);
    }
  }

  /** Drops one reference to `frame`; true when it was the last and the frame is free. */
  #dropFrame(frame: number): boolean {
    if (frame === NO_FRAME) return false;
    const refs = (this.#frameRefs.get(frame) ?? 1) - 1;
    if (refs === 0) {
      this.#frameRefs.delete(frame);
      this.#memory.freeFrame(frame);
      return true;
    }
    this.#frameRefs.set(frame, refs);
    return false;
  }

  /** Unmaps everything; frames whose last reference this was go back to the allocator. */
  destroy(): number {
    this.#mmu.flushSpace(this);
    if (this.root !== 0) this.#mmu.tables.freeTree(this.root);
    this.root = 0;
    let pages = 0;
    for (const region of this.#regions.all) pages += this.#release(region);
    this.#regions.clear();
    return pages;
  }

  /**
   * The frame behind `addr` for an access by CPU `cpuId` (-1: no CPU, a software walk, as
   * access_process_vm makes), or a FAULT_* code: its TLB, else the page walk, whose answer
   * the TLB then caches. A miss's walk is counted against the CPU.
   */
  #translate(addr: number, write: boolean, cpuId: number): number {
    if (cpuId >= 0) {
      if (this.#mmu.loaded[cpuId] === this) {
        const frame = this.#mmu.tlbs[cpuId]!.lookup(vpnOf(addr), this.pcid, write);
        if (frame >= 0) return frame;
      } else {
        this.untaggedAccesses++;
        cpuId = -1;
      }
    }
    return this.#miss(addr, write, cpuId);
  }

  #miss(addr: number, write: boolean, cpuId: number): number {
    const mmu = this.#mmu;
    const tables = mmu.tables;
    const frame = tables.walk(this.root, addr, write);
    if (cpuId >= 0) {
      mmu.walks[cpuId]!++;
      mmu.walkLevels[cpuId]! += tables.lastLevels;
      mmu.pendingWalkNs[cpuId]! += tables.lastLevels * mmu.walkLevelNs;
    }
    if (frame < 0) {
      if (frame === WALK_NONCANONICAL && !isCanonical(addr)) return FAULT_GP;
      const verdict = this.#faultKind(addr, write, cpuId);
      // A fault the handler resolved: the access is made again, and walks again (the retried instruction).
      return verdict === 0 ? this.#miss(addr, write, cpuId) : verdict;
    }
    if (cpuId >= 0) mmu.tlbs[cpuId]!.fill(vpnOf(addr), this.pcid, frame, tables.lastFlags);
    return frame;
  }

  /**
   * The page fault handler's verdict on a walk that failed (do_user_addr_fault's VMA checks): a
   * FAULT_* code, or 0 when it resolved the fault (handle_mm_fault: a demand page's first frame,
   * a copy-on-write copy or reuse) and the access may be retried.
   */
  #faultKind(addr: number, write: boolean, cpuId: number): number {
    const r = this.#regions.find(addr);
    if (r === undefined) return FAULT_UNMAPPED;
    if ((protToPte(r.prot) & (write ? PTE_WRITE : PTE_READ)) === 0) return write ? FAULT_WRITE : FAULT_READ;
    const i = pageIndex(addr, r.start);
    if (r.frames[i] === NO_FRAME && r.shared) return FAULT_BUS; // past the object's end
    if (r.frames[i] === NO_FRAME) return this.#populate(r, i, cpuId) < 0 ? FAULT_OOM : 0;
    if (write && !r.shared && this.#mmu.cowFork) return this.#breakCow(r, i, cpuId);
    // Eager paging maps every permitted page at mmap: a permitted page without an entry is a bug.
    throw new Error(`vm: page 0x${addr.toString(16)} permitted but not in the page table`);
  }

  /**
   * A demand page's first touch (do_anonymous_page): a zeroed frame on the touching CPU's node
   * (HW-14's first touch; node 0 for a software walk), mapped. Returns the frame, or -1 when
   * memory ran out.
   */
  #populate(r: Region, i: number, cpuId: number): number {
    const mmu = this.#mmu;
    const frame = this.#memory.allocFrame(cpuId >= 0 ? mmu.nodeOfCpu(cpuId) : 0);
    if (frame < 0) return -1;
    r.frames[i] = frame;
    this.#mapPage(r, i);
    mmu.faults.demand++;
    const costs = mmu.faultCosts;
    mmu.chargeFault(cpuId, costs.faultNs + costs.zeroNs + costs.mapNs);
    return frame;
  }

  /**
   * A write to a copy-on-write page (do_wp_page): the last reference takes the frame back
   * writable (wp_can_reuse_anon_folio); otherwise the page is copied into a fresh frame on the
   * writer's node and the shared one loses a reference (wp_page_copy). The old entry is flushed
   * from every CPU of the space at once, as the ideal protocol does (ptep_clear_flush): a guest
   * store is not an effect, so it cannot wait for a shootdown's IPIs. Returns 0, or FAULT_OOM.
   */
  #breakCow(r: Region, i: number, cpuId: number): number {
    const mmu = this.#mmu;
    const costs = mmu.faultCosts;
    const old = r.frames[i]!;
    if (this.#refs(old) > 1) {
      const frame = this.#memory.allocFrame(cpuId >= 0 ? mmu.nodeOfCpu(cpuId) : 0);
      if (frame < 0) return FAULT_OOM;
      this.#memory.copyFrame(frame, old);
      this.#dropFrame(old);
      r.frames[i] = frame;
      mmu.faults.cowCopies++;
      mmu.chargeFault(cpuId, costs.faultNs + costs.copyNs + costs.mapNs);
    } else {
      this.#frameRefs.delete(old);
      mmu.faults.cowReuses++;
      mmu.chargeFault(cpuId, costs.faultNs + costs.mapNs);
    }
    this.#mapPage(r, i);
    mmu.flushRange(this, vpnOf(r.start) + i, 1);
    return 0;
  }

  /** The frame behind `addr` after the MMU's checks; throws the fault a refused access raises. */
  #frame(addr: number, write: boolean, cpuId: number): number {
    if ((addr & 3) !== 0) throw new GuestFault(SIGBUS, addr, 'misaligned 32-bit access', BUS_ADRALN);
    const frame = this.#translate(addr, write, cpuId);
    if (frame >= 0) return frame;
    if (frame === FAULT_UNMAPPED)
      throw new GuestFault(SIGSEGV, addr, 'access to unmapped memory', SEGV_MAPERR);
    if (frame === FAULT_GP)
      throw new GuestFault(SIGSEGV, addr, 'general protection fault: non-canonical address', SI_KERNEL);
    if (frame === FAULT_BUS)
      throw new GuestFault(SIGBUS, addr, 'access past the end of a shared object', BUS_ADRERR);
    if (frame === FAULT_OOM)
      throw new GuestFault(SIGBUS, addr, 'no frame for a page fault (out of memory)', BUS_ADRERR);
    const what = write ? 'write to protected memory' : 'read of protected memory';
    throw new GuestFault(SIGSEGV, addr, what, SEGV_ACCERR);
  }

  /** A 32-bit load by CPU `cpuId` (-1: a software walk, no TLB). */
  load32(addr: number, cpuId = -1): number {
    return this.#memory.load(this.#frame(addr, false, cpuId), (addr & (PAGE_SIZE - 1)) >>> 2);
  }

  store32(addr: number, value: number, cpuId = -1): void {
    this.#memory.store(this.#frame(addr, true, cpuId), (addr & (PAGE_SIZE - 1)) >>> 2, value | 0);
  }

  /** True when a 32-bit access at `addr` by CPU `cpuId` would succeed (aligned, translates). */
  canAccess(addr: number, write: boolean, cpuId = -1): boolean {
    if ((addr & 3) !== 0) return false;
    return this.#translate(addr, write, cpuId) >= 0;
  }

  /**
   * copy_from_user: `len` bytes from `addr`, or null when any of them is not readable. One
   * translation (one TLB lookup) per word, as a CPU's string copy makes one per access.
   */
  readBytes(addr: number, len: number, cpuId = -1): Uint8Array | null {
    const out = new Uint8Array(len);
    const memory = this.#memory;
    let i = 0;
    while (i < len) {
      const a = addr + i;
      const word = a - (a & 3);
      const frame = this.#translate(word, false, cpuId);
      if (frame < 0) return null;
      const value = memory.load(frame, (word & (PAGE_SIZE - 1)) >>> 2);
      for (let b = a & 3; b < 4 && i < len; b++, i++) out[i] = (value >>> (8 * b)) & 0xff;
    }
    return out;
  }

  /** copy_to_user: `bytes` at `addr`; false, with nothing written, when any byte is not writable. */
  writeBytes(addr: number, bytes: Uint8Array, cpuId = -1): boolean {
    const len = bytes.length;
    if (len === 0) return true;
    const first = addr - (addr & 3);
    const words = ((addr + len - 1 - first) >>> 2) + 1;
    const frames = new Float64Array(words);
    for (let w = 0; w < words; w++) {
      const frame = this.#translate(first + 4 * w, true, cpuId);
      if (frame < 0) return false;
      frames[w] = frame;
    }
    const memory = this.#memory;
    for (let w = 0; w < words; w++) {
      const word = first + 4 * w;
      const index = (word & (PAGE_SIZE - 1)) >>> 2;
      let value = memory.load(frames[w]!, index);
      for (let b = 0; b < 4; b++) {
        const i = word + b - addr;
        if (i < 0 || i >= len) continue;
        const shift = 8 * b;
        value = (value & ~(0xff << shift)) | (bytes[i]! << shift);
      }
      memory.store(frames[w]!, index, value | 0);
    }
    return true;
  }

  /** The region holding `addr`, or undefined. */
  regionAt(addr: number): Region | undefined {
    return this.#regions.find(addr);
  }

  /** The frame behind the page of `addr`, whatever its protection, or -1 when it is not mapped. */
  frameOf(addr: number): number {
    const r = this.#regions.find(addr);
    return r === undefined ? -1 : r.frames[pageIndex(addr, r.start)]!;
  }

  /** The NUMA node holding the page of `addr`, or -1 when it is not mapped. */
  nodeOf(addr: number): number {
    const frame = this.frameOf(addr);
    return frame < 0 ? -1 : this.#memory.nodeOf(frame);
  }

  /** Frame-level physical address of a mapped word, or -1 (used as a futex key, FUTEX-1). */
  physicalAddress(addr: number, cpuId = -1): number {
    let frame = this.frameOf(addr);
    if (frame === NO_FRAME && this.#mmu.demandPaging) {
      // get_futex_key faults the page in first (get_user_pages_fast): a demand page gets its frame.
      const r = this.#regions.find(addr);
      if (r !== undefined && !r.shared && (protToPte(r.prot) & PTE_READ) !== 0) {
        frame = this.#populate(r, pageIndex(addr, r.start), cpuId);
      }
    }
    return frame < 0 ? -1 : frame * PAGE_SIZE + (addr & (PAGE_SIZE - 1));
  }
}

const PROT_EXEC = 4;
const PROT_READ_WRITE = 3;

/** The leaf entry's flags for `prot`: 0 (not present) for PROT_NONE, as Linux's PROT_NONE pages. */
function pteFlags(prot: number): number {
  // x86 without protection keys cannot map a page executable but unreadable: PROT_EXEC reads.
  if ((prot & 7) === 0) return 0;
  return PTE_P | PTE_US | ((prot & 2) !== 0 ? PTE_RW : 0);
}

function protToPte(prot: number): number {
  let flags = PTE_USER;
  if (prot & (1 | PROT_EXEC)) flags |= PTE_READ;
  if (prot & 2) flags |= PTE_WRITE | PTE_READ;
  return flags;
}
