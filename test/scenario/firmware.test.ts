// `[firmware]` of a scenario: the preset parser per scheduler, bugs by name, and one-line errors
// naming the field for a bug that is not one or that the machine's tables cannot take.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseScenario } from '../../src/scenario/load.ts';

const WORKLOAD = '[[workload]]\nkind = "spin"\nthreads = 1\niterations = 1\ncycles = 1\n';

function scenario(body: string): string {
  return `name = "fw"\n${body}\n${WORKLOAD}`;
}

test('the parser follows the preset: redox under dwrr and redbear, hardened under fair', () => {
  for (const [scheduler, parser] of [
    ['dwrr', 'redox'],
    ['redbear', 'redox'],
    ['fair', 'hardened'],
  ] as const) {
    const config = parseScenario(scenario(`[kernel]\nscheduler = "${scheduler}"`), 'fw.toml');
    assert.equal(config.firmware.parser, parser);
    assert.deepEqual(config.firmware.bugs, []);
    assert.equal(config.firmware.x2apic, true);
  }
  const set = parseScenario(scenario('[firmware]\nparser = "redox"\nx2apic = false'), 'fw.toml');
  assert.equal(set.firmware.parser, 'redox');
  assert.equal(set.firmware.x2apic, false);
});

test('a bug that is not one, or that needs tables the machine lacks, is a one-line error naming its field', () => {
  assert.throws(
    () => parseScenario(scenario('[firmware]\nbugs = ["bad-checksum", "typo"]'), 'fw.toml'),
    /^ScenarioError: fw\.toml: firmware\.bugs\.1: "typo" is not a firmware bug \(allowed: duplicate-apic-id, /,
  );
  assert.throws(
    () => parseScenario(scenario('[machine]\ncpus = 2\n[firmware]\nbugs = ["slit-diagonal-20"]'), 'fw.toml'),
    /^ScenarioError: fw\.toml: firmware\.bugs\.0: slit-diagonal-20 edits the SRAT or SLIT, which a one-node machine does not ship/,
  );
  assert.throws(
    () => parseScenario(scenario('[firmware]\nparser = "linux"'), 'fw.toml'),
    /firmware\.parser: "linux" is not a firmware parser \(allowed: redox, hardened\)/,
  );
  const numa = '[machine]\ncpus = 4\npackages = 2\nnuma_nodes = 2\n[firmware]\nbugs = ["slit-diagonal-20"]';
  assert.deepEqual(parseScenario(scenario(numa), 'fw.toml').firmware.bugs, ['slit-diagonal-20']);
});
