// Kernel spinlocks as explored objects (src/explore/kernel-locks.ts): `lock(l)` on a real
// SpinLock runs the kernel's MCS code on the explorer's words, so an ABBA order is a deadlock
// whose wait-for graph names each CPU's own MCS node, and the kernel's lockPair order is not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explore } from '../../src/explore/explore.ts';
import { ExploredLocks, KERNEL_LOCK_BASE } from '../../src/explore/kernel-locks.ts';
import { findModel } from '../../src/explore/registry.ts';
import type { XProgram } from '../../src/explore/model.ts';
import { XThread } from '../../src/explore/xthread.ts';
import { lock, unlock } from '../../src/hw/effects.ts';
import { SpinLock } from '../../src/hw/spinlock.ts';

const run = (name: string) =>
  explore({
    model: findModel(name)!,
    cpus: 2,
    memory: 'pso',
    strategy: 'dpor',
    depth: 3,
    budget: 10_000,
    seed: 1,
    preemptionBound: -1,
    shrink: false,
  });

test('ABBA on two futex shards: both CPUs spin on their own MCS node for the lock the other holds', () => {
  const r = run('lock-pair-abba');
  assert.equal(r.found, true);
  assert.equal(r.violation!.kind, 'deadlock');
  assert.match(
    r.violation!.message,
    /CPU0 -> await \(futex-shard1\.node1\.locked=0\); CPU1 -> await \(futex-shard0\.node2\.locked=0\)/,
  );
});

test("the kernel's lockPair (lower shard first) never deadlocks, under PSO, exhaustively", () => {
  const r = run('lock-pair');
  assert.equal(r.found, false, r.violation?.message);
  assert.equal(r.exhaustive, true);
});

test('a lock the model did not declare is refused by name; declared ones get fixed addresses', () => {
  const a = new SpinLock('a');
  const locks = new ExploredLocks([a, new SpinLock('b')], 2);
  assert.equal(locks.names.get(KERNEL_LOCK_BASE), 'a.tail');
  assert.equal(locks.names.get(KERNEL_LOCK_BASE + 0x200), 'b.tail');
  const t = new XThread(0, 'CPU0', { read: () => 0, write: () => {} }, {});
  assert.throws(
    () => locks.code(t, lock(new SpinLock('stray'))),
    /kernel lock stray is not in the model's spinlocks/,
  );
});

test('the SpinLock invariants are checked at the step: an unlock by a CPU that does not hold the lock fails there', () => {
  const l = new SpinLock('L');
  const m = {
    ...findModel('lock-pair')!,
    name: 'unlock-by-other',
    build: () => ({
      threads: [
        { name: 'CPU0', run: (t: XThread) => locksOnly(t, l, true) },
        { name: 'CPU1', run: (t: XThread) => locksOnly(t, l, false) },
      ],
      spinlocks: [l],
    }),
  };
  const r = explore({
    model: m,
    cpus: 2,
    memory: 'sc',
    strategy: 'dpor',
    depth: 3,
    budget: 100,
    seed: 1,
    preemptionBound: -1,
    shrink: false,
  });
  assert.equal(r.found, true);
  assert.match(r.violation!.message, /kernel invariant: CPU1 unlocks L, held by (nobody|CPU0)/);
});

/** CPU0 takes the lock and keeps it; CPU1 unlocks it (a kernel bug). */
function* locksOnly(_t: XThread, l: SpinLock, take: boolean): XProgram<void> {
  yield take ? lock(l) : unlock(l);
}
