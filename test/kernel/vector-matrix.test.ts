// The vector matrix and the IRQ domain over it (kernel/irqs/vector-matrix.ts, vector-domain.ts):
// placement rules of Linux kernel/irq/matrix.c as exact placements, and a property test over
// random allocate/free/affinity/offline/online sequences (issue 18): no vector given twice on a
// CPU, system vectors never given, every live IRQ on an online CPU, the matrix's counts agree.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { VectorDomain } from '../../src/kernel/irqs/vector-domain.ts';
import { VectorMatrix } from '../../src/kernel/irqs/vector-matrix.ts';

// The sim kernel's own vectors (hw/vectors.ts): PIT 0x20, LAPIC timer 0x30, IPIs 0x40-0x43.
const SYSTEM = [0x20, 0x30, 0x40, 0x41, 0x42, 0x43, 0xec];
const WINDOW = 0xec - 0x20; // 204 vectors in [0x20, 0xEC)

function matrix(cpus: number, online = cpus): VectorMatrix {
  const m = new VectorMatrix({ cpus, allocStart: 0x20, allocEnd: 0xec, systemVectors: SYSTEM });
  for (let c = 0; c < online; c++) m.online(c);
  return m;
}

test('available = window - system vectors inside it; allocation spreads to the most-free CPU', () => {
  const m = matrix(4);
  assert.equal(m.available(0), WINDOW - 6); // 0xec is outside the window
  // Ties go to the first CPU in the mask; each allocation lowers that CPU, so four spread.
  const placed = [0, 1, 2, 3, 4].map(() => m.alloc([0, 1, 2, 3]));
  assert.deepEqual(placed, [
    { cpu: 0, vector: 0x21 },
    { cpu: 1, vector: 0x21 },
    { cpu: 2, vector: 0x21 },
    { cpu: 3, vector: 0x21 },
    { cpu: 0, vector: 0x22 },
  ]);
  assert.equal(m.alloc([]), 'EINVAL');
  m.offline(3);
  assert.equal(m.alloc([3]), 'ENOSPC');
});

test('first free bit skips system vectors; freeing a non-managed vector makes it available again', () => {
  const m = matrix(1);
  const got: number[] = [];
  for (let i = 0; i < 16; i++) got.push((m.alloc([0]) as { vector: number }).vector);
  assert.deepEqual(got.slice(14), [0x2f, 0x31]); // 0x30 is the LAPIC timer
  m.free(0, 0x25, false);
  assert.equal(m.available(0), WINDOW - 6 - 15);
  assert.deepEqual(m.alloc([0]), { cpu: 0, vector: 0x25 });
  assert.throws(() => m.free(0, 0x90, false), /not allocated on CPU 0/);
});

test('managed: a reservation on every CPU of the mask, the fewest-managed CPU (ties to last), kept on free', () => {
  const m = matrix(2);
  assert.equal(m.reserveManaged([0, 1]), 'ok');
  assert.equal(m.available(0), WINDOW - 7);
  assert.deepEqual(m.allocManaged([0, 1]), { cpu: 1, vector: 0x21 });
  m.free(1, 0x21, true);
  assert.equal(m.available(1), WINDOW - 7); // the reservation stays
  assert.deepEqual(m.alloc([1]), { cpu: 1, vector: 0x22 }); // 0x21 stays reserved
});

test('a reservation that fails on one CPU rolls back the others', () => {
  const m = matrix(2);
  while (m.alloc([1]) !== 'ENOSPC');
  const before = m.available(0);
  assert.equal(m.reserveManaged([0, 1]), 'ENOSPC');
  assert.equal(m.available(0), before);
});

test('affinity: EINVAL with no online CPU, EIO for managed, kept while the CPU stays in the mask', () => {
  const d = new VectorDomain(matrix(4, 3));
  assert.deepEqual(d.allocate(9, [0, 1, 2, 3]), { cpu: 0, vector: 0x21 });
  assert.equal(d.setAffinity(9, [3]), 'EINVAL'); // CPU 3 is offline
  assert.deepEqual(d.setAffinity(9, [0, 2]), { cpu: 0, vector: 0x21 });
  assert.deepEqual(d.setAffinity(9, [2]), { cpu: 2, vector: 0x21 });
  assert.equal(d.matrix.isAllocated(0, 0x21), false);
  d.allocateManaged(100, [0, 1]);
  assert.equal(d.setAffinity(100, [2]), 'EIO');
});

test('offline moves IRQs: managed inside the mask or shut down, non-managed broken out; online restarts', () => {
  const d = new VectorDomain(matrix(3));
  d.allocateManaged(100, [1]);
  d.allocateManaged(101, [1, 2]);
  d.allocate(5, [1]);
  assert.deepEqual(d.get(101)!.placement, { cpu: 2, vector: 0x21 });
  d.setAffinity(5, [1]);
  const moves = d.offline(1);
  assert.deepEqual(moves, [
    { irq: 100, from: { cpu: 1, vector: 0x21 }, to: null, broken: false },
    { irq: 5, from: { cpu: 1, vector: 0x23 }, to: { cpu: 0, vector: 0x21 }, broken: true },
  ]);
  assert.deepEqual(d.online(1), [100]);
  assert.deepEqual(d.get(100)!.placement, { cpu: 1, vector: 0x21 });
});

test('the last online CPU cannot go offline; nor one whose vectors the others cannot hold', () => {
  const d = new VectorDomain(matrix(2));
  while (d.matrix.alloc([1]) !== 'ENOSPC');
  for (let i = 0; i < 5; i++) d.allocate(i, [0]);
  assert.equal(d.offline(1), 'ENOSPC'); // CPU 1 holds 197 vectors, CPU 0 has 192 free
  const two = new VectorDomain(matrix(2));
  two.allocate(7, [0]);
  assert.deepEqual(two.offline(0), [
    { irq: 7, from: { cpu: 0, vector: 0x21 }, to: { cpu: 1, vector: 0x21 }, broken: true },
  ]);
  assert.equal(two.offline(1), 'ENOSPC'); // the last one online
});

type Op =
  | { op: 'alloc'; irq: number; mask: number[] }
  | { op: 'managed'; irq: number; mask: number[] }
  | { op: 'release'; irq: number }
  | { op: 'affinity'; irq: number; mask: number[] }
  | { op: 'offline' | 'online'; cpu: number };

const CPUS = 4;
const maskArb = fc.uniqueArray(fc.integer({ min: 0, max: CPUS - 1 }), { minLength: 1, maxLength: CPUS });
const irqArb = fc.integer({ min: 0, max: 40 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('alloc' as const), irq: irqArb, mask: maskArb }),
  fc.record({ op: fc.constant('managed' as const), irq: irqArb, mask: maskArb }),
  fc.record({ op: fc.constant('release' as const), irq: irqArb }),
  fc.record({ op: fc.constant('affinity' as const), irq: irqArb, mask: maskArb }),
  fc.record({
    op: fc.constantFrom('offline' as const, 'online' as const),
    cpu: fc.integer({ min: 0, max: CPUS - 1 }),
  }),
);

function apply(d: VectorDomain, o: Op): void {
  if (o.op === 'alloc') d.allocate(o.irq, o.mask);
  else if (o.op === 'managed') d.allocateManaged(o.irq, o.mask);
  else if (o.op === 'release') d.release(o.irq);
  else if (o.op === 'affinity') d.setAffinity(o.irq, o.mask);
  else if (o.op === 'offline') d.offline(o.cpu);
  else d.online(o.cpu);
}

function checkInvariants(d: VectorDomain): void {
  const held = new Set<string>();
  for (const s of d.irqs) {
    if (!s.placement) {
      // Only a managed IRQ with no online CPU in its mask is shut down.
      assert.ok(s.managed && !s.mask.some((c) => d.matrix.isOnline(c)), `irq ${s.irq} lost its vector`);
      continue;
    }
    const { cpu, vector } = s.placement;
    const key = `${cpu}:${vector}`;
    assert.ok(!held.has(key), `vector ${key} given twice`);
    held.add(key);
    assert.ok(!d.matrix.isSystem(vector), `system vector ${vector} given`);
    assert.ok(d.matrix.isOnline(cpu), `irq ${s.irq} on offline CPU ${cpu}`);
    if (s.managed) assert.ok(s.mask.includes(cpu), `managed irq ${s.irq} outside its mask`);
    assert.ok(d.matrix.isAllocated(cpu, vector));
  }
  for (let c = 0; c < CPUS; c++) {
    const mine = d.irqs.filter((s) => s.placement?.cpu === c).length;
    assert.equal(d.matrix.allocated(c), mine, `CPU ${c} allocated count`);
  }
}

test('property: random allocate/free/affinity/offline/online keep the matrix consistent', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 120 }), (ops) => {
      const d = new VectorDomain(matrix(CPUS));
      for (const o of ops) {
        apply(d, o);
        checkInvariants(d);
      }
    }),
    { numRuns: 200 },
  );
});
