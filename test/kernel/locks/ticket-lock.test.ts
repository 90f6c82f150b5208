// The kernel's ticket lock (kernel/locks/ticket-lock.ts, `[kernel] locks = "ticket"`, SCHED-10)
// on the machine's CPUs: FIFO handover in ticket order whatever the seed, its costs exactly as
// the cost model's line figures give them (both words on one line), a try-lock, and a whole
// machine on ticket locks keeping the kernel invariants and the lock order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { installTicket } from '../../../src/kernel/locks/ticket-lock.ts';
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

/** `bodies[i]` runs as kernel code on CPU i, the lock a ticket lock. */
function run(bodies: LockBody[], seed: number): Rig {
  return runLockRig(bodies, seed, (l) => installTicket([l]));
}

test('the ticket lock hands over in ticket (arrival) order, whatever the seed', () => {
  const delays = [0, 300, 400, 200];
  for (const seed of [1, 2, 3, 12345]) {
    const order: number[] = [];
    const { l } = run(
      delays.map((d, cpu) => locker(d, 2_000, order, [])(cpu)),
      seed,
    );
    assert.deepEqual(order, [0, 3, 1, 2], `seed ${seed}`);
    assert.equal(l.acquisitions, 4);
    assert.equal(l.contended, 3);
    assert.equal(l.holder, -1);
  }
});

test('costs: uncontended acquire is 2 atomics on one line; a handover moves it twice', () => {
  const at: number[] = [];
  const holdNs = 1_000;
  const timing = { atNs: -1, releasedNs: -1 };
  const first = firstHolder(holdNs, timing);
  const rig = run([first, locker(100, 0, [], at)(1)], 1);
  const a = rig.costs.atomicNs;
  const x = rig.board.topology.samePackage(0, 1) ? rig.costs.cacheLineNs : rig.costs.cacheLineRemoteNs;
  // A fresh line: the xadd of `next` and the load of `owner`, local atomics.
  assert.equal(timing.atNs, 2 * a);
  // CPU 1 took a ticket meanwhile (the line went to it): the release's load of `owner` brings it
  // back (a transfer), the store-release is local; CPU 1's spin reads the line back (a transfer).
  assert.equal(timing.releasedNs, 2 * a + holdNs + (a + x) + a);
  assert.equal(at[1], timing.releasedNs + a + x);
  assert.equal(rig.l.contended, 1);
});

test('a try-lock takes a free ticket lock and fails on a held one without waiting', () => {
  const results: boolean[] = [];
  const rig = run(tryLockPair(results), 1);
  assert.deepEqual(results, [false, true]);
  assert.equal(rig.l.acquisitions, 2);
  assert.equal(rig.l.holder, -1);
});

test('a whole machine on ticket locks keeps the kernel invariants and the lock order (futexhash, 4 CPUs)', () => {
  const config = defaultRunConfig('fair', 4);
  config.kernel.locks = 'ticket';
  config.workloads = [{ kind: 'futexhash', threads: 8, futexes: 4, ops: 100 }];
  const report = runConfig(config, { checkInvariants: true });
  assert.equal(report.passed, true);
  assert.equal(report.failure, null);
  const tas = runConfig({ ...config, kernel: { ...config.kernel, locks: 'tas' } });
  const mcs = runConfig({ ...config, kernel: { ...config.kernel, locks: 'mcs' } });
  assert.notEqual(report.trace_hash, tas.trace_hash, 'the ticket code ran');
  assert.notEqual(report.trace_hash, mcs.trace_hash);
  assert.equal(report.metrics['futex.eagain'], 8 * 100, 'every op a FUTEX_WAIT refused with EAGAIN');
});
