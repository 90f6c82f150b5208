// Generation-checked thread references (RING-3) against a model: every reference ever handed out
// resolves exactly while its thread lives, never after its slot is reused; exit codes stay
// findable by the old reference (or, for the endpoints' table, nothing kept once released).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type ThreadRef, ThreadRefTable } from '../../../src/kernel/capring/thread-ref.ts';

type Step = { kind: 'spawn' } | { kind: 'exit'; pick: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('spawn' as const) }),
  fc.record({ kind: fc.constant('exit' as const), pick: fc.nat(1000) }),
);

test('thread refs: a reference resolves exactly while its thread lives, whatever reuses its slot', () => {
  fc.assert(
    fc.property(
      fc.array(step, { maxLength: 200 }),
      fc.integer({ min: 1, max: 6 }),
      fc.boolean(),
      (steps, capacity, keep) => {
        // keep false: the endpoints' table (endpoint.ts), which forgets exit codes and keeps nothing.
        const table = new ThreadRefTable<number>(capacity, keep);
        const issued: { ref: ThreadRef; id: number; live: boolean; code: number }[] = [];
        let nextId = 0;
        for (const s of steps) {
          if (s.kind === 'spawn') {
            const id = nextId++;
            const ref = table.allocate(id);
            const live = issued.filter((r) => r.live);
            if (live.length >= capacity) {
              assert.equal(ref, null);
              continue;
            }
            assert.notEqual(ref, null);
            // The lowest free slot, with a generation above every earlier one of that slot.
            const used = new Set(live.map((r) => r.ref.slot));
            let lowest = 0;
            while (used.has(lowest)) lowest++;
            assert.equal(ref!.slot, lowest);
            for (const old of issued)
              if (old.ref.slot === ref!.slot) assert.ok(old.ref.generation < ref!.generation);
            issued.push({ ref: ref!, id, live: true, code: -1 });
          } else {
            const live = issued.filter((r) => r.live);
            if (live.length === 0) continue;
            const victim = live[s.pick % live.length]!;
            victim.live = false;
            victim.code = s.pick;
            table.release(victim.ref, s.pick);
          }
          for (const r of issued) {
            assert.equal(table.resolve(r.ref), r.live ? r.id : null);
            assert.equal(table.exitCode(r.ref), r.live || !keep ? undefined : r.code);
          }
          assert.equal(table.liveCount, issued.filter((r) => r.live).length);
          assert.equal(table.exitCodesKept, keep ? issued.filter((r) => !r.live).length : 0); // no leak
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('thread refs: releasing a stale reference is a kernel bug', () => {
  const table = new ThreadRefTable<string>(2);
  const a = table.allocate('a')!;
  table.release(a, 0);
  const b = table.allocate('b')!;
  assert.deepEqual(b, { slot: 0, generation: 2 });
  assert.throws(() => table.release(a, 0), /stale thread reference 0:1/);
});
