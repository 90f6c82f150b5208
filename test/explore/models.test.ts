// Every built-in model under its memory model: each buggy one is found by DPOR and by PCT
// within the budgets the README states, with the violation its bug causes; each fixed one passes
// DPOR's search exhaustively (3-4 CPUs where the model allows). K4 also passes under TSO (x86
// keeps stores in order and hides the missing release), and Dekker passes under SC.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explore, type StrategyName } from '../../src/explore/explore.ts';
import type { MemoryModelName, Model, ViolationKind } from '../../src/explore/model.ts';
import { findModel, MODELS } from '../../src/explore/registry.ts';
import { FOUND_BUDGETS } from '../../src/explore/budgets.ts';

function run(
  m: Model,
  strategy: StrategyName,
  budget: number,
  cpus = m.cpus,
  memory: MemoryModelName = m.memory,
) {
  return explore({
    model: m,
    cpus,
    memory,
    strategy,
    depth: 3,
    budget,
    seed: 1,
    preemptionBound: -1,
    shrink: true,
  });
}

const EXPECTED: Record<string, ViolationKind> = {
  k1: 'duplicate-cpu-id',
  'k1-stand-in': 'duplicate-cpu-id',
  k2: 'assertion',
  k8: 'assertion',
  k3: 'stale-tlb',
  'k3-one-word': 'stale-tlb',
  'k3-stand-in': 'stale-tlb',
  'k3-one-word-stand-in': 'stale-tlb',
  k4: 'assertion',
  'k4-ticket': 'assertion',
  'lock-pair-abba': 'deadlock',
  'condvar-lost-wakeup': 'lost-wakeup',
  dekker: 'assertion',
};

for (const m of MODELS.filter((x) => x.buggy)) {
  test(`${m.name} is found by DPOR and PCT within the README's budgets`, () => {
    const budget = FOUND_BUDGETS[m.name]!;
    assert.ok(budget !== undefined, `${m.name} has a budget`);
    for (const strategy of ['dpor', 'pct'] as const) {
      const r = run(m, strategy, budget[strategy]);
      assert.equal(r.found, true, `${m.name} by ${strategy}`);
      assert.ok(
        r.violation!.kind === EXPECTED[m.name] || r.violation!.kind === 'data-race',
        r.violation!.kind,
      );
    }
  });
}

/** 3-4 CPUs where the model has them; the libc condvars at their default 2 (3 takes ~30 s). */
const cpusFor = (m: Model) =>
  m.name.startsWith('condvar') ? m.cpus : Math.min(m.cpusMax, Math.max(m.cpus, 3));

for (const m of MODELS.filter((x) => !x.buggy && !x.name.startsWith('litmus'))) {
  test(`${m.name} passes DPOR exhaustively with ${cpusFor(m)} CPUs`, () => {
    const r = run(m, 'dpor', 200_000, cpusFor(m));
    assert.equal(r.found, false, r.violation?.message);
    assert.equal(r.exhaustive, true);
  });
}

test('x86-TSO hides the MCS and ticket handoff bugs and SC hides Dekker', () => {
  for (const name of ['k4', 'k4-ticket']) {
    const k4 = run(findModel(name)!, 'dpor', 100_000, 3, 'tso');
    assert.equal(k4.found, false, name);
    assert.equal(k4.exhaustive, true, name);
  }
  const dekker = run(findModel('dekker')!, 'dpor', 100_000, 2, 'sc');
  assert.equal(dekker.found, false);
  assert.equal(dekker.exhaustive, true);
});

test('k1-fixed with 6 APs is proven with 6! = 720 executions: one per order of the fetch-adds', () => {
  const r = run(findModel('k1-fixed')!, 'dpor', 10_000, 7);
  assert.equal(r.exhaustive, true);
  assert.equal(r.executions, 720);
});

test('the names scripts rely on are all listed', () => {
  const names = MODELS.map((m) => m.name);
  for (const n of [
    'k1',
    'k1-fixed',
    'k2',
    'k2-fixed',
    'k8',
    'k8-fixed',
    'k3',
    'k3-one-word',
    'k3-fixed',
    'k3-linux',
    'k4',
    'k4-fixed',
    'condvar-lost-wakeup',
    'condvar-fixed',
    'dekker',
    'dekker-fenced',
  ]) {
    assert.ok(names.includes(n), n);
  }
});
