import { test } from 'node:test';
import { COST_NAMES } from '../src/hw/cost-model.ts';
import { TASKSET } from '../src/workloads/taskset.ts';
import { runProgram } from '../test/support/program-run.ts';
import { gedfSchedule } from '../src/kernel/sched/gedf-exact.ts';
const Z = Object.fromEntries(COST_NAMES.filter((n) => !n.endsWith('PerNs')).map((n) => [n, 0]));
test('cand', () => {
  const sets: Record<string, [number, number][]> = {
    s1: [[6,10],[12,20],[5,10],[8,20],[2,10],[8,40],[3,20],[1,10],[3,30],[1,20],[2,40],[1,20],[2,40],[1,20],[2,40],[1,20]],
    s2: [[9,10],[9,10],[9,10],[1,20],[1,20],[1,20],[1,20],[2,40],[2,40],[2,40],[1,25],[1,25],[2,50],[2,50],[1,50],[1,50]],
    s3: [[8,10],[8,10],[7,10],[3,10],[2,20],[2,20],[1,20],[1,20],[1,25],[1,25],[2,40],[2,40],[1,50],[1,50],[2,50],[2,50]],
  };
  for (const [name, set] of Object.entries(sets)) {
    const u = set.reduce((s, [w, p]) => s + w / p, 0);
    const tasks = set.map(([w, p], id) => ({ id, wcet_ns: w * 1e6, period_ns: p * 1e6, deadline_ns: p * 1e6, offset_ns: 0 }));
    const ref = gedfSchedule(tasks, 4, 240e6, false, true);
    const refAb = gedfSchedule(tasks, 4, 240e6, true, false);
    const args = { wcet_us: set.map(([w]) => w * 1000), period_us: set.map(([, p]) => p * 1000), horizon_ms: 240 };
    const out: any = {};
    for (const policy of ['gedf', 'fair'] as const) {
      const r = runProgram(TASKSET, args, { policy, cpus: 4, costs: Z });
      const o = r.output as any;
      out[policy] = { misses: o.misses, jobs: o.jobs, late: o.late_max_us, refused: o.refused, stats: policy === 'gedf' ? r.kernel.policy.stats() : r.kernel.policy.stats().dl_throttles };
    }
    console.log(name, u.toFixed(2), 'ref', ref.misses, ref.preemptions, ref.migrations, 'abort', refAb.misses, JSON.stringify(out));
  }
});
