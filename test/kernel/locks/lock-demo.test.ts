// [kernel] lock_demo (kernel/locks/lock-demo.ts, SCHED-10): with one lock between high and low,
// the baseline's one-level donation is enough (it boosts low directly); what it lacks is
// transitivity, which the seed sched-mcs-donation shows with two. Bounds from the model: the
// rest of low's 2 ms hold (1,950 us after its first 50 us chunk) plus at most one 50 us hog
// chunk; without a boost, the 10 ms hog less the 200 us before high arrives.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DonationMode } from '../../../src/kernel/locks/donation.ts';
import { defaultRunConfig } from '../../../src/machine/defaults.ts';
import { runConfig } from '../../../src/report/run.ts';

function highWaitNs(chain: 1 | 2, mode: DonationMode): number {
  const config = defaultRunConfig('fair', 4);
  config.machine.tick = { source: 'lapic', hz: 1000 };
  config.kernel.locks = 'mcs';
  config.kernel.donation = { mode, maxDepth: 4 };
  config.kernel.lockDemo = { chain, holdUs: 2000, hogMs: 10, highAfterUs: 200 };
  config.workloads = [{ kind: 'spin', threads: 1, iterations: 20, cycles: 3_000_000 }];
  const report = runConfig(config, { checkInvariants: true });
  assert.equal(report.passed, true);
  assert.equal(report.metrics['kernel.lock_demo_high_locked'], 1);
  return report.metrics['kernel.lock_demo_high_wait_ns']!;
}

test('one lock deep: one-level and chain donation both bound the wait to the rest of the hold', () => {
  for (const mode of ['one-level', 'chain'] as const) {
    const ns = highWaitNs(1, mode);
    assert.ok(ns >= 1_950_000 && ns <= 2_100_000, `${mode}: ${ns}`);
  }
});

test('two locks deep: one-level leaves high behind the hog, chain does not', () => {
  assert.ok(highWaitNs(2, 'one-level') >= 9_800_000);
  const ns = highWaitNs(2, 'chain');
  assert.ok(ns >= 1_950_000 && ns <= 2_100_000, `chain: ${ns}`);
});
