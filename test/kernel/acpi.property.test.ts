// Property (issue 16 "Done when"): any topology of 1-256 CPUs, 1-8 nodes, SMT on or off, built
// into tables and parsed back by the hardened parser, gives the same topology; APIC ids of 255 and
// above appear only in MADT type 9 and SRAT type 2; the redox parser keeps at most 128 CPUs and
// says what it dropped (HW-6, HW-7, HW-14).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MADT_ENTRIES_OFFSET, SRAT_ENTRIES_OFFSET } from '../../src/hw/acpi/layout.ts';
import { specFromTopology } from '../../src/hw/acpi/spec.ts';
import { buildTables, findTable } from '../../src/hw/acpi/tables.ts';
import { parseFirmware } from '../../src/kernel/acpi/parse.ts';
import { inMemory, type MachineShape, memoryBytesFor, tableBytes, topologyOf } from './acpi-machines.ts';

const shapes: fc.Arbitrary<MachineShape> = fc
  .record({
    nodes: fc.integer({ min: 1, max: 8 }),
    packagesPerNode: fc.integer({ min: 1, max: 2 }),
    smt: fc.constantFrom<1 | 2>(1, 2),
    remoteDistance: fc.integer({ min: 11, max: 254 }),
  })
  .chain((s) =>
    fc
      .integer({ min: 1, max: Math.floor(256 / (s.nodes * s.packagesPerNode * s.smt)) })
      .map((coresPerPackage) => ({ ...s, coresPerPackage })),
  );

/** Every (type, APIC id) of the processor structures in a MADT or SRAT. */
function processorEntries(
  bytes: Uint8Array,
  start: number,
  lapicTypes: [number, number],
): [number, number][] {
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  const out: [number, number][] = [];
  for (let at = start; at < bytes.length; at += bytes[at + 1]!) {
    const type = bytes[at]!;
    if (type === lapicTypes[0]) out.push([type, bytes[at + 3]!]);
    if (type === lapicTypes[1])
      out.push([type, v.getUint32(at + (start === MADT_ENTRIES_OFFSET ? 4 : 8), true)]);
  }
  return out;
}

test('tables built from a random topology parse back to the same topology (hardened)', () => {
  const cases = fc.record({ shape: shapes, packed: fc.boolean(), slots: fc.integer({ min: 0, max: 2 }) });
  fc.assert(
    fc.property(cases, ({ shape, packed, slots }) => {
      const topology = topologyOf(shape);
      const spec = specFromTopology(topology, {
        memoryBytes: memoryBytesFor(shape.nodes),
        apicIds: packed ? 'packed' : 'linear',
        hotplugSlots: slots,
      });
      const tables = buildTables(spec);
      const { image } = inMemory(tables, shape.nodes, 'bios');
      const fromMemory = parseFirmware({ kind: 'memory', phys: image, bootloaderRsdp: null }, 'hardened');
      const fromBytes = parseFirmware(tableBytes(tables), 'hardened');
      for (const t of [fromMemory, fromBytes]) {
        const enabled = t.cpus.filter((c) => c.enabled);
        assert.deepEqual(
          enabled.map((c) => [c.apicId, c.node]),
          topology.cpus.map((c, i) => [spec.cpus[i]!.apicId, c.nodeId]),
        );
        assert.deepEqual(
          t.cpus.filter((c) => !c.enabled).map((c) => [c.apicId, c.onlineCapable]),
          spec.cpus.slice(topology.count, 256).map((c) => [c.apicId, true]),
        );
        for (const c of t.cpus) assert.equal(c.source, c.apicId >= 255 ? 'x2apic' : 'lapic');
        assert.deepEqual(
          t.numa.domains,
          Array.from({ length: shape.nodes }, (_, n) => n),
        );
        assert.deepEqual(t.numa.distances, spec.distances);
        assert.deepEqual(
          t.numa.memory.map((m) => [m.node, m.baseBytes, m.lengthBytes]),
          spec.memory.map((m) => [m.domain, m.baseBytes, m.lengthBytes]),
        );
        assert.equal(t.ioApics.length, shape.nodes);
        const bad = t.findings.filter((f) => f.severity !== 'info' && f.code !== 'near-cpu-limit');
        // Past 256 entries (hot-plug slots on a full machine) the limit drops the extra ones.
        assert.deepEqual(
          bad.map((f) => f.code),
          spec.cpus.length > 256 ? ['max-cpus'] : [],
        );
      }
      assert.equal(fromMemory.rsdp?.foundBy, 'bios-area');
      const madt = findTable(tables, 'APIC')!.bytes;
      const srat = findTable(tables, 'SRAT')!.bytes;
      for (const [type, id] of processorEntries(madt, MADT_ENTRIES_OFFSET, [0, 9]))
        assert.equal(type === 9, id >= 255);
      for (const [type, id] of processorEntries(srat, SRAT_ENTRIES_OFFSET, [0, 2]))
        assert.equal(type === 2, id >= 255);
    }),
    { numRuns: 60, seed: 16 },
  );
});

test('the redox parser keeps at most 128 CPUs, in MADT order, and names the ones it dropped (HW-6)', () => {
  fc.assert(
    fc.property(shapes, fc.boolean(), (shape, packed) => {
      const topology = topologyOf(shape);
      const spec = specFromTopology(topology, {
        memoryBytes: memoryBytesFor(shape.nodes),
        apicIds: packed ? 'packed' : 'linear',
      });
      const t = parseFirmware(tableBytes(buildTables(spec)), 'redox');
      const xapic = spec.cpus.filter((c) => c.apicId < 255).map((c) => c.apicId);
      const x2apic = spec.cpus.length - xapic.length;
      assert.deepEqual(
        t.cpus.map((c) => c.apicId),
        xapic.slice(0, 128),
      );
      const dropped = t.findings.find((f) => f.code === 'max-cpu-count');
      assert.equal(dropped !== undefined, xapic.length > 128);
      if (dropped !== undefined) {
        assert.match(dropped.message, new RegExp(`${xapic.length - 128} CPUs dropped`));
        assert.equal(t.outcome, 'panic');
      }
      const ignored = t.findings.find((f) => f.code === 'x2apic-entries-ignored');
      assert.equal(ignored?.message.startsWith(`${x2apic} x2APIC`) ?? false, x2apic > 0);
    }),
    { numRuns: 60, seed: 16 },
  );
});
