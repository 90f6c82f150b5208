// --jobs for DPOR (src/explore/dpor.ts `share`): each worker starts from its share of the first
// branching state's agents; together the workers must reach every final state the one-worker
// search reaches. Before the fix, each worker put the others' agents to sleep, so neither
// explored the orders where they commute: k1-fixed over 2 workers ran 7 of its 24 orders.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dporSearch } from '../../src/explore/dpor.ts';
import { setupFor } from '../../src/explore/explore.ts';
import type { MemoryModelName } from '../../src/explore/model.ts';
import { findModel } from '../../src/explore/registry.ts';

/** The final states (litmus registers, or k1's ids) a search over the given share reaches. */
function finals(name: string, memory: MemoryModelName, cpus: number, share?: { index: number; of: number }) {
  const m = findModel(name)!;
  const seen = new Set<string>();
  const r = dporSearch(setupFor(m, cpus, memory), {
    executionsMax: 100_000,
    preemptionBound: -1,
    stop: () => false,
    rootShare: share,
    onEnd: (machine) => {
      const outcome = machine.instance.outcome;
      seen.add(outcome === undefined ? machine.steps.map((s) => s.agent).join('') : outcome());
    },
  });
  assert.equal(r.exhaustive, true);
  return { seen, executions: r.executions };
}

test('litmus outcomes over 2 and 3 workers are the one-worker sets, under SC, TSO and PSO', () => {
  for (const name of ['litmus-sb', 'litmus-mp', 'litmus-lb', 'litmus-iriw']) {
    if (findModel(name) === undefined) continue;
    for (const memory of ['sc', 'tso', 'pso'] as const) {
      const cpus = findModel(name)!.cpus;
      const one = finals(name, memory, cpus).seen;
      for (const of of [2, 3]) {
        const union = new Set<string>();
        for (let index = 0; index < of; index++)
          for (const o of finals(name, memory, cpus, { index, of }).seen) union.add(o);
        assert.deepEqual([...union].sort(), [...one].sort(), `${name} ${memory} over ${of}`);
      }
    }
  }
});

test('k1-fixed with 4 APs over 2 workers runs at least the 24 orders of the one-worker search', () => {
  const one = finals('k1-fixed', 'sc', 5);
  assert.equal(one.executions, 24);
  const a = finals('k1-fixed', 'sc', 5, { index: 0, of: 2 });
  const b = finals('k1-fixed', 'sc', 5, { index: 1, of: 2 });
  assert.ok(a.executions + b.executions >= 24, `${a.executions} + ${b.executions}`);
});
