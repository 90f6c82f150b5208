// Fuzz (issue 16 "Done when"): mutated table bytes, as files and in memory, fed to both parsers.
// Neither throws or hangs, and a table whose bytes no longer sum to zero is always reported (K23)
// by the hardened parser.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { loadTableFiles } from '../../src/cli/acpi-files.ts';
import { parseFirmware } from '../../src/kernel/acpi/parse.ts';
import { sum8 } from '../../src/kernel/acpi/read.ts';
import type { PhysBytes } from '../../src/kernel/acpi/source.ts';
import { PARSER_NAMES } from '../../src/kernel/acpi/types.ts';
import { inMemory, type MachineShape, tablesOf } from './acpi-machines.ts';

const SHAPE: MachineShape = { nodes: 2, packagesPerNode: 1, coresPerPackage: 3, smt: 2 };
const CLEAN = tablesOf(SHAPE, { hotplugSlots: 1, apicIds: 'packed' }).map((t) => t.bytes);

type Mutation =
  | { kind: 'byte'; table: number; at: number; value: number }
  | { kind: 'truncate'; table: number; at: number }
  | { kind: 'extend'; table: number; bytes: number[] }
  | { kind: 'length'; table: number; value: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('byte' as const), table: fc.nat(9), at: fc.nat(600), value: fc.nat(255) }),
  fc.record({ kind: fc.constant('truncate' as const), table: fc.nat(9), at: fc.nat(300) }),
  fc.record({
    kind: fc.constant('extend' as const),
    table: fc.nat(9),
    bytes: fc.array(fc.nat(255), { maxLength: 40 }),
  }),
  fc.record({ kind: fc.constant('length' as const), table: fc.nat(9), value: fc.nat(0xffff_ffff) }),
);

function mutate(tables: Uint8Array[], m: Mutation): void {
  const i = m.table % tables.length;
  const t = tables[i]!;
  if (m.kind === 'byte') {
    if (t.length > 0) t[m.at % t.length] = m.value;
  } else if (m.kind === 'truncate') tables[i] = t.slice(0, m.at % (t.length + 1));
  else if (m.kind === 'extend') tables[i] = Uint8Array.from([...t, ...m.bytes]);
  else if (t.length >= 8) new DataView(t.buffer, t.byteOffset).setUint32(4, m.value, true);
}

test('mutated table files: both parsers return, and the hardened one reports every broken checksum', () => {
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (mutations) => {
      const tables = CLEAN.map((b) => b.slice());
      for (const m of mutations) mutate(tables, m);
      for (const parser of PARSER_NAMES) {
        const t = parseFirmware({ kind: 'tables', tables }, parser);
        assert.ok(Array.isArray(t.findings));
        assert.ok(['ok', 'panic', 'hang'].includes(t.outcome));
      }
      const hardened = parseFirmware({ kind: 'tables', tables }, 'hardened');
      const broken = tables.filter(
        (b) => b.length >= 36 && sum8(b, 0, new DataView(b.buffer, b.byteOffset).getUint32(4, true)) !== 0,
      );
      if (broken.length > 0)
        assert.ok(
          hardened.findings.some((f) => f.claim === 'K23'),
          'a broken checksum is reported',
        );
    }),
    { numRuns: 400, seed: 16 },
  );
});

test('random bytes as tables: never a throw', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 6 }), (tables) => {
      for (const parser of PARSER_NAMES) parseFirmware({ kind: 'tables', tables }, parser);
    }),
    { numRuns: 300, seed: 16 },
  );
});

test('mutated firmware memory (RSDP, XSDT and tables in place): both parsers return', () => {
  const { image } = inMemory(tablesOf(SHAPE), SHAPE.nodes, 'uefi');
  const lo = Math.min(image.rsdpAddress, ...image.tables.map((t) => t.address));
  const hi = Math.max(image.rsdpAddress + 36, ...image.tables.map((t) => t.address + t.length));
  const edits = fc.array(fc.record({ at: fc.integer({ min: lo, max: hi }), value: fc.nat(255) }), {
    minLength: 1,
    maxLength: 8,
  });
  fc.assert(
    fc.property(edits, (list) => {
      const overlay = new Map(list.map((e) => [e.at, e.value]));
      const phys: PhysBytes = { read8: (a) => overlay.get(a) ?? image.read8(a) };
      for (const parser of PARSER_NAMES) {
        const t = parseFirmware({ kind: 'memory', phys, bootloaderRsdp: image.rsdpAddress }, parser);
        assert.ok(t.findings.length >= 0);
      }
    }),
    { numRuns: 200, seed: 16 },
  );
});

test('mutated real tables (Firecracker: MADT, FADT, MCFG): never a throw, ECAM windows always well formed', () => {
  const dir = join(import.meta.dirname, '../fixtures/acpi/firecracker-2vcpu');
  const real = loadTableFiles(dir).map((t) => t.bytes);
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
      const tables = real.map((b) => b.slice());
      for (const m of mutations) mutate(tables, m);
      for (const parser of PARSER_NAMES) parseFirmware({ kind: 'tables', tables }, parser);
      const hardened = parseFirmware({ kind: 'tables', tables }, 'hardened');
      for (const e of hardened.ecam) assert.ok(e.endBus >= e.startBus, 'a backwards bus range is dropped');
    }),
    { numRuns: 300, seed: 16 },
  );
});
