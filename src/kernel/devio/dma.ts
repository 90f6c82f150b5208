/**
 * DMA memory for userspace drivers (issue 18, HW-13; models-2.md §9): the `memory:` calls.
 * - dma_alloc(dev, busOut): one zeroed page on the caller's node, mapped into the caller, and
 *   made reachable by the device: an IOVA in the function's IOMMU domain (read and write), or
 *   its physical address (dma-direct; for a page beyond the device's mask a frame of the low zone
 *   is taken instead, as a coherent allocation never bounces: Linux takes it from ZONE_DMA32;
 *   ENOMEM when that is used up). Returns the address.
 * - dma_map(dev, addr, dir, busOut): a streaming mapping of the caller's page at `addr` in
 *   direction `dir` (kernel/dma/dma-api.ts): an IOVA with the direction's permission, the
 *   physical address within the mask, or a SWIOTLB bounce with its copy (charged here).
 * - dma_unmap(dev, bus, dir): ends it (IOTLB invalidation with an IOMMU; a FROM_DEVICE bounce
 *   copies back).
 * The mapped frame is not pinned against munmap: a driver that unmaps its buffer while the device
 * still holds the bus address is the use-after-unmap the iommu-rogue-dma scenario shows.
 */
import { EBADF, EFAULT, EINVAL, ENODEV, ENOMEM } from '../../abi/errno.ts';
import { PROT_READ, PROT_WRITE, SYS_DMA_ALLOC, SYS_DMA_MAP, SYS_DMA_UNMAP } from '../../abi/syscalls.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, spend } from '../../hw/effects.ts';
import { PAGE_SIZE } from '../../hw/memory.ts';
import { DMA_MAPPING_ERROR } from '../dma/dma-api.ts';
import { DmaDirection } from '../dma/swiotlb.ts';
import type { Kernel } from '../kernel.ts';
import { argNum, type SyscallTable } from '../syscall-types.ts';
import type { Thread } from '../thread.ts';
import { putUser32, wordOk } from '../uaccess.ts';

function* sysDmaAlloc(k: Kernel, cpu: Cpu, t: Thread, dev: number, busOut: number): KernelGen<number> {
  const d = k.devio;
  const device = d?.dmaDevices[dev];
  if (d === null || device === undefined) return d === null ? -ENODEV : -EBADF;
  if (!wordOk(t, busOut, true)) return -EFAULT;
  const costs = k.board.costs;
  yield spend(costs.schemeCallNs + costs.pageZeroNs + costs.pageMapNs);
  const memory = k.board.memory;
  let frame = memory.allocFrame(k.topology.memoryNodeOf(cpu.id));
  if (frame < 0) return -ENOMEM;
  if (device.domain === null && (frame + 1) * PAGE_SIZE - 1 > device.mask) {
    memory.freeFrame(frame);
    frame = d.lowFrames.pop() ?? -1; // the low zone a narrow mask reaches (zeroed: never used yet)
    if (frame < 0 || (frame + 1) * PAGE_SIZE - 1 > device.mask) return -ENOMEM;
  }
  const phys = frame * PAGE_SIZE;
  const addr = t.process.vm.mapFrames([frame], PROT_READ | PROT_WRITE);
  if (addr < 0) {
    memory.freeFrame(frame);
    return -ENOMEM;
  }
  let bus = phys;
  if (device.domain !== null) {
    yield spend(costs.dmaMapNs);
    bus = d.dma.mapSingle(device, phys, PAGE_SIZE, DmaDirection.Bidirectional).addr;
    if (bus === DMA_MAPPING_ERROR) return -ENOMEM;
  }
  putUser32(t, busOut, bus);
  return addr;
}

function* sysDmaMap(
  k: Kernel,
  t: Thread,
  dev: number,
  addr: number,
  dir: number,
  busOut: number,
): KernelGen<number> {
  const d = k.devio;
  const device = d?.dmaDevices[dev];
  if (d === null || device === undefined) return d === null ? -ENODEV : -EBADF;
  if (
    !(dir === DmaDirection.Bidirectional || dir === DmaDirection.ToDevice || dir === DmaDirection.FromDevice)
  )
    return -EINVAL;
  if (addr % PAGE_SIZE !== 0 || !wordOk(t, busOut, true)) return addr % PAGE_SIZE !== 0 ? -EINVAL : -EFAULT;
  const frame = t.process.vm.frameOf(addr);
  if (frame < 0) return -EFAULT;
  const costs = k.board.costs;
  yield spend(costs.schemeCallNs);
  const m = d.dma.mapSingle(device, frame * PAGE_SIZE, PAGE_SIZE, dir as DmaDirection);
  if (m.addr === DMA_MAPPING_ERROR) return -ENOMEM;
  if (device.domain !== null) yield spend(costs.dmaMapNs);
  if (m.costNs > 0) {
    d.stats.bounceNs += m.costNs;
    yield spend(m.costNs);
  }
  putUser32(t, busOut, m.addr);
  return 0;
}

function* sysDmaUnmap(k: Kernel, t: Thread, dev: number, bus: number, dir: number): KernelGen<number> {
  void t;
  const d = k.devio;
  const device = d?.dmaDevices[dev];
  if (d === null || device === undefined) return d === null ? -ENODEV : -EBADF;
  const costs = k.board.costs;
  yield spend(costs.schemeCallNs);
  const copyNs = d.dma.unmapSingle(device, bus, PAGE_SIZE, dir as DmaDirection);
  if (device.domain !== null) yield spend(costs.dmaUnmapNs);
  if (copyNs > 0) {
    d.stats.bounceNs += copyNs;
    yield spend(copyNs);
  }
  return 0;
}

const num = argNum;

export const DMA_SYSCALLS: SyscallTable = {
  [SYS_DMA_ALLOC]: (k, cpu, t, a) => sysDmaAlloc(k, cpu, t, num(a[0], -1), num(a[1])),
  [SYS_DMA_MAP]: (k, _cpu, t, a) => sysDmaMap(k, t, num(a[0], -1), num(a[1], -1), num(a[2], -1), num(a[3])),
  [SYS_DMA_UNMAP]: (k, _cpu, t, a) => sysDmaUnmap(k, t, num(a[0], -1), num(a[1], -1), num(a[2], -1)),
};
