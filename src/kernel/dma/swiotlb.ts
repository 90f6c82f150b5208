/**
 * SWIOTLB bounce buffers, after Linux kernel/dma/swiotlb.c (models-2.md §9.2): a pool of 2 KiB
 * slots (IO_TLB_SHIFT 11) in low memory that a device with a narrow DMA mask can reach; a
 * mapping takes contiguous free slots inside one 128-slot segment (IO_TLB_SEGSIZE, 256 KiB
 * at most) and copies the original buffer into them for every direction (so a partial device
 * write leaves the other bytes as they were; upstream since 2023); unmap and sync_for_cpu copy
 * back for FROM_DEVICE and BIDIRECTIONAL; sync_for_device copies again for TO_DEVICE and
 * BIDIRECTIONAL. A full pool is a mapping error, not a wait. Copies are counted in bytes and
 * priced at `copyBytesPerNs`, which the caller charges to the CPU doing the mapping.
 */
import type { DmaPort } from '../../hw/dma-port.ts';

export const IO_TLB_SHIFT = 11;
export const IO_TLB_SIZE = 1 << IO_TLB_SHIFT;
export const IO_TLB_SEGSIZE = 128;

/** Linux's enum dma_data_direction. */
export const DmaDirection = { Bidirectional: 0, ToDevice: 1, FromDevice: 2, None: 3 } as const;
export type DmaDirection = (typeof DmaDirection)[keyof typeof DmaDirection];

interface Mapping {
  readonly orig: number;
  readonly bytes: number;
  readonly slot: number;
  readonly slots: number;
}

export class Swiotlb {
  readonly baseAddr: number;
  readonly slots: number;
  readonly #used: Uint8Array;
  readonly #maps = new Map<number, Mapping>();
  readonly #mem: DmaPort;
  readonly #copyBytesPerNs: number;
  /** Bytes copied each way, and the full-pool failures ("swiotlb buffer is full"). */
  bouncedBytes = 0;
  copies = 0;
  failures = 0;

  /** A pool of `slots` (rounded up to whole segments) at `baseAddr`, 2 KiB aligned. */
  constructor(baseAddr: number, slots: number, mem: DmaPort, copyBytesPerNs: number) {
    if (baseAddr % IO_TLB_SIZE !== 0 || slots < 1)
      throw new RangeError(`swiotlb: ${slots} slots at 0x${baseAddr.toString(16)}`);
    this.baseAddr = baseAddr;
    this.slots = Math.ceil(slots / IO_TLB_SEGSIZE) * IO_TLB_SEGSIZE;
    this.#used = new Uint8Array(this.slots);
    this.#mem = mem;
    this.#copyBytesPerNs = copyBytesPerNs;
  }

  get endAddr(): number {
    return this.baseAddr + this.slots * IO_TLB_SIZE - 1;
  }

  /** Bounces `bytes` at `orig`; returns the bounce address and the copy time, or null when full. */
  map(orig: number, bytes: number): { addr: number; costNs: number } | null {
    const need = Math.ceil(bytes / IO_TLB_SIZE);
    const slot = need > IO_TLB_SEGSIZE ? -1 : this.#find(need);
    if (slot < 0) {
      this.failures++;
      return null;
    }
    this.#used.fill(1, slot, slot + need);
    const addr = this.baseAddr + slot * IO_TLB_SIZE;
    this.#maps.set(addr, { orig, bytes, slot, slots: need });
    return { addr, costNs: this.#copy(orig, addr, bytes) }; // every direction (see above)
  }

  /** Ends a mapping: copies back for FROM_DEVICE/BIDIRECTIONAL; returns the copy time. */
  unmap(addr: number, dir: DmaDirection): number {
    const m = this.#maps.get(addr);
    if (!m) throw new RangeError(`swiotlb: 0x${addr.toString(16)} is not mapped`);
    const costNs = this.syncForCpu(addr, dir);
    this.#used.fill(0, m.slot, m.slot + m.slots);
    this.#maps.delete(addr);
    return costNs;
  }

  syncForCpu(addr: number, dir: DmaDirection): number {
    const m = this.#maps.get(addr)!;
    return dir === DmaDirection.FromDevice || dir === DmaDirection.Bidirectional
      ? this.#copy(addr, m.orig, m.bytes)
      : 0;
  }

  syncForDevice(addr: number, dir: DmaDirection): number {
    const m = this.#maps.get(addr)!;
    return dir === DmaDirection.ToDevice || dir === DmaDirection.Bidirectional
      ? this.#copy(m.orig, addr, m.bytes)
      : 0;
  }

  /** First run of `need` free slots that does not cross a segment boundary. */
  #find(need: number): number {
    for (let seg = 0; seg < this.slots; seg += IO_TLB_SEGSIZE) {
      let run = 0;
      for (let s = seg; s < seg + IO_TLB_SEGSIZE; s++) {
        run = this.#used[s] === 0 ? run + 1 : 0;
        if (run === need) return s - need + 1;
      }
    }
    return -1;
  }

  #copy(from: number, to: number, bytes: number): number {
    for (let off = 0; off < bytes; off += 4) this.#mem.write32(to + off, this.#mem.read32(from + off));
    this.bouncedBytes += bytes;
    this.copies++;
    return Math.ceil(bytes / this.#copyBytesPerNs);
  }
}
