// The fidelity harness and calibration (issue 23): the host program does the guest's work
// operation for operation, the division fit recovers known charges, a profile reaches the primes
// workload through [costs], and the command's JSON has a point per shape and worker count.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type Calibration,
  fitDivision,
  profileCosts,
  profileText,
} from '../../../src/report/fidelity/calibrate.ts';
import { CHECK_RANGE, type DivisionCheck } from '../../../src/report/fidelity/division-check.ts';
import { buildHostProgram, hostCpus, runHostProgram } from '../../../src/report/fidelity/host.ts';
import { runConfig } from '../../../src/report/run.ts';
import { parseScenario } from '../../../src/scenario/load.ts';
import { basePrimes, sieveCount, trialDivide, workerSegments } from '../../../src/workloads/primes-math.ts';
import { smpsim } from '../../support/cli.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const hasCc = spawnSync('cc', ['--version']).status === 0;
const skip = !hasCc && process.env.CI !== 'true' ? 'no C compiler on this machine' : false;

test('the host primes program counts what the guest counts, with the same divisions', { skip }, () => {
  const bin = buildHostProgram(ROOT, 'primes');
  const range: [number, number] = [2, 300_000];
  const bases = basePrimes(Math.ceil(Math.sqrt(range[1])));
  for (const [mode, partition, workers] of [
    ['thread', 'interleaved', 2],
    ['process', 'contiguous', 3],
  ] as const) {
    const r = runHostProgram(bin, [mode, String(workers), '2', '300000', '10000', partition], 1);
    let divisions = 0;
    for (let i = 0; i < workers; i++)
      for (const [lo, hi] of workerSegments(range, 10_000, workers, i, partition))
        divisions += trialDivide(lo, hi, bases).divisions;
    const expected = sieveCount(...range);
    assert.equal(r.count, expected.count);
    assert.equal(r.sum, expected.sum);
    assert.equal(r.divisions, divisions, `${mode}/${partition}: the guest's trial divisions`);
  }
});

test('the division fit recovers the per-division and per-candidate times it was given', () => {
  fc.assert(
    fc.property(
      fc.double({ min: 0.1, max: 50, noNaN: true }),
      fc.double({ min: 0, max: 50, noNaN: true }),
      (d, c) => {
        const shapes = [
          [2_970_964, 299_998],
          [2_100_000, 200_000],
          [4_837_663, 100_000],
        ];
        const fit = fitDivision(
          shapes.map(([D, C]) => ({ ns: d * D! + c * C!, divisions: D!, candidates: C! })),
        );
        assert.ok(Math.abs(fit.divisionNs - d) < 1e-6 * (1 + d));
        assert.ok(Math.abs(fit.candidateNs - c) < 1e-6 * (1 + c));
      },
    ),
    { numRuns: 200, seed: 23 },
  );
});

test('calibrate wake: a median wake-up and FUTEX_WAKE call after a shallow sleep', {
  skip: skip || (hostCpus() < 2 ? 'one CPU: the wake mode pins to CPUs 0 and 1' : false),
}, () => {
  const bin = buildHostProgram(ROOT, 'calibrate');
  const r = runHostProgram(bin, ['wake', '20000'], 2);
  assert.equal(r.mode, 'wake');
  assert.equal(r.sleep_ns, 20000);
  // A wake-up and a system call each take more than nothing and far less than the 20 us sleep's
  // 400 rounds together (8 ms); a figure of 0 or in the milliseconds would be a broken stamp.
  for (const k of ['ns', 'call_ns']) assert.ok(Number(r[k]) > 50 && Number(r[k]) < 8_000_000, `${k} ${r[k]}`);
});

const CAL: Calibration = {
  divisionNs: 2.2,
  candidateNs: 0.5,
  syscallNs: 161.4,
  pipeRoundTripNs: 4745,
  futexRoundTripNs: 9000,
  cacheLineRoundTripNs: 200,
  atomicNs: 7.4,
  threadCreateNs: 20000,
  forkNs: 130000,
  wakeShallow: { ns: 8000, callNs: 3400 },
  wakeDeep: { ns: 30000, callNs: 6400 },
};

test('a calibration maps to costs: cycles at the simulated clock, lat_ctx switch, half a line round trip, a local CAS, the deep wake-up split', () => {
  assert.deepEqual(profileCosts(CAL, 3000), {
    divisionCycles: 6.6,
    candidateCycles: 1.5,
    syscallNs: 161,
    contextSwitchNs: Math.round(4745 / 2 - 2 * 161.4),
    cacheLineNs: 100,
    atomicNs: 7,
    // The deep wake-up's 22 us of growth: 3 us in the waker's FUTEX_WAKE, 19 us the rest.
    coldAfterIdleNs: 3000,
    wakeFromIdleNs: 19000,
  });
  // A deep wake-up no slower than a shallow one charges nothing (not a negative time).
  const flat = { ...CAL, wakeDeep: { ns: 7000, callNs: 3000 } };
  assert.deepEqual(
    [profileCosts(flat, 3000).coldAfterIdleNs, profileCosts(flat, 3000).wakeFromIdleNs],
    [0, 0],
  );
});

const scenario = (profile: string) => `
name = "charged"
seed = 1
[machine]
cpus = 1
[kernel]
scheduler = "fair"
[costs]
profile = "${profile}"
computeJitterPpm = 0
cpuSkewPpm = 0
[[workload]]
kind = "primes"
mode = "thread"
workers = 1
range = [2, 200000]
`;

test('a profile reaches the primes workload: doubling divisionCycles adds divisions x cycles of time', () => {
  const dir = mkdtempSync(join(tmpdir(), 'smpsim-profile-'));
  const run = (division: number) => {
    writeFileSync(join(dir, 'p.toml'), `[costs]\ndivisionCycles = ${division}\ncandidateCycles = 0\n`);
    const config = parseScenario(scenario('p.toml'), join(dir, 's.toml'));
    assert.equal(config.costs.divisionCycles, division);
    return runConfig(config).metrics;
  };
  const a = run(4);
  const b = run(8);
  const divisions = a['workload.primes.divisions']!;
  // 4 more cycles per division at 3000 MHz (each of the ~100 chunks rounds to a whole cycle),
  // plus the 1000 Hz ticks that land in the longer run: each costs its interrupt entry and
  // handler (irqEntryNs 250 + timerIrqNs 400) and at most a pick, so under 1 us a tick.
  const expectedNs = (divisions * 4) / 3;
  const extraTicks = Math.ceil(expectedNs / 1e6) + 1;
  const delta = b['workload.primes.elapsed_ns']! - a['workload.primes.elapsed_ns']!;
  assert.ok(
    delta >= expectedNs - 100 && delta <= expectedNs + extraTicks * 1000,
    `delta ${delta} vs ${expectedNs}`,
  );
  const text = profileText(CAL, 3000, 'test host');
  writeFileSync(join(dir, 'host.toml'), text);
  assert.equal(parseScenario(scenario('host.toml'), join(dir, 's.toml')).costs.syscallNs, 161);
});

test('smpsim fidelity --json: a point per shape and worker count, the same work on both sides', {
  skip,
}, async () => {
  const got = await smpsim(
    'fidelity',
    '--only',
    'primes,pingpong',
    '--range',
    '2,200000',
    '--runs',
    '1',
    '--cpus',
    '1',
    '--json',
  );
  assert.equal(got.status, 0, got.err);
  const r = JSON.parse(got.out) as {
    schema: string;
    points: { shape: string; same_work: boolean; speedup_error: number }[];
  };
  assert.equal(r.schema, 'smpsim.fidelity/1');
  assert.deepEqual(
    r.points.map((p) => p.shape),
    ['thread/contiguous', 'process/contiguous', 'thread/interleaved'],
  );
  assert.ok(r.points.every((p) => p.same_work && p.speedup_error === 0));
  // The speed check divides CHECK_RANGE as the guest would and prices it at the default charges.
  const check = (JSON.parse(got.out) as { division_check: DivisionCheck }).division_check;
  const [lo, hi] = CHECK_RANGE;
  const divisions = trialDivide(lo, hi, basePrimes(Math.ceil(Math.sqrt(hi)))).divisions;
  assert.deepEqual([check.divisions, check.candidates], [divisions, hi - lo]);
  assert.equal(check.charged_ns, Math.round(((divisions * 26 + (hi - lo) * 6) * 1000) / 3000));
  assert.ok(check.host_before_ns > 0 && check.host_after_ns > 0);
  const pp = (JSON.parse(got.out) as { pingpong: { cpus: number; sim_ns_per_handoff: number }[] }).pingpong;
  assert.deepEqual(
    pp.map((p) => p.cpus),
    [1],
  );
  // A hand-off on one CPU is at least the turn's 200 cycles, a futex wake and a context switch.
  assert.ok(pp[0]!.sim_ns_per_handoff > 200 / 3 + 1000, `${pp[0]!.sim_ns_per_handoff} ns`);
});

test('bad profiles and flags are one-line errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'smpsim-profile-'));
  writeFileSync(join(dir, 'bad.toml'), '[costs]\nsyscallNz = 3\n');
  const got = await smpsim('fidelity', '--profile', join(dir, 'bad.toml'));
  assert.equal(got.status, 2);
  assert.match(
    got.err,
    /^smpsim: .*bad\.toml: costs\.syscallNz: unknown cost parameter \(allowed: [^\n]*syscallNs[^\n]*\)\n$/,
  );
  const range = await smpsim('fidelity', '--range', '5,3');
  assert.equal(range.status, 2);
  assert.match(range.err, /--range: 5,3 \(allowed: LO,HI/);
  const d = mkdtempSync(join(tmpdir(), 'smpsim-profile-'));
  writeFileSync(join(d, 'frac.toml'), '[costs]\nsyscallNs = 100.5\n');
  const config = () => parseScenario(scenario('frac.toml'), join(d, 's.toml'));
  assert.throws(config, /frac\.toml: costs\.syscallNs: 100\.5 is not a whole number/);
});
