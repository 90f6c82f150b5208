// The `fair` scheduler (SCHED-2, SCHED-3): weighted vruntime shares, placement of new threads on
// the least-loaded CPU, idle stealing, and where a new context starts in virtual time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../../src/abi/effects.ts';
import type { Guest } from '../../../src/abi/guest.ts';
import type { FairEntity } from '../../../src/kernel/sched/fair/index.ts';
import { PRIO_TO_WEIGHT } from '../../../src/kernel/sched/weights.ts';
import { pthread_create, pthread_join, type pthread_t } from '../../../src/libc/pthread.ts';
import { defaultRunConfig, primesWorkload } from '../../../src/machine/defaults.ts';
import { runConfig } from '../../../src/report/run.ts';
import { atTime, bootGuest } from '../../support/guest.ts';
import { fractions, measureShares } from '../../support/shares.ts';

const WINDOW = { windowStartNs: 100_000_000, windowEndNs: 1_100_000_000 };

/** Jain's fairness index: 1 when all equal, 1/n when one takes everything. */
function jain(values: readonly number[]): number {
  const sum = values.reduce((s, v) => s + v, 0);
  const squares = values.reduce((s, v) => s + v * v, 0);
  return (sum * sum) / (values.length * squares);
}

test('on one CPU, threads at nice -5, 0 and +5 get CPU in proportion 3121:1024:335 within 3%', () => {
  const prios = [15, 20, 25];
  const r = measureShares({ policy: 'fair', prios, ...WINDOW });
  const shares = fractions(r.cpuNs);
  const weights = prios.map((p) => PRIO_TO_WEIGHT[p]!);
  assert.deepEqual(weights, [3121, 1024, 335]);
  const expected = fractions(weights); // 0.6967, 0.2286, 0.0748
  shares.forEach((share, i) => {
    const error = Math.abs(share / expected[i]! - 1);
    assert.ok(error < 0.03, `prio ${prios[i]}: share ${share.toFixed(4)} vs ${expected[i]!.toFixed(4)}`);
  });
});

test('equal threads on one CPU get equal shares (Jain index at least 0.99)', () => {
  const r = measureShares({ policy: 'fair', prios: [20, 20, 20, 20], ...WINDOW });
  assert.ok(r.cpuNs.every((ns) => ns > 0));
  const index = jain(r.cpuNs);
  assert.ok(index >= 0.99, `Jain index ${index} over ${r.cpuNs}`);
});

test('four CPU-bound threads created on a 4-CPU machine each start on a different CPU', () => {
  const firstCpu = new Map<number, number>();
  const tids: number[] = [];
  function* spinner(t: Guest): Program<number> {
    tids.push(t.tid);
    for (let i = 0; i < 50; i++) yield t.compute(300_000);
    return 0;
  }
  const machine = bootGuest(
    function* (t) {
      const threads: pthread_t[] = [];
      for (let i = 0; i < 4; i++) threads.push((yield* pthread_create(t, null, spinner, null))[1]);
      for (const th of threads) yield* pthread_join(t, th);
      return 0;
    },
    null,
    { cpus: 4 },
  );
  machine.kernel.switchListeners.push((cpuId, _prev, next) => {
    if (next.id >= 0 && !firstCpu.has(next.id)) firstCpu.set(next.id, cpuId);
  });
  machine.board.engine.run({ simNsMax: 1_000_000_000, eventsMax: 1_000_000 });
  assert.equal(machine.kernel.finished, true);
  assert.equal(tids.length, 4);
  // The creator keeps CPU 0 busy, so the least-loaded CPUs are 1, 2, 3; the fourth thread ties
  // everywhere at load 1 and stays on its creator's CPU.
  assert.deepEqual(
    tids.map((tid) => firstCpu.get(tid)),
    [1, 2, 3, 0],
  );
});

test('an idle CPU steals a queued thread when 8 threads share a 4-CPU machine', () => {
  const config = defaultRunConfig('fair', 4);
  // Two threads per CPU; contiguous blocks of the range cost different amounts, so one CPU runs
  // dry while another still has a thread waiting behind its current one.
  config.workloads = [
    primesWorkload({
      mode: 'thread',
      workers: 8,
      range: [2, 2_000_000],
      partition: 'contiguous',
    }),
  ];
  const report = runConfig(config, { checkInvariants: true });
  assert.equal(report.error, undefined);
  assert.equal(report.metrics['workload.primes.checksum_ok'], 1);
  assert.equal(report.metrics['sched.steals'], 1);
  assert.equal(report.metrics['sched.stolen'], 1);
  // A queued thread alone on a CPU (waiting for the IPI that wakes it) is not worth stealing.
  assert.equal(report.metrics.migrations, 3);
});

/**
 * Linux ≤6.5 place_entity with START_DEBIT: vruntime = min_vruntime + sched_vslice(cfs_rq, se),
 * where sched_slice counts `se` itself when it is not yet on the queue (nr_running + 1, load +
 * se's weight). One CPU: period 6 ms (scaling factor 1).
 */
function entityOf(machine: ReturnType<typeof bootGuest>, tid: number): FairEntity {
  return machine.kernel.threads.get(tid)!.sched as FairEntity;
}

test('a context started on an empty run queue is placed one 6 ms virtual slice after min_vruntime', () => {
  const machine = bootGuest(function* (t) {
    yield t.compute(3_000_000);
    return 0;
  }, null);
  let rootVruntime = -1;
  atTime(machine, 500_000, () => {
    rootVruntime = entityOf(machine, 1).vruntime;
  });
  machine.board.engine.run({ simNsMax: 600_000, eventsMax: 100_000 });
  // min_vruntime was 0 and no tick has charged the root yet (the first LAPIC tick is >= 1 ms).
  assert.equal(rootVruntime, 6_000_000);
});

test('a thread created while one other runs starts half a period (3 ms) of vruntime after it', () => {
  const tids: number[] = [];
  function* child(t: Guest): Program<number> {
    tids.push(t.tid);
    return 0;
  }
  const machine = bootGuest(function* (t) {
    const [, th] = yield* pthread_create(t, null, child, null);
    yield t.compute(30_000_000);
    yield* pthread_join(t, th);
    return 0;
  }, null);
  let debit = -1;
  atTime(machine, 500_000, () => {
    // The child (tid 2) is queued; no tick has run yet, so the creator's vruntime is the
    // queue's min_vruntime at the moment the child was placed.
    debit = entityOf(machine, 2).vruntime - entityOf(machine, 1).vruntime;
  });
  machine.board.engine.run({ simNsMax: 600_000, eventsMax: 100_000 });
  assert.equal(debit, 3_000_000);
});
