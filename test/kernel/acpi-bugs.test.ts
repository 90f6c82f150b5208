// Firmware bug injection (issue 16, HW-7): each injected bug is found by the hardened parser with
// its claim, and the redox parser does what Redox's code does with it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type FirmwareBug, injectFirmwareBugs } from '../../src/hw/acpi/bugs.ts';
import { parseFirmware } from '../../src/kernel/acpi/parse.ts';
import type { FirmwareTopology } from '../../src/kernel/acpi/types.ts';
import { type MachineShape, tableBytes, tablesOf } from './acpi-machines.ts';

// 8 CPUs: 2 nodes of one package, 2 cores x 2 SMT threads; APIC ids 0..7, SLIT remote 21.
const SHAPE: MachineShape = { nodes: 2, packagesPerNode: 1, coresPerPackage: 2, smt: 2 };

function parsed(
  bugs: FirmwareBug[],
  shape = SHAPE,
  hotplugSlots = 0,
): { hardened: FirmwareTopology; redox: FirmwareTopology } {
  const source = tableBytes(injectFirmwareBugs(tablesOf(shape, { hotplugSlots }), bugs));
  return { hardened: parseFirmware(source, 'hardened'), redox: parseFirmware(source, 'redox') };
}

const codes = (t: FirmwareTopology) => t.findings.map((f) => f.code);
const finding = (t: FirmwareTopology, code: string) => t.findings.find((f) => f.code === code);

test('clean tables: no hardened finding; redox notes only what its code skips', () => {
  const { hardened, redox } = parsed([]);
  assert.deepEqual(codes(hardened), []);
  assert.equal(hardened.cpus.length, 8);
  assert.deepEqual(codes(redox), ['entries-ignored', 'srat-overrun-unknown', 'slit-stride']);
  assert.equal(redox.cpus.length, 8);
});

test('duplicate-apic-id: hardened keeps the first entry; redox INITs the running CPU again', () => {
  const { hardened, redox } = parsed(['duplicate-apic-id']);
  assert.equal(finding(hardened, 'duplicate-apic-id')?.claim, 'HW-7');
  assert.deepEqual(
    hardened.cpus.map((c) => c.apicId),
    [0, 1, 3, 4, 5, 6, 7],
  );
  // CPU 2's SRAT entry now names an APIC id the MADT lacks.
  assert.equal(finding(hardened, 'srat-cpu-not-in-madt')?.severity, 'warning');
  assert.deepEqual(
    redox.cpus.map((c) => c.apicId),
    [0, 1, 1, 3, 4, 5, 6, 7],
  );
  assert.match(
    finding(redox, 'duplicate-apic-id')!.message,
    /APIC id 1 started twice.*logical #1, it comes back as #2/,
  );
});

test('disabled-cpu-enabled: hardened flags the reserved combination and the missing affinity; redox starts it', () => {
  const { hardened, redox } = parsed(['disabled-cpu-enabled']);
  assert.equal(finding(hardened, 'flags-enabled-and-online-capable')?.claim, 'HW-7');
  assert.match(finding(hardened, 'cpu-without-affinity')!.message, /APIC ids 8\)/);
  assert.deepEqual(hardened.cpus.at(-1), {
    apicId: 8,
    uid: 8,
    enabled: true,
    onlineCapable: false,
    source: 'lapic',
    domain: null,
    node: null,
  });
  assert.deepEqual(
    redox.cpus.map((c) => c.apicId),
    [0, 1, 2, 3, 4, 5, 6, 7, 8],
  );
  assert.equal(finding(redox, 'flags-enabled-and-online-capable'), undefined);
});

test('bad-checksum: hardened warns (K23) and uses the table, as Linux; redox never looks', () => {
  const { hardened, redox } = parsed(['bad-checksum']);
  const f = finding(hardened, 'checksum')!;
  assert.deepEqual([f.claim, f.severity, f.table], ['K23', 'warning', 'APIC']);
  assert.match(f.message, /sum to 1, not 0/);
  assert.equal(hardened.tables.find((t) => t.signature === 'APIC')?.checksumOk, false);
  assert.equal(hardened.cpus.length, 8);
  assert.equal(finding(redox, 'checksum-unchecked')?.severity, 'info');
  assert.equal(redox.cpus.length, 8);
});

test('unknown-entry-type: hardened warns (K34); redox ignores it without a word', () => {
  const { hardened, redox } = parsed(['unknown-entry-type']);
  const f = finding(hardened, 'unknown-madt-type')!;
  assert.deepEqual([f.claim, f.severity], ['K34', 'warning']);
  assert.match(f.message, /0x7F/);
  assert.match(finding(redox, 'entries-ignored')!.message, /0x7Fx1/);
  assert.equal(redox.outcome, 'ok');
});

test('slit-diagonal-20: hardened rejects the SLIT (K37) for 10/20 defaults; redox takes it as is', () => {
  const { hardened, redox } = parsed(['slit-diagonal-20']);
  assert.equal(finding(hardened, 'slit-diagonal')?.claim, 'K37');
  assert.deepEqual(hardened.numa.distances, [
    [10, 20],
    [20, 10],
  ]);
  assert.equal(hardened.numa.distanceSource, 'default');
  assert.deepEqual(redox.numa.distances, [
    [20, 21],
    [21, 10],
  ]);
});

test('srat-cpu-not-in-madt: hardened ignores the ghost with a warning; redox records it silently', () => {
  const { hardened, redox } = parsed(['srat-cpu-not-in-madt']);
  assert.match(finding(hardened, 'srat-cpu-not-in-madt')!.message, /APIC id 8 in domain 0/);
  assert.equal(hardened.cpus.length, 8);
  assert.equal(redox.outcome, 'ok');
  assert.equal(redox.cpus.length, 8);
});

test('srat-cpu-not-in-madt with a ghost id of 128: redox indexes past its 128-entry array and panics', () => {
  // 120 CPUs (ids 0..119) and 8 hot-plug slots (120..127, no SRAT entry): the ghost gets 128,
  // and 121 enabled SRAT CPUs stay under Redox's count assert.
  const shape: MachineShape = { nodes: 2, packagesPerNode: 1, coresPerPackage: 30, smt: 2 };
  const { hardened, redox } = parsed(['srat-cpu-not-in-madt'], shape, 8);
  assert.equal(hardened.outcome, 'ok');
  assert.equal(finding(redox, 'srat-apic-index')?.severity, 'fatal');
  assert.equal(redox.outcome, 'panic');
});

test('every bug at once: each still found by the hardened parser', () => {
  const { hardened } = parsed([
    'duplicate-apic-id',
    'disabled-cpu-enabled',
    'bad-checksum',
    'unknown-entry-type',
    'slit-diagonal-20',
    'srat-cpu-not-in-madt',
  ]);
  for (const code of [
    'duplicate-apic-id',
    'flags-enabled-and-online-capable',
    'checksum',
    'unknown-madt-type',
    'slit-diagonal',
    'srat-cpu-not-in-madt',
  ]) {
    assert.ok(finding(hardened, code) !== undefined, code);
  }
});
