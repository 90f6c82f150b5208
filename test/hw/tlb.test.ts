// One CPU's TLB (hw/tlb.ts): hits and misses counted, LRU within a set, the second level
// refilling the first, PCID tags kept apart, INVLPG dropping one page of one PCID (and global
// entries), CR3 writes dropping non-global entries only, a write through a clean or read-only
// entry sent back to the walk. Small sizes make the sets observable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { PTE_D, PTE_G, PTE_P, PTE_RW, PTE_US } from '../../src/hw/page-table.ts';
import { Tlb, TLB_DEFAULTS } from '../../src/hw/tlb.ts';

const RW = PTE_P | PTE_RW | PTE_US | PTE_D;
const RO = PTE_P | PTE_US;

test('tlb: the defaults are Skylake data TLB and STLB sizes', () => {
  assert.deepEqual(TLB_DEFAULTS, { l1Entries: 64, l1Ways: 4, l2Entries: 1536, l2Ways: 12 });
});

test('tlb: a fill is a miss, then hits; an unknown page or another PCID misses', () => {
  const tlb = new Tlb();
  assert.equal(tlb.lookup(5, 1, false), -1);
  tlb.fill(5, 1, 900, RW);
  assert.equal(tlb.lookup(5, 1, false), 900);
  assert.equal(tlb.lookup(5, 1, true), 900);
  assert.equal(tlb.lookup(5, 2, false), -1, 'another address space');
  assert.equal(tlb.lookup(6, 1, false), -1);
  assert.deepEqual([tlb.hits, tlb.misses], [2, 1]);
});

test('tlb: a write through a read-only or clean entry goes back to the walk', () => {
  const tlb = new Tlb();
  tlb.fill(1, 0, 10, RO);
  tlb.fill(2, 0, 20, PTE_P | PTE_RW | PTE_US); // writable, not yet dirty
  assert.equal(tlb.lookup(1, 0, true), -1);
  assert.equal(tlb.lookup(2, 0, true), -1);
  assert.equal(tlb.lookup(2, 0, false), 20);
});

test('tlb: LRU in a 2-way set of the first level; the second level refills it', () => {
  // L1: 2 sets of 2 ways; L2: 1 set of 4 ways. Pages 0, 2, 4 share L1 set 0.
  const tlb = new Tlb({ l1Entries: 4, l1Ways: 2, l2Entries: 4, l2Ways: 4 });
  tlb.fill(0, 0, 100, RW);
  tlb.fill(2, 0, 102, RW);
  assert.equal(tlb.lookup(0, 0, false), 100); // 0 is now more recent than 2
  tlb.fill(4, 0, 104, RW); // evicts 2 from L1 (LRU), L2 keeps all three
  const l1Pages = () =>
    tlb
      .entries()
      .filter((e) => e.level === 1)
      .map((e) => e.vpn);
  assert.deepEqual(l1Pages().sort(), [0, 4]);
  assert.equal(tlb.lookup(2, 0, false), 102, 'an L2 hit');
  assert.deepEqual(l1Pages().sort(), [2, 4], 'copied into L1 over the LRU entry (0)');
  tlb.fill(6, 0, 106, RW);
  tlb.fill(8, 0, 108, RW); // L2 full at 4: evicts its LRU, page 0
  assert.equal(tlb.entries().filter((e) => e.vpn === 0).length, 0);
});

test('tlb: INVLPG drops one page of one PCID and the global entry of that page', () => {
  const tlb = new Tlb();
  tlb.fill(7, 1, 70, RW);
  tlb.fill(7, 2, 71, RW);
  tlb.fill(8, 1, 80, RW);
  tlb.fill(9, 3, 90, RW | PTE_G);
  assert.equal(tlb.invlpg(7, 1), 2, 'L1 and L2 copies');
  assert.equal(tlb.lookup(7, 1, false), -1);
  assert.equal(tlb.lookup(7, 2, false), 71);
  assert.equal(tlb.lookup(8, 1, false), 80);
  assert.equal(tlb.lookup(9, 1, false), 90, 'a global entry matches any PCID');
  assert.equal(tlb.invlpg(9, 1), 2);
  assert.equal(tlb.lookup(9, 3, false), -1);
});

test('tlb: CR3 writes keep global entries; flushAll drops them too', () => {
  const tlb = new Tlb();
  tlb.fill(1, 1, 10, RW);
  tlb.fill(2, 2, 20, RW);
  tlb.fill(3, 1, 30, RW | PTE_G);
  assert.equal(tlb.flushPcid(1), 2, 'page 1 in both levels');
  assert.equal(tlb.lookup(2, 2, false), 20);
  assert.equal(tlb.flushNonGlobal(), 2);
  assert.equal(tlb.lookup(3, 1, false), 30);
  assert.equal(tlb.flushAll(), 2);
  assert.deepEqual(tlb.entries(), []);
});

test('tlb: against a model map, the TLB never answers a frame it was not given last', () => {
  // Property: whatever the fills and flushes, a hit returns the last frame filled for that
  // (page, PCID) since the last flush that covered it; entries are never duplicated.
  const op = fc.oneof(
    fc.record({ k: fc.constant('fill'), vpn: fc.nat(40), pcid: fc.nat(2), frame: fc.nat(1000) }),
    fc.record({ k: fc.constant('look'), vpn: fc.nat(40), pcid: fc.nat(2) }),
    fc.record({ k: fc.constant('invlpg'), vpn: fc.nat(40), pcid: fc.nat(2) }),
    fc.record({ k: fc.constant('cr3') }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
      const tlb = new Tlb({ l1Entries: 8, l1Ways: 2, l2Entries: 16, l2Ways: 4 });
      const model = new Map<string, number>();
      for (const o of ops) {
        if (o.k === 'cr3') {
          tlb.flushNonGlobal();
          model.clear();
          continue;
        }
        const key = `${o.vpn}/${o.pcid}`;
        if (o.k === 'fill') {
          tlb.fill(o.vpn, o.pcid, o.frame, RW);
          model.set(key, o.frame);
        } else if (o.k === 'invlpg') {
          tlb.invlpg(o.vpn, o.pcid);
          model.delete(key);
        } else {
          const got = tlb.lookup(o.vpn, o.pcid, false);
          if (got >= 0) assert.equal(got, model.get(key));
        }
      }
      const seen = new Set<string>();
      for (const e of tlb.entries()) {
        const key = `${e.level}:${e.vpn}/${e.pcid}`;
        assert.ok(!seen.has(key), `duplicate ${key}`);
        seen.add(key);
      }
    }),
  );
});
