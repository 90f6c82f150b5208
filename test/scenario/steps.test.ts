// `[[step]]` (scenario/steps.ts, issue 18): timed CPU offline/online actions, their one-line
// errors, and their run through the step runner (machine/scenario-steps.ts): on the improved
// kernel the CPU goes and comes back at the times given; on Redox the step fails EOPNOTSUPP.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScenarioError } from '../../src/scenario/errors.ts';
import { parseScenario } from '../../src/scenario/load.ts';
import { runConfig } from '../../src/report/run.ts';

const BASE = `
name = "steps"
[machine]
cpus = 4
[kernel]
scheduler = "fair"
[[workload]]
kind = "spin"
threads = 4
iterations = 40
cycles = 300000
`;

function errorOf(text: string): string {
  try {
    parseScenario(text, 'bad.toml');
  } catch (error) {
    assert.ok(error instanceof ScenarioError, String(error));
    assert.doesNotMatch(error.message, /\n/);
    return error.message;
  }
  assert.fail('expected a ScenarioError');
}

const step = (body: string) => `${BASE}\n[[step]]\n${body}\n`;

test('[[step]] entries are read in order with their fields', () => {
  const config = parseScenario(
    `${step('at_us = 100\naction = "cpu_offline"\ncpu = 2')}[[step]]\nat_us = 900\naction = "cpu_online"\ncpu = 2\n`,
    'ok.toml',
  );
  assert.deepEqual(config.steps, [
    { atUs: 100, action: 'cpu_offline', cpu: 2 },
    { atUs: 900, action: 'cpu_online', cpu: 2 },
  ]);
  assert.equal(parseScenario(BASE, 'none.toml').steps, undefined, 'no steps: the key is absent');
});

test('a bad [[step]] is refused in one line naming the field and what is allowed', () => {
  assert.equal(
    errorOf(step('at_us = 1\naction = "cpu_reboot"\ncpu = 1')),
    'bad.toml: step.0.action: "cpu_reboot" is not a step action (allowed: cpu_offline, cpu_online)',
  );
  assert.match(
    errorOf(step('at_us = 1\naction = "cpu_offline"\ncpu = 4')),
    /^bad\.toml: step\.0\.cpu: .*0\.\.3/,
  );
  assert.match(errorOf(step('at_us = -5\naction = "cpu_offline"\ncpu = 1')), /^bad\.toml: step\.0\.at_us: /);
  assert.equal(
    errorOf(step('at_us = 1\naction = "cpu_offline"\ncpu = 1\nwhen = 3')),
    'bad.toml: step.0.when: unknown key (allowed: at_us, action, cpu)',
  );
  assert.match(
    errorOf(
      `${step('at_us = 500\naction = "cpu_offline"\ncpu = 1')}[[step]]\nat_us = 100\naction = "cpu_online"\ncpu = 1\n`,
    ),
    /^bad\.toml: step\.1\.at_us: 100 is before the step above it \(500\) \(allowed: at least 500\)$/,
  );
  assert.match(errorOf(`${BASE}\n[step]\nat_us = 1\n`), /^bad\.toml: step: expected an array of tables/);
});

test('the steps run at their times: offline then online on fair, EOPNOTSUPP on dwrr', () => {
  const text = `${step('at_us = 200\naction = "cpu_offline"\ncpu = 3')}[[step]]\nat_us = 1500\naction = "cpu_online"\ncpu = 3\n`;
  const fair = runConfig(parseScenario(text, 'fair.toml'), { skipNameChecks: true });
  const m = fair.metrics;
  assert.equal(m['step.0.errno'], 0);
  assert.equal(m['step.1.errno'], 0);
  assert.ok(m['step.0.at_ns']! >= 200_000 && m['step.0.at_ns']! < 260_000, `${m['step.0.at_ns']}`);
  assert.ok(m['step.1.at_ns']! >= 1_500_000 && m['step.1.at_ns']! < 1_560_000, `${m['step.1.at_ns']}`);
  assert.equal(m['hotplug.offlines'], 1);
  assert.equal(m['hotplug.onlines'], 1);
  const dwrr = runConfig(parseScenario(text.replace('"fair"', '"dwrr"'), 'dwrr.toml'), {
    skipNameChecks: true,
  });
  assert.equal(dwrr.metrics['step.0.errno'], 95, 'Redox: EOPNOTSUPP');
  assert.equal(dwrr.metrics['hotplug.offlines'], undefined, 'nothing went offline');
});
