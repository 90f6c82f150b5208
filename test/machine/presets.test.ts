/**
 * The preset table per scheduler policy (src/machine/defaults.ts POLICY_PRESETS, issue 13):
 * every policy the registry knows has a row with every field stated, a policy without one is
 * refused loudly rather than given the baseline's, the defaults a scenario gets are its row's,
 * and the table the README shows is the one the code has.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SCHED_POLICIES, SCHEDULERS, type SchedPolicyName } from '../../src/machine/config.ts';
import {
  defaultRunConfig,
  POLICY_PRESETS,
  policyPreset,
  policyPresetsMarkdown,
  presetFutex,
  presetLibc,
  presetTick,
} from '../../src/machine/defaults.ts';
import { buildMachine } from '../../src/machine/build.ts';
import { parseScenario } from '../../src/scenario/load.ts';

const FIELDS = ['kernel', 'tick', 'futex', 'libc', 'hrtimers'];

test('every registered policy has a row with every field, and the table has no other row', () => {
  assert.deepEqual(Object.keys(POLICY_PRESETS).sort(), [...SCHEDULERS].sort());
  for (const policy of SCHEDULERS) {
    const row = policyPreset(policy);
    assert.deepEqual(Object.keys(row).sort(), [...FIELDS].sort(), policy);
    for (const field of FIELDS)
      assert.notEqual(row[field as keyof typeof row], undefined, `${policy}.${field}`);
    // The row's libc is the one its futex ABI speaks (the loader's rule for any mode).
    assert.equal(row.libc, presetLibc(row.futex.mode).variant, policy);
  }
});

test('a policy without a row is refused with its name and the rows there are', () => {
  assert.throws(
    () => policyPreset('cfs' as SchedPolicyName),
    /scheduler policy 'cfs' has no row in POLICY_PRESETS \(rows: dwrr, redbear, fair, gedf\)/,
  );
  assert.throws(() => presetTick('toString' as SchedPolicyName), /no row/); // not an inherited key
});

test('the rows are the kernels the policies belong to (models.md §1.2, FUTEX-1/2, HW-12)', () => {
  assert.deepEqual(presetTick('dwrr'), { source: 'pit', hz: 246 });
  assert.deepEqual(presetTick('redbear'), { source: 'pit', hz: 246 });
  assert.deepEqual(presetTick('fair'), { source: 'lapic', hz: 1000 });
  // gedf is tickless: no periodic tick between a release and the switch it causes.
  assert.deepEqual(presetTick('gedf'), { source: 'tsc-deadline', hz: 1000 });
  assert.deepEqual(presetFutex('dwrr'), { mode: 'redox', shards: 1 });
  assert.deepEqual(presetFutex('redbear'), { mode: 'redbear', shards: 64 });
  assert.deepEqual(presetFutex('fair'), { mode: 'linux', shards: 64 });
  assert.deepEqual(
    SCHED_POLICIES.map((p) => policyPreset(p).hrtimers),
    [false, false, true],
  );
  // Copies: editing one configuration's tick leaves the table alone.
  presetTick('fair').hz = 1;
  assert.equal(POLICY_PRESETS.fair.tick.hz, 1000);
});

test('a scenario naming only its policy gets that row; the machine gets its hrtimers', () => {
  const spin = '\n[[workload]]\nkind = "spin"\nthreads = 1\niterations = 1\ncycles = 1000\n';
  for (const policy of SCHED_POLICIES) {
    const config = parseScenario(`name = "p"\n[kernel]\nscheduler = "${policy}"${spin}`, 'p.toml');
    const row = policyPreset(policy);
    assert.deepEqual(config.machine.tick, row.tick, policy);
    assert.deepEqual(config.kernel.futex, row.futex, policy);
    assert.equal(config.libc.variant, row.libc, policy);
    assert.deepEqual(defaultRunConfig(policy).machine.tick, row.tick, policy);
    const { kernel } = buildMachine(config);
    assert.equal(kernel.hrtimers !== null, row.hrtimers, policy);
  }
});

test("the README's preset table is the one the code has", () => {
  const doc = new Set(readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8').split('\n'));
  const missing = policyPresetsMarkdown().filter((line) => !doc.has(line));
  assert.deepEqual(missing, [], 'regenerate: node scripts/update-readme.mjs');
});
