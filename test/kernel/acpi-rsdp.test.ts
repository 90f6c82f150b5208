// Finding the tables in memory (issue 16): the hardened parser scans the EBDA and the BIOS area
// when the bootloader passes no RSDP (K22) and bounds the RSDP's length (K38); Redox does neither.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixChecksum } from '../../src/hw/acpi/bytes.ts';
import { parseFirmware } from '../../src/kernel/acpi/parse.ts';
import type { PhysBytes } from '../../src/kernel/acpi/source.ts';
import { inMemory, type MachineShape, tablesOf } from './acpi-machines.ts';

const SHAPE: MachineShape = { nodes: 2, packagesPerNode: 1, coresPerPackage: 2, smt: 1 };
const memorySource = (phys: PhysBytes, bootloaderRsdp: number | null) => ({
  kind: 'memory' as const,
  phys,
  bootloaderRsdp,
});

test('no RSDP from the bootloader: hardened finds it by scanning (EBDA, then 0xE0000-0xFFFFF); redox runs on the BSP alone (K22)', () => {
  for (const [placement, foundBy] of [
    ['bios', 'bios-area'],
    ['ebda', 'ebda'],
  ] as const) {
    const { image } = inMemory(tablesOf(SHAPE), SHAPE.nodes, placement);
    const hardened = parseFirmware(memorySource(image, null), 'hardened', { bspApicId: 0 });
    assert.equal(hardened.rsdp?.foundBy, foundBy);
    assert.equal(hardened.rsdp?.address, image.rsdpAddress);
    assert.equal(hardened.cpus.length, 4);
    assert.deepEqual(
      hardened.findings.map((f) => [f.claim, f.code]),
      [['K22', 'rsdp-scanned']],
    );
    const redox = parseFirmware(memorySource(image, null), 'redox', { bspApicId: 0 });
    assert.deepEqual(
      redox.findings.map((f) => [f.claim, f.code]),
      [['K22', 'no-rsdp']],
    );
    assert.deepEqual(
      redox.cpus.map((c) => c.apicId),
      [0],
    );
  }
});

test('UEFI placement: nothing in the legacy areas, only the bootloader pointer finds the tables', () => {
  const { image } = inMemory(tablesOf(SHAPE), SHAPE.nodes, 'uefi');
  for (const parser of ['redox', 'hardened'] as const) {
    assert.equal(parseFirmware(memorySource(image, image.rsdpAddress), parser).cpus.length, 4, parser);
  }
  const lost = parseFirmware(memorySource(image, null), 'hardened');
  assert.deepEqual(
    lost.findings.map((f) => f.code),
    ['rsdp-not-found', 'no-madt'],
  );
});

/** The image with the RSDP's length field set to `length` and both checksums made right again. */
function withRsdpLength(image: PhysBytes & { rsdpAddress: number }, length: number): PhysBytes {
  const rsdp = Uint8Array.from({ length: 36 }, (_, i) => image.read8(image.rsdpAddress + i)!);
  new DataView(rsdp.buffer).setUint32(20, length, true);
  fixChecksum(rsdp, 8, 0, 20);
  fixChecksum(rsdp, 32, 0, 36);
  return {
    read8: (a) =>
      a >= image.rsdpAddress && a < image.rsdpAddress + 36 ? rsdp[a - image.rsdpAddress] : image.read8(a),
  };
}

test('an RSDP length of 256 MiB: redox sums that many bytes and faults; hardened flags it and goes on (K38)', () => {
  const { image } = inMemory(tablesOf(SHAPE), SHAPE.nodes, 'uefi');
  const phys = withRsdpLength(image, 0x1000_0000);
  const redox = parseFirmware(memorySource(phys, image.rsdpAddress), 'redox');
  assert.equal(redox.outcome, 'panic');
  assert.deepEqual(
    redox.findings.map((f) => [f.claim, f.code, f.severity]),
    [['K38', 'rsdp-length-unbounded', 'fatal']],
  );
  const hardened = parseFirmware(memorySource(phys, image.rsdpAddress), 'hardened');
  assert.deepEqual(
    hardened.findings.map((f) => [f.claim, f.code]),
    [['K38', 'rsdp-length']],
  );
  assert.equal(hardened.cpus.length, 4);
});

test('an RSDP length of 20: redox checks the extended checksum over 20 bytes only (K38)', () => {
  const { image } = inMemory(tablesOf(SHAPE), SHAPE.nodes, 'uefi');
  const redox = parseFirmware(memorySource(withRsdpLength(image, 20), image.rsdpAddress), 'redox');
  assert.equal(redox.findings[0]?.code, 'rsdp-length-short');
  assert.equal(redox.cpus.length, 4);
});
