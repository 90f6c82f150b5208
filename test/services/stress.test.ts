/**
 * The stress run's pieces (SVC-9): the hotplug schedule's `every` period, faults on the clock's
 * grid, and the census tracker's comparison with its first census.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CensusTracker } from '../../src/services/census.ts';
import { parseSchedule, schedulePeriodNs } from '../../src/services/driver-program.ts';
import { nextOnGrid } from '../../src/services/service-program.ts';

const MS = 1_000_000;

test('a schedule with `every MS` repeats; the line is not an event; two periods are an error', () => {
  const text = 'remove a 120\nadd a 300\nevery 600\n';
  assert.equal(schedulePeriodNs(text), 600 * MS);
  assert.deepEqual(
    parseSchedule(text).map((e) => [e.kind, e.atNs]),
    [
      ['remove', 120 * MS],
      ['add', 300 * MS],
    ],
  );
  assert.equal(schedulePeriodNs('add a 3'), null);
  assert.throws(
    () => schedulePeriodNs('every 5\nevery 6'),
    /every: allowed: one line "every MS" with MS > 0/,
  );
  assert.throws(() => schedulePeriodNs('every 0'), /with MS > 0/);
});

test('faults on the grid: the first phase + k * every after now, never now itself', () => {
  const opts = { crash_every_ms: '600', crash_phase_ms: '200' };
  assert.equal(nextOnGrid(opts, 'crash', 0), 200 * MS);
  assert.equal(nextOnGrid(opts, 'crash', 200 * MS), 800 * MS);
  assert.equal(nextOnGrid(opts, 'crash', 201 * MS), 800 * MS);
  assert.equal(nextOnGrid(opts, 'crash', 3_599 * MS), 3_800 * MS);
  // In a window of n periods [0, n * every): exactly n grid points.
  let at = 0;
  let n = 0;
  while ((at = nextOnGrid(opts, 'crash', at)) < 6 * 600 * MS) n++;
  assert.equal(n, 6);
  assert.throws(() => nextOnGrid({ hang_every_ms: '0' }, 'hang', 0), /hang_every_ms=0: allowed: 1 or more/);
});

test('census tracker: the first census is the reference; delta is last - first, growth the most above it', () => {
  const c = (frames: number, threads: number) => ({ frames, threads, processes: 3, zombies: 0, fds: 4 });
  const tr = new CensusTracker(600 * MS);
  assert.equal(tr.nextNs, 600 * MS);
  tr.record(c(100, 10));
  tr.record(c(103, 10));
  tr.record(c(100, 9));
  assert.equal(tr.nextNs, 2400 * MS);
  const n = tr.numbers();
  assert.equal(n.census_points, 3);
  assert.equal(n.census_frames, 100);
  assert.equal(n.census_delta_frames, 0);
  assert.equal(n.census_growth_max_frames, 3);
  assert.equal(n.census_delta_threads, -1);
  assert.equal(n.census_growth_max_threads, 0);
  assert.throws(() => new CensusTracker(0), /census: period 0 ns; allowed: > 0/);
});
