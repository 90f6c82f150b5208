// Frame storage on first write (issue 14): a mapping takes its frames at once (physical
// addresses are visible), but a frame gets host storage only when written, a page never written
// reads zeros, the PROT_NONE guard page of a stack stays a fault, and mprotect splits regions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SIGSEGV } from '../../src/abi/signal.ts';
import { PAGE_SIZE, PhysicalMemory } from '../../src/hw/memory.ts';
import { AddressSpace, GuestFault } from '../../src/kernel/vm.ts';
import { MMAP_BASE } from '../../src/kernel/user-layout.ts';

const PROT_RW = 3;
const STACK_PAGES = 16;

function space(bytes = 1 << 20): [AddressSpace, PhysicalMemory] {
  const memory = new PhysicalMemory(bytes);
  return [new AddressSpace(memory, new Map()), memory];
}

test('vm: a stack mapping takes 17 frames but stores only the pages written', () => {
  const [vm, memory] = space();
  const base = vm.mmapAnonymous((STACK_PAGES + 1) * PAGE_SIZE, PROT_RW, false);
  assert.equal(vm.mprotect(base, PAGE_SIZE, 0), 0); // the guard page, as pthread_create makes it
  assert.equal(memory.framesInUse, STACK_PAGES + 1);
  assert.equal(memory.framesBacked, 0);
  assert.equal(memory.hostBytes, 0, 'no host memory yet');
  const top = base + (STACK_PAGES + 1) * PAGE_SIZE;
  assert.equal(vm.load32(top - 4), 0, 'a page never written reads zeros');
  assert.equal(memory.framesBacked, 0, 'and a read gives it no storage');
  vm.store32(top - 4, 7);
  vm.store32(top - 8, 8); // same page
  vm.store32(top - PAGE_SIZE - 4, 9); // the next page down
  assert.deepEqual([vm.load32(top - 4), vm.load32(top - 8), vm.load32(top - PAGE_SIZE - 4)], [7, 8, 9]);
  assert.equal(memory.framesBacked, 2);
  assert.equal(vm.destroy(), STACK_PAGES + 1);
  assert.equal(memory.framesInUse, 0);
  assert.equal(memory.framesBacked, 0);
});

test('vm: the guard page below a stack is a SIGSEGV, read or write; mprotect split the region', () => {
  const [vm] = space();
  const base = vm.mmapAnonymous((STACK_PAGES + 1) * PAGE_SIZE, PROT_RW, false);
  vm.mprotect(base, PAGE_SIZE, 0);
  for (const access of [() => vm.store32(base + 8, 1), () => vm.load32(base + PAGE_SIZE - 4)]) {
    assert.throws(access, (e: unknown) => e instanceof GuestFault && e.signal === SIGSEGV);
  }
  assert.equal(vm.canAccess(base, false), false);
  assert.equal(vm.canAccess(base + PAGE_SIZE, true), true);
  assert.deepEqual(
    vm.regions.map((r) => [r.start - base, r.pages, r.prot]),
    [
      [PAGE_SIZE, STACK_PAGES, PROT_RW],
      [0, 1, 0],
    ],
  );
  assert.equal(vm.mprotect(base, 3 * PAGE_SIZE, PROT_RW), 0, 'mprotect across the split');
  assert.deepEqual(
    vm.regions.map((r) => [r.start - base, r.pages]),
    [
      [3 * PAGE_SIZE, STACK_PAGES - 2],
      [PAGE_SIZE, 2],
      [0, 1],
    ],
  );
  vm.store32(base, 5);
  assert.equal(vm.load32(base), 5);
  assert.equal(vm.mprotect(base - PAGE_SIZE, 2 * PAGE_SIZE, PROT_RW), -12, 'ENOMEM: part unmapped');
});

test('vm: addresses are 48-bit: a mapping lies above 2^32 and a 32-bit truncation of it faults (issue 15)', () => {
  const [vm] = space();
  const base = vm.mmapAnonymous(PAGE_SIZE, PROT_RW, false);
  assert.equal(base, MMAP_BASE - PAGE_SIZE, 'top-down from mmap_base');
  assert.ok(base > 2 ** 32);
  vm.store32(base + 8, 3);
  assert.equal(vm.load32(base + 8), 3);
  // The truncated address (what `| 0` or `>>> 0` made of it) names nothing mapped.
  assert.throws(() => vm.load32((base + 8) | 0), /access to unmapped memory at 0xf/);
  assert.equal(vm.canAccess((base + 8) >>> 0, false), false);
});

test('vm: a fork copy stores only the pages the parent had written', () => {
  const [parent, memory] = space();
  const child = new AddressSpace(memory, new Map());
  const a = parent.mmapAnonymous(4 * PAGE_SIZE, PROT_RW, false);
  parent.store32(a + PAGE_SIZE, 11);
  assert.equal(parent.copyPrivateInto(child), 4);
  assert.equal(memory.framesInUse, 8);
  assert.equal(memory.framesBacked, 2);
  assert.equal(child.load32(a + PAGE_SIZE), 11);
  child.store32(a + PAGE_SIZE, 12);
  assert.equal(parent.load32(a + PAGE_SIZE), 11, 'a private copy');
  assert.notEqual(child.physicalAddress(a), parent.physicalAddress(a));
});

test('memory: storage slots are shared chunks, zeroed when reused', () => {
  const memory = new PhysicalMemory(1 << 20);
  const a = memory.allocFrame();
  const b = memory.allocFrame();
  memory.store(a, 1023, -1);
  memory.store(b, 0, 5);
  assert.equal(memory.load(a, 1023), 0xffffffff);
  assert.equal(memory.load(b, 0), 5, 'neighbouring frames do not overlap');
  assert.equal(memory.hostBytes, 64 * PAGE_SIZE, 'one chunk stores both');
  memory.freeFrame(a);
  const c = memory.allocFrame();
  assert.equal(c, a, 'a freed frame is reused first');
  assert.equal(memory.load(c, 1023), 0, 'and reads zeros');
  memory.store(c, 0, 1);
  assert.equal(memory.load(c, 1023), 0, 'its reused slot was zeroed');
  assert.equal(memory.framesBacked, 2);
  assert.throws(() => memory.freeFrame(memory.frameCount - 1), /freeing a free frame/);
});
