// The IOMMU (hw/iommu.ts): translation through a domain, permissions, faults logged with device,
// domain, IOVA and access while memory stays untouched; and the baseline without an IOMMU, where
// the same rogue write lands in a frame the kernel owns and a checksum check finds it (HW-13).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PhysicalMemory } from '../../src/hw/memory.ts';
import { DirectDma } from '../../src/hw/dma-port.ts';
import { EVENT_IO_PAGE_FAULT, IOMMU_READ, IOMMU_WRITE, Iommu } from '../../src/hw/iommu.ts';

const DEV = 0x0100; // requester id: bus 1, device 0, function 0

function rig() {
  const memory = new PhysicalMemory(1 << 22);
  const direct = new DirectDma(memory);
  const iommu = new Iommu(direct, () => 1234);
  const victim = memory.allocFrame(); // a kernel frame the device was never given
  for (let i = 0; i < 1024; i++) memory.store(victim, i, i * 7);
  const buffer = memory.allocFrame();
  return { memory, direct, iommu, victim, buffer };
}

const checksum = (m: PhysicalMemory, frame: number) => {
  let sum = 0;
  for (let i = 0; i < 1024; i++) sum = (sum + m.load(frame, i)) >>> 0;
  return sum;
};

test('map, translate, unmap; EEXIST over a mapping, EBUSY attached elsewhere', () => {
  const { iommu, buffer } = rig();
  const d = iommu.createDomain();
  assert.equal(iommu.map(d, 0x10_0000, buffer, 1, IOMMU_READ | IOMMU_WRITE), 0);
  assert.equal(iommu.iovaToPhys(d, 0x10_0abc), buffer * 4096 + 0xabc);
  assert.equal(iommu.map(d, 0x10_0000, buffer, 1, IOMMU_READ), 'EEXIST');
  assert.equal(iommu.map(d, 0x10_0004, buffer, 1, IOMMU_READ), 'EINVAL');
  assert.equal(iommu.attach(d, DEV), 0);
  assert.equal(iommu.attach(iommu.createDomain(), DEV), 'EBUSY');
  iommu.port(DEV).write32(0x10_0010, 0xdead_beef);
  assert.equal(iommu.port(DEV).read32(0x10_0010), 0xdead_beef);
  assert.equal(iommu.unmap(d, 0x10_0000, 2), 4096); // one of the two pages was mapped
  assert.equal(iommu.iovaToPhys(d, 0x10_0000), null);
});

test('a rogue DMA: with the IOMMU it is stopped and logged; without, a frame is corrupted and detected', () => {
  const { memory, direct, iommu, victim, buffer } = rig();
  const before = checksum(memory, victim);
  const d = iommu.createDomain();
  iommu.map(d, 0x10_0000, buffer, 1, IOMMU_READ); // read-only for the device
  iommu.attach(d, DEV);
  const port = iommu.port(DEV);
  const rogue = victim * 4096 + 64; // the device writes to a physical address it was never given
  port.write32(rogue, 0x0bad_f00d);
  port.write32(0x10_0000, 1); // mapped, but not writable
  assert.equal(port.read32(0x20_0000), 0xffff_ffff); // unmapped read: aborted
  assert.deepEqual(iommu.events, [
    { type: EVENT_IO_PAGE_FAULT, device: DEV, domain: d, iova: rogue, write: true, timeNs: 1234 },
    { type: EVENT_IO_PAGE_FAULT, device: DEV, domain: d, iova: 0x10_0000, write: true, timeNs: 1234 },
    { type: EVENT_IO_PAGE_FAULT, device: DEV, domain: d, iova: 0x20_0000, write: false, timeNs: 1234 },
  ]);
  assert.equal(checksum(memory, victim), before);
  assert.equal(memory.load(buffer, 0), 0);
  direct.write32(rogue, 0x0bad_f00d); // the baseline: no IOMMU in the path
  assert.notEqual(checksum(memory, victim), before);
  assert.equal(memory.load(victim, 16), 0x0bad_f00d);
});

test('a device in no domain faults every access with domain null', () => {
  const { iommu } = rig();
  iommu.port(7).write32(0x1000, 1);
  assert.deepEqual(iommu.events, [
    { type: 2, device: 7, domain: null, iova: 0x1000, write: true, timeNs: 1234 },
  ]);
});

test('without an IOMMU a DMA to a frame no one holds is stray: reads zeros, writes go nowhere, counted', () => {
  // The fuzz test found it: a driver that died left its RX ring's address in the NIC, whose next
  // packet then reached freed memory; that is a hardware fact, not a simulator fault.
  const { memory, direct, buffer } = rig();
  memory.store(buffer, 3, 99);
  memory.freeFrame(buffer);
  assert.equal(direct.read32(buffer * 4096 + 12), 0);
  direct.write32(buffer * 4096 + 12, 5);
  assert.equal(direct.strayWords, 2);
  const again = memory.allocFrame();
  assert.equal(again, buffer, 'the allocator hands the frame out again');
  assert.equal(memory.load(again, 3), 0, 'zeroed, the stray write not in it');
});

test('one fault record per faulting transaction: a page burst at one instant, not each access', () => {
  const memory = new PhysicalMemory(1 << 22);
  let now = 100;
  const iommu = new Iommu(new DirectDma(memory), () => now);
  const seen: number[] = [];
  iommu.onFault = (f) => seen.push(f.iova);
  iommu.attach(iommu.createDomain(), DEV);
  const port = iommu.port(DEV);
  for (let i = 0; i < 1024; i++) port.write32(0x40_0000 + 4 * i, i); // one 4 KiB burst
  assert.equal(iommu.events.length, 1);
  assert.equal(iommu.blockedAccesses, 1024);
  for (let i = 0; i < 2; i++) port.write32(0x41_0000 + 4 * i, i); // the next page: a new transaction
  port.read32(0x41_0000); // the other direction: new
  now = 200;
  port.write32(0x41_0008, 0); // the same page later: new
  assert.deepEqual(seen, [0x40_0000, 0x41_0000, 0x41_0000, 0x41_0008]);
  assert.equal(iommu.blockedAccesses, 1028);
});
