/**
 * Address spaces: anonymous mmap regions backed by frames, translation of guest addresses, and
 * the faults a bad access raises. Addresses are 32-bit; the user range is [USER_BASE, USER_TOP).
 *
 * Each region holds the frame behind each of its pages (regions.ts), so translation is a region
 * lookup; there is no per-page table entry, and an idle thread's stack costs a region and 17
 * frame numbers. mmap takes the frames at once, on the mapping CPU's node, since physical
 * addresses are visible (futex keys hash them; taking frames at first touch instead moved nine
 * seed scenarios' figures); what waits for the first write is the frames' host storage
 * (memory.ts), without which a page reads zeros, as Linux's untouched anonymous pages read its
 * zero page (mm/memory.c, do_anonymous_page). The guard page below a stack is a PROT_NONE region
 * and stays a fault.
 */
import { PAGE_SHIFT, PAGE_SIZE, PTE_READ, PTE_USER, PTE_WRITE, type PhysicalMemory } from '../hw/memory.ts';
import { EINVAL, ENOMEM } from '../abi/errno.ts';
import { SIGBUS, SIGSEGV } from '../abi/signal.ts';
import { type Region, RegionList } from './regions.ts';

export type { Region } from './regions.ts';

export const USER_BASE = 0x0001_0000;
export const USER_TOP = 0xc000_0000;

/** A guest memory access that the hardware refuses: delivered to the process as a signal. */
export class GuestFault extends Error {
  override name = 'GuestFault';
  readonly signal: number;
  readonly addr: number;

  constructor(signal: number, addr: number, what: string) {
    super(`${what} at 0x${(addr >>> 0).toString(16)}`);
    this.signal = signal;
    this.addr = addr;
  }
}

export class AddressSpace {
  readonly #regions = new RegionList();
  readonly #memory: PhysicalMemory;
  /**
   * Reference counts of frames that may be mapped more than once (shared mappings and
   * shared-memory objects), kernel-wide. A private frame has one mapping and no entry.
   */
  readonly #frameRefs: Map<number, number>;
  /** mmap hands out addresses downward from here. */
  #mmapNext = USER_TOP;

  constructor(memory: PhysicalMemory, frameRefs: Map<number, number>) {
    this.#memory = memory;
    this.#frameRefs = frameRefs;
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
  mmapAnonymous(bytes: number, prot: number, shared: boolean, node = 0): number {
    const pages = Math.ceil(bytes / PAGE_SIZE);
    const start = this.#mmapNext - pages * PAGE_SIZE;
    if (start < USER_BASE) return -1;
    const frames = new Int32Array(pages);
    for (let i = 0; i < pages; i++) {
      const frame = this.#memory.allocFrame(node);
      if (frame < 0) {
        for (let j = 0; j < i; j++) this.#memory.freeFrame(frames[j]!);
        return -1;
      }
      frames[i] = frame;
      if (shared) this.#frameRefs.set(frame, 1);
    }
    this.#mmapNext = start;
    this.#regions.insert({ start, pages, prot, shared, frames });
    return start;
  }

  /**
   * mprotect: changes the protection of every page in [addr, addr + bytes). Returns 0, -EINVAL
   * for an address that is not page-aligned, or -ENOMEM when part of the range is not mapped
   * (mm/mprotect.c's answers). Guard pages (LIBC-8) are pages made PROT_NONE this way.
   */
  mprotect(signedAddr: number, bytes: number, prot: number): number {
    if ((signedAddr & (PAGE_SIZE - 1)) !== 0 || !(bytes >= 0)) return -EINVAL;
    const addr = signedAddr >>> 0;
    const end = addr + Math.ceil(bytes / PAGE_SIZE) * PAGE_SIZE;
    if (end === addr) return 0;
    if (!this.#regions.covers(addr, end)) return -ENOMEM;
    // mprotect_fixup: the regions straddling either end are split, and the inside gets `prot`.
    for (const r of this.#regions.carve(addr, end)) r.prot = prot;
    return 0;
  }

  /** Gives `child` the same frames for every shared region (MAP_SHARED survives spawn). */
  inheritShared(child: AddressSpace): void {
    for (const region of this.regions) {
      if (!region.shared) continue;
      for (const frame of region.frames) this.#frameRefs.set(frame, (this.#frameRefs.get(frame) ?? 1) + 1);
      child.#regions.insert({ ...region });
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
        const frame = this.#memory.allocFrame(node);
        if (frame < 0) {
          for (let j = 0; j < i; j++) this.#memory.freeFrame(frames[j]!);
          return -1;
        }
        this.#memory.copyFrame(frame, region.frames[i]!);
        frames[i] = frame;
      }
      copied += region.pages;
      child.#regions.insert({ ...region, frames });
      child.#mmapNext = Math.min(child.#mmapNext, region.start);
    }
    return copied;
  }

  /**
   * Maps existing frames (a shared-memory object's) as one MAP_SHARED region with `prot`; each
   * frame gains a reference. Returns the address, or -1 when the address space is full.
   */
  mapFrames(frames: readonly number[], prot: number): number {
    const start = this.#mmapNext - frames.length * PAGE_SIZE;
    if (start < USER_BASE) return -1;
    for (const frame of frames) this.#frameRefs.set(frame, (this.#frameRefs.get(frame) ?? 0) + 1);
    this.#mmapNext = start;
    this.#regions.insert({
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
    if ((addr & (PAGE_SIZE - 1)) !== 0 || !(bytes > 0) || addr < 0) return -EINVAL;
    const end = addr + Math.ceil(bytes / PAGE_SIZE) * PAGE_SIZE;
    let pages = 0;
    for (const region of this.#regions.cut(addr, end)) pages += this.#release(region);
    return pages;
  }

  /** Drops the frames of a region already cut from the list; returns its pages. */
  #release(region: Region): number {
    for (const frame of region.frames) this.#dropFrame(frame);
    return region.pages;
  }

  #dropFrame(frame: number): void {
    const refs = (this.#frameRefs.get(frame) ?? 1) - 1;
    if (refs === 0) {
      this.#frameRefs.delete(frame);
      this.#memory.freeFrame(frame);
    } else {
      this.#frameRefs.set(frame, refs);
    }
  }

  /** Unmaps everything; frames whose last reference this was go back to the allocator. */
  destroy(): number {
    let pages = 0;
    for (const region of this.#regions.all) pages += this.#release(region);
    this.#regions.clear();
    return pages;
  }

  /** The frame behind `addr` after the MMU's checks; throws the fault a refused access raises. */
  #frame(addr: number, write: boolean): number {
    if ((addr & 3) !== 0) throw new GuestFault(SIGBUS, addr, 'misaligned 32-bit access');
    const r = this.#regions.find(addr);
    if (r === undefined) throw new GuestFault(SIGSEGV, addr, 'access to unmapped memory');
    if ((protToPte(r.prot) & (write ? PTE_WRITE : PTE_READ)) === 0) {
      throw new GuestFault(SIGSEGV, addr, write ? 'write to protected memory' : 'read of protected memory');
    }
    return r.frames[((addr >>> 0) - r.start) >>> PAGE_SHIFT]!;
  }

  load32(addr: number): number {
    return this.#memory.load(this.#frame(addr, false), (addr & (PAGE_SIZE - 1)) >>> 2);
  }

  store32(addr: number, value: number): void {
    this.#memory.store(this.#frame(addr, true), (addr & (PAGE_SIZE - 1)) >>> 2, value | 0);
  }

  /** True when a 32-bit access at `addr` would succeed (aligned, mapped, permitted). */
  canAccess(addr: number, write: boolean): boolean {
    if ((addr & 3) !== 0) return false;
    const r = this.#regions.find(addr);
    return r !== undefined && (protToPte(r.prot) & (write ? PTE_WRITE : PTE_READ)) !== 0;
  }

  /** copy_from_user: `len` bytes from `addr`, or null when any of them is not readable. */
  readBytes(addr: number, len: number): Uint8Array | null {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) {
      const a = addr + i;
      const word = a & ~3;
      if (!this.canAccess(word, false)) return null;
      out[i] = (this.load32(word) >>> (8 * (a & 3))) & 0xff;
    }
    return out;
  }

  /** copy_to_user: `bytes` at `addr`; false, with nothing written, when any byte is not writable. */
  writeBytes(addr: number, bytes: Uint8Array): boolean {
    for (let i = 0; i < bytes.length; i++) if (!this.canAccess((addr + i) & ~3, true)) return false;
    for (let i = 0; i < bytes.length; i++) {
      const a = addr + i;
      const word = a & ~3;
      const shift = 8 * (a & 3);
      this.store32(word, (this.load32(word) & ~(0xff << shift)) | (bytes[i]! << shift));
    }
    return true;
  }

  /** The frame behind the page of `addr`, whatever its protection, or -1 when it is not mapped. */
  frameOf(addr: number): number {
    const r = this.#regions.find(addr);
    return r === undefined ? -1 : r.frames[((addr >>> 0) - r.start) >>> PAGE_SHIFT]!;
  }

  /** The NUMA node holding the page of `addr`, or -1 when it is not mapped. */
  nodeOf(addr: number): number {
    const frame = this.frameOf(addr);
    return frame < 0 ? -1 : this.#memory.nodeOf(frame);
  }

  /** Frame-level physical address of a mapped word, or -1 (used as a futex key, FUTEX-1). */
  physicalAddress(addr: number): number {
    const frame = this.frameOf(addr);
    return frame < 0 ? -1 : frame * PAGE_SIZE + (addr & (PAGE_SIZE - 1));
  }
}

function protToPte(prot: number): number {
  let flags = PTE_USER;
  if (prot & 1) flags |= PTE_READ;
  if (prot & 2) flags |= PTE_WRITE | PTE_READ;
  return flags;
}
