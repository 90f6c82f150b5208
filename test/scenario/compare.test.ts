/** A scenario's `[compare]` table: a validated variant of the scenario and ratio metrics. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScenarioError } from '../../src/scenario/errors.ts';
import { parseScenario } from '../../src/scenario/load.ts';

const BASE = `name = "x"
[machine]
cpus = 2
[kernel]
scheduler = "fair"
[[workload]]
kind = "spin"
iterations = 10
cycles = 1000
[[expect]]
metric = "sim_ns"
min = 1
`;

test('[compare] yields a variant with its changes applied and no expectations of its own', () => {
  const config = parseScenario(
    `${BASE}[compare]\nname = "base"\nset = ["kernel.scheduler=\\"dwrr\\"", "machine.cpus=1"]\nmetrics = ["sim_ns"]\n`,
    'c.toml',
    { seed: 9 },
  );
  assert.equal(config.compare?.name, 'base');
  assert.deepEqual(config.compare?.metrics, ['sim_ns']);
  const variant = config.compare!.config;
  assert.equal(variant.kernel.scheduler, 'dwrr');
  assert.equal(variant.machine.topology.cpus, 1);
  assert.equal(variant.machine.tick.source, 'pit', 'the variant takes its own preset defaults');
  assert.deepEqual(variant.expect, []);
  assert.equal(variant.seed, 9, '--seed applies to the variant too');
  assert.equal(config.kernel.scheduler, 'fair', 'the scenario itself is unchanged');
});

test('a bad field made by [compare] is named as coming from it', () => {
  const text = `${BASE}[compare]\nname = "base"\nset = ["kernel.scheduler=\\"cfs\\""]\nmetrics = ["sim_ns"]\n`;
  assert.throws(
    () => parseScenario(text, 'c.toml'),
    (e: unknown) =>
      e instanceof ScenarioError && /^c\.toml \[compare\]: kernel\.scheduler: "cfs"/.test(e.message),
  );
});

test('[compare] needs at least one change and at least one metric', () => {
  const noChange = `${BASE}[compare]\nname = "base"\nset = []\nmetrics = ["sim_ns"]\n`;
  assert.throws(
    () => parseScenario(noChange, 'c.toml'),
    (e: unknown) => e instanceof ScenarioError && e.field === 'compare.set',
  );
  const noMetric = `${BASE}[compare]\nname = "base"\nset = ["machine.cpus=1"]\nmetrics = []\n`;
  assert.throws(
    () => parseScenario(noMetric, 'c.toml'),
    (e: unknown) => e instanceof ScenarioError && e.field === 'compare.metrics',
  );
});
