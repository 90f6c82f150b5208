/** `[kernel]` keys of thread and process creation (issue 24): defaults, values, one-line errors. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScenarioError } from '../../src/scenario/errors.ts';
import { parseScenario } from '../../src/scenario/load.ts';

/** A workload, which every scenario needs. */
const W = '\n[[workload]]\nkind = "primes"\nworkers = 1\nrange = [2, 100]';

function errorOf(text: string): ScenarioError {
  try {
    parseScenario(text, 'bad.toml');
  } catch (error) {
    assert.ok(error instanceof ScenarioError, `expected a ScenarioError, got ${String(error)}`);
    assert.doesNotMatch(error.message, /\n/);
    return error;
  }
  assert.fail('expected parseScenario to throw');
}

test('a scenario that names none of the keys has no proc configuration (the baseline, unchanged)', () => {
  const config = parseScenario(`name = "x"\n[kernel]\nscheduler = "fair"${W}`, 'x.toml');
  assert.equal(config.kernel.proc, undefined);
});

test('the keys are read with the baseline for each one left out', () => {
  const config = parseScenario(
    `name = "x"\n[kernel]\nthread_create = "batched"\ncontext_pool = 8${W}`,
    'x.toml',
  );
  assert.deepEqual(config.kernel.proc, {
    threadCreate: 'batched',
    contextPool: 8,
    shm: false,
    vforkSpawn: false,
  });
  const spawn = parseScenario(`name = "x"\n[kernel]\nspawn = "vfork"\nproc_shm = true${W}`, 'x.toml');
  assert.deepEqual(spawn.kernel.proc, { threadCreate: 'redox', contextPool: 0, shm: true, vforkSpawn: true });
});

test('bad values name the field and what is allowed', () => {
  const mode = errorOf('name = "x"\n[kernel]\nthread_create = "two"');
  assert.equal(mode.field, 'kernel.thread_create');
  assert.match(mode.message, /redox.*batched/);
  const pool = errorOf('name = "x"\n[kernel]\ncontext_pool = 1000');
  assert.equal(pool.field, 'kernel.context_pool');
  assert.match(pool.message, /256/);
  assert.equal(errorOf('name = "x"\n[kernel]\ncontext_pool = -1').field, 'kernel.context_pool');
  assert.equal(errorOf('name = "x"\n[kernel]\nproc_shm = "yes"').field, 'kernel.proc_shm');
  const spawn = errorOf('name = "x"\n[kernel]\nspawn = "clone"');
  assert.equal(spawn.field, 'kernel.spawn');
  assert.match(spawn.message, /fork-exec.*vfork/);
});
