// Scenario loading: defaults, overrides and the one-line errors for bad input.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultRunConfig } from '../../src/machine/defaults.ts';
import { ScenarioError } from '../../src/scenario/errors.ts';
import { loadScenarioFile, parseScenario, type ScenarioOverrides } from '../../src/scenario/load.ts';

const DESIGN_EXAMPLE = `
name = "smp-process-scale"
seed = 1
description = "Primes over four CPUs.\\nSecond line."
claims = ["SCHED-13", "RING-6"]
[machine]
cpus = 4
tick = { source = "lapic", hz = 1000 }
[kernel]
scheduler = "fair"
[[workload]]
kind = "primes"
mode = "process"
workers = 4
range = [2, 2_000_000]
[[expect]]
metric = "workload.primes.count"
equals = 148933
`;

/** The message of the ScenarioError that parsing `text` throws. */
function errorOf(text: string, overrides?: ScenarioOverrides): ScenarioError {
  try {
    parseScenario(text, 'bad.toml', overrides);
  } catch (error) {
    assert.ok(error instanceof ScenarioError, `expected a ScenarioError, got ${String(error)}`);
    assert.doesNotMatch(error.message, /\n/);
    return error;
  }
  assert.fail('expected parseScenario to throw');
}

test('the design example loads with defaults filled in', () => {
  const config = parseScenario(DESIGN_EXAMPLE, 'x.toml');
  const expected = defaultRunConfig('fair', 4);
  assert.deepEqual(config, {
    ...expected,
    name: 'smp-process-scale',
    workloads: [
      {
        kind: 'primes',
        mode: 'process',
        workers: 4,
        range: [2, 2_000_000],
        segment: 10000,
        partition: 'interleaved',
      },
    ],
    expect: [{ metric: 'workload.primes.count', equals: 148933 }],
  });
});

/** The least a scenario runs: one spin thread (a scenario without a workload is refused). */
const SPIN = '\n[[workload]]\nkind = "spin"\nthreads = 1\niterations = 1\ncycles = 1';
const SPIN_CONFIG = { kind: 'spin', threads: 1, iterations: 1, cycles: 1 } as const;

test('a minimal scenario gets the fair preset with four CPUs', () => {
  assert.deepEqual(parseScenario(`name = "m"${SPIN}`, 'm.toml'), {
    ...defaultRunConfig('fair', 4),
    name: 'm',
    workloads: [SPIN_CONFIG],
  });
});

test('a scenario without a workload is refused: it would pass having done nothing', () => {
  assert.equal(
    errorOf('name = "idle"').message,
    'bad.toml: workload: the scenario has no [[workload]] (allowed: at least one [[workload]] table)',
  );
});

test('the dwrr scheduler brings the PIT tick unless the tick is given', () => {
  const pit = parseScenario(`name = "d"\n[kernel]\nscheduler = "dwrr"${SPIN}`, 'd.toml');
  assert.deepEqual(pit.machine.tick, { source: 'pit', hz: 246 });
  const lapic = parseScenario(
    `name = "d"\n[kernel]\nscheduler = "dwrr"\n[machine]\ncpus = 2\ntick = { source = "lapic" }${SPIN}`,
    'd.toml',
  );
  assert.deepEqual(lapic.machine.tick, { source: 'lapic', hz: 1000 });
});

test('an unknown scheduler names the field and the allowed policies', () => {
  const error = errorOf('name = "x"\n[kernel]\nscheduler = "cfs"');
  assert.equal(
    error.message,
    'bad.toml: kernel.scheduler: "cfs" is not a scheduler (allowed: dwrr, redbear, fair, gedf)',
  );
  assert.equal(error.file, 'bad.toml');
  assert.equal(error.field, 'kernel.scheduler');
});

test('[kernel] locks: tas (absent), mcs or ticket (SCHED-10)', () => {
  assert.equal(parseScenario(`name = "l"${SPIN}`, 'l.toml').kernel.locks, undefined);
  assert.equal(parseScenario(`name = "l"\n[kernel]\nlocks = "mcs"${SPIN}`, 'l.toml').kernel.locks, 'mcs');
  assert.equal(
    parseScenario(`name = "l"\n[kernel]\nlocks = "ticket"${SPIN}`, 'l.toml').kernel.locks,
    'ticket',
  );
  assert.equal(
    errorOf('name = "x"\n[kernel]\nlocks = "qspin"').message,
    'bad.toml: kernel.locks: "qspin" is not a lock kind (allowed: tas, mcs, ticket)',
  );
});

test('unknown keys are rejected at every level with the allowed keys listed', () => {
  assert.match(
    errorOf('name = "x"\ncolour = 1').message,
    /^bad\.toml: colour: unknown key \(allowed: (\w+, )+\.\.\. \d+ more\)$/,
  );
  assert.match(errorOf('name = "x"\n[machine]\ncpus = 2\ncpuz = 2').message, /machine\.cpuz: unknown key/);
  assert.match(
    errorOf('name = "x"\n[machine]\ncpus = 2\ntick = { hz = 100, rate = 1 }').message,
    /machine\.tick\.rate/,
  );
  const spin = errorOf('name = "x"\n[[workload]]\nkind = "spin"\nworkers = 2\niterations = 1\ncycles = 1');
  assert.match(
    spin.message,
    /workload\.0\.workers: unknown key \(allowed: kind, threads, iterations, cycles\)/,
  );
});

test('wrong types and out-of-range values name the field', () => {
  assert.equal(errorOf('name = 3').message, 'bad.toml: name: expected a string, got an integer');
  assert.equal(
    errorOf('name = "x"\n[machine]\ncpus = 300').message,
    'bad.toml: machine.cpus: 300 is out of range (allowed: 1..256)',
  );
  assert.match(
    errorOf('name = "x"\n[machine]\ncpus = "four"').message,
    /machine\.cpus: expected an integer, got "four"/,
  );
  assert.match(errorOf('name = "x"\n[machine]\nsmt = 2').message, /machine\.cpus: required key is missing/);
  assert.match(errorOf('name = "x"\nseed = -1').message, /seed: -1 is out of range/);
  assert.match(errorOf('seed = 1').message, /bad\.toml: name: required key is missing/);
  assert.match(
    errorOf('name = "x"\n[costs]\nipiLatencyNs = -5').message,
    /costs\.ipiLatencyNs: -5 is out of range/,
  );
});

test('topology must split evenly into packages, cores and nodes', () => {
  const cpus = errorOf('name = "x"\n[machine]\ncpus = 6\nsmt = 2\npackages = 2');
  assert.equal(cpus.field, 'machine.cpus');
  assert.match(cpus.message, /\(allowed: a multiple of 4\)$/);
  assert.equal(
    errorOf('name = "x"\n[machine]\ncpus = 6\npackages = 3\nnuma_nodes = 2').field,
    'machine.numa_nodes',
  );
  assert.equal(errorOf('name = "x"\n[machine]\ncpus = 4\nsmt = 3').field, 'machine.smt');
});

test('workload ranges must be two ordered integers within bounds', () => {
  const w = (range: string) => errorOf(`name = "x"\n[[workload]]\nkind = "primes"\nrange = ${range}`);
  assert.equal(w('[5, 5]').field, 'workload.0.range');
  assert.equal(w('[1, 2, 3]').field, 'workload.0.range');
  assert.equal(w('[0, 100_000_001]').field, 'workload.0.range.1');
  assert.equal(w('[-1, 10]').field, 'workload.0.range.0');
  assert.equal(errorOf('name = "x"\n[workload]\nkind = "primes"').field, 'workload');
  assert.equal(
    errorOf('name = "x"\n[[workload]]\nkind = "fork"').message.includes(
      '(allowed: primes, spin, pingpong, futexhash, program, rtapp)',
    ),
    true,
  );
});

test('an expectation needs exactly one comparison', () => {
  assert.match(errorOf('name = "x"\n[[expect]]\nmetric = "m"').message, /expect\.0: no comparison given/);
  assert.match(
    errorOf('name = "x"\n[[expect]]\nmetric = "m"\nmin = 1\nmax = 2').message,
    /min and max given together/,
  );
  const ok = parseScenario(`name = "x"${SPIN}\n[[expect]]\nmetric = "m"\nmax = 2.5\nnote = "why"`, 'x.toml');
  assert.deepEqual(ok.expect, [{ metric: 'm', max: 2.5, note: 'why' }]);
});

test('syntax errors are one line with the position', () => {
  const error = errorOf('name = "x"\nseed = \n');
  assert.equal(error.message, 'bad.toml: syntax error at line 2, column 8: invalid value');
});

test('a missing file is a ScenarioError naming the file and the errno code', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'smpsim-')), 'nope.toml');
  assert.throws(() => loadScenarioFile(path), {
    name: 'ScenarioError',
    message: `${path}: cannot read scenario file (ENOENT)`,
  });
});

test('loadScenarioFile reads a file from disk', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'smpsim-')), 'ok.toml');
  writeFileSync(path, DESIGN_EXAMPLE);
  assert.equal(loadScenarioFile(path, { seed: 9 }).seed, 9);
});

test('--set overrides are applied before validation and typed as TOML values', () => {
  const config = parseScenario(DESIGN_EXAMPLE, 'x.toml', {
    set: [
      'machine.cpus=8',
      'kernel.scheduler=dwrr',
      'workload.0.workers=8',
      'costs.ipiLatencyNs=2000',
      'name="a b"',
    ],
  });
  assert.equal(config.machine.topology.cpus, 8);
  assert.equal(config.kernel.scheduler, 'dwrr');
  assert.equal(config.workloads[0]?.kind === 'primes' && config.workloads[0].workers, 8);
  assert.deepEqual(config.costs, { ipiLatencyNs: 2000 });
  assert.equal(config.name, 'a b');
  const range = parseScenario(DESIGN_EXAMPLE, 'x.toml', { set: ['workload.0.range=[10, 20]'] });
  assert.deepEqual(range.workloads[0]?.kind === 'primes' && range.workloads[0].range, [10, 20]);
});

test('bad --set paths and values are errors naming --set', () => {
  assert.equal(
    errorOf(DESIGN_EXAMPLE, { set: ['workload.3.workers=1'] }).message,
    'bad.toml: --set workload.3.workers: workload has 1 entries, so "3" is not an index of it',
  );
  assert.match(errorOf(DESIGN_EXAMPLE, { set: ['machine'] }).message, /--set machine: expected path=value/);
  assert.match(errorOf(DESIGN_EXAMPLE, { set: ['name.x=1'] }).message, /--set name\.x: name is a string/);
  assert.match(errorOf(DESIGN_EXAMPLE, { set: ['.x=1'] }).message, /--set \.x: empty key/);
  assert.equal(
    errorOf(DESIGN_EXAMPLE, { set: ['machine.cpus=0'] }).message,
    'bad.toml: machine.cpus (from --set): 0 is out of range (allowed: 1..256)',
  );
  assert.match(
    errorOf(DESIGN_EXAMPLE, { set: ['machine.colour=red'] }).message,
    /machine\.colour \(from --set\): unknown key/,
  );
});

test('--seed replaces the seed and must be a non-negative integer', () => {
  assert.equal(parseScenario(DESIGN_EXAMPLE, 'x.toml', { seed: 42 }).seed, 42);
  assert.equal(errorOf(DESIGN_EXAMPLE, { seed: 1.5 }).field, '--seed');
});

test('unknown [costs] keys are refused with the nearest cost-model names, and a count of the rest', () => {
  const error = errorOf('name = "x"\n[costs]\nipiLatencyNz = 3');
  assert.match(
    error.message,
    /^bad\.toml: costs\.ipiLatencyNz: unknown cost parameter \(allowed: ipiLatencyNs, /,
  );
  assert.match(error.message, /\.\.\. \d+ more\)$/);
  const many = `name = "x"\n[costs]\nipiLatencyNs = 3\nbogusA = 1\nbogusB = 2\nbogusC = 3`;
  assert.match(
    errorOf(many).message,
    /^bad\.toml: costs\.bogusA: unknown cost parameter \(and 2 more unknown keys\)/,
  );
  assert.deepEqual(parseScenario(`name = "x"\n[costs]\nipiLatencyNs = 3${SPIN}`, 'x.toml').costs, {
    ipiLatencyNs: 3,
  });
});

test('50,000 unknown [costs] keys are refused in linear time', () => {
  const keys = Array.from({ length: 50_000 }, (_, i) => `k${i} = 1`).join('\n');
  const started = performance.now();
  const error = errorOf(`name = "x"\n[costs]\n${keys}`);
  const elapsedMs = performance.now() - started;
  assert.match(error.message, /costs\.k0: unknown cost parameter \(and 49999 more unknown keys\)/);
  assert.ok(elapsedMs < 5_000, `took ${elapsedMs} ms`); // quadratic took 58 s for 200,000
});

test('each cost has a range in the cost model, and the message states it', () => {
  assert.equal(
    errorOf('name = "x"\n[costs]\ncomputeJitterPpm = 1e300').message,
    'bad.toml: costs.computeJitterPpm: 1e+300 is out of range (allowed: a number 0..500000)',
  );
  assert.equal(
    errorOf('name = "x"\n[costs]\nipiLatencyNs = 1e300').message,
    'bad.toml: costs.ipiLatencyNs: 1e+300 is out of range (allowed: a number 0..1000000000)',
  );
});

test('keys that name Object.prototype members are ordinary unknown keys', () => {
  assert.match(
    errorOf('name = "x"\n[machine]\ncpus = 2\nconstructor = 1').message,
    /machine\.constructor: unknown key/,
  );
  assert.match(errorOf('name = "x"\n"__proto__" = 1').message, /__proto__: unknown key/);
  assert.match(errorOf('name = "x"', { set: ['__proto__.x=1'] }).message, /__proto__: unknown key/);
});

test('[kernel] donation and lock_demo: one-line errors naming the field (SCHED-10)', () => {
  const demo = 'lock_demo = { chain = 2 }';
  assert.equal(
    errorOf(`name = "x"\n[kernel]\nscheduler = "fair"\n${demo}`).message,
    'bad.toml: kernel.lock_demo: needs the MCS locks (allowed: kernel.locks = "mcs")',
  );
  assert.equal(
    errorOf(`name = "x"\n[kernel]\nscheduler = "dwrr"\nlocks = "mcs"\n${demo}`).message,
    'bad.toml: kernel.lock_demo: its threads are SCHED_FIFO (allowed: scheduler = "fair")',
  );
  assert.match(
    errorOf(`name = "x"\n[machine]\ncpus = 2\n[kernel]\nscheduler = "fair"\nlocks = "mcs"\n${demo}`).message,
    /^bad\.toml: kernel\.lock_demo\.chain: .*\(allowed: machine\.cpus >= 3\)$/,
  );
  assert.match(
    errorOf('name = "x"\n[kernel]\ndonation = "full"').message,
    /kernel\.donation: "full" is not a donation mode \(allowed: one-level, chain\)/,
  );
  assert.match(errorOf('name = "x"\n[kernel]\ndonation_max_depth = 0').message, /kernel\.donation_max_depth/);
  const ok = parseScenario(
    `name = "l"\n[kernel]\nscheduler = "fair"\nlocks = "mcs"\ndonation_max_depth = 2\n${demo}${SPIN}`,
    'l.toml',
  );
  assert.deepEqual(ok.kernel.donation, { mode: 'chain', maxDepth: 2 });
  assert.deepEqual(ok.kernel.lockDemo, { chain: 2, holdUs: 2000, hogMs: 50, highAfterUs: 200 });
});
