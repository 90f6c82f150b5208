// `smpsim explore PROG.ts` (issue 17): a guest program module explored on the whole machine, as
// a scenario of its own (one program workload, --cpus CPUs). The lost-update example loses an
// increment on some schedules but not the default one; PCT and random find it and the schedule
// replays to the same trace hash; its atomic variant (--set workload.0.atomic=1) never fails.
// Every run checks the kernel's invariants: a policy whose own invariant breaks makes the run's
// failure `kernel invariant: ...`.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { runConfig } from '../../src/report/run.ts';
import { loadScenario } from '../../src/scenario/load-modules.ts';

const PROGRAM = 'examples/programs/lost-update.ts';

async function smpsim(...argv: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const status = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { status, out, err };
}

test('the default schedule of lost-update counts every increment', async () => {
  const report = runConfig(await loadScenario('examples/programs/lost-update.toml'));
  assert.equal(report.passed, true);
  assert.equal(report.failure, null);
});

test('explore PROG.ts: PCT and random find the lost update; the schedule replays to the same hash', async () => {
  for (const strategy of ['pct', 'random']) {
    const r = await smpsim('explore', PROGRAM, '--strategy', strategy, '--budget', '400', '--json');
    assert.equal(r.status, 1, `${strategy}: ${r.out}`);
    const report = JSON.parse(r.out);
    assert.match(report.failure, /lost-update: counted [23], expected 4/);
    assert.equal(report.trace_hash, report.replay_trace_hash);
    const replay = await smpsim('explore', PROGRAM, '--replay', report.schedule, '--json');
    assert.equal(replay.status, 1);
    assert.equal(JSON.parse(replay.out).trace_hash, report.trace_hash);
  }
});

test('explore PROG.ts --set workload.0.atomic=1: no run of the fetch-add variant fails', async () => {
  const r = await smpsim('explore', PROGRAM, '--set', 'workload.0.atomic=1', '--budget', '40');
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /no failing run in 40 runs; not exhaustive/);
});

test("a broken invariant is the run's failure: kernel invariant, replayed to the same one", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'smpsim-explore-inv-'));
  const file = join(dir, 'inv.toml');
  const policy = resolve('test/fixtures/policies/one-runner.ts');
  writeFileSync(
    file,
    [
      'name = "inv"\nseed = 1\n[machine]\ncpus = 2',
      `[kernel]\nscheduler = { module = ${JSON.stringify(policy)}, preset = "fair" }`,
      `[[workload]]\nkind = "program"\nmodule = ${JSON.stringify(resolve(PROGRAM))}\nincrements = 50`,
    ].join('\n'),
  );
  const r = await smpsim('explore', file, '--budget', '20', '--json');
  assert.equal(r.status, 1, r.out);
  const report = JSON.parse(r.out);
  assert.match(report.failure, /^kernel invariant: .*one-runner: 2 lost-update threads run at once/);
  const replay = await smpsim('explore', file, '--replay', report.schedule, '--json');
  assert.equal(replay.status, 1);
  assert.equal(JSON.parse(replay.out).failure, report.failure, 'the replay stops at the same event');
});

test('--timing model: only the orders the cost model allows; 2 increments never overlap, 500 do', async () => {
  const quiet = await smpsim(
    'explore',
    PROGRAM,
    '--timing',
    'model',
    '--strategy',
    'random',
    '--budget',
    '30',
  );
  assert.equal(quiet.status, 0, quiet.out);
  assert.match(quiet.out, /\(random, --timing model\): no failing run in 30 runs/);
  const busy = await smpsim(
    ...['explore', PROGRAM, '--timing', 'model', '--set', 'workload.0.increments=500', '--json'],
  );
  assert.equal(busy.status, 1, busy.out);
  const report = JSON.parse(busy.out);
  assert.equal(report.timing, 'model');
  assert.match(report.schedule, /^scm:/);
  assert.equal(report.trace_hash, report.replay_trace_hash);
  const replay = await smpsim(
    ...['explore', PROGRAM, '--set', 'workload.0.increments=500', '--replay', report.schedule, '--json'],
  );
  assert.equal(JSON.parse(replay.out).trace_hash, report.trace_hash);
});
