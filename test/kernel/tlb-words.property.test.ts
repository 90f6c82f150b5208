// The shootdown words' layout and request handles (kernel/tlb/words.ts, issue 17): every word of
// a machine of n CPUs has its own address (mailbox, served count, queue head, each csd's flags
// and link, spare csds included, the generation), and a finished Red Bear request stays
// readable exactly while some mailbox may still hold it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TlbLayout, TlbRequests } from '../../src/kernel/tlb/words.ts';
import type { AddressSpace } from '../../src/kernel/vm.ts';

test('every shootdown word of n CPUs has an address of its own, 4-byte aligned', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 1 << 20 }), (n, base4) => {
      const l = new TlbLayout(n, base4 * 4);
      const addrs: number[] = [l.generation()];
      for (let c = 0; c < n; c++) addrs.push(l.mailbox(c), l.served(c), l.queue(c));
      for (let i = 0; i < n; i++)
        for (let c = 0; c < n; c++) addrs.push(l.csdFlags(l.csd(i, c)), l.csdNext(l.csd(i, c)));
      for (let spare = n * n + 1; spare < n * n + 4; spare++) addrs.push(l.csdFlags(spare), l.csdNext(spare));
      assert.equal(new Set(addrs).size, addrs.length);
      for (const a of addrs) assert.equal(a % 4, 0);
      // Handles are never 0 (0 is an empty mailbox or queue).
      for (let i = 0; i < n; i++) for (let c = 0; c < n; c++) assert.ok(l.csd(i, c) >= 1);
    }),
  );
});

test('a finished request is dropped once no mailbox holds it, and never before', () => {
  const req = { initiator: 0, space: {} as AddressSpace, vpn: 1, pages: 1, gen: 0, pending: 0 };
  fc.assert(
    fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 20 }), (heldAfter) => {
      const r = new TlbRequests();
      const handles = heldAfter.map(() => r.add(req));
      const held = new Set(handles.filter((_, i) => heldAfter[i]));
      for (const h of handles) r.finish(h, (x) => held.has(x));
      for (const h of handles) {
        if (held.has(h)) assert.equal(r.get(h), req);
        else assert.throws(() => r.get(h), /which was dropped/);
      }
      held.clear();
      r.finish(r.add(req), () => false);
      assert.equal(r.size, 0, 'the last finish drops every request no mailbox holds');
    }),
  );
  const kept = new TlbRequests(true);
  const h = kept.add(req);
  kept.finish(h, () => false);
  assert.equal(kept.get(h), req, 'under the explorer nothing is dropped');
});
