// Property test of the whole memory model (issue 15 "done when"): random mmap, munmap, mprotect,
// mremap (move), fork (eager copy or copy-on-write), exit, CR3 switches and touches by three CPUs
// on up to four address spaces, under each [kernel] paging x fork mode, with PCID on. After every
// step: regions, page tables, frame reference counts and TLB contents agree —
//  - a page's leaf entry is present exactly when it has a frame and its protection reads, points
//    at the region's frame, and is writable only when PROT_WRITE allows and (private) no other
//    space holds the frame: copy-on-write pages are read-only;
//  - each frame's reference count (kernel-wide, absent = 1) is the number of pages mapping it,
//    and the allocator holds exactly the mapped frames (none leaked, none freed while mapped);
//  - every TLB entry belongs to a live space whose entry maps the same frame, and is writable only
//    where that entry is (fork's write-protect reached every TLB: no stale writable entry);
//  - every load returns the last value stored to that page in that space (a fork's child starts
//    with its parent's values, and the two diverge from there).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { PAGE_SIZE, PhysicalMemory } from '../../src/hw/memory.ts';
import { PageTableStore, PTE_P, PTE_RW, pteFrame } from '../../src/hw/page-table.ts';
import { Tlb } from '../../src/hw/tlb.ts';
import { Mmu } from '../../src/kernel/mmu.ts';
import { AddressSpace, NO_FRAME } from '../../src/kernel/vm.ts';

const CPUS = 3;
const SPACES_MAX = 4;

type Op =
  | { k: 'switch'; cpu: number; space: number }
  | { k: 'mmap'; space: number; pages: number; shared: boolean }
  | { k: 'munmap'; space: number; region: number; offset: number; pages: number }
  | { k: 'mprotect'; space: number; region: number; prot: number }
  | { k: 'mremap'; space: number; region: number }
  | { k: 'fork'; space: number }
  | { k: 'exit'; space: number }
  | { k: 'touch'; cpu: number; region: number; page: number; write: boolean; value: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({ k: fc.constant('switch' as const), cpu: fc.nat(CPUS - 1), space: fc.nat(3) }),
    weight: 2,
  },
  fc.record({
    k: fc.constant('mmap' as const),
    space: fc.nat(3),
    pages: fc.integer({ min: 1, max: 4 }),
    shared: fc.boolean(),
  }),
  fc.record({
    k: fc.constant('munmap' as const),
    space: fc.nat(3),
    region: fc.nat(),
    offset: fc.nat(3),
    pages: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    k: fc.constant('mprotect' as const),
    space: fc.nat(3),
    region: fc.nat(),
    prot: fc.constantFrom(0, 1, 3),
  }),
  fc.record({ k: fc.constant('mremap' as const), space: fc.nat(3), region: fc.nat() }),
  fc.record({ k: fc.constant('fork' as const), space: fc.nat(3) }),
  fc.record({ k: fc.constant('exit' as const), space: fc.nat(3) }),
  {
    arbitrary: fc.record({
      k: fc.constant('touch' as const),
      cpu: fc.nat(CPUS - 1),
      region: fc.nat(),
      page: fc.nat(4),
      write: fc.boolean(),
      value: fc.integer({ min: 1, max: 1 << 30 }),
    }),
    weight: 5,
  },
);

interface World {
  memory: PhysicalMemory;
  mmu: Mmu;
  tlbs: Tlb[];
  refs: Map<number, number>;
  spaces: AddressSpace[];
  /** Per space: address -> last value stored. */
  written: Map<AddressSpace, Map<number, number>>;
  nextAsid: number;
}

function checkSpaces(w: World): Map<number, number> {
  const mappings = new Map<number, number>();
  for (const vm of w.spaces) {
    for (const r of vm.regions) {
      for (let i = 0; i < r.pages; i++) {
        const frame = r.frames[i]!;
        if (frame !== NO_FRAME) mappings.set(frame, (mappings.get(frame) ?? 0) + 1);
      }
    }
  }
  for (const vm of w.spaces) {
    for (const r of vm.regions) {
      for (let i = 0; i < r.pages; i++) {
        const frame = r.frames[i]!;
        const [lo, hi] = w.mmu.tables.pte(vm.root, r.start + i * PAGE_SIZE);
        assert.equal(
          (lo & PTE_P) !== 0,
          frame !== NO_FRAME && (r.prot & 3) !== 0,
          'present: a frame, readable',
        );
        if ((lo & PTE_P) === 0) continue;
        assert.equal(pteFrame(lo, hi), frame, "the entry points at the region's frame");
        if ((lo & PTE_RW) !== 0) {
          assert.ok((r.prot & 2) !== 0, 'writable only with PROT_WRITE');
          assert.ok(
            r.shared || mappings.get(frame) === 1,
            'a private frame another space holds is read-only',
          );
        } else if (r.shared || !w.mmu.cowFork) {
          assert.equal(r.prot & 2, 0, 'without copy-on-write, PROT_WRITE pages are writable');
        }
      }
    }
  }
  for (const [frame, count] of mappings)
    assert.equal(w.refs.get(frame) ?? 1, count, `frame ${frame}'s references`);
  for (const frame of w.refs.keys()) assert.ok(mappings.has(frame), `frame ${frame} counted but unmapped`);
  assert.equal(w.memory.framesInUse, mappings.size, 'the allocator holds exactly the mapped frames');
  return mappings;
}

function check(w: World): void {
  checkSpaces(w);
  for (const [cpu, tlb] of w.tlbs.entries()) {
    for (const e of tlb.entries()) {
      const owner = w.spaces.find((s) => s.pcid === e.pcid);
      assert.ok(owner !== undefined, `CPU ${cpu} caches an entry of a space that is gone`);
      const [lo, hi] = w.mmu.tables.pte(owner.root, e.vpn * PAGE_SIZE);
      assert.ok((lo & PTE_P) !== 0, `CPU ${cpu} caches page ${e.vpn} its space no longer maps`);
      assert.equal(pteFrame(lo, hi), e.frame, 'the cached frame is the mapped one');
      if ((e.flags & PTE_RW) !== 0)
        assert.ok((lo & PTE_RW) !== 0, `CPU ${cpu} caches a write-protected page writable`);
    }
  }
}

function pick<T>(list: readonly T[], n: number): T | undefined {
  return list[n % Math.max(1, list.length)];
}

function fork(w: World, parent: AddressSpace): void {
  if (w.spaces.length >= SPACES_MAX) return;
  const child = new AddressSpace(w.memory, w.refs, w.mmu, w.nextAsid++);
  parent.inheritShared(child);
  if (w.mmu.cowFork) {
    for (const [vpn, pages] of parent.shareCowInto(child).runs) w.mmu.flushRange(parent, vpn, pages);
  } else {
    assert.ok(parent.copyPrivateInto(child) >= 0);
  }
  w.spaces.push(child);
  w.written.set(child, new Map(w.written.get(parent)));
  // MAP_SHARED pages are the same memory: a store through either space is seen by both.
}

function mremap(w: World, vm: AddressSpace, region: number): void {
  const r = pick(vm.regions, region);
  if (r === undefined) return;
  const to = vm.findFree(r.pages);
  if (to < 0) return;
  const from = r.start;
  const bytes = r.pages * PAGE_SIZE;
  const moved = vm.detach(from, from + bytes);
  w.mmu.flushRange(vm, Math.floor(from / PAGE_SIZE), r.pages);
  for (const m of moved) vm.attach({ ...m, start: to + (m.start - from) });
  const values = w.written.get(vm)!;
  for (const [addr, value] of [...values]) {
    if (addr < from || addr >= from + bytes) continue;
    values.delete(addr);
    values.set(to + (addr - from), value);
  }
}

function forget(w: World, vm: AddressSpace, start: number, end: number): void {
  const values = w.written.get(vm)!;
  for (const addr of [...values.keys()]) if (addr >= start && addr < end) values.delete(addr);
}

function touch(w: World, o: Extract<Op, { k: 'touch' }>): void {
  const vm = w.mmu.loaded[o.cpu] as AddressSpace | null;
  if (vm === null || !w.spaces.includes(vm)) return;
  const r = pick(vm.regions, o.region);
  if (r === undefined || o.page >= r.pages) return;
  const addr = r.start + o.page * PAGE_SIZE;
  if (!vm.canAccess(addr, o.write, o.cpu)) return;
  if (!o.write) {
    assert.equal(vm.load32(addr, o.cpu), sharedValue(w, vm, addr), 'reads the last value stored');
    return;
  }
  vm.store32(addr, o.value, o.cpu);
  w.written.get(vm)!.set(addr, o.value);
  // A shared page is one frame: every space mapping it at any address sees the store.
  const frame = vm.frameOf(addr);
  if (!r.shared) return;
  for (const other of w.spaces) {
    for (const s of other.regions) {
      for (let i = 0; i < s.pages; i++)
        if (s.frames[i] === frame) w.written.get(other)!.set(s.start + i * PAGE_SIZE, o.value);
    }
  }
}

function sharedValue(w: World, vm: AddressSpace, addr: number): number {
  return w.written.get(vm)!.get(addr) ?? 0;
}

function step(w: World, o: Op): void {
  if (o.k === 'touch') {
    touch(w, o);
    return;
  }
  if (o.k === 'switch') {
    const vm = pick(w.spaces, o.space)!;
    w.mmu.switchMm(o.cpu, vm);
    return;
  }
  const vm = pick(w.spaces, o.space)!;
  if (o.k === 'mmap') {
    vm.mmapAnonymous(o.pages * PAGE_SIZE, 3, o.shared, 0);
  } else if (o.k === 'fork') {
    fork(w, vm);
  } else if (o.k === 'mremap') {
    mremap(w, vm, o.region);
  } else if (o.k === 'exit') {
    if (w.spaces.length === 1 || w.mmu.loaded.includes(vm)) return;
    vm.destroy();
    w.spaces.splice(w.spaces.indexOf(vm), 1);
  } else {
    const r = pick(vm.regions, o.region);
    if (r === undefined) return;
    if (o.k === 'mprotect') {
      assert.equal(vm.mprotect(r.start, r.pages * PAGE_SIZE, o.prot), 0);
      return;
    }
    const start = r.start + o.offset * PAGE_SIZE;
    assert.ok(vm.munmap(start, o.pages * PAGE_SIZE) >= 0);
    forget(w, vm, start, start + o.pages * PAGE_SIZE);
  }
}

function run(demand: boolean, cow: boolean, list: Op[]): void {
  const memory = new PhysicalMemory(1 << 22);
  const tlbs = Array.from(
    { length: CPUS },
    () => new Tlb({ l1Entries: 8, l1Ways: 2, l2Entries: 16, l2Ways: 4 }),
  );
  const mmu = new Mmu(new PageTableStore(), tlbs, true);
  mmu.demandPaging = demand;
  mmu.cowFork = cow;
  const refs = new Map<number, number>();
  const first = new AddressSpace(memory, refs, mmu, 1);
  const w: World = {
    memory,
    mmu,
    tlbs,
    refs,
    spaces: [first],
    written: new Map([[first, new Map()]]),
    nextAsid: 2,
  };
  for (const o of list) {
    step(w, o);
    check(w);
  }
  for (const vm of w.spaces) vm.destroy();
  assert.equal(memory.framesInUse, 0, 'teardown frees every frame');
  assert.equal(refs.size, 0, 'and every reference count');
}

for (const [demand, cow] of [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const) {
  test(`mm property (paging ${demand ? 'demand' : 'eager'}, fork ${cow ? 'cow' : 'copy'}): regions, entries, references and TLBs agree`, () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 20, maxLength: 60 }), (list) => run(demand, cow, list)),
      { numRuns: 120 },
    );
  });
}
