// The text summary of a run report.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatNs, formatRunReport } from '../../src/cli/format.ts';
import type { RunReport } from '../../src/report/types.ts';

const report: RunReport = {
  schema: 'smpsim.run/1',
  scenario: 'smp-process-scale',
  seed: 1,
  sim_ns: 2_500_000,
  events: 1234,
  trace_hash: 'abc123',
  policy: 'fair',
  tick: 'lapic@1000Hz',
  cpus: [
    {
      id: 0,
      user_ns: 2_000_000,
      kernel_ns: 250_000,
      spin_ns: 0,
      idle_ns: 250_000,
      utilisation: 0.9,
      context_switches: 12,
      migrations_in: 1,
    },
  ],
  locks: [{ name: 'futex-bucket', acquisitions: 40, contended: 3, spin_ns: 1500 }],
  futex: { wait: 4, wake: 5 },
  syscalls: { futex: 3 },
  wakeup_latency: { count: 4, p50_ns: 900, p90_ns: 12_000, p99_ns: 12_000, max_ns: 1_200_000 },
  wakeup_cdf_ns: [],
  processes: { spawned: 4, exited: 4, killed: 0 },
  metrics: { 'workload.primes.count': 148933 },
  expectations: [
    { metric: 'workload.primes.count', op: 'equals', expected: 148933, actual: 148933, pass: true },
    { metric: 'speedup', op: 'min', expected: 1.6, actual: null, pass: false, note: 'SCHED-13' },
  ],
  failure: null,
  passed: false,
};

test('the summary shows the header, CPU table, latency, checks and trace hash', () => {
  const text = formatRunReport(report);
  const lines = text.split('\n');
  assert.equal(
    lines[0],
    'scenario smp-process-scale  seed 1  policy fair  tick lapic@1000Hz  cpus 1  sim 2.500 ms  events 1234',
  );
  assert.equal(lines[2], 'cpu  user ms  kernel ms  spin ms  idle ms  util %  switches  migrations');
  assert.equal(lines[3], '0      2.000      0.250    0.000    0.250    90.0        12           1');
  assert.equal(lines[5], 'lock          acquisitions  contended  spin ms');
  assert.equal(lines[6], 'futex-bucket            40          3    0.002');
  assert.match(text, /^futex: wait 4, wake 5$/m);
  assert.match(text, /^syscalls: futex 3$/m);
  assert.match(text, /^wakeup latency: 4 wakeups, p50 900 ns, p90 12\.0 µs, p99 12\.0 µs, max 1\.200 ms$/m);
  assert.match(text, /^ {2}PASS workload\.primes\.count equals 148933 \(actual 148933\)$/m);
  assert.match(text, /^ {2}FAIL speedup min 1\.6 \(actual missing\) - SCHED-13$/m);
  assert.match(text, /^result: FAILED \(1 of 2 checks failed\)$/m);
  assert.ok(text.endsWith('trace hash: abc123\n'));
});

test('a run that ended early says why', () => {
  assert.match(
    formatRunReport({ ...report, error: 'deadlock: 2 threads blocked' }),
    /^run ended early: deadlock/m,
  );
});

test('durations pick a readable unit', () => {
  assert.deepEqual(
    [formatNs(999), formatNs(1500), formatNs(2_000_000), formatNs(3e9)],
    ['999 ns', '1.5 µs', '2.000 ms', '3.000 s'],
  );
});

test('a run that did not do its work says why on its result line', () => {
  const failure = '1 guest process was killed (outcome.killed = 0): pid 2 (cpuhog) by SIGABRT: boom';
  const text = formatRunReport({ ...report, expectations: [], failure });
  assert.match(
    text,
    /^result: FAILED: 1 guest process was killed \(outcome\.killed = 0\): pid 2 \(cpuhog\) by SIGABRT: boom$/m,
  );
});
