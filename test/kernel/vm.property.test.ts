// Property tests for address spaces under mmap, shared mappings, munmap, fork copies and
// teardown: the regions always describe exactly the mapped pages, every frame's reference count
// is the number of page tables mapping it (plus a name's reference), and nothing leaks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { PAGE_SHIFT, PAGE_SIZE, PhysicalMemory } from '../../src/hw/memory.ts';
import { AddressSpace } from '../../src/kernel/vm.ts';

type Op =
  | { kind: 'mmap'; pages: number; shared: boolean }
  | { kind: 'munmap'; which: number; offset: number; pages: number }
  | { kind: 'fork' }
  | { kind: 'mapObject' }
  | { kind: 'exit'; which: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('mmap' as const),
    pages: fc.integer({ min: 1, max: 6 }),
    shared: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('munmap' as const),
    which: fc.nat(),
    offset: fc.integer({ min: -2, max: 6 }),
    pages: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({ kind: fc.constant('fork' as const) }),
  fc.record({ kind: fc.constant('mapObject' as const) }),
  fc.record({ kind: fc.constant('exit' as const), which: fc.nat() }),
);

function check(
  spaces: AddressSpace[],
  refs: Map<number, number>,
  object: number[],
  memory: PhysicalMemory,
): void {
  const expected = new Map<number, number>();
  for (const frame of object) expected.set(frame, 1); // the name's own reference
  for (const vm of spaces) {
    const covered = new Set<number>();
    for (const r of vm.regions) {
      assert.ok(r.pages > 0, 'no empty region');
      for (let vpn = r.start >>> PAGE_SHIFT; vpn < (r.start >>> PAGE_SHIFT) + r.pages; vpn++) {
        assert.ok(!covered.has(vpn), `page ${vpn} in two regions`);
        covered.add(vpn);
        assert.ok(vm.pageTable.lookup(vpn) !== undefined, `region page ${vpn} not mapped`);
      }
    }
    for (const [vpn, pte] of vm.pageTable.entries()) {
      assert.ok(covered.has(vpn), `mapped page ${vpn} in no region`);
      expected.set(pte.frame, (expected.get(pte.frame) ?? 0) + 1);
    }
  }
  assert.deepEqual(
    new Map([...refs].sort((a, b) => a[0] - b[0])),
    new Map([...expected].sort((a, b) => a[0] - b[0])),
  );
  assert.equal(memory.framesInUse, expected.size, 'every frame in use is referenced');
}

test('vm: mmap, munmap, fork copies, shared objects and teardown keep regions, page tables and frame references in step', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const memory = new PhysicalMemory(4 << 20);
      const refs = new Map<number, number>();
      const spaces = [new AddressSpace(memory, refs)];
      const object: number[] = [];
      for (let i = 0; i < 2; i++) {
        const frame = memory.allocFrame();
        refs.set(frame, 1);
        object.push(frame);
      }
      for (const o of ops) {
        if (spaces.length === 0) break;
        const vm = spaces[spaces.length - 1]!;
        switch (o.kind) {
          case 'mmap':
            vm.mmapAnonymous(o.pages * PAGE_SIZE, 3, o.shared);
            break;
          case 'munmap': {
            const region = vm.regions[o.which % Math.max(vm.regions.length, 1)];
            if (region === undefined) break;
            const addr = region.start + o.offset * PAGE_SIZE;
            if (addr >= PAGE_SIZE) assert.ok(vm.munmap(addr, o.pages * PAGE_SIZE) >= 0);
            break;
          }
          case 'fork': {
            const child = new AddressSpace(memory, refs);
            vm.inheritShared(child);
            assert.ok(vm.copyPrivateInto(child) >= 0);
            spaces.push(child);
            break;
          }
          case 'mapObject':
            vm.mapFrames(object, 3);
            break;
          case 'exit':
            spaces.splice(o.which % spaces.length, 1)[0]!.destroy();
            break;
        }
        check(spaces, refs, object, memory);
      }
    }),
    { numRuns: 200 },
  );
});
