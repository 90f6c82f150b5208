import { test } from 'node:test';
import { COST_NAMES } from '../src/hw/cost-model.ts';
import { TASKSET } from '../src/workloads/taskset.ts';
import { runProgram } from './support/program-run.ts';
const Z = Object.fromEntries(COST_NAMES.filter((n) => !n.endsWith('PerNs')).map((n) => [n, 0]));
test('dbg', () => {
  const S = JSON.parse(process.env.S!);
  const run = runProgram(TASKSET, S, { policy: (process.env.P ?? 'fair') as any, cpus: Number(process.env.C ?? 4), costs: process.env.COSTS ? {} : Z });
  const o = run.output as any;
  console.log(run.reason, o.misses, o.jobs, o.late_max_us, JSON.stringify(run.kernel.policy.stats()));
  console.log(o.finishes.filter((f: any) => f[3] === 1).slice(0, 30).map((f: any) => f.join(':')).join(' '));
});
