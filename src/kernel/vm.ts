/**
 * Address spaces: anonymous mmap regions backed by frames, translation of guest addresses, and
 * the faults a bad access raises. Addresses are 32-bit; the user range is [USER_BASE, USER_TOP).
 */
import {
  PAGE_SHIFT,
  PAGE_SIZE,
  type PageTable,
  PageTable as PageTableImpl,
  PTE_READ,
  PTE_USER,
  PTE_WRITE,
  type PhysicalMemory,
} from '../hw/memory.ts';
import { EINVAL, ENOMEM } from '../abi/errno.ts';
import { SIGBUS, SIGSEGV } from '../abi/signal.ts';

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

export interface Region {
  start: number;
  pages: number;
  prot: number;
  shared: boolean;
}

export class AddressSpace {
  readonly pageTable: PageTable = new PageTableImpl();
  readonly regions: Region[] = [];
  readonly #memory: PhysicalMemory;
  /** Frames shared between address spaces, with their reference counts. */
  readonly #frameRefs: Map<number, number>;
  /** mmap hands out addresses downward from here. */
  #mmapNext = USER_TOP;

  constructor(memory: PhysicalMemory, frameRefs: Map<number, number>) {
    this.#memory = memory;
    this.#frameRefs = frameRefs;
  }

  /**
   * Maps `bytes` of zeroed anonymous memory; returns the address, or -1 when out of memory.
   * Frames are taken on `node` (the caller's: pages are mapped at once, so the mapping thread is
   * the first toucher and Linux's first-touch policy puts them on its node) while it has any.
   */
  mmapAnonymous(bytes: number, prot: number, shared: boolean, node = 0): number {
    const pages = Math.ceil(bytes / PAGE_SIZE);
    const start = this.#mmapNext - pages * PAGE_SIZE;
    if (start < USER_BASE) return -1;
    const frames: number[] = [];
    for (let i = 0; i < pages; i++) {
      const frame = this.#memory.allocFrame(node);
      if (frame < 0) {
        for (const f of frames) this.#memory.freeFrame(f);
        return -1;
      }
      frames.push(frame);
    }
    const flags = protToPte(prot);
    frames.forEach((frame, i) => {
      this.pageTable.map((start >>> PAGE_SHIFT) + i, frame, flags);
      this.#frameRefs.set(frame, 1);
    });
    this.#mmapNext = start;
    this.regions.push({ start, pages, prot, shared });
    return start;
  }

  /**
   * mprotect: changes the protection of every page in [addr, addr + bytes). Returns 0, -EINVAL
   * for an address that is not page-aligned, or -ENOMEM when part of the range is not mapped
   * (mm/mprotect.c's answers). Guard pages (LIBC-8) are pages made PROT_NONE this way.
   */
  mprotect(addr: number, bytes: number, prot: number): number {
    if ((addr & (PAGE_SIZE - 1)) !== 0 || !(bytes >= 0)) return -EINVAL;
    const first = addr >>> PAGE_SHIFT;
    const pages = Math.ceil(bytes / PAGE_SIZE);
    for (let vpn = first; vpn < first + pages; vpn++) {
      if (this.pageTable.lookup(vpn) === undefined) return -ENOMEM;
    }
    const flags = protToPte(prot);
    for (let vpn = first; vpn < first + pages; vpn++) this.pageTable.lookup(vpn)!.flags = flags;
    return 0;
  }

  /** Gives `child` the same frames for every shared region (MAP_SHARED survives spawn). */
  inheritShared(child: AddressSpace): void {
    for (const region of this.regions) {
      if (!region.shared) continue;
      const first = region.start >>> PAGE_SHIFT;
      for (let vpn = first; vpn < first + region.pages; vpn++) {
        const pte = this.pageTable.lookup(vpn)!;
        child.pageTable.map(vpn, pte.frame, pte.flags);
        this.#frameRefs.set(pte.frame, (this.#frameRefs.get(pte.frame) ?? 0) + 1);
      }
      child.regions.push({ ...region });
      child.#mmapNext = Math.min(child.#mmapNext, region.start);
    }
  }

  /**
   * fork: gives `child` a copy of every private region, page by page with each page's own
   * protection (guard pages stay PROT_NONE), in new frames. Shared regions are not touched here:
   * `inheritShared` gave the child the same frames. Returns the pages copied, or -1 when memory
   * ran out (the frames already copied stay mapped in the child, whose teardown frees them).
   * The copies are taken on `node`, the forking CPU's: the copier is their first toucher.
   */
  copyPrivateInto(child: AddressSpace, node = 0): number {
    let copied = 0;
    for (const region of this.regions) {
      if (region.shared) continue;
      const first = region.start >>> PAGE_SHIFT;
      for (let vpn = first; vpn < first + region.pages; vpn++) {
        const pte = this.pageTable.lookup(vpn);
        if (pte === undefined) continue;
        const frame = this.#memory.allocFrame(node);
        if (frame < 0) return -1;
        this.#memory.words(frame).set(this.#memory.words(pte.frame));
        child.pageTable.map(vpn, frame, pte.flags);
        this.#frameRefs.set(frame, 1);
        copied++;
      }
      child.regions.push({ ...region });
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
    const flags = protToPte(prot);
    frames.forEach((frame, i) => {
      this.pageTable.map((start >>> PAGE_SHIFT) + i, frame, flags);
      this.#frameRefs.set(frame, (this.#frameRefs.get(frame) ?? 0) + 1);
    });
    this.#mmapNext = start;
    this.regions.push({ start, pages: frames.length, prot, shared: true });
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
    const first = addr >>> PAGE_SHIFT;
    const end = first + Math.ceil(bytes / PAGE_SIZE);
    let pages = 0;
    for (let vpn = first; vpn < end; vpn++) {
      const pte = this.pageTable.unmap(vpn);
      if (pte === undefined) continue;
      this.#dropFrame(pte.frame);
      pages++;
    }
    const kept: Region[] = [];
    for (const r of this.regions) {
      const rFirst = r.start >>> PAGE_SHIFT;
      const rEnd = rFirst + r.pages;
      if (rEnd <= first || rFirst >= end) {
        kept.push(r);
        continue;
      }
      if (rFirst < first) kept.push({ ...r, pages: first - rFirst });
      if (rEnd > end) kept.push({ ...r, start: end * PAGE_SIZE, pages: rEnd - end });
    }
    this.regions.length = 0;
    this.regions.push(...kept);
    return pages;
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
    for (const [vpn, pte] of [...this.pageTable.entries()]) {
      this.pageTable.unmap(vpn);
      this.#dropFrame(pte.frame);
      pages++;
    }
    this.regions.length = 0;
    return pages;
  }

  /** The words of the frame holding `addr` and the word index, after access checks. */
  #word(addr: number, write: boolean): [Int32Array, number] {
    if ((addr & 3) !== 0) throw new GuestFault(SIGBUS, addr, 'misaligned 32-bit access');
    const pte = this.pageTable.lookup(addr >>> PAGE_SHIFT);
    if (pte === undefined) throw new GuestFault(SIGSEGV, addr, 'access to unmapped memory');
    if ((pte.flags & (write ? PTE_WRITE : PTE_READ)) === 0) {
      throw new GuestFault(SIGSEGV, addr, write ? 'write to protected memory' : 'read of protected memory');
    }
    return [this.#memory.words(pte.frame), (addr & (PAGE_SIZE - 1)) >>> 2];
  }

  load32(addr: number): number {
    const [words, index] = this.#word(addr, false);
    return words[index]! >>> 0;
  }

  store32(addr: number, value: number): void {
    const [words, index] = this.#word(addr, true);
    words[index] = value | 0;
  }

  /** True when a 32-bit access at `addr` would succeed (aligned, mapped, permitted). */
  canAccess(addr: number, write: boolean): boolean {
    if ((addr & 3) !== 0) return false;
    const pte = this.pageTable.lookup(addr >>> PAGE_SHIFT);
    return pte !== undefined && (pte.flags & (write ? PTE_WRITE : PTE_READ)) !== 0;
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

  /** The NUMA node holding the page of `addr`, or -1 when it is not mapped. */
  nodeOf(addr: number): number {
    const pte = this.pageTable.lookup(addr >>> PAGE_SHIFT);
    return pte === undefined ? -1 : this.#memory.nodeOf(pte.frame);
  }

  /** Frame-level physical address of a mapped word, or -1 (used as a futex key, FUTEX-1). */
  physicalAddress(addr: number): number {
    const pte = this.pageTable.lookup(addr >>> PAGE_SHIFT);
    if (pte === undefined) return -1;
    return pte.frame * PAGE_SIZE + (addr & (PAGE_SIZE - 1));
  }
}

function protToPte(prot: number): number {
  let flags = PTE_USER;
  if (prot & 1) flags |= PTE_READ;
  if (prot & 2) flags |= PTE_WRITE | PTE_READ;
  return flags;
}
