// cyclictest (src/workloads/cyclictest.ts, cyclictest-report.ts): cyclictest's per-thread line
// and -h histogram from known samples (us truncated, Avg the truncated mean, overflows at N us
// and beyond); -a pins thread i to the i-th CPU; -p on the improved kernel has no timer slack.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CYCLICTEST } from '../../src/workloads/cyclictest.ts';
import { cyclictestReport } from '../../src/workloads/cyclictest-report.ts';
import { runProgram } from '../support/program-run.ts';

test('the per-thread line, metrics and histogram from known samples', () => {
  const perThread = [
    [3_200, 5_900, 4_100], // 3, 5, 4 us
    [1_000, 12_999, 2_500, 40_000], // 1, 12, 2, 40 us (12 and 40 overflow a 10 us histogram)
  ];
  const out = cyclictestReport(perThread, { priority: 80, intervalUs: 1000, histogramUs: 10 });
  const stdout = (out.text as { stdout: string[] }).stdout;
  assert.equal(
    stdout[0],
    'T: 0 (    0) P:80 I:1000 C:      3 Min:      3 Act:       4 Avg:       4 Max:       5',
  );
  assert.equal(
    stdout[1],
    'T: 1 (    1) P:80 I:1000 C:      4 Min:      1 Act:      40 Avg:      13 Max:      40',
  );
  assert.equal(stdout[2], '# Histogram');
  assert.equal(stdout.length, 3 + 10 + 5);
  assert.equal(stdout[3], '000000 000000\t000000');
  assert.equal(stdout[4], '000001 000000\t000001');
  assert.equal(stdout[7], '000004 000001\t000000');
  assert.deepEqual(stdout.slice(13), [
    '# Total: 000000003 000000002',
    '# Min Latencies: 00003 00001',
    '# Avg Latencies: 00004 00013',
    '# Max Latencies: 00005 00040',
    '# Histogram Overflows: 00000 00002',
  ]);
  assert.equal(stdout[5], '000002 000000\t000001');
  assert.equal(out.histogramOverflows, 2);
  assert.deepEqual(
    [out.thread0MinNs, out.thread0AvgNs, out.thread0MaxNs, out.thread1MinNs, out.thread1MaxNs],
    [3_200, 4_400, 5_900, 1_000, 40_000],
  );
});

test('-a 1 pins every thread to CPU 1, -p 90 runs SCHED_FIFO with no slack (fair), -h none: no overflow key', () => {
  const run = runProgram(
    CYCLICTEST,
    { threads: 3, loops: 20, interval_us: 500, affinity: [1], priority: 90 },
    { policy: 'fair', cpus: 2, futex: { mode: 'linux', shards: 64 } },
  );
  const o = run.output as {
    samples: number;
    maxNs: number;
    histogramOverflows?: number;
    text: { stdout: string[] };
  };
  assert.equal(o.samples, 60);
  assert.equal(o.histogramOverflows, undefined);
  assert.ok(o.maxNs < 10_000, `max ${o.maxNs} ns: SCHED_FIFO has no 50 us timer slack`);
  assert.equal(o.text.stdout.length, 3);
  assert.ok(o.text.stdout.every((line) => line.includes(' P:90 I:500 C:     20 ')));
  // Every measuring thread on CPU 1: each of its 60 wake-ups is a switch on CPU 1.
  assert.ok(run.kernel.stats.switches[1]! >= 60, `CPU 1 switched ${run.kernel.stats.switches[1]} times`);
});

test('check: an -a CPU the machine lacks is refused, naming it', () => {
  const args = {
    threads: 1,
    loops: 1,
    interval_us: 1000,
    policy: 'other',
    priority: 0,
    affinity: [0, 2],
    histogram: 0,
  };
  assert.deepEqual(CYCLICTEST.check?.(args, { cpus: 2 }), {
    param: 'affinity',
    problem: 'CPU 2 does not exist',
    allowed: 'CPUs 0..1',
  });
  assert.equal(CYCLICTEST.check?.({ ...args, affinity: [1] }, { cpus: 2 }), null);
});
