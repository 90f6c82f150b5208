/** A scenario's `[compare]` table: a validated variant of the scenario and ratio metrics. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScenarioError } from '../../src/scenario/errors.ts';
import { formatRunReport } from '../../src/cli/format.ts';
import { runConfig } from '../../src/report/run.ts';
import { parseScenario } from '../../src/scenario/load.ts';
import { renderScenario } from '../../src/scenario/render.ts';

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
  assert.equal(config.compare.length, 1);
  assert.equal(config.compare[0]!.name, 'base');
  assert.equal(config.compare[0]!.prefix, '', 'a lone [compare] keeps compare.<metric>');
  assert.deepEqual(config.compare[0]!.metrics, ['sim_ns']);
  const variant = config.compare[0]!.config;
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

const TWO = `${BASE}[[compare]]
name = "dwrr"
set = ["kernel.scheduler=\\"dwrr\\""]
metrics = ["sim_ns"]
[[compare]]
name = "one-cpu"
set = ["machine.cpus=1"]
metrics = ["sim_ns", "events"]
`;

test('[[compare]] runs several variants, each metric under compare.<name>. and ratio.<name>.', () => {
  const config = parseScenario(TWO, 'c.toml', { seed: 4 });
  assert.deepEqual(
    config.compare.map((c) => [
      c.name,
      c.prefix,
      c.config.kernel.scheduler,
      c.config.machine.topology.cpus,
      c.config.seed,
    ]),
    [
      ['dwrr', 'dwrr.', 'dwrr', 2, 4],
      ['one-cpu', 'one-cpu.', 'fair', 1, 4],
    ],
  );
  const report = runConfig(config, {});
  const keys = Object.keys(report.metrics).filter((k) => k.startsWith('compare.') || k.startsWith('ratio.'));
  assert.deepEqual(keys.sort(), [
    'compare.dwrr.sim_ns',
    'compare.one-cpu.events',
    'compare.one-cpu.sim_ns',
    'ratio.dwrr.sim_ns',
    'ratio.one-cpu.events',
    'ratio.one-cpu.sim_ns',
  ]);
  assert.deepEqual(
    report.compare?.map((c) => c.name),
    ['dwrr', 'one-cpu'],
  );
  const alone = runConfig(parseScenario(BASE, 'c.toml', { seed: 4 }), {});
  assert.equal(
    report.metrics['ratio.one-cpu.sim_ns'],
    Math.round((alone.sim_ns / report.metrics['compare.one-cpu.sim_ns']!) * 1000) / 1000,
  );
  const text = formatRunReport(report);
  assert.match(
    text,
    /compared with "dwrr" \(trace hash [0-9a-f]{16}\):\n {2}compare\.dwrr\.sim_ns = \d+\n {2}ratio\.dwrr\.sim_ns = [\d.]+\n\n/,
  );
});

test('[[compare]] names must differ and fit in a metric path', () => {
  const dup = TWO.replace('name = "one-cpu"', 'name = "dwrr"');
  assert.throws(
    () => parseScenario(dup, 'c.toml'),
    (e: unknown) => e instanceof ScenarioError && e.field === 'compare.1.name',
  );
  const dotted = TWO.replace('name = "one-cpu"', 'name = "one.cpu"');
  assert.throws(
    () => parseScenario(dotted, 'c.toml'),
    (e: unknown) =>
      e instanceof ScenarioError && e.field === 'compare.1.name' && /lower-case letters/.test(e.message),
  );
  const bad = TWO.replace('set = ["machine.cpus=1"]', 'set = ["machine.cpus=0"]');
  assert.throws(
    () => parseScenario(bad, 'c.toml'),
    (e: unknown) =>
      e instanceof ScenarioError && /^c\.toml \[\[compare\]\] one-cpu: machine\.cpus/.test(e.message),
  );
});

test('a scenario with [[compare]] renders back to [[compare]] and parses to the same variants', () => {
  const config = parseScenario(TWO, 'c.toml');
  const again = parseScenario(renderScenario(config), 'c.toml');
  assert.deepEqual(
    again.compare.map((c) => [c.name, c.prefix, c.set, c.metrics]),
    config.compare.map((c) => [c.name, c.prefix, c.set, c.metrics]),
  );
});
