// The rt-app parser (src/workloads/rtapp/parse.ts): generated descriptions parse back to the
// tasks, phases and events they were built from, in key order; any key outside rt-app's (and
// any rt-app event this model lacks) is refused naming its path; hand-written cases for the
// defaults and each refusal's exact message.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseRtapp, RtappError, type RtappEvent } from '../../../src/workloads/rtapp/parse.ts';

const refName = fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/);

/** An event as JSON (key prefix, value) and as the parser should return it. */
const eventArb: fc.Arbitrary<[string, unknown, RtappEvent]> = fc.oneof(
  fc
    .integer({ min: 0, max: 100_000 })
    .map((us) => ['run', us, { kind: 'run', us }] as [string, unknown, RtappEvent]),
  fc
    .integer({ min: 0, max: 100_000 })
    .map((us) => ['sleep', us, { kind: 'sleep', us }] as [string, unknown, RtappEvent]),
  fc
    .tuple(refName, fc.integer({ min: 1, max: 1_000_000 }), fc.boolean())
    .map(
      ([ref, period, abs]) =>
        [
          'timer',
          { ref, period, mode: abs ? 'absolute' : 'relative' },
          { kind: 'timer', ref, periodUs: period, absolute: abs },
        ] as [string, unknown, RtappEvent],
    ),
  fc
    .tuple(fc.constantFrom('lock', 'unlock', 'signal', 'barrier' as const), refName)
    .map(([kind, ref]) => [kind, ref, { kind, ref }] as [string, unknown, RtappEvent]),
  fc
    .tuple(refName, refName)
    .map(
      ([ref, mutex]) =>
        ['wait', { ref, mutex }, { kind: 'wait', ref, mutex }] as [string, unknown, RtappEvent],
    ),
);

test('property: generated tasks parse to their events in key order, suffixes and all', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(refName, { minLength: 1, maxLength: 4 }),
      fc.array(fc.array(eventArb, { minLength: 1, maxLength: 6 }), { minLength: 4, maxLength: 4 }),
      fc.integer({ min: 1, max: 100 }),
      (names, eventLists, loop) => {
        const tasks: Record<string, unknown> = {};
        names.forEach((n, i) => {
          const body: Record<string, unknown> = { loop, instance: 1 + (i % 3) };
          eventLists[i]!.forEach(([key, value], j) => {
            body[`${key}${j}`] = value; // rt-app's suffixes keep keys unique
          });
          tasks[n] = body;
        });
        const spec = parseRtapp(JSON.stringify({ global: { duration: -1 }, tasks }), 4);
        assert.deepEqual(
          spec.tasks.map((t) => t.name),
          names,
        );
        spec.tasks.forEach((t, i) => {
          assert.equal(t.loop, loop);
          assert.equal(t.instance, 1 + (i % 3));
          assert.deepEqual(t.phases, [{ name: 'p0', loop: 1, events: eventLists[i]!.map(([, , e]) => e) }]);
        });
      },
    ),
    { numRuns: 300, seed: 22 },
  );
});

test('property: a key no event or task field starts with is refused by its path', () => {
  const bad = fc
    .stringMatching(/^[a-z]{1,8}$/)
    .filter(
      (k) =>
        !/^(run|sleep|timer|lock|unlock|wait|signal|barrier|instance|loop|priority|policy|cpus|phases|suspend|resume|broad|yield|mem|iorun|fork|delay)/.test(
          k,
        ),
    );
  fc.assert(
    fc.property(bad, (key) => {
      const text = JSON.stringify({ tasks: { t: { loop: 1, run: 10, [key]: 1 } } });
      assert.throws(
        () => parseRtapp(text, 2),
        (e: unknown) => e instanceof RtappError && e.path === `tasks.t.${key}` && e.problem === 'unknown key',
      );
    }),
    { numRuns: 200, seed: 23 },
  );
});

test('defaults: one instance, SCHED_OTHER nice 0, any CPU; fifo defaults to priority 10; phases keep their loops', () => {
  const spec = parseRtapp(
    JSON.stringify({
      global: { default_policy: 'SCHED_FIFO', duration: 2 },
      tasks: {
        a: { run: 5 },
        b: {
          policy: 'SCHED_OTHER',
          priority: -5,
          cpus: [1],
          loop: 3,
          phases: { one: { loop: 2, sleep: 7 }, two: { run: 1 } },
        },
      },
    }),
    2,
  );
  assert.deepEqual(spec, {
    durationS: 2,
    tasks: [
      {
        name: 'a',
        instance: 1,
        loop: -1,
        policy: 'fifo',
        priority: 10,
        cpus: [],
        phases: [{ name: 'p0', loop: 1, events: [{ kind: 'run', us: 5 }] }],
      },
      {
        name: 'b',
        instance: 1,
        loop: 3,
        policy: 'other',
        priority: -5,
        cpus: [1],
        phases: [
          { name: 'one', loop: 2, events: [{ kind: 'sleep', us: 7 }] },
          { name: 'two', loop: 1, events: [{ kind: 'run', us: 1 }] },
        ],
      },
    ],
  });
});

test('refusals name the field, the problem and what is allowed', () => {
  const cases: [unknown, string][] = [
    [
      { tasks: { t: { loop: 1, runtime: 5 } } },
      'tasks.t.runtime: rt-app event "runtime" is not modelled (allowed: run, sleep, timer, lock, unlock, wait, signal, barrier)',
    ],
    [
      { tasks: { t: { loop: 1, policy: 'SCHED_DEADLINE' } } },
      'tasks.t.policy: "SCHED_DEADLINE" is not a modelled policy (allowed: SCHED_OTHER, SCHED_FIFO, SCHED_RR)',
    ],
    [
      { tasks: { t: { loop: 1, cpus: [2] } } },
      'tasks.t.cpus.0: 2 is not an integer in range (allowed: 0..1)',
    ],
    [
      { tasks: { t: { run: 1 } } },
      'tasks.t.loop: loops forever and global.duration is not set (allowed: a loop count, or global.duration)',
    ],
    [
      { global: { verbose: 1 }, tasks: { t: { loop: 1 } } },
      'global.verbose: unknown key (allowed: duration, default_policy, pi_enabled, calibration, logdir, log_basename, log_size, lock_pages, ftrace, gnuplot)',
    ],
    [
      { tasks: { T1: { loop: 1 } } },
      'tasks.T1: is not a task name (it names metrics) (allowed: lower-case letters, digits and _, up to 40)',
    ],
    [
      { tasks: { t: { loop: 1, timer: { ref: 'x', period: 10, mode: 'late' } } } },
      'tasks.t.timer.mode: "late" is not a timer mode (allowed: absolute, relative)',
    ],
    [
      { tasks: { t: { loop: 1, policy: 'SCHED_FIFO', priority: 0 } } },
      'tasks.t.priority: 0 is not an integer in range (allowed: 1..99)',
    ],
  ];
  for (const [json, message] of cases) {
    assert.throws(
      () => parseRtapp(JSON.stringify(json), 2),
      (e: unknown) => e instanceof RtappError && e.message === message,
      message,
    );
  }
  assert.throws(
    () => parseRtapp('{"tasks": ', 2),
    (e: unknown) => e instanceof RtappError && e.path === '(file)',
  );
});
