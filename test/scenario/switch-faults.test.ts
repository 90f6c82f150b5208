// `[faults] switch` (SCHED-9; scenario/kernel-table.ts): the schedule() calls that fault under
// the switch lock; absent unless given, so no other scenario's configuration changes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScenarioError } from '../../src/scenario/errors.ts';
import { parseScenario } from '../../src/scenario/load.ts';
import { renderScenario } from '../../src/scenario/render.ts';

const text = (faults: string) =>
  `name = "x"\n[kernel]\nscheduler = "fair"\n${faults}\n[[workload]]\nkind = "program"\nprogram = "futex-ops"\n`;

test('faults.switch: absent, then the ordinals given, rendered back', () => {
  assert.equal(parseScenario(text(''), 'x.toml').kernel.switchFaults, undefined);
  const config = parseScenario(text('[faults]\nswitch = [3, 40]'), 'x.toml');
  assert.deepEqual(config.kernel.switchFaults, [3, 40]);
  assert.deepEqual(parseScenario(renderScenario(config), 'x.toml').kernel.switchFaults, [3, 40]);
});

test('a bad faults.switch is one line naming the field and what is allowed', () => {
  const cases: [string, string][] = [
    ['switch = 3', 'x.toml: faults.switch: expected an array, got an integer (allowed: integers >= 1)'],
    ['switch = [0]', 'x.toml: faults.switch.0: 0 is out of range (allowed: 1..9007199254740991)'],
  ];
  for (const [line, message] of cases) {
    assert.throws(
      () => parseScenario(text(`[faults]\n${line}`), 'x.toml'),
      (e: unknown) => e instanceof ScenarioError && e.message === message,
      message,
    );
  }
});
