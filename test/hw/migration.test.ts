import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveCostModel } from '../../src/hw/cost-model.ts';
import { migrationWarmNs } from '../../src/hw/migration.ts';
import { Topology } from '../../src/hw/topology.ts';

// 8 CPUs: 2 packages (= 2 NUMA nodes, SLIT 21) of 2 cores x 2 SMT threads.
const topology = new Topology({ cpus: 8, smt: 2, packages: 2, numaNodes: 2, numaRemoteDistance: 21 });
const costs = resolveCostModel();

test('a migration costs more the further it goes: none, SMT sibling, core, package scaled by SLIT (SCHED-5, SCHED-6)', () => {
  assert.equal(migrationWarmNs(topology, costs, 0, 0), 0);
  assert.equal(migrationWarmNs(topology, costs, 0, 1), 1_000);
  assert.equal(migrationWarmNs(topology, costs, 0, 2), 30_000);
  assert.equal(migrationWarmNs(topology, costs, 0, 4), 315_000, '150 us x 21/10');
  assert.equal(migrationWarmNs(topology, costs, 0, 4, false), 150_000, 'a NUMA-blind estimate');
});

test('the warm-up is bounded by the footprint: a context that ran 3 us refetches 3 us at most (SCHED-5)', () => {
  assert.equal(migrationWarmNs(topology, costs, 0, 2, true, 3_000), 3_000);
  assert.equal(migrationWarmNs(topology, costs, 0, 4, true, 3_000), 3_000);
  assert.equal(migrationWarmNs(topology, costs, 0, 1, true, 3_000), 1_000, 'below the bound: the level cost');
  assert.equal(migrationWarmNs(topology, costs, 0, 2, true, 2_500.4), 2_500);
  assert.equal(migrationWarmNs(topology, costs, 0, 2, true, Number.POSITIVE_INFINITY), 30_000);
});
