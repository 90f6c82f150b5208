// Property test of translation through per-CPU TLBs (issue 15): random mmap, munmap,
// mprotect, CR3 switches and touches by several CPUs on two address spaces, with and without
// PCID. After every step: each mapped page's leaf entry is present exactly when its protection
// allows reading, points at the region's frame and is writable exactly when the protection
// says; every TLB entry maps an allocated frame that the space it is tagged with still maps
// there (after the shootdowns munmap and mprotect make, no CPU can reach a freed frame); every
// load returns the last value stored to that page.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { PAGE_SIZE, PhysicalMemory } from '../../src/hw/memory.ts';
import { PageTableStore, PTE_P, PTE_RW, pteFrame } from '../../src/hw/page-table.ts';
import { Tlb } from '../../src/hw/tlb.ts';
import { Mmu } from '../../src/kernel/mmu.ts';
import { AddressSpace } from '../../src/kernel/vm.ts';

const CPUS = 3;

type Op =
  | { k: 'switch'; cpu: number; space: number }
  | { k: 'mmap'; space: number; pages: number }
  | { k: 'munmap'; space: number; region: number; offset: number; pages: number }
  | { k: 'mprotect'; space: number; region: number; prot: number }
  | { k: 'touch'; cpu: number; region: number; page: number; write: boolean; value: number };

const ops: fc.Arbitrary<Op[]> = fc.array(
  fc.oneof(
    fc.record({ k: fc.constant('switch' as const), cpu: fc.nat(CPUS - 1), space: fc.nat(1) }),
    fc.record({ k: fc.constant('mmap' as const), space: fc.nat(1), pages: fc.integer({ min: 1, max: 5 }) }),
    fc.record({
      k: fc.constant('munmap' as const),
      space: fc.nat(1),
      region: fc.nat(),
      offset: fc.nat(4),
      pages: fc.integer({ min: 1, max: 4 }),
    }),
    fc.record({
      k: fc.constant('mprotect' as const),
      space: fc.nat(1),
      region: fc.nat(),
      prot: fc.constantFrom(0, 1, 3),
    }),
    fc.record({
      k: fc.constant('touch' as const),
      cpu: fc.nat(CPUS - 1),
      region: fc.nat(),
      page: fc.nat(5),
      write: fc.boolean(),
      value: fc.integer({ min: 1, max: 1 << 30 }),
    }),
  ),
  { maxLength: 60 },
);

function check(memory: PhysicalMemory, mmu: Mmu, spaces: AddressSpace[], tlbs: Tlb[]): void {
  for (const vm of spaces) {
    for (const r of vm.regions) {
      for (let i = 0; i < r.pages; i++) {
        const [lo, hi] = mmu.tables.pte(vm.root, r.start + i * PAGE_SIZE);
        assert.equal((lo & PTE_P) !== 0, (r.prot & 3) !== 0, 'present exactly when readable');
        if ((lo & PTE_P) === 0) continue;
        assert.equal(pteFrame(lo, hi), r.frames[i], "the entry points at the region's frame");
        assert.equal((lo & PTE_RW) !== 0, (r.prot & 2) !== 0, 'writable exactly when PROT_WRITE');
      }
    }
  }
  for (const [cpu, tlb] of tlbs.entries()) {
    for (const e of tlb.entries()) {
      // Without PCID every entry belongs to the space in CR3; with it, to the space of its tag.
      const owner = mmu.pcidEnabled ? spaces.find((s) => s.pcid === e.pcid) : mmu.loaded[cpu];
      assert.ok(owner !== undefined && owner !== null, 'an entry belongs to a live space');
      const [lo, hi] = mmu.tables.pte(owner.root, e.vpn * PAGE_SIZE);
      assert.ok((lo & PTE_P) !== 0, `CPU ${cpu} caches page ${e.vpn} its space no longer maps`);
      assert.equal(pteFrame(lo, hi), e.frame, 'the cached frame is the mapped one');
      assert.ok(memory.framesInUse > 0 && e.frame > 0);
    }
  }
}

function run(pcid: boolean, list: Op[]): void {
  const memory = new PhysicalMemory(1 << 22);
  const tlbs = Array.from(
    { length: CPUS },
    () => new Tlb({ l1Entries: 8, l1Ways: 2, l2Entries: 16, l2Ways: 4 }),
  );
  const mmu = new Mmu(new PageTableStore(), tlbs, pcid);
  const spaces = [1, 2].map((asid) => new AddressSpace(memory, new Map(), mmu, asid));
  const written = new Map<string, number>(); // "space:address" -> last value stored
  for (const o of list) {
    if (o.k === 'switch') {
      mmu.switchMm(o.cpu, spaces[o.space]!);
    } else if (o.k === 'mmap') {
      spaces[o.space]!.mmapAnonymous(o.pages * PAGE_SIZE, 3, false);
    } else if (o.k === 'munmap' || o.k === 'mprotect') {
      const vm = spaces[o.space]!;
      const r = vm.regions[o.region % Math.max(1, vm.regions.length)];
      if (r === undefined) continue;
      if (o.k === 'mprotect') {
        assert.equal(vm.mprotect(r.start, r.pages * PAGE_SIZE, o.prot), 0);
        continue;
      }
      const start = r.start + o.offset * PAGE_SIZE;
      assert.ok(vm.munmap(start, o.pages * PAGE_SIZE) >= 0);
      for (const key of [...written.keys()]) {
        const addr = Number(key.split(':')[1]);
        if (key.startsWith(`${o.space}:`) && addr >= start && addr < start + o.pages * PAGE_SIZE)
          written.delete(key);
      }
    } else {
      const vm = mmu.loaded[o.cpu] as AddressSpace | null;
      if (vm === null || vm === undefined) continue;
      const r = vm.regions[o.region % Math.max(1, vm.regions.length)];
      if (r === undefined || o.page >= r.pages) continue;
      const addr = r.start + o.page * PAGE_SIZE;
      const key = `${spaces.indexOf(vm)}:${addr}`;
      if (!vm.canAccess(addr, o.write, o.cpu)) continue;
      if (o.write) {
        vm.store32(addr, o.value, o.cpu);
        written.set(key, o.value);
      } else {
        assert.equal(vm.load32(addr, o.cpu), written.get(key) ?? 0, 'reads the last value stored');
      }
    }
    check(memory, mmu, spaces, tlbs);
  }
  for (const vm of spaces) vm.destroy();
  assert.equal(memory.framesInUse, 0);
  for (const tlb of tlbs) {
    const live = tlb.entries().filter((e) => e.frame !== 0);
    assert.equal(live.length, 0, 'teardown leaves no entry behind');
  }
}

test('mmu property: page tables, regions and TLBs agree; no TLB reaches a freed frame (no PCID)', () => {
  fc.assert(
    fc.property(ops, (list) => run(false, list)),
    { numRuns: 150 },
  );
});

test('mmu property: the same with PCID, tagged entries kept across CR3 writes', () => {
  fc.assert(
    fc.property(ops, (list) => run(true, list)),
    { numRuns: 150 },
  );
});
