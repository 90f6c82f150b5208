// `smpsim sweep` (issue 23): a matrix of runs as JSONL, resumable, with medians over seeds; the
// record of a run is what running its configuration alone gives, wherever it ran.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { sweepRunConfig } from '../../src/cli/sweep.ts';
import { runConfig } from '../../src/report/run.ts';
import { parseResults, type SweepRecord } from '../../src/report/sweep-record.ts';
import { readSweepFile } from '../../src/scenario/sweep-file.ts';
import { smpsim } from '../support/cli.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'sweep');
const SWEEP = join(FIXTURES, 'spin-sweep.toml');
const tmp = () => mkdtempSync(join(tmpdir(), 'smpsim-sweep-'));
const records = (file: string) => parseResults(readFileSync(file, 'utf8'), file);

/** Records without their order: a resumed or parallel sweep writes the same set. */
const byKey = (m: Map<string, SweepRecord>) =>
  Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)));

test('the fixture matrix expands to 2 policies x 2 CPU counts x 2 cycle counts x 3 seeds, seed innermost', () => {
  const plan = readSweepFile(SWEEP);
  assert.equal(plan.runs.length, 24);
  assert.deepEqual(plan.seeds, [1, 2, 3]);
  assert.equal(new Set(plan.runs.map((r) => r.key)).size, 24);
  assert.equal(plan.runs[0]!.key, 'policy=dwrr cpus=1 workload.0.cycles=20000 seed=1');
  assert.equal(plan.runs[23]!.key, 'policy=fair cpus=2 workload.0.cycles=60000 seed=3');
  assert.deepEqual(plan.runs[0]!.set, [
    'kernel.scheduler="dwrr"',
    'machine.cpus=1',
    'workload.0.cycles=20000',
  ]);
});

test('a sweep writes one record per run, each what its run alone gives, and medians over the seeds', async () => {
  const dir = tmp();
  const out = join(dir, 'r.jsonl');
  const got = await smpsim(
    'sweep',
    SWEEP,
    '--out',
    out,
    '--jobs',
    '2',
    '--json',
    '--plot',
    join(dir, 'p.svg'),
  );
  assert.equal(got.status, 0, got.err);
  const recs = records(out);
  assert.equal(recs.size, 24);
  const plan = readSweepFile(SWEEP);
  const spec = plan.runs[13]!;
  const direct = runConfig(sweepRunConfig(plan, spec), { skipNameChecks: true });
  const rec = recs.get(spec.key)!;
  assert.equal(rec.trace_hash, direct.trace_hash);
  assert.equal(rec.metrics.context_switches, direct.metrics.context_switches);
  assert.equal(rec.seed, spec.seed);
  const summary = JSON.parse(got.out) as { rows: { group: string; medians: Record<string, number> }[] };
  assert.equal(summary.rows.length, 8);
  for (const row of summary.rows) {
    const sims = plan.runs
      .filter((r) => r.key.startsWith(`${row.group} seed=`))
      .map((r) => recs.get(r.key)!.sim_ns)
      .sort((a, b) => a - b);
    assert.equal(sims.length, 3);
    assert.equal(row.medians.sim_ns, sims[1], `the median of ${row.group}`);
  }
  // The plot: one line per policy x cycles combination over the 2 CPU counts, 8 points.
  const svg = readFileSync(join(dir, 'p.svg'), 'utf8');
  assert.match(svg, /^<svg/);
  assert.equal((svg.match(/policy=fair workload\.0\.cycles=60000/g) ?? []).length >= 1, true);
});

test('an interrupted sweep resumes: runs in the file are skipped, a cut-off last line is rerun', async () => {
  const dir = tmp();
  const full = join(dir, 'full.jsonl');
  assert.equal((await smpsim('sweep', SWEEP, '--out', full, '--jobs', '1')).status, 0);
  const lines = readFileSync(full, 'utf8').split('\n');
  const cut = join(dir, 'cut.jsonl');
  writeFileSync(cut, `${lines.slice(0, 7).join('\n')}\n${lines[7]!.slice(0, 40)}`);
  const resumed = await smpsim('sweep', SWEEP, '--out', cut, '--jobs', '2');
  assert.equal(resumed.status, 0, resumed.err);
  assert.match(resumed.out, /24 runs \(7 already in /);
  // The cut-off line is cut from the file before the new lines are appended after it.
  const again = records(cut);
  assert.equal(readFileSync(cut, 'utf8').split('\n').length, 25);
  assert.deepEqual(byKey(again), byKey(records(full)));
});

test('bad sweep files are one-line errors naming the field', async () => {
  const dir = tmp();
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const spin = join(FIXTURES, 'spin.toml');
  const cases: [string, RegExp][] = [
    ['metrics = ["sim_ns"]\n', /scenario: expected the scenario's path/],
    [`scenario = "${spin}"\n`, /metrics: got undefined \(allowed: a non-empty list/],
    [
      `scenario = "${spin}"\nmetrics = ["sim_ns"]\n[matrix]\npolicy = ["fair"]\n`,
      /matrix\.policy: unknown key/,
    ],
    [
      `scenario = "${spin}"\nmetrics = ["sim_ns"]\n[matrix]\ncpus = [2, 2]\n`,
      /matrix\.cpus\.1: 2 appears twice/,
    ],
    [`scenario = "${spin}"\nmetrics = ["sim_ns"]\n[matrix]\nseeds = 0\n`, /matrix\.seeds: got 0/],
    [
      `scenario = "${spin}"\nmetrics = ["sim_nz"]\n`,
      /metrics\.0: the scenario reports no metric sim_nz \(allowed: .*sim_ns/,
    ],
    [`scenario = "${spin}"\nmetrics = ["sim_ns"]\n[matrix]\ncpus = [0]\n`, /machine\.cpus/],
  ];
  for (const [i, [text, pattern]] of cases.entries()) {
    const got = await smpsim(
      'sweep',
      file(`s${i}.toml`, text),
      '--out',
      join(dir, `o${i}.jsonl`),
      '--jobs',
      '1',
    );
    assert.equal(got.status, 2, `case ${i}: ${got.err}`);
    assert.match(got.err, /^smpsim: [^\n]+\n$/);
    assert.match(got.err, pattern, `case ${i}`);
  }
  const junk = file('junk.jsonl', '{"schema":"smpsim.sweep-run/1","key":"x"}\nnot json\n');
  const bad = await smpsim('sweep', SWEEP, '--out', junk);
  assert.equal(bad.status, 2);
  assert.match(bad.err, /junk\.jsonl:2: not JSON/);
});
