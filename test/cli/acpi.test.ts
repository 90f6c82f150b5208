// `smpsim acpi` (issue 16): decode table files and directories, generate tables, bad input.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { type Outcome, smpsim } from '../support/cli.ts';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/acpi');

function assertBadInput(r: Outcome, pattern: RegExp): void {
  assert.equal(r.status, 2, r.err);
  assert.equal(r.out, '');
  assert.match(r.err, /^smpsim: [^\n]+\n$/);
  assert.match(r.err, pattern);
}

test('--generate writes one file per table, named by signature, that decode back to the machine', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'smpsim-acpi-')), 'tables');
  const gen = await smpsim('acpi', '--generate', '--cpus', '12', '--nodes', '3', '--smt', dir);
  assert.equal(gen.status, 0, gen.err);
  assert.deepEqual(readdirSync(dir).sort(), ['APIC', 'FACP', 'HPET', 'SLIT', 'SRAT']);
  const r = await smpsim('acpi', dir, '--json', '--parser', 'hardened');
  assert.equal(r.status, 0, r.err);
  const report = JSON.parse(r.out);
  assert.equal(report.schema, 'smpsim.acpi/1');
  const t = report.parsers.hardened;
  assert.equal(t.cpus.length, 12);
  assert.deepEqual(
    t.cpus.map((c: { node: number }) => c.node),
    [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2],
  );
  assert.deepEqual(t.numa.distances, [
    [10, 21, 21],
    [21, 10, 21],
    [21, 21, 10],
  ]);
  assert.equal(report.parsers.redox, undefined);
});

test('the fixtures decode: text dump and binary directory give the same CPUs; the bug set is reported', async () => {
  const text = await smpsim('acpi', join(FIXTURES, 'acpidump-text/acpidump.out'), '--json');
  const bin = await smpsim('acpi', join(FIXTURES, 'smpsim-8cpu-2node'), '--json');
  assert.deepEqual(JSON.parse(text.out).parsers.hardened.cpus, JSON.parse(bin.out).parsers.hardened.cpus);
  const bugs = await smpsim('acpi', join(FIXTURES, 'smpsim-8cpu-all-bugs'));
  assert.equal(bugs.status, 0);
  for (const code of [
    'duplicate-apic-id',
    'flags-enabled-and-online-capable',
    'checksum',
    'unknown-madt-type',
    'slit-diagonal',
    'srat-cpu-not-in-madt',
  ]) {
    assert.match(bugs.out, new RegExp(`\\[hardened\\][^]*${code}`), code);
  }
  const big = await smpsim('acpi', join(FIXTURES, 'smpsim-240cpu-6node-x2apic'));
  assert.match(big.out, /\[redox\] the kernel would panic/);
  assert.match(big.out, /\[hardened\] boots\n {2}CPUs: 240 enabled .*80 from x2APIC entries/);
});

test("QEMU's real tables print: the hot-plug slots, the overrides, the Redox parser's SRAT overrun", async () => {
  const r = await smpsim('acpi', join(FIXTURES, 'qemu-q35-6cpu-2node-hotplug'));
  assert.equal(r.status, 0, r.err);
  assert.match(r.out, /^3 tables from .*: APIC \(160 B\), SLIT \(48 B\), SRAT \(304 B\)\n/);
  assert.match(r.out, /\[hardened\] boots\n {2}CPUs: 2 enabled \(APIC ids 0-1\), 4 online-capable/);
  assert.match(r.out, /overrides: IRQ0->GSI2 \(bus\/bus\), IRQ5->GSI5 \(high\/level\)/);
  assert.match(r.out, /\[redox\][\s\S]*srat-overrun-unknown/);
});

test('bad input: one line, exit 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'smpsim-acpi-'));
  const junk = join(dir, 'notes.txt');
  writeFileSync(junk, 'hello\n');
  assertBadInput(await smpsim('acpi'), /missing FILE, DIR or --generate/);
  assertBadInput(await smpsim('acpi', join(dir, 'absent')), /no such file or directory/);
  assertBadInput(await smpsim('acpi', junk), /notes\.txt: no ACPI tables found \(allowed: binary tables/);
  assertBadInput(await smpsim('acpi', FIXTURES, '--parser', 'linux'), /--parser: .*allowed: redox, hardened/);
  assertBadInput(await smpsim('acpi', '--generate', dir), /--cpus: required/);
  assertBadInput(
    await smpsim('acpi', '--generate', '--cpus', '300', dir),
    /--cpus: 300 is out of range \(allowed: 1\.\.256\)/,
  );
  assertBadInput(await smpsim('acpi', '--generate', '--cpus', '6', '--nodes', '4', dir), /multiple of 4/);
  assertBadInput(
    await smpsim('acpi', '--generate', '--cpus', '4', '--inject', 'bogus', dir),
    /--inject: .*allowed: duplicate-apic-id/,
  );
  assertBadInput(
    await smpsim('acpi', '--generate', '--cpus', '1', '--inject', 'duplicate-apic-id', dir),
    /needs two processor entries/,
  );
});
