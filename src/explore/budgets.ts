/**
 * The budgets (executions) each buggy model is found within, by DPOR and by PCT (depth 3), as
 * the README states them (issue 17) and test/explore/models.test.ts holds them to. Each is at
 * least the most executions the model took over seeds 1..30 when measured (DPOR does not depend
 * on the seed), rounded up; the README table beside them is produced by running the models.
 */
import { explore } from './explore.ts';
import { MODELS } from './registry.ts';

export const FOUND_BUDGETS: Record<string, { dpor: number; pct: number }> = {
  k1: { dpor: 10, pct: 10 },
  'k1-stand-in': { dpor: 10, pct: 10 },
  k2: { dpor: 10, pct: 20 },
  k8: { dpor: 50, pct: 50 },
  k3: { dpor: 1000, pct: 10 },
  'k3-one-word': { dpor: 1000, pct: 10 },
  'k3-stand-in': { dpor: 100, pct: 2000 },
  'k3-one-word-stand-in': { dpor: 50, pct: 50 },
  k4: { dpor: 10, pct: 500 },
  'k4-ticket': { dpor: 10, pct: 50 },
  'lock-pair-abba': { dpor: 10, pct: 50 },
  'condvar-lost-wakeup': { dpor: 50, pct: 100 },
  dekker: { dpor: 10, pct: 50 },
};

/** The README's table: per buggy model, what DPOR and PCT (seed 1) took, and the budget. */
export function foundBudgetsMarkdown(): string[] {
  const rows = [
    '| model | violation found | memory | CPUs | DPOR executions | DPOR budget | PCT executions (seed 1) | PCT budget |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const m of MODELS.filter((x) => x.buggy)) {
    const budget = FOUND_BUDGETS[m.name]!;
    const run = (strategy: 'dpor' | 'pct') =>
      explore({
        model: m,
        cpus: m.cpus,
        memory: m.memory,
        strategy,
        depth: 3,
        budget: budget[strategy],
        seed: 1,
        preemptionBound: -1,
        shrink: false,
      });
    const d = run('dpor');
    const p = run('pct');
    const kind = d.violation?.kind ?? 'not found';
    rows.push(
      `| \`${m.name}\` | ${kind} | ${m.memory} | ${m.cpus} | ${d.found ? d.executions : 'not found'} | ${budget.dpor} | ${p.found ? p.executions : 'not found'} | ${budget.pct} |`,
    );
  }
  return rows;
}
