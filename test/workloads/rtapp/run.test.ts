// The rt-app runner (src/workloads/rtapp/run.ts) on small descriptions with known answers: a
// periodic task's loops, periods, run time, slack and wake-up latency; a condvar hand-off and
// a barrier that complete; FIFO refused on the baseline by name; the scenario kind's errors.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Program } from '../../../src/abi/effects.ts';
import type { Guest } from '../../../src/abi/guest.ts';
import { ScenarioError } from '../../../src/scenario/errors.ts';
import { parseScenario } from '../../../src/scenario/load.ts';
import { parseRtapp } from '../../../src/workloads/rtapp/parse.ts';
import { rtappMain } from '../../../src/workloads/rtapp/run.ts';
import { runGuest } from '../../support/guest.ts';

const LINUX = {
  policy: 'fair',
  futex: { mode: 'linux', shards: 64 },
  costs: { computeJitterPpm: 0 },
} as const;

function runRtapp(json: unknown, options: object, cpus = 1): Record<string, number> {
  let out: Record<string, number> = {};
  runGuest(
    function* (t: Guest, raw: unknown): Program<number> {
      yield* rtappMain(t, raw);
      out = (t.data.output as Record<string, Record<string, number>>).rtapp!;
      return 0;
    },
    parseRtapp(JSON.stringify(json), cpus),
    { ...options, cpus },
  );
  return out;
}

test('one periodic task: 5 loops, 1 ms runs, 10 ms periods, slack 10 ms then ~9 ms, small wake-up latency', () => {
  const o = runRtapp({ tasks: { p: { loop: 5, run: 1000, timer: { ref: 't', period: 10000 } } } }, LINUX);
  assert.equal(o.p_loops, 5);
  assert.equal(o.p_periods, 5);
  // 3,000,000 cycles at 3 GHz, plus the two clock reads around them.
  assert.ok(o.p_run_avg_ns! >= 1_000_000 && o.p_run_avg_ns! < 1_010_000, `run ${o.p_run_avg_ns}`);
  // Absolute timer: every period ends on its target plus the wake-up latency, so periods stay 10 ms on average.
  assert.ok(Math.abs(o.p_period_avg_ns! - 10_000_000) < 60_000, `period ${o.p_period_avg_ns}`);
  // The first timer starts one period from now; later ones leave 10 ms - 1 ms of run - the latency.
  assert.ok(o.p_slack_min_ns! > 8_900_000 && o.p_slack_min_ns! < 9_000_000, `slack ${o.p_slack_min_ns}`);
  assert.ok(o.p_wu_lat_max_ns! <= 60_000, `wu_lat ${o.p_wu_lat_max_ns}: hrtimer plus the 50 us slack`);
});

test('a condvar hand-off and a barrier complete, every loop counted', () => {
  const o = runRtapp(
    {
      tasks: {
        waiter: { loop: 1, lock: 'm', wait: { ref: 'c', mutex: 'm' }, unlock: 'm' },
        signaller: { loop: 1, sleep: 1000, lock: 'm', signal: 'c', unlock: 'm' },
        left: { loop: 3, barrier: 'b', run: 100 },
        right: { loop: 3, instance: 2, barrier: 'b', run: 300 },
      },
    },
    LINUX,
    2,
  );
  assert.deepEqual([o.waiter_loops, o.signaller_loops, o.left_loops, o.right_loops], [1, 1, 3, 6]);
});

test('SCHED_FIFO on the baseline: the task fails naming sched_setscheduler', () => {
  // The thread's abort kills the process before it publishes: the fault is the expected one.
  const o = runRtapp(
    { tasks: { f: { loop: 1, policy: 'SCHED_FIFO', priority: 50, run: 10 } } },
    {
      policy: 'dwrr',
      expectFaults: [{ signal: 'SIGABRT', message: /rtapp: f: sched_setscheduler\(fifo, 50\) refused/ }],
    },
  );
  assert.deepEqual(o, {});
});

test('kind = "rtapp": the file is read relative to the scenario; its problems are one line naming both files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rtapp-'));
  writeFileSync(join(dir, 'ok.json'), JSON.stringify({ tasks: { a: { loop: 2, run: 10 } } }));
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ tasks: { a: { loop: 2, runn: 10, yield0: 1 } } }));
  const text = (file: string) => `name = "x"\n[[workload]]\nkind = "rtapp"\nfile = "${file}"\n`;
  const ok = parseScenario(text('ok.json'), join(dir, 'x.toml'));
  assert.equal(ok.workloads[0]?.kind, 'rtapp');
  const cases: [string, string][] = [
    [
      'bad.json',
      `${join(dir, 'x.toml')}: workload.0.file: bad.json: tasks.a.yield0: rt-app event "yield" is not modelled`,
    ],
    ['none.json', `${join(dir, 'x.toml')}: workload.0.file: cannot read none.json (ENOENT)`],
  ];
  for (const [file, start] of cases) {
    assert.throws(
      () => parseScenario(text(file), join(dir, 'x.toml')),
      (e: unknown) => e instanceof ScenarioError && e.message.startsWith(start) && !e.message.includes('\n'),
      start,
    );
  }
});
