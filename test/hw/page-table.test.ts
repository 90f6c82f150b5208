// The x86-64 page-table format and walk (hw/page-table.ts, Intel SDM vol. 3A §4.5): an entry's
// two words carry the frame and flags exactly (frames past 2^20 use the high word), the walk
// reads four levels, sets accessed on the way and dirty on a written leaf, refuses a write to a
// read-only entry, reports the level where an entry is missing, and a non-canonical address.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  CANONICAL_TOP,
  PageTableStore,
  PTE_A,
  PTE_D,
  PTE_HI_NX,
  PTE_P,
  PTE_RW,
  PTE_US,
  ptIndex,
  pteFrame,
  pteHigh,
  pteLow,
  WALK_NONCANONICAL,
  WALK_NOT_PRESENT,
  WALK_PROTECTION,
} from '../../src/hw/page-table.ts';

test('page table: entry words round-trip any 40-bit frame and keep NX in bit 63', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 40 - 1 }), fc.boolean(), (frame, nx) => {
      const lo = pteLow(frame, PTE_P | PTE_RW);
      const hi = pteHigh(frame, nx);
      assert.equal(pteFrame(lo, hi), frame);
      assert.equal(lo & 0xfff, PTE_P | PTE_RW);
      assert.equal((hi & PTE_HI_NX) !== 0, nx);
    }),
  );
});

test('page table: indices of a 48-bit address, 9 bits a level above the 12-bit offset', () => {
  // 0x7f12_3456_7000 = PML4 254, PDPT 72, PD 418, PT 359 (bits 47-39, 38-30, 29-21, 20-12).
  const va = 0x7f12_3456_7000;
  assert.deepEqual(
    [3, 2, 1, 0].map((l) => ptIndex(va, l)),
    [254, 72, 418, 359],
  );
});

test('page table: a walk reads 4 levels, sets A on the way and D on a written leaf', () => {
  const pt = new PageTableStore();
  const root = pt.allocTable();
  const va = 0x4000_1000;
  pt.setPte(root, va, pteLow(77, PTE_P | PTE_RW | PTE_US), pteHigh(77, true));
  assert.equal(pt.tablePages, 4, 'PML4 + PDPT + PD + PT');
  assert.equal(pt.walk(root, va + 12, false), 77);
  assert.equal(pt.lastLevels, 4);
  assert.equal(pt.pte(root, va)[0]! & (PTE_A | PTE_D), PTE_A, 'read: accessed, not dirty');
  assert.equal(pt.walk(root, va, true), 77);
  assert.equal(pt.pte(root, va)[0]! & (PTE_A | PTE_D), PTE_A | PTE_D);
  assert.equal((pt.lastHigh & PTE_HI_NX) !== 0, true);
});

test('page table: missing entries, read-only entries and non-canonical addresses', () => {
  const pt = new PageTableStore();
  const root = pt.allocTable();
  pt.setPte(root, 0x10_000, pteLow(5, PTE_P | PTE_US), pteHigh(5, false)); // read-only
  assert.equal(pt.walk(root, 0x10_000, true), WALK_PROTECTION);
  assert.equal(pt.walk(root, 0x10_000, false), 5);
  assert.equal(pt.walk(root, 0x11_000, false), WALK_NOT_PRESENT, 'same leaf table, empty entry');
  assert.equal(pt.lastLevels, 4);
  assert.equal(pt.walk(root, 2 ** 30, false), WALK_NOT_PRESENT, 'PML4 entry 0, no PDPT entry 1');
  assert.equal(pt.lastLevels, 2);
  assert.equal(pt.walk(root, 2 ** 40, false), WALK_NOT_PRESENT, 'no PML4 entry 2');
  assert.equal(pt.lastLevels, 1);
  assert.equal(pt.walk(root, CANONICAL_TOP, false), WALK_NONCANONICAL);
  pt.setPte(root, 0x10_000, 0, 0);
  assert.equal(pt.walk(root, 0x10_000, false), WALK_NOT_PRESENT);
  pt.freeTree(root);
  assert.equal(pt.tablePages, 0);
});
