// Firmware tables as bytes (issue 16, HW-7): lengths, checksums and field offsets of every table
// as ACPI 6.5 lays them out, and their placement in simulated physical memory.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byteSum } from '../../src/hw/acpi/bytes.ts';
import { installFirmware } from '../../src/hw/acpi/image.ts';
import { buildRsdp } from '../../src/hw/acpi/root.ts';
import { specFromTopology } from '../../src/hw/acpi/spec.ts';
import { buildTables, findTable, tableSignature } from '../../src/hw/acpi/tables.ts';
import { PhysicalMemory } from '../../src/hw/memory.ts';
import { Topology } from '../../src/hw/topology.ts';

const u32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
// 4 CPUs on 2 nodes (SLIT 21), one hot-plug slot.
const topology = new Topology({ cpus: 4, smt: 1, packages: 2, numaNodes: 2, numaRemoteDistance: 21 });
const spec = specFromTopology(topology, { memoryBytes: 8 << 20, hotplugSlots: 1, wakeupMailbox: 0x9f000 });
const tables = buildTables(spec);

test('every table sums to zero and its length field is its size', () => {
  assert.deepEqual(tables.map(tableSignature), ['FACP', 'APIC', 'SRAT', 'SLIT', 'HPET']);
  for (const t of tables) {
    assert.equal(byteSum(t.bytes), 0, tableSignature(t));
    assert.equal(u32(t.bytes, 4), t.bytes.length, tableSignature(t));
  }
  // FADT rev 6 is 276 bytes; HPET 56; SLIT 44 + 2x2; SRAT 48 + 4 CPUs x 16 + 2 ranges x 40.
  assert.deepEqual(
    tables.map((t) => t.bytes.length),
    [276, 44 + 5 * 8 + 2 * 12 + 2 * 10 + 6 + 12 + 16, 48 + 64 + 80, 48, 56],
  );
});

test('MADT entries sit where ACPI 6.5 puts their fields', () => {
  const madt = findTable(tables, 'APIC')!.bytes;
  assert.equal(madt[8], 5, 'revision 5: online-capable is meaningful');
  assert.equal(u32(madt, 36), 0xfee00000);
  assert.equal(u32(madt, 40), 1, 'PCAT_COMPAT');
  // CPU 3: type 0, length 8, UID 3, APIC id 3, enabled.
  assert.deepEqual([...madt.subarray(44 + 3 * 8, 44 + 4 * 8)], [0, 8, 3, 3, 1, 0, 0, 0]);
  // The hot-plug slot: APIC id 4, disabled and online-capable.
  assert.deepEqual([...madt.subarray(44 + 4 * 8, 44 + 5 * 8)], [0, 8, 4, 4, 2, 0, 0, 0]);
  const io1 = 44 + 5 * 8 + 12;
  assert.deepEqual(
    [madt[io1], madt[io1 + 1], madt[io1 + 2], u32(madt, io1 + 4), u32(madt, io1 + 8)],
    [1, 12, 1, 0xfec01000, 24],
  );
  const iso0 = 44 + 5 * 8 + 2 * 12;
  assert.deepEqual([...madt.subarray(iso0, iso0 + 10)], [2, 10, 0, 0, 2, 0, 0, 0, 0, 0]);
  const wake = madt.length - 16;
  assert.deepEqual([madt[wake], madt[wake + 1], u32(madt, wake + 8)], [0x10, 16, 0x9f000]);
});

test('APIC ids of 255 and above go in MADT type 9 and SRAT type 2, below in types 0', () => {
  const big = new Topology({ cpus: 256, smt: 1, packages: 1, numaNodes: 1, numaRemoteDistance: 21 });
  const t = buildTables(specFromTopology(big, { memoryBytes: 8 << 20 }));
  const madt = findTable(t, 'APIC')!.bytes;
  const last = 44 + 255 * 8;
  assert.deepEqual(
    [madt[last], madt[last + 1], u32(madt, last + 4), u32(madt, last + 8), u32(madt, last + 12)],
    [9, 16, 255, 1, 255],
  );
  const srat = findTable(t, 'SRAT')!.bytes;
  const x2 = 48 + 255 * 16;
  assert.deepEqual([srat[x2], srat[x2 + 1], u32(srat, x2 + 8), u32(srat, x2 + 12)], [2, 24, 255, 1]);
});

test('packed APIC ids leave gaps as CPUID does: 3 cores x 2 threads take 8 ids a package', () => {
  const t = new Topology({ cpus: 12, smt: 2, packages: 2, numaNodes: 2, numaRemoteDistance: 21 });
  const ids = specFromTopology(t, { memoryBytes: 8 << 20, apicIds: 'packed' }).cpus.map((c) => c.apicId);
  assert.deepEqual(ids, [0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13]);
});

test('RSDP v2: both checksums, length 36, the XSDT address at +24', () => {
  const rsdp = buildRsdp(0x12345678);
  assert.equal(rsdp.length, 36);
  assert.equal(byteSum(rsdp, 0, 20), 0);
  assert.equal(byteSum(rsdp, 0, 36), 0);
  assert.equal(String.fromCharCode(...rsdp.subarray(0, 8)), 'RSD PTR ');
  assert.deepEqual([rsdp[15], u32(rsdp, 20), u32(rsdp, 24)], [2, 36, 0x12345678]);
});

test('in memory: the bytes read back at their addresses, in the areas each placement uses', () => {
  for (const [rsdp, lo, hi] of [
    ['bios', 0xe0000, 0x100000],
    ['ebda', 0x9fc00, 0x100000],
    ['uefi', 0x80000, 0x90000],
  ] as const) {
    const memory = new PhysicalMemory(8 << 20, 2);
    const image = installFirmware(memory, tables, { rsdp });
    assert.ok(image.rsdpAddress >= lo && image.rsdpAddress < hi, rsdp);
    assert.equal(image.rsdpAddress % 16, 0);
    for (const placed of image.tables.slice(0, tables.length)) {
      const bytes = Uint8Array.from({ length: placed.length }, (_, i) => image.read8(placed.address + i)!);
      assert.deepEqual(bytes, findTable(tables, placed.signature)!.bytes);
    }
    assert.equal(image.bootloaderRsdp, rsdp === 'uefi' ? image.rsdpAddress : null);
    assert.equal(image.read8(0x7000), undefined, 'no firmware memory there');
    // Only the frames holding firmware stay allocated; the rest of the first MiB is free again.
    assert.equal(memory.framesInUse, image.frames.length);
  }
});

test('firmware needs a fresh memory: frames already handed out are refused loudly', () => {
  const memory = new PhysicalMemory(8 << 20, 1);
  memory.allocFrame(0);
  assert.throws(() => installFirmware(memory, tables, { rsdp: 'bios' }), /fresh memory/);
});
