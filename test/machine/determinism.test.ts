// Determinism (DESIGN.md): the same configuration and seed give the same run, bit for bit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunConfig, SchedPolicyName } from '../../src/machine/config.ts';
import { defaultRunConfig, primesWorkload } from '../../src/machine/defaults.ts';
import { runConfig } from '../../src/report/run.ts';

function primesConfig(policy: SchedPolicyName, seed: number, cpus = 4): RunConfig {
  const config = defaultRunConfig(policy, cpus);
  config.seed = seed;
  config.workloads = [
    primesWorkload({
      range: [2, 50_000],
      segment: 5_000,
    }),
    { kind: 'pingpong', pairs: 1, rounds: 20 },
  ];
  return config;
}

for (const policy of ['dwrr', 'fair'] as const) {
  test(`${policy}: the same config and seed twice give the same trace hash, time and events`, () => {
    const a = runConfig(primesConfig(policy, 7));
    const b = runConfig(primesConfig(policy, 7));
    assert.equal(a.error, undefined);
    assert.match(a.trace_hash, /^[0-9a-f]{16}$/);
    assert.equal(b.trace_hash, a.trace_hash);
    assert.equal(b.sim_ns, a.sim_ns);
    assert.equal(b.events, a.events);
    assert.deepEqual(b.metrics, a.metrics);
  });

  test(`${policy}: a different seed gives a different trace hash`, () => {
    const a = runConfig(primesConfig(policy, 7));
    const b = runConfig(primesConfig(policy, 8));
    assert.equal(b.error, undefined);
    assert.notEqual(b.trace_hash, a.trace_hash);
    // The answer does not depend on the seed, only the interleaving does.
    assert.equal(b.metrics['workload.primes.count'], a.metrics['workload.primes.count']);
  });

  test(`${policy}: a 4-CPU primes run with invariant checks after every switch completes correctly`, () => {
    const config = defaultRunConfig(policy, 4);
    config.workloads = [
      primesWorkload({
        range: [2, 200_000],
      }),
    ];
    const report = runConfig(config, { checkInvariants: true });
    assert.equal(report.error, undefined);
    assert.equal(report.metrics['workload.primes.checksum_ok'], 1);
    assert.equal(report.metrics['workload.primes.count'], 17984); // π(200,000)
    assert.equal(report.metrics['processes.killed'], 0);
  });
}

test('the two policies run the same workload to different traces but the same answer', () => {
  const dwrr = runConfig(primesConfig('dwrr', 7));
  const fair = runConfig(primesConfig('fair', 7));
  assert.notEqual(dwrr.trace_hash, fair.trace_hash);
  assert.equal(dwrr.metrics['workload.primes.checksum_ok'], 1);
  assert.equal(fair.metrics['workload.primes.checksum_ok'], 1);
});
