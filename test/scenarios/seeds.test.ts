/** Every scenario under scenarios/seeds/ passes its own expectations, twice with the same trace hash. */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { COST_NAMES } from '../../src/hw/cost-model.ts';
import { runConfig } from '../../src/report/run.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';

const SEEDS_DIR = join(import.meta.dirname, '..', '..', 'scenarios', 'seeds');
const files = readdirSync(SEEDS_DIR)
  .filter((f) => f.endsWith('.toml'))
  .sort();

test('the seed scenario folder is not empty', () => {
  assert.ok(files.includes('smp-process-scale.toml'));
});

for (const file of files) {
  test(`${file} passes its expectations, twice with the same trace hash`, () => {
    const load = () => loadScenarioFile(join(SEEDS_DIR, file), { knownCostNames: COST_NAMES });
    const first = runConfig(load());
    const failed = first.expectations.filter((e) => !e.pass).map((e) => `${e.metric}=${e.actual}`);
    assert.deepEqual(failed, [], `${file}: failed expectations`);
    assert.equal(first.error, undefined);
    assert.equal(first.passed, true);
    assert.ok(first.expectations.length > 0, 'a seed scenario must check something');
    const second = runConfig(load());
    assert.equal(second.trace_hash, first.trace_hash);
    assert.equal(second.sim_ns, first.sim_ns);
    const otherSeed = runConfig(loadScenarioFile(join(SEEDS_DIR, file), { seed: first.seed + 1000 }));
    assert.notEqual(otherSeed.trace_hash, first.trace_hash, 'a different seed must give a different run');
  });
}
