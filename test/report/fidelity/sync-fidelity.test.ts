// The fidelity harness's mutex loop, condvar herd and schbench (issue 23): each host program does
// the guest's work (every acquisition, token and wakeup counted on both sides), and
// `smpsim fidelity --only` runs just those studies, with smpsim's figures inside the bounds the
// workloads' own work sets.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { MUTEX_SHAPES, SCHBENCH_SHAPES } from '../../../src/cli/fidelity-studies.ts';
import { buildHostProgram, runHostProgram } from '../../../src/report/fidelity/host.ts';
import { smpsim } from '../../support/cli.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const hasCc = spawnSync('cc', ['--version']).status === 0;
const skip = !hasCc && process.env.CI !== 'true' ? 'no C compiler on this machine' : false;

test('the host mutex loop makes threads x iterations acquisitions under its lock', { skip }, () => {
  const r = runHostProgram(buildHostProgram(ROOT, 'mutexloop'), ['3', '2000', '100', '0', '3000'], 1);
  assert.equal(r.acquisitions, 6000);
  assert.ok(Number(r.elapsed_ns) >= (6000 * 100) / 3, `${r.elapsed_ns} ns for 6000 x 33 ns`);
});

test('the host condvar herd hands out waiters x rounds tokens, each round at least one poll', {
  skip,
}, () => {
  const r = runHostProgram(buildHostProgram(ROOT, 'condherd'), ['4', '3', 'broadcast', '3000'], 1);
  assert.equal(r.tokens, 12);
  assert.ok(Number(r.wakeups) >= 12, `${r.wakeups} wakeups`);
  // Round 0 waits for the 4 new waiters to sleep: at least one 200 us settle.
  assert.ok(Number(r.elapsed_ns) >= 200_000, `${r.elapsed_ns} ns`);
});

test('the host schbench records every wakeup, its percentiles in order', { skip }, () => {
  const r = runHostProgram(
    buildHostProgram(ROOT, 'schbench'),
    ['1', '2', '5', '500', '3000', '0', '3000'],
    1,
  );
  assert.equal(r.samples, 10);
  const ps = [r.p50_ns, r.p90_ns, r.p99_ns, r.p999_ns, r.max_ns].map(Number);
  assert.deepEqual(
    ps,
    [...ps].sort((a, b) => a - b),
  );
  assert.ok(ps[0]! > 0 && ps[4]! < 500_000_000, `${ps}`);
});

interface Json {
  points: unknown[];
  pingpong: unknown[];
  mutex: { cpus: number; threads: number; iterations: number; sim_ns: number; same_work: boolean }[];
  condherd: {
    waiters: number;
    rounds: number;
    sim_ns_per_round: number;
    sim_wakeups: number;
    same_work: boolean;
  }[];
  schbench: { sim_p50_ns: number; sim_p99_ns: number; p99_error: number; same_work: boolean }[];
}

test('smpsim fidelity --only mutex,condherd,schbench --quick: one point per shape at 1 CPU, the same work', {
  skip,
}, async () => {
  const got = await smpsim(
    'fidelity',
    '--only',
    'mutex,condherd,schbench',
    '--quick',
    '--runs',
    '1',
    '--cpus',
    '1',
    '--json',
  );
  assert.equal(got.status, 0, got.err);
  const r = JSON.parse(got.out) as Json;
  assert.deepEqual([r.points, r.pingpong], [[], []]);
  assert.equal(r.mutex.length, MUTEX_SHAPES.length);
  for (const [i, p] of r.mutex.entries()) {
    assert.ok(p.same_work);
    const { csCycles, outsideCycles } = MUTEX_SHAPES[i]!;
    // Every section and its outside work, one after another on one CPU: their sum at 3 GHz.
    const floor = (p.threads * p.iterations * (csCycles + outsideCycles)) / 3;
    assert.ok(p.sim_ns >= floor && p.sim_ns < 4 * floor + 1e6, `${p.sim_ns} ns against ${floor}`);
  }
  const [herd] = r.condherd;
  assert.ok(herd!.same_work);
  // Improved libc, broadcast: each waiter returns from its wait once per round, none re-sleeps.
  assert.equal(herd!.sim_wakeups, herd!.waiters * herd!.rounds);
  // A round is at least one 200 us settle sleep, and its 50 us slack at most once more.
  assert.ok(herd!.sim_ns_per_round >= 200_000, `${herd!.sim_ns_per_round}`);
  assert.equal(r.schbench.length, SCHBENCH_SHAPES.length);
  for (const sb of r.schbench) assert.ok(sb.same_work && sb.sim_p50_ns > 0 && sb.sim_p50_ns <= sb.sim_p99_ns);
  // One worker per message thread on one CPU: nothing queues ahead of it, so its wakeup is a
  // futex wake, the messenger's nanosleep and a switch: a few µs, under the other's 10 µs think.
  const single = r.schbench[1]!;
  assert.ok(single.sim_p99_ns < 10_000, `${single.sim_p99_ns} ns`);
});

test('fidelity --only refuses an unknown study in one line', async () => {
  const got = await smpsim('fidelity', '--only', 'primes,herd');
  assert.equal(got.status, 2);
  assert.match(got.err, /^smpsim: --only: herd \(allowed: primes, pingpong, mutex, condherd, schbench\)\n$/);
});
