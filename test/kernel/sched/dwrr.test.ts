// The baseline DWRR scheduler (SCHED-1, models.md §1.3): its weight table, and the quirks of its
// selection measured as CPU time of CPU-bound threads on one CPU.
//
// How the scan behaves (dwrr.ts `#scan`): it walks the 40 queues from last_queue + 1; a
// non-empty queue whose balance is below 1024 is credited its weight and the scan moves on; a
// queue with balance >= 1024 gives up its first thread and pays 1024. The running thread is not
// in any queue during the scan (it is pushed back after), and the scan continues, wrapping
// around, until something is picked. Every pick runs a full 3-tick quantum (12.19 ms).
//
// Windows are 2 s of simulated time, about 164 quanta: one quantum is 0.6% of a window, which
// is the resolution of every share below.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DWRR_QUANTUM_TICKS } from '../../../src/kernel/sched/dwrr.ts';
import { NICE_0_WEIGHT, PRIO_TO_WEIGHT } from '../../../src/kernel/sched/weights.ts';
import { pitPeriodNs, PIT_DIVISOR_REDOX } from '../../../src/hw/timer.ts';
import { fractions, measureShares } from '../../support/shares.ts';

const WINDOW = { windowStartNs: 100_000_000, windowEndNs: 2_100_000_000 };

function dwrrShares(prios: number[]): { shares: number[]; switches: number } {
  const r = measureShares({ policy: 'dwrr', prios, ...WINDOW });
  return { shares: fractions(r.cpuNs), switches: r.switchesInWindow };
}

function assertNear(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual.toFixed(4)} not within ${tolerance} of ${expected.toFixed(4)}`,
  );
}

test('the weight table is Linux sched_prio_to_weight: 88761 at prio 0, 1024 at 20, 15 at 39', () => {
  assert.equal(PRIO_TO_WEIGHT.length, 40);
  assert.equal(PRIO_TO_WEIGHT[0], 88761);
  assert.equal(PRIO_TO_WEIGHT[20], 1024);
  assert.equal(PRIO_TO_WEIGHT[20], NICE_0_WEIGHT);
  assert.equal(PRIO_TO_WEIGHT[39], 15);
});

test('adjacent priority levels differ by a factor of about 1.25', () => {
  for (let p = 1; p < 40; p++) {
    const ratio = PRIO_TO_WEIGHT[p - 1]! / PRIO_TO_WEIGHT[p]!;
    // 1.25 with the table's integer rounding: 18/15 = 1.2 and 23/18 = 1.278 at the small end.
    assert.ok(ratio >= 1.19 && ratio <= 1.28, `prio ${p - 1}/${p}: ratio ${ratio}`);
  }
  const geometric = (PRIO_TO_WEIGHT[0]! / PRIO_TO_WEIGHT[39]!) ** (1 / 39);
  assertNear(geometric, 1.25, 0.005, 'mean ratio per level');
});

test('every pick runs a full 3-tick quantum whatever the priorities', () => {
  const quantumNs = DWRR_QUANTUM_TICKS * pitPeriodNs(PIT_DIVISOR_REDOX); // 12,186,741 ns
  const windowNs = WINDOW.windowEndNs - WINDOW.windowStartNs;
  for (const prios of [
    [10, 20],
    [0, 0, 39],
  ]) {
    const { switches } = dwrrShares(prios);
    // 2 s / 12.19 ms = 164.1 quanta; the window's two ends may cut one quantum each.
    assert.ok(Math.abs(switches - windowNs / quantumNs) <= 1.5, `${prios}: ${switches} switches`);
  }
});

test('two threads at prio 10 and prio 20 on one CPU get equal shares', () => {
  // Weighted fairness would give 9548:1024 (90%:10%). DWRR gives 50:50 within a quantum: the
  // running thread is out of the queues during the scan, so each scan finds the other thread
  // (a throttled queue is only credited on the way round and picked on a later lap).
  const { shares } = dwrrShares([10, 20]);
  assertNear(shares[0]!, 0.5, 0.006, 'prio 10');
  assertNear(shares[1]!, 0.5, 0.006, 'prio 20');
});

/**
 * Against a queue that always picks (two prio-0 threads: 88761 of credit lasts 86 picks), a lone
 * thread of weight w is visited once per scan that starts after a prio-0 pick, and picked on
 * one visit in (w + 1024) / w (the other visits only credit it). After its own pick, the next
 * scan starts past it and picks prio 0 without visiting it. Per pick of the lone thread there are
 * therefore 1 + 1024 / w prio-0 picks, and its CPU share is w / (2w + 1024).
 */
function loneShare(prio: number): number {
  const w = PRIO_TO_WEIGHT[prio]!;
  return w / (2 * w + 1024);
}

test('a thread of weight 1024 (prio 20) gets the same share as threads of weight 88761 (prio 0)', () => {
  const { shares } = dwrrShares([0, 0, 20]);
  assert.equal(loneShare(20), 1 / 3);
  // Tolerance 0.01: the prio-0 queue's own credit visit every ~87 picks perturbs the pattern
  // by about one pick in 87 (1.1%), plus the 0.6% quantum resolution.
  for (const [i, share] of shares.entries()) assertNear(share, 1 / 3, 0.01, `thread ${i}`);
});

test('a prio-25 queue is picked on one visit in (1024 + 335) / 335 = 4.06, so it gets 19.8% against prio 0', () => {
  // models.md §1.3 says "about every 3rd visit" (⌈1024/w⌉ = 4 credits would be needed from
  // zero); the code carries the remainder, so it averages 3.06 credit visits per pick.
  const { shares } = dwrrShares([0, 0, 25]);
  assertNear(loneShare(25), 0.1978, 0.0001, 'derived share');
  assertNear(shares[2]!, loneShare(25), 0.01, 'prio 25');
  // A weighted scheduler would give it 335 / (2 · 88761 + 335) = 0.19%.
});

test('a prio-39 queue is picked on one visit in 69 and gets about 1.4% against prio 0', () => {
  const { shares } = dwrrShares([0, 0, 39]);
  assertNear(loneShare(39), 0.0142, 0.0001, 'derived share');
  // About 2.3 picks in the window: it can only be off by the quantum resolution, 0.6%.
  assertNear(shares[2]!, loneShare(39), 0.0065, 'prio 39');
  assert.ok(shares[2]! > 0, 'it is throttled, not starved');
});

test('shares are per queue: two threads at prio 20 together get what one thread at prio 19 gets', () => {
  // Weighted per thread this would be 1277 : 1024 : 1024 (38% : 31% : 31%). DWRR alternates the
  // two queues and the prio-20 threads split their queue's turns: 50% : 25% : 25%.
  const { shares } = dwrrShares([19, 20, 20]);
  assertNear(shares[0]!, shares[1]! + shares[2]!, 0.012, 'prio 19 vs both prio 20');
  assertNear(shares[0]!, 0.5, 0.006, 'prio 19');
  assertNear(shares[1]!, 0.25, 0.006, 'first prio 20');
  assertNear(shares[2]!, 0.25, 0.006, 'second prio 20');
});
