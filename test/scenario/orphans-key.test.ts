/** `[kernel] orphans` (issue 19, kernel/orphans.ts): absent, the values, a one-line error. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScenarioError } from '../../src/scenario/errors.ts';
import { parseScenario } from '../../src/scenario/load.ts';

const W = '\n[[workload]]\nkind = "primes"\nworkers = 1\nrange = [2, 100]';

test('absent, the configuration carries no orphans key (the kernel keeps its redox default)', () => {
  assert.equal(parseScenario(`name = "x"${W}`, 'x.toml').kernel.orphans, undefined);
});

test('redox and linux are read', () => {
  for (const mode of ['redox', 'linux'] as const)
    assert.equal(
      parseScenario(`name = "x"\n[kernel]\norphans = "${mode}"${W}`, 'x.toml').kernel.orphans,
      mode,
    );
});

test('a bad value is one line naming the field and the allowed values', () => {
  try {
    parseScenario(`name = "x"\n[kernel]\norphans = "init"${W}`, 'bad.toml');
    assert.fail('expected a ScenarioError');
  } catch (error) {
    assert.ok(error instanceof ScenarioError, String(error));
    assert.equal(error.field, 'kernel.orphans');
    assert.doesNotMatch(error.message, /\n/);
    assert.match(error.message, /bad\.toml.*"init" is not an orphan rule.*redox, linux/);
  }
});
