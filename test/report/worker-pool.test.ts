/**
 * The run pool (issue 14): multi-run commands give the same output byte for byte whether their
 * runs go to worker threads or run one after another here, errors come back as the class and
 * message a serial run gives (the earliest job's), and a worker that dies fails its job instead
 * of leaving the batch waiting.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import type { RunConfig } from '../../src/machine/config.ts';
import { defaultRunConfig, primesWorkload } from '../../src/machine/defaults.ts';
import { MetricNameError } from '../../src/report/metric-names.ts';
import { type RunJob, serialRunner } from '../../src/report/runner.ts';
import { WallBudget, WallClockLimitError } from '../../src/report/wall-budget.ts';
import { RunPool, withRunner } from '../../src/report/worker-pool.ts';
import { smpsim } from '../support/cli.ts';

const SEEDS = join(import.meta.dirname, '..', '..', 'scenarios', 'seeds');

function primesConfig(seed: number, hi: number): RunConfig {
  const config = defaultRunConfig('fair', 2);
  config.name = `pool-primes-${seed}`;
  config.seed = seed;
  config.workloads = [primesWorkload({ workers: 2, range: [2, hi] })];
  return config;
}

test('scale prints the same bytes with --jobs 1 and --jobs 2, text and JSON', async () => {
  const args = ['scale', '--cpus', '1,2', '--runs', '2', '--range', '2,100000'];
  for (const extra of [[], ['--json']]) {
    const serial = await smpsim(...args, ...extra, '--jobs', '1');
    const parallel = await smpsim(...args, ...extra, '--jobs', '2');
    assert.equal(serial.status, 0, serial.err);
    assert.equal(parallel.status, serial.status);
    assert.equal(parallel.out, serial.out);
    assert.equal(parallel.err, serial.err);
  }
});

test('policies prints the same bytes with --jobs 1 and --jobs 3, a killed guest included', async () => {
  // libc-stack-guard's guest dies on purpose: its cells must say so the same way from a worker.
  const files = ['sched-fairness.toml', 'libc-stack-guard.toml'].map((f) => join(SEEDS, f));
  const serial = await smpsim('policies', ...files, '--json', '--jobs', '1');
  const parallel = await smpsim('policies', ...files, '--json', '--jobs', '3');
  assert.equal(serial.status, 0, serial.err);
  assert.equal(parallel.status, 0, parallel.err);
  assert.equal(parallel.out, serial.out);
  const rows = (JSON.parse(serial.out) as { rows: unknown[] }).rows;
  assert.ok(rows.length >= 1, 'sched-fairness has a headline, so the table has rows');
});

test('run prints the same report with --jobs 1 and --jobs 2 for a [sweep] and for [[compare]] variants', async () => {
  // smp-process-scale's sweep runs go to the pool; libc-robust-owner-death's variants do.
  for (const file of ['smp-process-scale.toml', 'libc-robust-owner-death.toml']) {
    const serial = await smpsim('run', join(SEEDS, file), '--json', '--jobs', '1');
    const parallel = await smpsim('run', join(SEEDS, file), '--json', '--jobs', '2');
    assert.equal(serial.status, 0, `${file}: ${serial.err}`);
    assert.equal(parallel.status, serial.status);
    assert.equal(parallel.out, serial.out, file);
  }
});

test('a bad file fails policies with exit 2 before any run, whatever --jobs', async () => {
  const missing = join(SEEDS, 'no-such-scenario.toml');
  const serial = await smpsim('policies', missing, '--jobs', '1');
  const parallel = await smpsim('policies', missing, '--jobs', '2');
  assert.equal(serial.status, 2);
  assert.equal(parallel.status, 2);
  assert.equal(parallel.err, serial.err);
  assert.match((await smpsim('scale', '--jobs', '0')).err, /^smpsim: --jobs: 0 is out of range/);
});

test('a batch on worker threads gives the serial reports in order, and rejects with the earliest error', async () => {
  const jobs: RunJob[] = [3, 1, 2, 5].map((seed) => ({ config: primesConfig(seed, 60_000 + seed * 10_000) }));
  const serial = await serialRunner(jobs);
  const pooled = await withRunner(2, (runner) => runner(jobs));
  assert.equal(JSON.stringify(pooled), JSON.stringify(serial));

  // Jobs 1 and 3 expect a metric no run reports: a serial loop throws job 1's MetricNameError.
  const bad = (seed: number, metric: string): RunJob => {
    const config = primesConfig(seed, 50_000);
    config.expect = [{ metric, equals: 1 }];
    return { config };
  };
  const failing = [
    jobs[0]!,
    bad(7, 'workload.primes.nope_one'),
    jobs[1]!,
    bad(8, 'workload.primes.nope_two'),
  ];
  const serialError = await serialRunner(failing).then(
    () => null,
    (e: unknown) => e,
  );
  // Three threads: both workers take two jobs ahead, so job 1's error crosses from a worker.
  const pooledError = await withRunner(3, (runner) => runner(failing)).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(serialError instanceof MetricNameError, String(serialError));
  assert.ok(pooledError instanceof MetricNameError, String(pooledError));
  assert.equal(pooledError.message, serialError.message);
  assert.equal(pooledError.field, serialError.field);
  assert.match(pooledError.message, /nope_one/);
});

test('a worker that dies fails its job, and threads that cannot start fail the batch instead of hanging', async () => {
  const jobs: RunJob[] = [1, 2, 3].map((seed) => ({ config: primesConfig(seed, 30_000) }));
  // Exits when given its first job.
  const dying = new RunPool(
    2,
    () =>
      new Worker("require('node:worker_threads').parentPort.on('message', () => process.exit(5));", {
        eval: true,
      }),
    // This thread would take the jobs back from a worker that never claims them: leave them there.
    { local: false },
  );
  try {
    await assert.rejects(
      dying.run(jobs),
      /a worker thread running run 0 of its batch \(pool-primes-1\) died: it exited with status 5/,
    );
  } finally {
    await dying.close();
  }
  // Never starts: every replacement dies too, until the pool gives up on the queued jobs.
  const broken = new RunPool(2, () => new Worker("throw new Error('cannot load');", { eval: true }), {
    local: false,
  });
  try {
    await assert.rejects(broken.run(jobs), /died: cannot load|keep dying/);
  } finally {
    await broken.close();
  }
});

test('a wall budget sent to a worker keeps its deadline, limit and source', () => {
  const spent = new WallBudget(7, '--timeout', () => performance.now(), performance.now() - 1);
  const again = WallBudget.fromShared(spent.shared());
  assert.equal(again.limitS, 7);
  assert.equal(again.source, '--timeout');
  assert.throws(
    () => again.check(),
    (e: unknown) =>
      e instanceof WallClockLimitError &&
      e.message === 'wall-clock limit hit: the invocation ran past 7 s (--timeout)',
  );
  // A deadline an hour away is not spent in the other thread either.
  assert.doesNotThrow(() =>
    WallBudget.fromShared(new WallBudget(3600, 'limits.wall_s_max').shared()).check(),
  );
});

test('this thread takes back jobs a worker has not claimed, so a batch never waits on a starting worker', async () => {
  const jobs: RunJob[] = [4, 6, 9].map((seed) => ({ config: primesConfig(seed, 20_000) }));
  const serial = await serialRunner(jobs);
  // A worker that takes messages and never claims one: every job must come back to this thread.
  let started = 0;
  const deaf = new RunPool(2, () => {
    started++;
    return new Worker("require('node:worker_threads').parentPort.on('message', () => {});", { eval: true });
  });
  try {
    assert.equal(JSON.stringify(await deaf.run(jobs)), JSON.stringify(serial));
    assert.equal(started, 1, 'three jobs: one worker thread was worth starting');
  } finally {
    await deaf.close();
  }
});

test('a single job on an idle pool starts no worker thread, unless this thread says it is busy', async () => {
  let started = 0;
  const start = () => {
    started++;
    return new Worker("require('node:worker_threads').parentPort.on('message', () => {});", { eval: true });
  };
  const job: RunJob = { config: primesConfig(3, 20_000) };
  const [serial] = await serialRunner([job]);
  const pool = new RunPool(2, start);
  try {
    const [report] = await pool.run([job]);
    assert.equal(JSON.stringify(report), JSON.stringify(serial));
    assert.equal(started, 0, 'the CLI start-up: a run with one short variant pays for no worker');
    // The run itself going on here (runConfigOn): the variant gets a worker, still taken back.
    const pending = pool.run([job]);
    pool.run.busyHere?.();
    assert.equal(started, 1);
    const [again] = await pending;
    assert.equal(JSON.stringify(again), JSON.stringify(serial));
  } finally {
    await pool.close();
  }
});
