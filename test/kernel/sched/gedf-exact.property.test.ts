/**
 * Exact global EDF (kernel/sched/gedf-exact.ts) on random task sets: between any two events the
 * running jobs are exactly the first min(cpus, ready) of the ready queue by (deadline, task,
 * job), no CPU or job is used twice at once, and a job runs its wcet exactly when it finishes.
 * Also the SimSo-style task-set reader (scenario/taskset.ts): defaults and one-line errors.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type GedfJob, gedfSchedule, type PeriodicTask } from '../../../src/kernel/sched/gedf-exact.ts';
import { readTaskSet } from '../../../src/scenario/taskset.ts';

const taskArb = fc
  .record({
    period: fc.integer({ min: 2, max: 12 }),
    wcet: fc.integer({ min: 1, max: 8 }),
    offset: fc.integer({ min: 0, max: 5 }),
  })
  .chain((t) => fc.record({ t: fc.constant(t), deadline: fc.integer({ min: 1, max: t.period }) }));

const key = (j: GedfJob) => [j.deadline_ns, j.task, j.index];
const earlier = (a: GedfJob, b: GedfJob) => {
  const [x, y] = [key(a), key(b)];
  return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
};

test('G-EDF runs the first min(cpus, ready) jobs by deadline at every instant, each job its wcet', () => {
  fc.assert(
    fc.property(
      fc.array(taskArb, { minLength: 1, maxLength: 6 }),
      fc.integer({ min: 1, max: 4 }),
      fc.boolean(),
      (raw, cpus, abort) => {
        const tasks: PeriodicTask[] = raw.map(({ t, deadline }, id) => ({
          id,
          wcet_ns: t.wcet,
          period_ns: t.period,
          deadline_ns: deadline,
          offset_ns: t.offset,
        }));
        const horizon = 40;
        const r = gedfSchedule(tasks, cpus, horizon, abort);
        const jobOf = (task: number, index: number) =>
          r.jobs.find((j) => j.task === task && j.index === index)!;
        const times = new Set<number>([0, horizon]);
        for (const s of r.slices) times.add(s.start_ns).add(s.end_ns);
        for (const j of r.jobs) times.add(j.release_ns).add(Math.min(j.deadline_ns, horizon));
        const sorted = [...times].filter((t) => t < horizon).sort((a, b) => a - b);
        for (const t of sorted) {
          const on = r.slices.filter((s) => s.start_ns <= t && t < s.end_ns);
          assert.equal(new Set(on.map((s) => s.cpu)).size, on.length, 'a CPU runs one job at a time');
          const running = on.map((s) => jobOf(s.task, s.index));
          assert.equal(new Set(running).size, running.length, 'a job runs on one CPU at a time');
          const alive = (j: GedfJob) =>
            j.release_ns <= t &&
            (j.finish_ns === null || j.finish_ns > t) &&
            !(j.aborted && j.deadline_ns <= t);
          const ready = r.jobs.filter(alive).sort(earlier);
          assert.deepEqual(running.sort(earlier), ready.slice(0, cpus));
        }
        for (const j of r.jobs) {
          const ran = r.slices
            .filter((s) => s.task === j.task && s.index === j.index)
            .reduce((n, s) => n + s.end_ns - s.start_ns, 0);
          const wcet = tasks[j.task]!.wcet_ns;
          if (j.finish_ns !== null) assert.equal(ran, wcet);
          else assert.ok(ran < wcet);
          assert.equal(
            j.missed,
            j.aborted ||
              ((j.finish_ns ?? Number.POSITIVE_INFINITY) > j.deadline_ns &&
                (j.finish_ns !== null || j.deadline_ns <= horizon)),
          );
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('the task-set reader: SimSo fields in us, deadline = period and offset 0 by default, one-line errors', () => {
  assert.deepEqual(
    readTaskSet('t.toml', 'workload.0.tasks', [
      { wcet_us: 2, period_us: 10 },
      { wcet_us: 1, period_us: 5, deadline_us: 4, offset_us: 3 },
    ]),
    [
      { id: 0, wcet_ns: 2000, period_ns: 10_000, deadline_ns: 10_000, offset_ns: 0 },
      { id: 1, wcet_ns: 1000, period_ns: 5000, deadline_ns: 4000, offset_ns: 3000 },
    ],
  );
  assert.throws(() => readTaskSet('t.toml', 'tasks', [{ wcet_us: 2 }]), {
    message: /t\.toml.*tasks\.0\.period_us.*is missing.*an integer 1\.\./,
  });
  assert.throws(() => readTaskSet('t.toml', 'tasks', [{ wcet_us: 2, period_us: 4, prio: 1 }]), {
    message: /tasks\.0\.prio.*is not a task field.*wcet_us, period_us, deadline_us, offset_us/,
  });
  assert.throws(() => readTaskSet('t.json', 'tasks', []), { message: /t\.json.*tasks.*a non-empty list/ });
});
