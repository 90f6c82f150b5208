/**
 * Every scenario under scenarios/seeds/ passes its own expectations, twice with the same trace
 * hash. The first run is shared with the README's demo check (test/support/seed-runs.ts); the
 * second is a fresh run, as the determinism check needs. Extra seeds go through
 * `seedRun(file, seed)`, which runs each (file, seed) once per process.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runConfig } from '../../src/report/run.ts';
import { loadSeed, seedFiles, seedRun } from '../support/seed-runs.ts';

const files = seedFiles();

test('the seed scenario folder is not empty', () => {
  assert.ok(files.includes('smp-process-scale.toml'));
});

for (const file of files) {
  test(`${file} passes its expectations, twice with the same trace hash`, () => {
    const first = seedRun(file).report;
    const failed = first.expectations.filter((e) => !e.pass).map((e) => `${e.metric}=${e.actual}`);
    assert.deepEqual(failed, [], `${file}: failed expectations`);
    assert.equal(first.error, undefined);
    assert.equal(first.passed, true);
    assert.ok(first.expectations.length > 0, 'a seed scenario must check something');
    const second = runConfig(loadSeed(file));
    assert.equal(second.trace_hash, first.trace_hash);
    assert.equal(second.sim_ns, first.sim_ns);
    const otherSeed = seedRun(file, first.seed + 1000).report;
    assert.notEqual(otherSeed.trace_hash, first.trace_hash, 'a different seed must give a different run');
  });
}
