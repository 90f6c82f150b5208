// Real firmware tables (issue 16, "Real tables in"): the MADT, SRAT and SLIT QEMU builds for the
// guests of its own ACPI test suite (test/fixtures/acpi/README.md says which and where from). The
// expected values are iasl's decoding of the same bytes, in the listings QEMU ships beside them
// (tests/data/acpi/q35/APIC.cphp.dsl, SRAT.cphp.dsl, SLIT.cphp.dsl, pc/APIC.dsl), not this parser's
// output: 6 processor entries with APIC ids 0,1,2,4,5,6 of which 2 are enabled, one I/O APIC at
// 0xFEC00000 with GSI base 0, five interrupt source overrides, one LINT1 NMI for all processors,
// two proximity domains with SLIT distances 10/21.
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { loadTableFiles } from '../../src/cli/acpi-files.ts';
import { parseFirmware } from '../../src/kernel/acpi/parse.ts';
import { machineFromTables } from '../../src/scenario/firmware-tables.ts';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/acpi');
const tablesOf = (dir: string) => loadTableFiles(join(FIXTURES, dir)).map((t) => t.bytes);

test('QEMU q35 with CPU hot-plug: every table checksums, the hardened parser agrees with iasl', () => {
  const tables = tablesOf('qemu-q35-6cpu-2node-hotplug');
  for (const bytes of tables)
    assert.equal(
      bytes.reduce((sum, b) => (sum + b) & 0xff, 0),
      0,
    );
  const t = parseFirmware({ kind: 'tables', tables }, 'hardened');
  assert.equal(t.outcome, 'ok');
  assert.deepEqual(t.findings, []);
  assert.deepEqual(
    t.cpus.map((c) => [c.apicId, c.uid, c.enabled, c.node]),
    [
      [0, 0, true, 0],
      [1, 1, true, 0],
      [2, 2, false, 0],
      [4, 3, false, 1],
      [5, 4, false, 1],
      [6, 5, false, 1],
    ],
  );
  // MADT revision 1 predates the Online Capable flag (ACPI 6.3): Linux's acpi_is_processor_usable
  // (arch/x86/kernel/acpi/boot.c) counts a disabled entry of such a table as a hot-plug slot.
  assert.deepEqual(
    t.cpus.filter((c) => c.onlineCapable).map((c) => c.apicId),
    [2, 4, 5, 6],
  );
  assert.deepEqual(
    t.ioApics.map((a) => [a.id, a.address, a.gsiBase]),
    [[0, 0xfec0_0000, 0]],
  );
  assert.deepEqual(
    t.overrides.map((o) => [o.sourceIrq, o.gsi]),
    [
      [0, 2],
      [5, 5],
      [9, 9],
      [10, 10],
      [11, 11],
    ],
  );
  assert.deepEqual(t.numa.distances, [
    [10, 21],
    [21, 10],
  ]);
  assert.deepEqual(
    t.numa.memory.map((m) => [m.domain, m.baseBytes, m.lengthBytes]),
    [
      [0, 0, 0xa_0000],
      [0, 0x10_0000, 0x3f0_0000],
      [1, 0x400_0000, 0x400_0000],
    ],
  );
});

test("QEMU q35 with CPU hot-plug: the Redox parser walks past the SRAT's end; no smpsim machine has a CPU-less node", () => {
  const tables = tablesOf('qemu-q35-6cpu-2node-hotplug');
  const redox = parseFirmware({ kind: 'tables', tables }, 'redox');
  assert.deepEqual(
    redox.cpus.filter((c) => c.enabled).map((c) => c.apicId),
    [0, 1],
  );
  assert.ok(redox.findings.some((f) => f.code === 'srat-overrun-unknown'));
  assert.match(String(machineFromTables(tables)), /node 1 has no enabled CPU/);
});

test('QEMU pc and q35 MADTs: 1 and 2 CPUs, and the machine built from them matches', () => {
  for (const [dir, cpus] of [
    ['qemu-pc-1cpu', 1],
    ['qemu-q35-2cpu', 2],
  ] as const) {
    const tables = tablesOf(dir);
    const t = parseFirmware({ kind: 'tables', tables }, 'hardened');
    assert.deepEqual(t.findings, [], dir);
    assert.equal(t.cpus.filter((c) => c.enabled).length, cpus, dir);
    assert.deepEqual(
      t.nmis.map((n) => [n.uid, n.lint]),
      [[null, 1]], // processor UID 0xFF: every processor
      dir,
    );
    const m = machineFromTables(tables);
    assert.ok(typeof m !== 'string', String(m));
    assert.equal(m.cpus, cpus);
    assert.equal(m.numaNodes, 1);
  }
});
