// Program parameters under their real tools' option names (src/scenario/param-aliases.ts):
// schbench's message-threads/threads/sleeptime, cyclictest's interval, perf's loop read as the
// parameters themselves; a parameter given under two of its names is one line naming both.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProgramWorkload } from '../../src/machine/config.ts';
import { ScenarioError } from '../../src/scenario/errors.ts';
import { parseScenario } from '../../src/scenario/load.ts';

const params = (body: string) =>
  (
    parseScenario(`name = "x"\n[[workload]]\nkind = "program"\n${body}\n`, 'x.toml')
      .workloads[0] as ProgramWorkload
  ).params;

test('aliases read as the parameter', () => {
  const s = params('program = "schbench"\nmessage-threads = 3\nthreads = 4\nsleeptime = 500');
  assert.deepEqual([s.messages, s.workers, s.sleep_us], [3, 4, 500]);
  assert.equal(params('program = "cyclictest"\ninterval = 250').interval_us, 250);
  assert.equal(params('program = "sched-pipe"\nloop = 77').loops, 77);
  assert.equal('loop' in params('program = "sched-pipe"\nloop = 77'), false);
});

test('one parameter under two names is refused naming the second', () => {
  assert.throws(
    () => params('program = "schbench"\nworkers = 2\nthreads = 4'),
    (e: unknown) =>
      e instanceof ScenarioError &&
      e.message ===
        'x.toml: workload.0.threads: is workers again under another name (allowed: one of workers, threads)',
  );
});

test('an alias of another program is still an unknown key here', () => {
  assert.throws(
    () => params('program = "cyclictest"\nmessage-threads = 2'),
    (e: unknown) => e instanceof ScenarioError && e.field === 'workload.0.message-threads',
  );
});
