// Translation through per-CPU TLBs (kernel/mmu.ts, vm.ts; issue 15 stage 2): a CPU's access
// fills its own TLB, the ideal shootdown after munmap and mprotect reaches every CPU in the
// space's set so no CPU keeps a translation the kernel removed, CR3 writes flush without PCID
// and keep tagged entries with it, and teardown leaves no entry of the space in any TLB.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SIGSEGV } from '../../src/abi/signal.ts';
import { PAGE_SIZE, PhysicalMemory } from '../../src/hw/memory.ts';
import { PageTableStore } from '../../src/hw/page-table.ts';
import { Tlb } from '../../src/hw/tlb.ts';
import { Mmu } from '../../src/kernel/mmu.ts';
import { AddressSpace, GuestFault } from '../../src/kernel/vm.ts';

const PROT_READ = 1;
const PROT_RW = 3;

function machine(cpus: number, pcid = false) {
  const memory = new PhysicalMemory(1 << 22);
  const tlbs = Array.from({ length: cpus }, () => new Tlb());
  const mmu = new Mmu(new PageTableStore(), tlbs, pcid);
  const space = (asid: number) => new AddressSpace(memory, new Map(), mmu, asid);
  return { memory, tlbs, mmu, space };
}

test('mmu: each CPU fills its own TLB; a second access hits', () => {
  const { tlbs, mmu, space } = machine(2);
  const vm = space(1);
  const a = vm.mmapAnonymous(2 * PAGE_SIZE, PROT_RW, false);
  mmu.switchMm(0, vm);
  mmu.switchMm(1, vm);
  vm.store32(a, 5, 0);
  assert.equal(vm.load32(a, 1), 5);
  assert.equal(vm.load32(a + 4, 1), 0);
  assert.deepEqual([tlbs[0]!.misses, tlbs[0]!.hits, tlbs[1]!.misses, tlbs[1]!.hits], [1, 0, 1, 1]);
  assert.equal(mmu.walkLevels[0], 4, 'one 4-level walk');
  assert.deepEqual([...vm.usedBy], [1, 1]);
});

test('mmu: after munmap no CPU of the set translates the pages, and the frames are free', () => {
  const { memory, tlbs, mmu, space } = machine(3);
  const vm = space(1);
  const a = vm.mmapAnonymous(PAGE_SIZE, PROT_RW, false);
  for (const cpu of [0, 1, 2]) mmu.switchMm(cpu, vm);
  for (const cpu of [0, 1, 2]) vm.load32(a, cpu);
  assert.equal(vm.munmap(a, PAGE_SIZE), 1);
  assert.equal(memory.framesInUse, 0);
  for (const tlb of tlbs) assert.deepEqual(tlb.entries(), []);
  for (const cpu of [0, 1, 2]) {
    assert.throws(
      () => vm.load32(a, cpu),
      (e: unknown) => e instanceof GuestFault && e.signal === SIGSEGV,
    );
  }
  assert.equal(mmu.invlpgPages, 3, 'one page on each of three CPUs');
});

test('mmu: mprotect to read-only reaches a CPU that cached a writable entry', () => {
  const { mmu, space } = machine(2);
  const vm = space(1);
  const a = vm.mmapAnonymous(PAGE_SIZE, PROT_RW, false);
  mmu.switchMm(1, vm);
  vm.store32(a, 1, 1);
  assert.equal(vm.mprotect(a, PAGE_SIZE, PROT_READ), 0);
  assert.throws(() => vm.store32(a, 2, 1), /write to protected memory/);
  assert.equal(vm.load32(a, 1), 1);
});

test('mmu: without PCID a CR3 write flushes and the CPU leaves the old set; with PCID it stays', () => {
  for (const pcid of [false, true]) {
    const { tlbs, mmu, space } = machine(1, pcid);
    const [x, y] = [space(1), space(2)];
    const ax = x.mmapAnonymous(PAGE_SIZE, PROT_RW, false);
    const ay = y.mmapAnonymous(PAGE_SIZE, PROT_RW, false);
    assert.equal(ax, ay, 'both spaces hand out the same first address');
    mmu.switchMm(0, x);
    x.store32(ax, 11, 0);
    mmu.switchMm(0, y);
    assert.equal(y.load32(ay, 0), 0, "y's own frame, never x's cached one");
    assert.equal(x.usedBy[0], pcid ? 1 : 0);
    assert.equal(tlbs[0]!.entries().filter((e) => e.level === 1).length, pcid ? 2 : 1);
    mmu.switchMm(0, x);
    assert.equal(x.load32(ax, 0), 11);
    assert.equal(tlbs[0]!.misses, pcid ? 2 : 3, 'with PCID the return hits the kept entry');
  }
});

test('mmu: teardown leaves no entry of the space in any TLB and frees its table pages', () => {
  const { tlbs, mmu, space } = machine(2, true);
  const vm = space(3);
  const before = mmu.tables.tablePages;
  const a = vm.mmapAnonymous(4 * PAGE_SIZE, PROT_RW, false);
  mmu.switchMm(0, vm);
  mmu.switchMm(1, vm);
  for (let i = 0; i < 4; i++) vm.load32(a + i * PAGE_SIZE, i % 2);
  vm.destroy();
  for (const tlb of tlbs) assert.equal(tlb.entries().length, 0);
  assert.equal(mmu.tables.tablePages, before - 1, 'the root and the 3 tables the mmap made, all freed');
  assert.throws(() => vm.load32(a, -1), /unmapped/);
});

test('mmu: an access from a CPU whose CR3 holds another space walks without the TLB (counted)', () => {
  const { tlbs, mmu, space } = machine(1);
  const [x, y] = [space(1), space(2)];
  const a = x.mmapAnonymous(PAGE_SIZE, PROT_RW, false);
  mmu.switchMm(0, y);
  assert.equal(x.load32(a, 0), 0);
  assert.equal(x.untaggedAccesses, 1);
  assert.equal(tlbs[0]!.entries().length, 0);
});

test('mmu: copyin/copyout translate once per word: a 16-byte timespec is 4 lookups, a partial write writes nothing', () => {
  const { tlbs, mmu, space } = machine(1);
  const vm = space(1);
  const a = vm.mmapAnonymous(2 * PAGE_SIZE, PROT_RW, false);
  mmu.switchMm(0, vm);
  const tlb = tlbs[0]!;
  const bytes = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
  assert.equal(vm.writeBytes(a + 8, bytes, 0), true);
  assert.deepEqual([tlb.misses, tlb.hits], [1, 3], 'four words: one walk, three hits');
  assert.deepEqual(vm.readBytes(a + 8, 16, 0), bytes);
  assert.deepEqual([tlb.misses, tlb.hits], [1, 7], 'four more lookups, all hits');
  // Unaligned: 8 bytes from a + 10 span the words at a + 8, a + 12 and a + 16.
  assert.deepEqual(vm.readBytes(a + 10, 8, 0), bytes.subarray(2, 10));
  assert.equal(tlb.hits, 10);
  // A copy straddling into a read-only page: EFAULT-style false, and the writable part untouched.
  assert.equal(vm.mprotect(a + PAGE_SIZE, PAGE_SIZE, PROT_READ), 0);
  const tail = a + PAGE_SIZE - 4;
  vm.store32(tail, 0x11223344, 0);
  assert.equal(vm.writeBytes(tail + 1, new Uint8Array([9, 9, 9, 9, 9]), 0), false);
  assert.equal(vm.load32(tail, 0), 0x11223344, 'nothing written');
});
