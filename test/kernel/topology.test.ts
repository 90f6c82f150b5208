// The kernel's topology comes from the firmware tables (HW-14): for every machine the board builds,
// it equals the hardware's own, and the parsers' limits and x2APIC decide which CPUs it has.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { PrngDecider } from '../../src/engine/decider.ts';
import { Prng } from '../../src/engine/prng.ts';
import type { FirmwareBug } from '../../src/hw/acpi/bugs.ts';
import { Board } from '../../src/hw/board.ts';
import { resolveCostModel } from '../../src/hw/cost-model.ts';
import { Topology, type TopologySpec } from '../../src/hw/topology.ts';
import type { ParserName } from '../../src/kernel/acpi/types.ts';
import { Kernel } from '../../src/kernel/kernel.ts';

interface Build {
  parser?: ParserName;
  x2apic?: boolean;
  bugs?: FirmwareBug[];
}

function machine(topology: TopologySpec, build: Build = {}): { board: Board; kernel: Kernel } {
  const board = new Board({
    topology,
    cpuMhz: 3000,
    memoryBytes: 1 << 28,
    costs: resolveCostModel({}),
    decider: new PrngDecider(new Prng(1)),
    firmware: { bugs: build.bugs ?? [] },
    x2apic: build.x2apic ?? true,
  });
  const kernel = new Kernel(board, {
    threadsMax: 64,
    checkInvariants: false,
    hrtimers: false,
    firmwareParser: build.parser ?? 'hardened',
  });
  return { board, kernel };
}

const flat = (cpus: number): TopologySpec => ({
  cpus,
  smt: 1,
  packages: 1,
  numaNodes: 1,
  numaRemoteDistance: 20,
});

test('the kernel learns from the tables exactly the topology the hardware has (random machines)', () => {
  const shapes = fc.record({
    nodes: fc.integer({ min: 1, max: 4 }),
    packagesPerNode: fc.integer({ min: 1, max: 2 }),
    coresPerPackage: fc.integer({ min: 1, max: 12 }),
    smt: fc.constantFrom(1, 2),
    remote: fc.integer({ min: 11, max: 40 }),
  });
  fc.assert(
    fc.property(shapes, fc.constantFrom<ParserName>('redox', 'hardened'), (s, parser) => {
      const packages = s.nodes * s.packagesPerNode;
      const cpus = packages * s.coresPerPackage * s.smt;
      fc.pre(cpus <= 128);
      const spec = { cpus, smt: s.smt, packages, numaNodes: s.nodes, numaRemoteDistance: s.remote };
      // Redox's SRAT code indexes cpus[128] by APIC id: packed ids of 128 and above panic it.
      fc.pre(parser === 'hardened' || Math.max(...new Topology(spec).cpus.map((c) => c.apicId)) < 128);
      const { board, kernel } = machine(spec, { parser });
      const hw = board.topology;
      const k = kernel.topology;
      assert.equal(k.count, hw.count);
      assert.equal(k.nodeCount, hw.nodeCount);
      for (let a = 0; a < cpus; a++) {
        assert.equal(k.cpus[a]!.apicId, hw.cpus[a]!.apicId);
        assert.equal(k.nodeOf(a), hw.nodeOf(a));
        for (let b = 0; b < cpus; b += 3) {
          assert.equal(k.migrationLevel(a, b), hw.migrationLevel(a, b), `cpus ${a}, ${b}`);
          assert.equal(k.cpuDistance(a, b), hw.cpuDistance(a, b));
        }
      }
    }),
    { numRuns: 60 },
  );
});

test('256 CPUs: the hardened parser gives the kernel all of them; Redox stops at MAX_CPU_COUNT 128 (HW-6)', () => {
  const hardened = machine(flat(256), { parser: 'hardened' }).kernel;
  assert.equal(hardened.cpus.length, 256);
  assert.equal(hardened.cpus[255]!.cpuid.apicId, 255); // id 255 is only in a type-9 x2APIC entry
  // Redox keeps 127 type-0 CPUs after the BSP and ignores type 9; LogicalCpuId::next would assert
  // on the 129th, so it stops at 128 with a fatal finding naming what it dropped.
  const redox = machine(flat(256), { parser: 'redox' }).kernel;
  assert.equal(redox.cpus.length, 128);
  const limit = redox.firmware.findings.find((f) => f.code === 'max-cpu-count');
  assert.match(limit?.message ?? '', /MAX_CPU_COUNT = 128: 127 CPUs dropped \(APIC ids 128,129,/);
  assert.ok(redox.firmware.findings.some((f) => f.code === 'x2apic-entries-ignored'));
  const redox128 = machine(flat(128), { parser: 'redox' }).kernel;
  assert.deepEqual(
    redox128.cpus.map((c) => c.id),
    Array.from({ length: 128 }, (_, i) => i),
  );
});

test('without x2APIC in CPUID the kernel stays in xAPIC mode and leaves out APIC id 255 (HW-6)', () => {
  const { kernel } = machine(flat(256), { x2apic: false });
  assert.equal(kernel.cpus.length, 255);
  const left = kernel.firmware.findings.filter((f) => f.code === 'cpu-left-out');
  assert.equal(left.length, 1);
  assert.match(left[0]!.message, /APIC id 255 needs x2APIC/);
});

test('a table CPU no LAPIC answers to (an enabled phantom slot) gives no kernel CPU, with a finding (HW-2)', () => {
  const { kernel } = machine(flat(4), { bugs: ['disabled-cpu-enabled'] });
  assert.equal(kernel.cpus.length, 4); // the phantom (APIC id 4) is reported, not run
  assert.ok(kernel.firmware.findings.some((f) => f.code === 'cpu-left-out' && /APIC id 4/.test(f.message)));
});
