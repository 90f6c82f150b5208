// The capring personality's scenario keys (issue 20): `[kernel] abi`, `rings` and `sched_owner`,
// absent for the Redox personality's configurations, and one-line errors for what is not allowed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScenarioError } from '../../src/scenario/errors.ts';
import { parseScenario } from '../../src/scenario/load.ts';

const BASE = `name = "x"\n[machine]\ncpus = 2\n[[workload]]\nkind = "spin"\nthreads = 1\niterations = 1\ncycles = 1\n`;

function kernel(lines: string): string {
  return `${BASE}[kernel]\nscheduler = "fair"\n${lines}\n`;
}

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

test('capring keys: absent on the redox personality, read on capring', () => {
  const redox = parseScenario(kernel(''), 'x.toml').kernel;
  assert.equal(redox.abi, undefined);
  assert.equal(redox.rings, undefined);
  assert.equal(redox.schedOwner, undefined);
  const capring = parseScenario(
    kernel('abi = "capring"\nrings = "thread"\nsched_owner = "latch"'),
    'x.toml',
  ).kernel;
  assert.equal(capring.abi, 'capring');
  assert.equal(capring.rings, 'thread');
  assert.equal(capring.schedOwner, 'latch');
  assert.equal(parseScenario(kernel('abi = "capring"'), 'x.toml').kernel.rings, 'process');
});

test('capring keys: bad values and misplaced ring modes are one-line errors naming the field', () => {
  assert.match(errorOf(kernel('abi = "linux"')).message, /kernel\.abi.*redox, capring/);
  assert.match(errorOf(kernel('abi = "capring"\nrings = "core"')).message, /kernel\.rings.*process, thread/);
  assert.match(
    errorOf(kernel('rings = "thread"')).message,
    /kernel\.rings.*capring personality.*abi = "capring"/,
  );
  assert.match(errorOf(kernel('sched_owner = "bsp"')).message, /kernel\.sched_owner.*latch, percpu/);
  const dwrr = `${BASE}[kernel]\nscheduler = "dwrr"\nsched_owner = "latch"\n`;
  assert.match(errorOf(dwrr).message, /kernel\.sched_owner.*fair scheduler/);
});

test('primes sleep_ns (issue 20, RING-2): read on capring, a one-line error on redox and out of range', () => {
  const primes = (kern: string, sleep: string) =>
    `name = "x"\n[machine]\ncpus = 2\n[kernel]\nscheduler = "fair"\n${kern}\n[[workload]]\nkind = "primes"\nsleep_ns = ${sleep}\n`;
  const w = parseScenario(primes('abi = "capring"', '500000'), 'x.toml').workloads[0]!;
  assert.equal(w.kind === 'primes' ? w.sleepNs : -1, 500_000);
  const redox = errorOf(primes('', '500000'));
  assert.match(redox.message, /bad\.toml.*workload\.0\.sleep_ns.*capring/);
  const big = errorOf(primes('abi = "capring"', '20000000'));
  assert.match(big.message, /sleep_ns/);
});
