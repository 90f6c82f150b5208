/**
 * The `gedf` policy and the `taskset` workload against the exact reference schedule
 * (kernel/sched/gedf-exact.ts, itself checked against a schedule computed by hand in
 * gedf-exact.test.ts). With every cost and jitter zero the simulated run must be that schedule:
 * the same slices of the same jobs on the same CPUs, the same finish times and misses, and
 * SimSo's preemption and migration counts. Each task is one thread running its jobs in turn,
 * so the reference runs with `sequential`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { parse as parseToml } from 'smol-toml';
import { COST_NAMES } from '../../../src/hw/cost-model.ts';
import type { GedfRunSlice } from '../../../src/kernel/sched/gedf/account.ts';
import type { GedfPolicy } from '../../../src/kernel/sched/gedf/index.ts';
import { type GedfResult, gedfSchedule, type PeriodicTask } from '../../../src/kernel/sched/gedf-exact.ts';
import { TASKSET } from '../../../src/workloads/taskset.ts';
import { runProgram } from '../../support/program-run.ts';

/** Every cost zero (rates excepted: a rate of 0 would divide by zero, and no task uses one). */
const ZERO_COSTS: Record<string, number> = Object.fromEntries(
  COST_NAMES.filter((n) => !n.endsWith('PerNs')).map((n) => [n, 0]),
);
const MS = 1_000_000;

interface TaskSet {
  wcet_us: number[];
  period_us: number[];
  deadline_us: number[];
  offset_us: number[];
}

const tasksOf = (s: TaskSet): PeriodicTask[] =>
  s.wcet_us.map((w, id) => ({
    id,
    wcet_ns: w * 1000,
    period_ns: s.period_us[id]! * 1000,
    deadline_ns: s.deadline_us[id]! * 1000,
    offset_ns: s.offset_us[id]! * 1000,
  }));

/** A run's schedule up to `horizonNs` after r0, in the reference's terms: tasks, not tids. */
function runSchedule(s: TaskSet, cpus: number, horizonNs: number) {
  const args = { ...s, horizon_ms: horizonNs / MS };
  const run = runProgram(TASKSET, args, { policy: 'gedf', cpus, costs: ZERO_COSTS, checkInvariants: true });
  assert.equal((run.output as { refused: number }).refused, 0);
  const policy = run.kernel.policy as GedfPolicy;
  const all = policy.slices();
  const tids = [...new Set(all.map((sl) => sl.tid))].sort((a, b) => a - b); // created in task order
  const r0 = all.length === 0 ? 0 : releaseBase(all, tids, s);
  const slices = all
    .filter((sl) => sl.start_ns - r0 < horizonNs)
    .map((sl) => [
      sl.cpu,
      tids.indexOf(sl.tid),
      sl.job,
      sl.start_ns - r0,
      Math.min(sl.end_ns - r0, horizonNs),
    ])
    .sort((a, b) => a[3]! - b[3]! || a[0]! - b[0]!);
  const finishes = policy
    .jobEnds()
    .map((j) => [tids.indexOf(j.tid), j.job, j.finish_ns - r0, j.finish_ns > j.deadline_ns ? 1 : 0])
    .filter((f) => f[2]! <= horizonNs)
    .sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  // The guest's own clock reads come after its work: never before the job's end, and the same
  // unless it was switched out at the instant its work ended (then at its resumption).
  const seen = (run.output as { finishes: number[][] }).finishes.filter((f) => f[2]! <= horizonNs);
  for (const f of seen) {
    const mine = finishes.find((g) => g[0] === f[0] && g[1] === f[1]);
    if (mine !== undefined)
      assert.ok(f[2]! >= mine[2]!, `job ${f[0]}.${f[1]}: the guest read the clock before its end`);
  }
  return { slices, finishes, guestFinishes: seen, stats: policy.stats(), all };
}

/** r0: the earliest slice start less the offset of the task it belongs to (its first job's release). */
function releaseBase(all: readonly GedfRunSlice[], tids: readonly number[], s: TaskSet): number {
  const first = all.reduce((a, b) => (b.start_ns < a.start_ns ? b : a));
  return first.start_ns - s.offset_us[tids.indexOf(first.tid)]! * 1000;
}

const refSlices = (r: GedfResult) =>
  r.slices.map((sl) => [sl.cpu, sl.task, sl.index, sl.start_ns, sl.end_ns]);
const refFinishes = (r: GedfResult, horizonNs: number) =>
  r.jobs
    .filter((j) => j.finish_ns !== null && j.finish_ns <= horizonNs)
    .map((j) => [j.task, j.index, j.finish_ns, j.missed ? 1 : 0])
    .sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);

/** SimSo's counts from slices, for jobs that never block: every later slice of a job is a resume. */
function countsOf(slices: readonly GedfRunSlice[]) {
  const last = new Map<string, GedfRunSlice>();
  let preemptions = 0;
  let migrations = 0;
  for (const sl of [...slices].sort((a, b) => a.start_ns - b.start_ns || a.cpu - b.cpu)) {
    const key = `${sl.tid}.${sl.job}`;
    const before = last.get(key);
    if (before !== undefined) {
      preemptions++;
      if (before.cpu !== sl.cpu) migrations++;
    }
    last.set(key, sl);
  }
  return { preemptions, migrations };
}

/** The set of gedf-exact.test.ts (2 CPUs, ms): A 3/6, B 5/6, C 2/3 offset 1; two misses. */
const HAND: TaskSet = {
  wcet_us: [3000, 5000, 2000],
  period_us: [6000, 6000, 3000],
  deadline_us: [6000, 6000, 3000],
  offset_us: [0, 0, 1000],
};

test('gedf runs the hand-computed set as the reference schedules it: slices, finishes, misses, counters', () => {
  const ref = gedfSchedule(tasksOf(HAND), 2, 12 * MS, false, true);
  const run = runSchedule(HAND, 2, 12 * MS);
  assert.deepEqual(run.slices, refSlices(ref));
  assert.deepEqual(run.finishes, refFinishes(ref, 12 * MS));
  assert.deepEqual(run.guestFinishes, run.finishes);
  // B1 (5 ms of work from 9) ends at 14, after the horizon: the reference counts it a miss at 12.
  assert.equal(run.stats.deadline_misses, ref.misses);
  assert.equal(run.stats.preemptions, ref.preemptions);
  assert.equal(run.stats.migrations, ref.migrations);
  assert.deepEqual([ref.misses, ref.preemptions, ref.migrations], [2, 1, 1]);
});

const taskArb = fc
  .record({ period: fc.integer({ min: 2, max: 10 }), offset: fc.integer({ min: 0, max: 3 }) })
  .chain((t) =>
    fc.record({
      t: fc.constant(t),
      deadline: fc.integer({ min: 1, max: t.period }),
      wcetShare: fc.integer({ min: 1, max: 100 }),
    }),
  );

test('gedf follows the reference on random task sets with every cost zero', () => {
  let compared = 0;
  fc.assert(
    fc.property(
      fc.array(taskArb, { minLength: 1, maxLength: 6 }),
      fc.integer({ min: 1, max: 4 }),
      (raw, cpus) => {
        const set: TaskSet = { wcet_us: [], period_us: [], deadline_us: [], offset_us: [] };
        for (const { t, deadline, wcetShare } of raw) {
          set.period_us.push(t.period * 1000);
          set.deadline_us.push(deadline * 1000);
          set.wcet_us.push(Math.max(1, Math.round((deadline * wcetShare) / 100)) * 1000);
          set.offset_us.push(t.offset * 1000);
        }
        // The set must pass admission (every CPU in full): scale it down to fit when it does not.
        const u = set.wcet_us.reduce((s, w, i) => s + w / set.period_us[i]!, 0);
        if (u > cpus) return;
        const horizonNs = 20 * MS;
        const ref = gedfSchedule(tasksOf(set), cpus, horizonNs, false, true);
        const run = runSchedule(set, cpus, horizonNs);
        assert.deepEqual(run.slices, refSlices(ref));
        assert.deepEqual(run.finishes, refFinishes(ref, horizonNs));
        const counts = countsOf(run.all);
        assert.equal(run.stats.preemptions, counts.preemptions);
        assert.equal(run.stats.migrations, counts.migrations);
        compared++;
      },
    ),
    { numRuns: 120, seed: 23 },
  );
  assert.ok(compared >= 60, `only ${compared} sets passed admission`);
});

test('the gedf-vs-deadline seed expects what the reference schedule of its task set gives', () => {
  const file = join(import.meta.dirname, '../../../scenarios/seeds/gedf-vs-deadline.toml');
  const seed = parseToml(readFileSync(file, 'utf8')) as {
    workload: { wcet_us: number[]; period_us: number[]; horizon_ms: number }[];
    machine: { cpus: number };
    expect: { metric: string; equals?: number }[];
  };
  const w = seed.workload[0]!;
  const set: TaskSet = {
    wcet_us: w.wcet_us,
    period_us: w.period_us,
    deadline_us: w.period_us,
    offset_us: w.period_us.map(() => 0),
  };
  const ref = gedfSchedule(tasksOf(set), seed.machine.cpus, w.horizon_ms * MS, false, true);
  const expected = (metric: string) => seed.expect.find((e) => e.metric === metric)?.equals;
  assert.equal(expected('compare.exact.workload.taskset.jobs'), ref.jobs.length);
  assert.equal(expected('compare.exact.workload.taskset.misses'), ref.misses);
  assert.equal(expected('compare.exact.sched.deadline_misses'), ref.misses);
  assert.equal(expected('compare.exact.sched.preemptions'), ref.preemptions);
  assert.equal(expected('compare.exact.sched.migrations'), ref.migrations);
});

test('the zero-costs profile the seed includes sets every cost but the rates to 0', () => {
  const file = join(import.meta.dirname, '../../../scenarios/profiles/zero-costs.toml');
  const profile = parseToml(readFileSync(file, 'utf8')) as { costs: Record<string, number> };
  assert.deepEqual({ ...profile.costs }, ZERO_COSTS);
});
