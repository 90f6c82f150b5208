/**
 * Loading the unit closure and finding cycles (SVC-4, U3, P15-8): the improved walk reports a
 * cycle iff the graph has one, with its path; diamonds are accepted; the two Redox baselines
 * show their faults (false cycle errors on diamonds before P15-8, hidden real cycles after it).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { findCycles, type LoadMode, loadClosure, showCycle } from '../../src/services/unit-graph.ts';
import type { Unit } from '../../src/services/unit.ts';

function unit(name: string, deps: string[]): Unit {
  return {
    name,
    kind: 'target',
    description: '',
    defaultDependencies: false,
    requiresWeak: deps,
    requires: [],
    conditionArchitecture: null,
    conditionBoard: null,
    service: null,
  };
}

function graph(edges: Record<string, string[]>): Map<string, Unit> {
  return new Map(Object.entries(edges).map(([n, d]) => [n, unit(n, d)]));
}

function load(g: Map<string, Unit>, roots: string[], mode: LoadMode) {
  return loadClosure(roots, (n) => g.get(n) ?? 'missing', mode);
}

const DIAMOND = graph({ a: ['b', 'c'], b: ['d'], c: ['d'], d: [] });
const CYCLE = graph({ a: ['b'], b: ['c'], c: ['a'] });

test('a diamond: loaded once each, no cycle (improved and P15-8), a false cycle error before P15-8', () => {
  for (const mode of ['redox', 'improved'] as const) {
    const c = load(DIAMOND, ['a'], mode);
    assert.deepEqual(
      c.units.map((u) => u.name),
      ['a', 'b', 'c', 'd'],
    );
    assert.deepEqual(c.log, []);
  }
  assert.deepEqual(load(DIAMOND, ['a'], 'redox-pre-p15-8').log, ['cycle detected: c -> d']);
  assert.deepEqual(findCycles([...DIAMOND.values()]), []);
});

test('a real cycle: reported with its path by the improved walk, hidden by P15-8', () => {
  assert.deepEqual(load(CYCLE, ['a'], 'redox').log, []);
  assert.deepEqual(load(CYCLE, ['a'], 'redox-pre-p15-8').log, ['cycle detected: c -> a']);
  const cycles = findCycles(load(CYCLE, ['a'], 'improved').units);
  assert.deepEqual(cycles.map(showCycle), ['a -> b -> c -> a']);
});

test('a missing unit is logged and its dependents still load', () => {
  const c = load(graph({ a: ['x'] }), ['a'], 'redox');
  assert.deepEqual(c.log, ['unit x not found']);
  assert.deepEqual([...c.absent], ['x']);
  assert.equal(c.units.length, 1);
});

/** Reference: a graph has a cycle iff repeatedly removing nodes with no out-edges leaves some. */
function hasCycle(n: number, edges: [number, number][]): boolean {
  const alive = new Set(Array.from({ length: n }, (_, i) => i));
  let changed = true;
  while (changed) {
    changed = false;
    for (const v of [...alive])
      if (!edges.some(([a, b]) => a === v && alive.has(b))) {
        alive.delete(v);
        changed = true;
      }
  }
  return alive.size > 0;
}

test('property: random unit graphs: cycles found iff the graph has one; each is a real path', () => {
  const arb = fc.integer({ min: 1, max: 9 }).chain((n) =>
    fc.record({
      n: fc.constant(n),
      edges: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 14 }),
    }),
  );
  fc.assert(
    fc.property(arb, ({ n, edges }) => {
      const name = (i: number) => `u${i}.target`;
      const units = Array.from({ length: n }, (_, i) =>
        unit(
          name(i),
          edges.filter(([a]) => a === i).map(([, b]) => name(b)),
        ),
      );
      const cycles = findCycles(units);
      assert.equal(cycles.length > 0, hasCycle(n, edges));
      const byName = new Map(units.map((u) => [u.name, u]));
      for (const c of cycles) {
        assert.equal(c[0], c[c.length - 1]);
        for (let i = 0; i + 1 < c.length; i++) assert.ok(byName.get(c[i]!)!.requiresWeak.includes(c[i + 1]!));
      }
      // The P15-8 load never reports anything; each unit reachable from u0 loads exactly once.
      const closure = loadClosure([name(0)], (x) => byName.get(x) ?? 'missing', 'redox');
      assert.deepEqual(closure.log, []);
      assert.equal(new Set(closure.units.map((u) => u.name)).size, closure.units.length);
    }),
    { numRuns: 400, seed: 4 },
  );
});
