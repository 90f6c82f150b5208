// A real machine's firmware tables (issue 16, "Real tables in"): the MADT, FADT and MCFG of the
// Firecracker microVM this project is developed on, copied from its /sys/firmware/acpi/tables
// (test/fixtures/acpi/README.md). The expected values are read off the bytes by hand against the
// ACPI 6.5 layouts (MADT §5.2.12, FADT Table 5.9/5.10) and the PCI Firmware Spec 3.0 MCFG (§4.1.2),
// not taken from the parser's output:
//   APIC: LAPIC 0xFEE00000, flags 0 (no PCAT_COMPAT); type 1 I/O APIC id 0 at 0xFEC00000 GSI 0;
//         two type 0 entries, uid 0 / APIC id 0 and uid 1 / APIC id 1, flags 1 (enabled).
//   FACP: revision 6, SCI_INT 0, PM_TMR_BLK 0, flags 0x00100030 (PWR_BUTTON, SLP_BUTTON,
//         HW_REDUCED_ACPI), no HPET table at all.
//   MCFG: one allocation, ECAM at 0xEEC00000 for segment 0, buses 0-0.
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { formatTopology } from '../../src/cli/acpi-format.ts';
import { loadTableFiles } from '../../src/cli/acpi-files.ts';
import { parseFirmware } from '../../src/kernel/acpi/parse.ts';
import { runBoot } from '../../src/report/boot-run.ts';
import { parseScenario } from '../../src/scenario/load.ts';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/acpi');
const tables = () => loadTableFiles(join(FIXTURES, 'firecracker-2vcpu')).map((t) => t.bytes);
const HW_REDUCED_ACPI = 1 << 20;

test('Firecracker: every table checksums; the hardened parser reads 2 CPUs, 1 I/O APIC, ECAM, HW-reduced', () => {
  for (const bytes of tables())
    assert.equal(
      bytes.reduce((sum, b) => (sum + b) & 0xff, 0),
      0,
    );
  const t = parseFirmware({ kind: 'tables', tables: tables() }, 'hardened');
  assert.equal(t.outcome, 'ok');
  assert.deepEqual(t.findings, []);
  assert.equal(t.lapicAddress, 0xfee0_0000);
  assert.deepEqual(
    t.cpus.map((c) => [c.apicId, c.uid, c.enabled, c.onlineCapable, c.node]),
    [
      [0, 0, true, false, 0],
      [1, 1, true, false, 0],
    ],
  );
  assert.deepEqual(
    t.ioApics.map((a) => [a.id, a.address, a.gsiBase]),
    [[0, 0xfec0_0000, 0]],
  );
  assert.deepEqual(t.overrides, []);
  assert.deepEqual(t.nmis, []);
  assert.equal(t.platform.fadtFlags, 0x0010_0030);
  assert.notEqual((t.platform.fadtFlags ?? 0) & HW_REDUCED_ACPI, 0);
  assert.equal(t.platform.sciInterrupt, 0);
  assert.equal(t.platform.pmTimerPort, null);
  assert.equal(t.platform.hpetAddress, null);
  assert.deepEqual(t.ecam, [{ baseAddress: 0xeec0_0000, segment: 0, startBus: 0, endBus: 0 }]);
});

test('Firecracker: the Redox parser finds the same CPUs and reports the missing HPET as Redox does', () => {
  const t = parseFirmware({ kind: 'tables', tables: tables() }, 'redox');
  assert.equal(t.outcome, 'ok');
  assert.deepEqual(
    t.cpus.filter((c) => c.enabled).map((c) => c.apicId),
    [0, 1],
  );
  assert.deepEqual(
    t.findings.map((f) => [f.code, f.table]),
    [['no-table', 'HPET']],
  );
  // Redox's kernel leaves the MCFG to pcid in user space.
  assert.deepEqual(t.ecam, []);
});

test('Firecracker: smpsim acpi prints the ECAM window and the hardware-reduced flag', () => {
  const text = formatTopology(parseFirmware({ kind: 'tables', tables: tables() }, 'hardened'));
  assert.match(text, /CPUs: 2 enabled \(APIC ids 0-1\), 0 online-capable, 0 from x2APIC entries/);
  assert.match(text, /HPET - \(- timers\), hardware-reduced ACPI/);
  assert.match(text, /PCI ECAM: segment 0 buses 0-0 at 0xEEC00000/);
});

test('Firecracker: a scenario boots from the tables with [machine] giving only the clock', () => {
  const config = parseScenario(
    `name = "firecracker"
[machine]
cpu_mhz = 2000
[kernel]
scheduler = "fair"
[firmware]
tables = "firecracker-2vcpu"
[boot]
simulate = true
[[workload]]
kind = "spin"
threads = 1
iterations = 1
cycles = 1
`,
    join(FIXTURES, 'scenario.toml'),
  );
  assert.equal(config.machine.topology.cpus, 2);
  const { report } = runBoot(config);
  assert.deepEqual(report.online, [0, 1]);
});
