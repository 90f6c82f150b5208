/**
 * How a device reaches memory: 32-bit reads and writes at bus addresses. The direct port is the
 * baseline board with no IOMMU, where a bus address is a physical address (frame << 12 |
 * offset) and any frame is reachable; the IOMMU (next) is another port that translates first and
 * can refuse. Accesses are 4-byte aligned; a read of a frame never written is zeros.
 */
import { PAGE_SHIFT, type PhysicalMemory } from './memory.ts';

export interface DmaPort {
  read32(busAddr: number): number;
  write32(busAddr: number, value: number): void;
}

export class DirectDma implements DmaPort {
  readonly #memory: PhysicalMemory;
  /** Words moved, for the DMA metrics. */
  words = 0;

  constructor(memory: PhysicalMemory) {
    this.#memory = memory;
  }

  /**
   * Words that reached a frame no one holds (a ring its driver freed when it died, a stray
   * address): with no IOMMU nothing stops them, as on hardware; a read gives zeros and a write
   * lands in memory the allocator zeroes before it hands the frame out again.
   */
  strayWords = 0;

  read32(busAddr: number): number {
    this.words++;
    const frame = Math.floor(busAddr / 2 ** PAGE_SHIFT);
    if (!this.#memory.allocated(frame)) {
      this.strayWords++;
      return 0;
    }
    return this.#memory.load(frame, (busAddr & 0xfff) >>> 2);
  }

  write32(busAddr: number, value: number): void {
    this.words++;
    const frame = Math.floor(busAddr / 2 ** PAGE_SHIFT);
    if (!this.#memory.allocated(frame)) {
      this.strayWords++;
      return;
    }
    this.#memory.store(frame, (busAddr & 0xfff) >>> 2, value);
  }
}
