// The DMA API over SWIOTLB and the IOMMU (kernel/dma/*): a device whose mask cannot reach its
// buffer bounces through the pool (copy in on map for every direction, out on unmap for
// FROM_DEVICE), a full pool is a mapping error, and with an IOMMU the same buffer gets an IOVA
// below the mask with the direction's permission. The "low" boundary here is a 20-bit mask (1 MiB)
// on a 4 MiB machine: the same rule as a 32-bit device on a machine with RAM above 4 GiB.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DirectDma } from '../../src/hw/dma-port.ts';
import { Iommu } from '../../src/hw/iommu.ts';
import { PhysicalMemory } from '../../src/hw/memory.ts';
import { DMA_MAPPING_ERROR, DmaApi, dmaBitMask } from '../../src/kernel/dma/dma-api.ts';
import { IovaAllocator } from '../../src/kernel/dma/iova.ts';
import { DmaDirection, IO_TLB_SIZE, Swiotlb } from '../../src/kernel/dma/swiotlb.ts';

const MASK20 = dmaBitMask(20);
const COPY_BYTES_PER_NS = 8; // a stand-in copy rate: 4096 bytes cost 512 ns

function rig(poolSlots = 128) {
  const memory = new PhysicalMemory(1 << 22);
  while (memory.allocFrame() >= 0); // every frame in use, so any address is backed
  const mem = new DirectDma(memory);
  const pool = new Swiotlb(0x8_0000, poolSlots, mem, COPY_BYTES_PER_NS); // below 1 MiB
  const high = 0x20_0000; // 2 MiB: beyond the device's reach
  for (let i = 0; i < 1024; i++) mem.write32(high + 4 * i, 0x1000 + i);
  return { mem, pool, api: new DmaApi(pool), high };
}

test('a buffer beyond the mask bounces: copied in on map, back on unmap for FROM_DEVICE', () => {
  const { mem, pool, api, high } = rig();
  const dev = { requesterId: 1, mask: MASK20, domain: null };
  assert.deepEqual(api.mapSingle(dev, 0x1_0000, 4096, DmaDirection.ToDevice), { addr: 0x1_0000, costNs: 0 });
  const m = api.mapSingle(dev, high, 4096, DmaDirection.FromDevice);
  assert.deepEqual(m, { addr: 0x8_0000, costNs: 512 });
  assert.equal(mem.read32(m.addr + 8), 0x1002); // copied in even for FROM_DEVICE
  mem.write32(m.addr + 8, 0xfeed); // the device writes the bounce buffer
  assert.equal(mem.read32(high + 8), 0x1002); // not visible before unmap
  assert.equal(api.unmapSingle(dev, m.addr, 4096, DmaDirection.FromDevice), 512);
  assert.equal(mem.read32(high + 8), 0xfeed);
  assert.deepEqual([pool.copies, pool.bouncedBytes], [2, 8192]);
});

test('a full pool is a mapping error; a segment holds 256 KiB at most', () => {
  const { pool, api, high } = rig(128); // one segment: 128 x 2 KiB
  const dev = { requesterId: 1, mask: MASK20, domain: null };
  assert.equal(
    api.mapSingle(dev, high, 128 * IO_TLB_SIZE + 1, DmaDirection.ToDevice).addr,
    DMA_MAPPING_ERROR,
  );
  assert.notEqual(api.mapSingle(dev, high, 120 * IO_TLB_SIZE, DmaDirection.ToDevice).addr, DMA_MAPPING_ERROR);
  assert.equal(
    api.mapSg(
      dev,
      [
        { phys: high, bytes: 4096 },
        { phys: high, bytes: 16384 },
      ],
      DmaDirection.ToDevice,
    ),
    null,
  );
  assert.equal(pool.failures, 2);
  assert.equal(api.mapSg(dev, [{ phys: high, bytes: 4096 }], DmaDirection.ToDevice)!.length, 1); // the rollback freed it
});

test('with an IOMMU the buffer gets an IOVA below the mask and the direction as permission', () => {
  const { mem, api, high } = rig();
  const iommu = new Iommu(mem, () => 0);
  const id = iommu.createDomain();
  iommu.attach(id, 5);
  const dev = { requesterId: 5, mask: MASK20, domain: { iommu, id, iova: new IovaAllocator(1, 0xff) } };
  const m = api.mapSingle(dev, high + 0x10, 64, DmaDirection.ToDevice);
  assert.deepEqual(m, { addr: 0xff_010, costNs: 0 }); // the top page under 1 MiB, offset kept
  const port = iommu.port(5);
  assert.equal(port.read32(m.addr), 0x1004);
  port.write32(m.addr, 1); // TO_DEVICE is read-only for the device
  assert.equal(iommu.events.length, 1);
  api.unmapSingle(dev, m.addr, 64, DmaDirection.ToDevice);
  assert.equal(port.read32(m.addr), 0xffff_ffff);
  assert.equal(dev.domain.iova.ranges.length, 0);
});
