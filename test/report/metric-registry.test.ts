// The metric-name registry (issue 13): every kernel, futex and policy counter has exactly one
// public name, a policy cannot report a name the registry does not give it, the families accept
// what the report produces and refuse what it cannot, and every name a scenario file uses is
// registered. That every name a seed run reports is registered is checked in
// test/scenarios/seeds.test.ts, on the runs it makes anyway.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FutexTable } from '../../src/kernel/futex/table.ts';
import { FUTEX_METRICS, KERNEL_METRICS, KernelStats, SCHED_METRICS } from '../../src/kernel/stats.ts';
import { buildMachine } from '../../src/machine/build.ts';
import { SCHED_POLICIES } from '../../src/machine/config.ts';
import { defaultRunConfig } from '../../src/machine/defaults.ts';
import { checkScenarioMetrics, MetricNameError } from '../../src/report/metric-names.ts';
import {
  metricInfo,
  RUN_METRICS,
  schedMetricName,
  unregisteredMetrics,
} from '../../src/report/metric-registry.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';

const SCENARIOS = join(import.meta.dirname, '..', '..', 'scenarios');

/** The own number-valued fields of `o`: the counters a fresh stats object starts at 0. */
function counterFields(o: object): string[] {
  return Object.entries(o)
    .filter(([, v]) => typeof v === 'number')
    .map(([k]) => k);
}

test('every kernel counter has one row, and the public names are exactly the ones scenarios use', () => {
  const fields = counterFields(new KernelStats(2));
  assert.deepEqual(KERNEL_METRICS.map((r) => r.source).sort(), [...fields].sort());
  assert.deepEqual(
    KERNEL_METRICS.map((r) => r.name),
    [
      'kernel.interrupts',
      'kernel.spurious_interrupts',
      'kernel.ticks',
      'kernel.processes_spawned',
      'kernel.processes_exited',
      'kernel.processes_killed',
      'kernel.threads_created',
      'kernel.thread_limit_hits',
      'kernel.migrations_cross_package',
      'kernel.migrations_cross_node',
      'kernel.migration_warm_ns',
      'kernel.idle_ticks',
      'kernel.preemptions_deferred',
      'kernel.deferred_preemptions_run',
      'kernel.switch_faults',
      'signal.sent',
      'signal.delivered',
      'signal.discarded',
      'kernel.proc_scheme_ns',
      'kernel.lock_boost_changes',
      'kernel.lock_cycles',
      'kernel.lock_demo_high_wait_ns',
      'kernel.lock_demo_high_locked',
    ],
  );
});

test('every futex counter has one row', () => {
  const counts = new FutexTable({ mode: 'linux', shards: 4 }).counts;
  assert.deepEqual(
    FUTEX_METRICS.map((r) => r.source),
    Object.keys(counts),
  );
  for (const r of FUTEX_METRICS) assert.equal(r.name, `futex.${r.source}`, 'futex names are the table keys');
});

test('no public name is written twice, and every row has a unit and a meaning', () => {
  const rows = [...RUN_METRICS, ...KERNEL_METRICS, ...FUTEX_METRICS, ...SCHED_METRICS];
  const names = rows.map((r) => r.name);
  assert.equal(new Set(names).size, names.length);
  for (const r of rows) assert.ok(r.unit.length > 0 && r.meaning.length > 10, r.name);
});

test("each policy's stats() keys are exactly its registry rows", () => {
  for (const name of SCHED_POLICIES) {
    const keys = Object.keys(buildMachine(defaultRunConfig(name, 2)).kernel.policy.stats());
    const rows = SCHED_METRICS.filter((r) => r.policies.includes(name)).map((r) => r.name);
    assert.deepEqual(keys.map((k) => schedMetricName(name, k)).sort(), [...rows].sort(), name);
  }
});

test("a policy key with no row, or with only another policy's row, is refused", () => {
  assert.equal(schedMetricName('dwrr', 'scans'), 'sched.scans');
  assert.throws(() => schedMetricName('fair', 'scans'), /policy fair reports sched\.scans, which has no row/);
  assert.throws(() => schedMetricName('fair', 'stealz'), /policy fair reports sched\.stealz/);
  assert.throws(() => schedMetricName('fair', 'ticks'), /sched\.ticks/, 'kernel.ticks is not sched.ticks');
});

test('the families take what the report names and refuse what it cannot', () => {
  const known = [
    'cpu.3.utilisation',
    'syscall.futex',
    'syscall.proc:new-thread',
    'syscall.sys_999',
    'lock.rq12.spin_ns',
    'lock.FUTEXES.spin_ns',
    'lock.futex-shard63.spin_ns',
    'workload.0.completed',
    'workload.primes.checksum_ok',
    'workload.fork-atfork.child_exit_code',
    'sweep.median_ns.16',
    'sweep.speedup.2',
    'sweep.rejected_runs',
    'compare.futex.wait',
    'compare.dwrr.workload.affinity.violations',
    'ratio.fair-pit.workload.schbench.p99_ns',
    'ratio.kernel.ticks',
  ];
  for (const name of known) assert.notEqual(metricInfo(name), undefined, name);
  const unknown = [
    'cpu.x.utilisation',
    'cpu..utilisation',
    'syscall.nosuchcall',
    'lock.nosuchlock.spin_ns',
    'workload.nosuchworkload.count',
    'workload.primes.CamelCase',
    'workload.primes',
    'sweep.median_ns.',
    'compare.nosuch',
    'ratio.dwrr.nosuch.metric',
    'kernel.tick',
    'futex.waits',
  ];
  assert.deepEqual(unregisteredMetrics(Object.fromEntries(unknown.map((n) => [n, 0]))), [...unknown].sort());
});

/** Every `.toml` under `dir`, recursively, but for `profiles/` (costs profiles scenarios include, not scenarios). */
function scenarioFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? e.name === 'profiles'
        ? []
        : scenarioFiles(join(dir, e.name))
      : e.name.endsWith('.toml')
        ? [join(dir, e.name)]
        : [],
  );
}

test('every metric a scenario file names is registered', () => {
  const files = scenarioFiles(SCENARIOS);
  assert.ok(files.length >= 20);
  for (const path of files) {
    const config = loadScenarioFile(path);
    const names = [
      ...config.expect.map((e) => e.metric),
      ...config.headline,
      ...(config.sweep === null ? [] : [config.sweep.metric]),
      ...config.compare.flatMap((c) => c.metrics),
    ];
    assert.deepEqual(unregisteredMetrics(Object.fromEntries(names.map((n) => [n, 0]))), [], path);
  }
});

test('every metric the README names is registered', () => {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
  const metricLike =
    /`((?:kernel|sched|futex|signal|workload|cpu|mem|wakeup|processes|run|lock|syscall)\.[\w.:-]+|sweep\.(?:median_ns|speedup)\.\d+)`/g;
  const names = [...readme.matchAll(metricLike)].map((m) => m[1]!).filter((n) => !n.endsWith('.ts'));
  assert.ok(names.length >= 15, `the README names metrics (${names.length} found)`);
  assert.deepEqual(unregisteredMetrics(Object.fromEntries(names.map((n) => [n, 0]))), []);
});

test("a scheduler metric the run's policy does not report is named as another policy's", () => {
  const config = { ...defaultRunConfig('dwrr', 2), expect: [{ metric: 'sched.steals', min: 1 }] };
  assert.throws(
    () => checkScenarioMetrics(config, { 'sched.scans': 3 }),
    (e: unknown) =>
      e instanceof MetricNameError &&
      e.message.startsWith(
        'expect.0.metric: the run reports no metric "sched.steals" (only fair and redbear report it; this run uses dwrr) (allowed: nearest: ',
      ),
  );
  const typo = { ...config, expect: [{ metric: 'sched.stealz', min: 1 }] };
  assert.throws(
    () => checkScenarioMetrics(typo, { 'sched.scans': 3 }),
    /^MetricNameError: expect\.0\.metric: the run reports no metric "sched\.stealz" \(allowed: /,
  );
});
