// `smpsim bench`: the report's shape and the bookkeeping around it. No timing assertions: wall-clock
// rates depend on the host, so only what the benchmark does (and counts) is checked.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { referenceLoop } from '../../src/report/bench-reference.ts';
import {
  BENCH_SCHEMA,
  type BenchReport,
  benchCommand,
  benchWorkloads,
  compareWithPrevious,
  formatBench,
  latestBenchResult,
  runBench,
  writeBenchResult,
} from '../../src/report/bench.ts';

const NAMES = ['compute', 'compute-dwrr', 'futex-pingpong', 'primes'];

let report: BenchReport;
let dir: string;

const ROOT = join(import.meta.dirname, '..', '..');

before(async () => {
  report = await runBench({
    quick: true,
    jobs: 2,
    startup: {
      bin: join(ROOT, 'bin', 'smpsim.js'),
      scenario: join(ROOT, 'scenarios', 'seeds', 'futex-robust.toml'),
    },
  });
  dir = mkdtempSync(join(tmpdir(), 'smpsim-bench-'));
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of `report` with every workload's effects per second scaled by `factor`. */
function scaled(r: BenchReport, factor: number): BenchReport {
  return { ...r, workloads: r.workloads.map((w) => ({ ...w, effects_per_s: w.effects_per_s * factor })) };
}

test('runBench reports every workload with work done and positive rates', () => {
  assert.equal(report.schema, BENCH_SCHEMA);
  assert.equal(report.quick, true);
  assert.equal(report.node_version, process.version);
  assert.equal(typeof report.cpu_model, 'string');
  assert.deepEqual(
    report.workloads.map((w) => w.name),
    NAMES,
  );
  for (const w of report.workloads) {
    assert.ok(w.effects > 0, `${w.name}: effects`);
    assert.ok(w.events > 0, `${w.name}: events`);
    assert.ok(w.sim_ns > 0, `${w.name}: sim_ns`);
    assert.ok(w.wall_ms > 0 && w.effects_per_s > 0 && w.events_per_s > 0, `${w.name}: rates`);
    assert.equal(w.repetitions, 3);
    assert.ok(w.best_repetition >= 1 && w.best_repetition <= 3, `${w.name}: best_repetition`);
  }
});

/**
 * What each quick workload does, exactly. The work is deterministic: a fixed configuration at
 * seed 1, and the engine orders effects by simulated time with ties by insertion order, so effects,
 * events and simulated time are the same on every host and every run (runBench also checks its
 * three repetitions agree). These are the model's figures, pinned: a change to the kernel, the
 * libc or the cost model that moves them must update them here and say why.
 */
const QUICK_WORK: Record<string, { effects: number; events: number; sim_ns: number }> = {
  compute: { effects: 1_010_414, events: 1_040_382, sim_ns: 2_505_542_970 },
  'compute-dwrr': { effects: 1_014_597, events: 1_016_364, sim_ns: 2_504_826_441 },
  'futex-pingpong': { effects: 1_920_940, events: 1_501_906, sim_ns: 135_922_382 },
  primes: { effects: 557, events: 642, sim_ns: 13_487_349 }, // timespec timeouts: 8 more effects (issue 11)
};

test('the quick workloads do exactly the same work on every host: effects, events, simulated time', () => {
  for (const w of report.workloads) {
    assert.deepEqual({ effects: w.effects, events: w.events, sim_ns: w.sim_ns }, QUICK_WORK[w.name], w.name);
  }
});

test('the quick workloads do at least the work their configuration asks for', () => {
  const byName = new Map(report.workloads.map((w) => [w.name, w]));
  const spinIterations = 250_000;
  const computeNs = (30_000 / 3000) * 1000; // 30,000 cycles at 3 GHz: 10 µs
  for (const name of ['compute', 'compute-dwrr']) {
    const w = byName.get(name)!;
    // 4 threads, one per CPU, each yields 250,000 compute effects of 10 µs (jitter averages out
    // to within 1%): at least that many effects, and about 2.5 s of simulated time.
    assert.ok(w.effects >= 4 * spinIterations, `${name}: ${w.effects} effects`);
    const ideal = spinIterations * computeNs;
    assert.ok(Math.abs(w.sim_ns / ideal - 1) < 0.01, `${name}: ${w.sim_ns} ns for ${ideal} ns of work`);
  }
  // Two pairs hand a token 15,000 times each: every hand-off is at least a wake and a wait.
  assert.ok(byName.get('futex-pingpong')!.effects >= 2 * 15_000 * 2);
});

test('compute and ping-pong have a reference loop and a positive finite ratio; the others do not', () => {
  const compute = report.workloads.find((w) => w.name === 'compute')!;
  const pingpong = report.workloads.find((w) => w.name === 'futex-pingpong')!;
  for (const w of [compute, pingpong]) {
    assert.ok(w.reference !== undefined);
    assert.ok(w.reference.effects_per_s > 0);
    assert.ok(Number.isFinite(w.ratio) && w.ratio! > 0);
  }
  assert.equal(report.ratio_compute, compute.ratio);
  assert.equal(report.ratio_pingpong, pingpong.ratio);
  for (const w of report.workloads.filter((x) => x.name !== 'compute' && x.name !== 'futex-pingpong')) {
    assert.equal(w.reference, undefined);
    assert.equal(w.ratio, undefined);
  }
});

test('the workloads are fixed: seed 1, four CPUs, and the same work on every build', () => {
  const a = benchWorkloads(true);
  const b = benchWorkloads(true);
  assert.deepEqual(a, b);
  for (const w of a) {
    assert.equal(w.config.seed, 1);
    assert.equal(w.config.machine.topology.cpus, 4);
  }
  // runBench checks that its three repetitions did identical work (effects, events, sim time);
  // the quick report above would have thrown otherwise.
});

test('the quick run is smaller than the normal one', () => {
  const quick = benchWorkloads(true);
  const full = benchWorkloads(false);
  const spin = (w: (typeof quick)[number]) => w.config.workloads[0]!;
  const q = spin(quick[0]!);
  const f = spin(full[0]!);
  assert.ok(q.kind === 'spin' && f.kind === 'spin' && q.iterations < f.iterations);
  const primes = full.find((w) => w.name === 'primes')!.config.workloads[0]!;
  assert.ok(primes.kind === 'primes');
  assert.deepEqual(primes.range, [2, 2_000_000]);
});

test('referenceLoop yields exactly the effects asked for, spread over the generators', () => {
  const r = referenceLoop(1000, 4);
  assert.equal(r.effects, 1000);
  // One pop per effect plus one final pop per generator, when it finds its generator done.
  assert.equal(r.events, 1004);
  assert.ok(r.wallMs >= 0);
  assert.equal(referenceLoop(1001, 4).effects, 1001);
  assert.equal(referenceLoop(3, 8).effects, 3);
  assert.equal(referenceLoop(0, 2).effects, 0);
  assert.throws(() => referenceLoop(10, 0), /generators/);
});

test('latestBenchResult picks the lexicographically newest result and skips empty files', () => {
  const results = join(dir, 'latest');
  assert.equal(latestBenchResult(results), null, 'missing directory');
  writeBenchResult({ ...report, cpu_model: 'a' }, join(results, '2025-01-09-old.json'));
  writeBenchResult({ ...report, cpu_model: 'b' }, join(results, '2025-03-01-newest.json'));
  writeBenchResult({ ...report, cpu_model: 'c' }, join(results, '2025-02-28-zzz.json'));
  writeFileSync(join(results, 'README.txt'), 'not a result');
  writeFileSync(join(results, '2025-04-01-being-written.json'), '');
  const latest = latestBenchResult(results);
  assert.ok(latest !== null);
  assert.equal(latest.file, join(results, '2025-03-01-newest.json'));
  assert.equal(latest.report.cpu_model, 'b');
});

test('latestBenchResult names a result file that is not a bench report', () => {
  const results = join(dir, 'bad');
  writeBenchResult(report, join(results, '2025-01-01-ok.json'));
  writeFileSync(join(results, '2025-01-02-bad.json'), '{"schema": "smpsim.run/1"}');
  assert.throws(() => latestBenchResult(results), /2025-01-02-bad\.json: schema is not smpsim\.bench\/1/);
});

test('compareWithPrevious gives new ÷ old effects per second for each workload', () => {
  const results = join(dir, 'compare');
  assert.equal(compareWithPrevious(report, results), null);
  writeBenchResult(scaled(report, 0.5), join(results, '2025-01-01-slow.json'));
  const cmp = compareWithPrevious(report, results);
  assert.ok(cmp !== null);
  assert.equal(cmp.file, join(results, '2025-01-01-slow.json'));
  assert.deepEqual(Object.keys(cmp.effects_per_s_ratio), NAMES);
  for (const ratio of Object.values(cmp.effects_per_s_ratio)) assert.ok(Math.abs(ratio - 2) < 1e-3);
  assert.equal(cmp.ratio_compute_ratio, 1);
});

test('benchCommand prints one JSON object, with the comparison when a result is recorded', async () => {
  const results = join(dir, 'command');
  const run = () => report;
  let out = '';
  const io = { out: (s: string) => (out += s) };
  assert.equal(await benchCommand({ json: true, quick: true }, io, { resultsDir: results, run }), 0);
  const first = JSON.parse(out);
  assert.equal(first.schema, BENCH_SCHEMA);
  assert.equal('previous' in first, false);

  writeBenchResult(scaled(report, 0.25), join(results, '2025-01-01-before.json'));
  out = '';
  assert.equal(await benchCommand({ json: true, quick: true }, io, { resultsDir: results, run }), 0);
  const second = JSON.parse(out);
  assert.equal(second.previous.file, join(results, '2025-01-01-before.json'));
  assert.ok(Math.abs(second.previous.effects_per_s_ratio.compute - 4) < 1e-3);
});

test('formatBench shows every workload, the reference ratio against the target, and the comparison', () => {
  const text = formatBench(report);
  for (const name of NAMES) assert.match(text, new RegExp(`^${name} `, 'm'));
  // Issue 14's goals: compute 0.5 of the reference loop, ping-pong 0.25.
  assert.match(text, /^compute: reference loop .* ratio \d+\.\d{3} \((meets|BELOW) the 0\.50 target\)/m);
  assert.match(
    text,
    /^futex-pingpong: reference loop .* ratio \d+\.\d{3} \((meets|BELOW) the 0\.25 target\)/m,
  );
  assert.match(text, /^multi-run: 6 runs of smpsim scale .* on 2 worker threads = \d+\.\d\dx/m);
  assert.match(text, /^start-up to the first simulated event: \d+ ms/m);
  const cmp = {
    file: 'bench/results/x.json',
    quick: false,
    effects_per_s_ratio: { compute: 1.5 },
    ratio_compute_ratio: 1.2,
  };
  const withPrevious = formatBench(report, cmp);
  assert.match(withPrevious, /against bench\/results\/x\.json/);
  assert.match(withPrevious, /compute\s+1\.500/);
});

test('the multi-run and start-up measures: the quick study is 2 policies x 3 CPU counts x 1 seed', () => {
  const m = report.multi_run!;
  assert.equal(m.runs, 6);
  assert.equal(m.jobs, 2);
  assert.equal(m.rounds, 3);
  assert.ok(m.serial_wall_ms > 0 && m.parallel_wall_ms > 0);
  assert.ok(
    Math.abs(m.speedup - m.serial_wall_ms / m.parallel_wall_ms) < 0.01,
    'speedup = serial / parallel',
  );
  const s = report.startup!;
  assert.equal(s.repetitions, 3);
  assert.ok(s.wall_ms > 0);
  // The CLI cannot start before Node has.
  assert.ok(
    s.node_wall_ms! > 0 && s.node_wall_ms! < s.wall_ms,
    `node ${s.node_wall_ms} ms, CLI ${s.wall_ms} ms`,
  );
  assert.equal(s.command, 'bin/smpsim.js run scenarios/seeds/futex-robust.toml --set limits.events_max=1');
});

test('a result recorded before the issue 14 fields (no ping-pong ratio, multi-run, start-up) still compares', () => {
  const old = join(dir, 'old');
  const { ratio_pingpong, multi_run, startup, scale, ...before } = report;
  const pingpong = before.workloads.map((w) => {
    if (w.name !== 'futex-pingpong') return w;
    const { reference, ratio, ...rest } = w;
    return rest;
  });
  writeBenchResult({ ...before, workloads: pingpong }, join(old, '2025-01-01-old.json'));
  const cmp = compareWithPrevious(report, old)!;
  assert.equal(cmp.effects_per_s_ratio['futex-pingpong'], 1);
  assert.equal(cmp.ratio_compute_ratio, 1);
  assert.ok(
    ratio_pingpong !== undefined && multi_run !== undefined && startup !== undefined && scale !== undefined,
  );
});
