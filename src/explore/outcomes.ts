/**
 * Every outcome a litmus model can end in under a memory model: DPOR runs the search to its
 * end and collects each complete execution's registers. One execution per Mazurkiewicz trace
 * is enough: an outcome is a function of the trace.
 */
import { dporSearch } from './dpor.ts';
import { setupFor } from './explore.ts';
import type { MemoryModelName, Model } from './model.ts';

export function litmusOutcomes(model: Model, memory: MemoryModelName): string[] {
  const seen = new Set<string>();
  const r = dporSearch(setupFor(model, model.cpus, memory), {
    executionsMax: Number.MAX_SAFE_INTEGER,
    preemptionBound: -1,
    stop: () => false,
    onEnd: (m) => {
      const outcome = m.instance.outcome;
      if (outcome !== undefined) seen.add(outcome());
    },
  });
  if (!r.exhaustive) throw new Error(`litmus ${model.name}: search did not finish`);
  return [...seen].sort();
}
