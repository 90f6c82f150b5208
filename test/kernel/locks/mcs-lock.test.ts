// The kernel's MCS lock (kernel/locks/mcs-lock.ts, SCHED-10) on the machine's CPUs: FIFO handoff
// in arrival order whatever the seed (the CAS lock's winner is drawn), and its costs exactly as
// the cost model's line figures give them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { installMcs } from '../../../src/kernel/locks/mcs-lock.ts';
import { defaultRunConfig } from '../../../src/machine/defaults.ts';
import { runConfig } from '../../../src/report/run.ts';
import {
  firstHolder,
  type LockBody,
  locker,
  type Rig,
  runLockRig,
  tryLockPair,
} from '../../support/lock-rig.ts';

/** `bodies[i]` runs as kernel code on CPU i; the lock is MCS when `mcs`. */
function run(bodies: LockBody[], seed: number, mcs = true): Rig {
  return runLockRig(bodies, seed, (l, board) => {
    if (mcs) installMcs([l], bodies.length, board.trace);
  });
}

test('MCS hands the lock over in arrival order, whatever the seed', () => {
  // CPU 0 takes it at once; 3 arrives first, then 1, then 2 (all while 0 holds it).
  const delays = [0, 300, 400, 200];
  for (const seed of [1, 2, 3, 12345]) {
    const order: number[] = [];
    const at: number[] = [];
    const { l } = run(
      delays.map((d, cpu) => locker(d, 2_000, order, at)(cpu)),
      seed,
    );
    assert.deepEqual(order, [0, 3, 1, 2], `seed ${seed}`);
    assert.equal(l.acquisitions, 4);
    assert.equal(l.contended, 3);
    assert.equal(l.holder, -1);
  }
});

test('the CAS lock draws its winner: some seed breaks arrival order (why MCS is the FIFO one)', () => {
  const delays = [0, 300, 400, 200];
  const orders = new Set<string>();
  for (let seed = 1; seed <= 12; seed++) {
    const order: number[] = [];
    run(
      delays.map((d, cpu) => locker(d, 2_000, order, [])(cpu)),
      seed,
      false,
    );
    orders.add(order.join(','));
  }
  assert.ok(orders.size > 1, `orders seen: ${[...orders].join(' | ')}`);
});

test('costs: uncontended acquire is 3 atomics, release 2; a handoff moves lines three times', () => {
  const order: number[] = [];
  const at: number[] = [];
  const holdNs = 1_000;
  const timing = { atNs: -1, releasedNs: -1 };
  const first = firstHolder(holdNs, timing);
  const rig = run([first, locker(100, 0, order, at)(1)], 1);
  const a = rig.costs.atomicNs;
  const x = rig.board.topology.samePackage(0, 1) ? rig.costs.cacheLineNs : rig.costs.cacheLineRemoteNs;
  // Fresh lines: clear locked, clear next, xchg the tail, each a local atomic.
  assert.equal(timing.atNs, 3 * a);
  // Release: load own next (CPU 1 wrote it: a transfer), store-release its locked (a transfer);
  // CPU 1 then reads its locked line back from CPU 0 (a transfer).
  assert.equal(timing.releasedNs, 3 * a + holdNs + 2 * (a + x));
  assert.equal(at[1], 3 * a + holdNs + 3 * (a + x));
  assert.equal(rig.l.contended, 1);
});

test('a try-lock takes a free MCS lock and fails on a held one without waiting', () => {
  const results: boolean[] = [];
  const rig = run(tryLockPair(results), 1);
  assert.deepEqual(results, [false, true]);
  assert.equal(rig.l.acquisitions, 2);
  assert.equal(rig.l.holder, -1);
});

test('a whole machine on MCS locks keeps the kernel invariants and the lock order (futexhash, 4 CPUs)', () => {
  const config = defaultRunConfig('fair', 4);
  config.kernel.locks = 'mcs';
  config.workloads = [{ kind: 'futexhash', threads: 8, futexes: 4, ops: 100 }];
  const report = runConfig(config, { checkInvariants: true });
  assert.equal(report.passed, true);
  assert.equal(report.failure, null);
  const tas = runConfig({ ...config, kernel: { ...config.kernel, locks: 'tas' } });
  assert.notEqual(report.trace_hash, tas.trace_hash, 'the MCS code ran');
  assert.equal(report.metrics['futex.eagain'], 8 * 100, 'every op a FUTEX_WAIT refused with EAGAIN');
  assert.equal(tas.metrics['futex.eagain'], 8 * 100);
});
