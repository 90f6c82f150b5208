/**
 * Exact global EDF (issue 23) against a schedule computed by hand. Two CPUs, time unit 1 ms:
 * A (task 0) wcet 3, period = deadline 6; B (task 1) wcet 5, period = deadline 6; C (task 2)
 * wcet 2, period = deadline 3, offset 1. U = 0.5 + 0.833 + 0.667 = 2.0.
 *
 * By hand, without aborts: at 0 A0 -> CPU0, B0 -> CPU1 (equal deadlines: the lower task id
 * first, to the lowest CPU). At 1 C0 (d 4) preempts B0 (d 6 ties A0's; B has the higher id).
 * At 3 A0 and C0 finish; B0 resumes on CPU0 (one preemption, one migration). At 4 C1 on the
 * idle CPU1. At 6 C1 finishes; A1, B1 released (d 12); B0 (d 6, 1 left) keeps CPU0, A1 gets
 * CPU1, B1 waits. At 7 B0 finishes, late (miss); C2 (d 10) takes the idle CPU0. At 9 A1 and C2
 * finish; B1 starts on CPU0. At 10 C3 on CPU1, done at 12. B1 has run 3 of 5 at the horizon 12
 * = its deadline: a miss. Two misses, one preemption, one migration.
 *
 * With aborts: B0 is aborted at 6 (1 left); at 6 A1 -> CPU0, B1 -> CPU1; at 7 C2 preempts B1
 * (the latest deadline, by id); at 9 B1 resumes on CPU0 (preemption and migration); aborted at
 * 12 with 1 left. Two misses, two preemptions, two migrations.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gedfSchedule, type GedfResult, type PeriodicTask } from '../../../src/kernel/sched/gedf-exact.ts';

const MS = 1_000_000;
const task = (id: number, wcet: number, period: number, offset = 0): PeriodicTask => ({
  id,
  wcet_ns: wcet * MS,
  period_ns: period * MS,
  deadline_ns: period * MS,
  offset_ns: offset * MS,
});
const TASKS = [task(0, 3, 6), task(1, 5, 6), task(2, 2, 3, 1)];
const A = 0;
const B = 1;
const C = 2;

/** [cpu, task, job, start ms, end ms], by start then CPU. */
const slices = (r: GedfResult) =>
  r.slices.map((s) => [s.cpu, s.task, s.index, s.start_ns / MS, s.end_ns / MS]);
const finish = (r: GedfResult) =>
  r.jobs.map((j) => [j.task, j.index, j.finish_ns === null ? null : j.finish_ns / MS, j.missed]);

test('G-EDF without aborts: the hand-computed schedule, misses, preemptions and migrations', () => {
  const r = gedfSchedule(TASKS, 2, 12 * MS);
  assert.deepEqual(slices(r), [
    [0, A, 0, 0, 3],
    [1, B, 0, 0, 1],
    [1, C, 0, 1, 3],
    [0, B, 0, 3, 7],
    [1, C, 1, 4, 6],
    [1, A, 1, 6, 9],
    [0, C, 2, 7, 9],
    [0, B, 1, 9, 12],
    [1, C, 3, 10, 12],
  ]);
  assert.deepEqual(finish(r), [
    [A, 0, 3, false],
    [A, 1, 9, false],
    [B, 0, 7, true],
    [B, 1, null, true],
    [C, 0, 3, false],
    [C, 1, 6, false],
    [C, 2, 9, false],
    [C, 3, 12, false],
  ]);
  const b0 = r.jobs.find((j) => j.task === B && j.index === 0)!;
  assert.deepEqual([b0.preemptions, b0.migrations], [1, 1]);
  assert.deepEqual([r.misses, r.preemptions, r.migrations], [2, 1, 1]);
});

test('G-EDF with jobs aborted at their deadline', () => {
  const r = gedfSchedule(TASKS, 2, 12 * MS, true);
  assert.deepEqual(slices(r), [
    [0, A, 0, 0, 3],
    [1, B, 0, 0, 1],
    [1, C, 0, 1, 3],
    [0, B, 0, 3, 6],
    [1, C, 1, 4, 6],
    [0, A, 1, 6, 9],
    [1, B, 1, 6, 7],
    [1, C, 2, 7, 9],
    [0, B, 1, 9, 12],
    [1, C, 3, 10, 12],
  ]);
  assert.deepEqual(
    r.jobs.filter((j) => j.aborted).map((j) => [j.task, j.index, j.preemptions, j.migrations]),
    [
      [B, 0, 1, 1],
      [B, 1, 1, 1],
    ],
  );
  assert.deepEqual([r.misses, r.preemptions, r.migrations], [2, 2, 2]);
});

test('one CPU, implicit deadlines, U <= 1: EDF meets every deadline and only preempts', () => {
  const r = gedfSchedule([task(0, 1, 4), task(1, 2, 6), task(2, 3, 12)], 1, 24 * MS);
  assert.equal(r.misses, 0);
  assert.equal(r.migrations, 0);
  const busy = r.slices.reduce((s, x) => s + x.end_ns - x.start_ns, 0);
  assert.equal(busy, (6 * 1 + 4 * 2 + 2 * 3) * MS, 'every job of the hyperperiod ran its wcet');
});
