/**
 * The driver-side DMA API (models-2.md §9.1; Linux include/linux/dma-mapping.h,
 * Documentation/core-api/dma-api.rst): a device's DMA mask, streaming map/unmap with a
 * direction, scatter-gather lists. Three paths, as dma_map_page_attrs takes them:
 * - an IOMMU domain: an IOVA from the domain's allocator below the mask, mapped with the
 *   direction's permission (TO_DEVICE read-only, FROM_DEVICE write-only), unmapped and freed on
 *   unmap (iommu-dma, drivers/iommu/dma-iommu.c);
 * - no IOMMU and the buffer within the mask: the physical address itself (dma-direct);
 * - no IOMMU and the buffer beyond the mask: a SWIOTLB bounce (swiotlb.ts), or
 *   DMA_MAPPING_ERROR when the pool is full.
 * Each map returns its CPU copy cost (bounces only) for the caller to charge.
 */
import { IOMMU_READ, IOMMU_WRITE, type Iommu } from '../../hw/iommu.ts';
import { PAGE_SIZE } from '../../hw/memory.ts';
import type { IovaAllocator } from './iova.ts';
import { DmaDirection, type Swiotlb } from './swiotlb.ts';

export const DMA_MAPPING_ERROR = 2 ** 64 - 1;

/** Linux DMA_BIT_MASK(n): the highest bus address a device with n address bits reaches. */
export function dmaBitMask(bits: number): number {
  return bits >= 64 ? 2 ** 64 - 1 : 2 ** bits - 1;
}

export interface DmaDevice {
  readonly requesterId: number;
  readonly mask: number;
  /** The device's IOMMU domain and its IOVA space, or null when DMA is not translated. */
  readonly domain: { readonly iommu: Iommu; readonly id: number; readonly iova: IovaAllocator } | null;
}

export interface DmaMapping {
  readonly addr: number;
  readonly costNs: number;
}

export class DmaApi {
  readonly #swiotlb: Swiotlb | null;

  constructor(swiotlb: Swiotlb | null) {
    this.#swiotlb = swiotlb;
  }

  mapSingle(dev: DmaDevice, phys: number, bytes: number, dir: DmaDirection): DmaMapping {
    if (dev.domain) return this.#mapIommu(dev, phys, bytes, dir);
    if (phys + bytes - 1 <= dev.mask) return { addr: phys, costNs: 0 };
    const pool = this.#swiotlb;
    if (!pool || pool.endAddr > dev.mask) return { addr: DMA_MAPPING_ERROR, costNs: 0 };
    const b = pool.map(phys, bytes);
    return b ? { addr: b.addr, costNs: b.costNs } : { addr: DMA_MAPPING_ERROR, costNs: 0 };
  }

  /** Ends a mapping; returns the copy cost (a FROM_DEVICE bounce copies back). */
  unmapSingle(dev: DmaDevice, addr: number, bytes: number, dir: DmaDirection): number {
    if (dev.domain) {
      const { iommu, id, iova } = dev.domain;
      const first = Math.floor(addr / PAGE_SIZE);
      const pages = Math.floor((addr + bytes - 1) / PAGE_SIZE) - first + 1;
      iommu.unmap(id, first * PAGE_SIZE, pages);
      iova.free(first);
      return 0;
    }
    const pool = this.#swiotlb;
    if (pool && addr >= pool.baseAddr && addr <= pool.endAddr) return pool.unmap(addr, dir);
    return 0;
  }

  /** Maps each segment; returns the mapped addresses (dma_map_sg's count is their number) or null. */
  mapSg(
    dev: DmaDevice,
    segs: readonly { phys: number; bytes: number }[],
    dir: DmaDirection,
  ): DmaMapping[] | null {
    const out: DmaMapping[] = [];
    for (const s of segs) {
      const m = this.mapSingle(dev, s.phys, s.bytes, dir);
      if (m.addr === DMA_MAPPING_ERROR) {
        for (let i = 0; i < out.length; i++) this.unmapSingle(dev, out[i]!.addr, segs[i]!.bytes, dir);
        return null;
      }
      out.push(m);
    }
    return out;
  }

  #mapIommu(dev: DmaDevice, phys: number, bytes: number, dir: DmaDirection): DmaMapping {
    const { iommu, id, iova } = dev.domain!;
    const first = Math.floor(phys / PAGE_SIZE);
    const pages = Math.floor((phys + bytes - 1) / PAGE_SIZE) - first + 1;
    const range = iova.alloc(pages, Math.floor(dev.mask / PAGE_SIZE), true);
    if (!range) return { addr: DMA_MAPPING_ERROR, costNs: 0 };
    const prot =
      dir === DmaDirection.ToDevice
        ? IOMMU_READ
        : dir === DmaDirection.FromDevice
          ? IOMMU_WRITE
          : IOMMU_READ | IOMMU_WRITE;
    iommu.map(id, range.pfnLo * PAGE_SIZE, first, pages, prot);
    return { addr: range.pfnLo * PAGE_SIZE + (phys % PAGE_SIZE), costNs: 0 };
  }
}
