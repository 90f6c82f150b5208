// Priority donation over the lock graph (kernel/locks/donation.ts, SCHED-10, models-2.md §13.4):
// transitive to donation_max_depth (4), re-walked when a higher waiter arrives, de-boosted on
// release to the best remaining waiter, a cycle found whatever its length; and the baseline's
// one-level, write-once donation. A property test holds the chain mode's boosts to their
// definition on random acyclic graphs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  Donation,
  DonationLock,
  type DonationTask,
  effectiveOf,
  NO_BOOST,
} from '../../../src/kernel/locks/donation.ts';

function task(id: number, prio: number): DonationTask {
  return { id, basePrio: () => prio, lockBoost: NO_BOOST, lockWaiting: null };
}

/** holders[i] holds locks[i] and (i > 0) waits for locks[i - 1]. */
function chain(d: Donation, n: number, prio = 120) {
  const locks = Array.from({ length: n }, (_, i) => new DonationLock(`L${i}`));
  const holders = Array.from({ length: n }, (_, i) => task(i, prio));
  for (let i = 0; i < n; i++) d.acquired(locks[i]!, holders[i]!);
  for (let i = 1; i < n; i++) d.waits(locks[i - 1]!, holders[i]!);
  return { locks, holders };
}

test('chain: a waiter boosts holders transitively, up to donation_max_depth (4) and no further', () => {
  const d = new Donation('chain', 4);
  const { locks, holders } = chain(d, 6);
  // The chain: holders[5] waits for L4 held by holders[4] ... holders[1] waits for L0.
  const w = task(100, 10);
  const r = d.waits(locks[5]!, w);
  assert.equal(r.cycle, false);
  assert.equal(r.depth, 6);
  assert.deepEqual(
    holders.map((h) => h.lockBoost),
    [120, 120, 10, 10, 10, 10].map((p, i) => (i >= 2 ? p : NO_BOOST)),
  );
  assert.deepEqual(
    r.changed.map((h) => h.id),
    [5, 4, 3, 2],
  );
  const deep = new Donation('chain', 8);
  const c = chain(deep, 6);
  deep.waits(c.locks[5]!, task(100, 10));
  assert.ok(
    c.holders.every((h) => h.lockBoost === 10),
    'depth 8 reaches all six',
  );
});

test('chain re-walks on a higher waiter; one-level writes once', () => {
  for (const mode of ['chain', 'one-level'] as const) {
    const d = new Donation(mode);
    const l = new DonationLock('L');
    const h = task(1, 120);
    d.acquired(l, h);
    d.waits(l, task(2, 50));
    assert.equal(h.lockBoost, 50, mode);
    d.waits(l, task(3, 10));
    assert.equal(h.lockBoost, mode === 'chain' ? 10 : 50, mode);
  }
});

test('one-level does not pass a boost down the chain', () => {
  const d = new Donation('one-level');
  const { locks, holders } = chain(d, 3);
  d.waits(locks[2]!, task(100, 10));
  assert.deepEqual(
    holders.map((h) => h.lockBoost),
    [NO_BOOST, NO_BOOST, 10],
  );
});

test('release de-boosts to the best remaining waiter (chain) or drops the boost (one-level)', () => {
  for (const mode of ['chain', 'one-level'] as const) {
    const d = new Donation(mode);
    const l1 = new DonationLock('L1');
    const l2 = new DonationLock('L2');
    const h = task(1, 120);
    d.acquired(l1, h);
    d.acquired(l2, h);
    const w = task(2, 10);
    const v = task(3, 30);
    d.waits(l1, w);
    d.waits(l2, v);
    assert.equal(h.lockBoost, 10, mode);
    assert.deepEqual(
      d.released(l1, h).map((t) => t.id),
      [1],
    );
    assert.equal(h.lockBoost, mode === 'chain' ? 30 : NO_BOOST, mode);
    d.acquired(l1, w); // the handoff: w holds it, no waiters left there
    assert.equal(effectiveOf(w), 10);
    d.released(l2, h);
    assert.equal(h.lockBoost, NO_BOOST, mode);
  }
});

test('a cycle is detected whatever its length, the depth limit notwithstanding', () => {
  for (const n of [2, 4, 9]) {
    const d = new Donation('chain', 4);
    const { locks, holders } = chain(d, n);
    // holders[0] closes the loop: it waits for the last lock, held by holders[n - 1].
    const r = d.waits(locks[n - 1]!, holders[0]!);
    assert.equal(r.cycle, true, `cycle of ${n}`);
    assert.equal(r.depth, n);
  }
  const one = new Donation('one-level');
  const c = chain(one, 2);
  assert.equal(one.waits(c.locks[1]!, c.holders[0]!).cycle, false, 'the baseline has no cycle check');
});

test('property: chain boosts equal the best effective waiter of the held locks (acyclic graphs)', () => {
  const op = fc.record({ task: fc.nat(7), lock: fc.nat(4), release: fc.boolean() });
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 139 }), { minLength: 8, maxLength: 8 }),
      fc.array(op, { maxLength: 60 }),
      (prios, ops) => {
        const d = new Donation('chain', 64);
        const tasks = prios.map((p, i) => task(i, p));
        const locks = Array.from({ length: 5 }, (_, i) => new DonationLock(`L${i}`));
        const held = new Map<DonationTask, DonationLock[]>(tasks.map((t) => [t, []]));
        for (const o of ops) {
          const t = tasks[o.task]!;
          const l = locks[o.lock]!;
          if (t.lockWaiting !== null) continue; // blocked: it does nothing
          if (o.release) {
            if (l.holder !== t) continue;
            d.released(l, t);
            held.get(t)!.splice(held.get(t)!.indexOf(l), 1);
            const next = l.waiters[0];
            if (next !== undefined) {
              d.acquired(l, next);
              held.get(next)!.push(l);
            }
          } else if (l.holder === null) {
            d.acquired(l, t);
            held.get(t)!.push(l);
          } else if (l.holder.id < t.id) {
            d.waits(l, t); // waits only on lower ids' locks: no cycle
          }
        }
        for (const t of tasks) {
          let best = NO_BOOST;
          for (const l of held.get(t)!) for (const w of l.waiters) best = Math.min(best, effectiveOf(w));
          assert.equal(t.lockBoost, best < t.basePrio() ? best : NO_BOOST, `task ${t.id}`);
        }
      },
    ),
    { numRuns: 300, seed: 17 },
  );
});
