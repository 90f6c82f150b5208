// Demand paging and copy-on-write fork (kernel/mm-options.ts, vm.ts; issue 15, HW-14): a private
// page takes its frame at first touch on the toucher's node, charged pageFaultNs + zeroing; a
// copy-on-write fork shares every private frame read-only with a reference count, the first write
// copies (or reuses the last reference), and the writer's old entries are flushed from the TLBs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PAGE_SIZE, PhysicalMemory } from '../../src/hw/memory.ts';
import { PageTableStore } from '../../src/hw/page-table.ts';
import { Tlb } from '../../src/hw/tlb.ts';
import { Mmu } from '../../src/kernel/mmu.ts';
import { AddressSpace, NO_FRAME } from '../../src/kernel/vm.ts';

const PROT_RW = 3;
const COSTS = { faultNs: 700, zeroNs: 250, copyNs: 400, mapNs: 100 };

/** Two NUMA nodes, CPU 0 on node 0 and CPU 1 on node 1. */
function machine(opts: { demand?: boolean; cow?: boolean } = {}) {
  const memory = new PhysicalMemory(1 << 22, 2);
  const tlbs = [new Tlb(), new Tlb()];
  const mmu = new Mmu(new PageTableStore(), tlbs, true, (cpu) => cpu);
  mmu.demandPaging = opts.demand ?? false;
  mmu.cowFork = opts.cow ?? false;
  mmu.faultCosts = COSTS;
  const refs = new Map<number, number>();
  const space = (asid: number) => new AddressSpace(memory, refs, mmu, asid);
  return { memory, tlbs, mmu, refs, space };
}

test('paging: demand mmap takes no frame; each first touch takes one on the toucher node, charged once', () => {
  const { memory, mmu, space } = machine({ demand: true });
  const vm = space(1);
  const a = vm.mmapAnonymous(4 * PAGE_SIZE, PROT_RW, false, 0);
  assert.equal(memory.framesInUse, 0, 'nothing taken at mmap');
  assert.equal(vm.frameOf(a), NO_FRAME);
  mmu.switchMm(0, vm);
  mmu.switchMm(1, vm);
  assert.equal(vm.load32(a, 0), 0, 'a first read sees zeros');
  vm.store32(a + PAGE_SIZE, 7, 1);
  assert.equal(vm.load32(a + PAGE_SIZE + 4, 1), 0);
  assert.deepEqual([vm.nodeOf(a), vm.nodeOf(a + PAGE_SIZE)], [0, 1], 'first touch places the page');
  assert.equal(vm.load32(a + PAGE_SIZE, 0), 7, 'the other CPU sees the same frame');
  assert.equal(memory.framesInUse, 2);
  assert.equal(mmu.faults.demand, 2);
  const perFault = COSTS.faultNs + COSTS.zeroNs + COSTS.mapNs;
  assert.deepEqual([mmu.pendingWalkNs[0], mmu.pendingWalkNs[1]], [perFault, perFault]);
  // munmap frees only the touched frames; the untouched pages had none.
  assert.equal(vm.munmap(a, 4 * PAGE_SIZE), 4);
  assert.equal(memory.framesInUse, 0);
});

test('paging: copyin through untouched pages faults them in; MAP_SHARED stays eager', () => {
  const { memory, mmu, space } = machine({ demand: true });
  const vm = space(1);
  const shared = vm.mmapAnonymous(2 * PAGE_SIZE, PROT_RW, true, 0);
  assert.equal(memory.framesInUse, 2);
  const a = vm.mmapAnonymous(2 * PAGE_SIZE, PROT_RW, false, 0);
  mmu.switchMm(1, vm);
  assert.equal(vm.writeBytes(a + PAGE_SIZE - 2, new Uint8Array([1, 2, 3, 4]), 1), true);
  assert.deepEqual(vm.readBytes(a + PAGE_SIZE - 2, 4, 1), new Uint8Array([1, 2, 3, 4]));
  assert.equal(mmu.faults.demand, 2, 'one fault per page the copy crossed');
  assert.equal(memory.framesInUse, 4);
  assert.notEqual(vm.frameOf(shared), NO_FRAME);
});

test('paging: madvise(DONTNEED) under demand paging gives the frame back; the next touch takes a fresh zeroed one', () => {
  const { memory, mmu, space } = machine({ demand: true });
  const vm = space(1);
  const a = vm.mmapAnonymous(PAGE_SIZE, PROT_RW, false, 0);
  mmu.switchMm(0, vm);
  vm.store32(a, 9, 0);
  const batch = vm.dontneedEntries(a, PAGE_SIZE);
  assert.ok(typeof batch !== 'number');
  mmu.flushRange(vm, batch.vpn, batch.pages);
  assert.equal(vm.finishDontneed(batch), 0);
  assert.equal(memory.framesInUse, 0);
  assert.equal(vm.load32(a, 0), 0);
  assert.equal(mmu.faults.demand, 2);
});

test('cow: fork shares every private frame; writes copy until one reference is left, which is reused', () => {
  const { memory, tlbs, mmu, refs, space } = machine({ cow: true });
  const parent = space(1);
  const a = parent.mmapAnonymous(3 * PAGE_SIZE, PROT_RW, false, 0);
  mmu.switchMm(0, parent);
  for (let p = 0; p < 3; p++) parent.store32(a + p * PAGE_SIZE, 10 + p, 0);
  assert.ok(
    tlbs[0]!.entries().some((e) => (e.flags & 2) !== 0),
    'CPU 0 caches a writable entry',
  );
  const child = space(2);
  const shared = parent.shareCowInto(child);
  assert.deepEqual(shared, { pages: 3, runs: [[a / PAGE_SIZE, 3]] });
  assert.equal(memory.framesInUse, 3, 'no frame copied at fork');
  for (let p = 0; p < 3; p++) assert.equal(refs.get(parent.frameOf(a + p * PAGE_SIZE)), 2);
  for (const [vpn, pages] of shared.runs) mmu.flushRange(parent, vpn, pages);
  mmu.switchMm(1, child);
  assert.equal(child.load32(a + PAGE_SIZE, 1), 11, 'the child reads the parent frame');
  assert.equal(child.frameOf(a + PAGE_SIZE), parent.frameOf(a + PAGE_SIZE));
  // The parent writes page 0: copied; the child's page 0 keeps the old frame, now its alone.
  const before = parent.frameOf(a);
  parent.store32(a, 99, 0);
  assert.notEqual(parent.frameOf(a), before);
  assert.equal(child.frameOf(a), before);
  assert.equal(refs.get(before) ?? 1, 1);
  assert.equal(child.load32(a, 1), 10, 'the child still sees the value at fork');
  assert.deepEqual([mmu.faults.cowCopies, mmu.faults.cowReuses], [1, 0]);
  // The child writes page 0: the last reference, taken back writable without a copy.
  child.store32(a, 5, 1);
  assert.equal(child.frameOf(a), before);
  assert.deepEqual([mmu.faults.cowCopies, mmu.faults.cowReuses], [1, 1]);
  assert.equal(memory.framesInUse, 4, 'three shared frames and one copy');
  assert.equal(parent.load32(a, 0), 99);
  assert.equal(mmu.pendingWalkNs[0], COSTS.faultNs + COSTS.copyNs + COSTS.mapNs);
  assert.equal(mmu.pendingWalkNs[1], COSTS.faultNs + COSTS.mapNs);
  // Teardown of either side drops one reference per frame; the last one frees it.
  child.destroy();
  assert.equal(memory.framesInUse, 3);
  for (let p = 1; p < 3; p++) assert.equal(refs.get(parent.frameOf(a + p * PAGE_SIZE)) ?? 1, 1);
  parent.store32(a + PAGE_SIZE, 1, 0);
  assert.equal(mmu.faults.cowReuses, 2, 'after the child left the parent reuses its frames');
  parent.destroy();
  assert.equal(memory.framesInUse, 0);
  assert.equal(refs.size, 0);
});
