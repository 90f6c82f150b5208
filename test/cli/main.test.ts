// The smpsim command in-process: exit statuses, one-line errors, and flags parsed into typed options.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { type BenchOptions, commandImpls, type ScaleOptions } from '../../src/cli/commands.ts';
import { type Outcome, smpsim } from '../support/cli.ts';

/** Asserts a bad-input outcome: exit 2, nothing on stdout, exactly one `smpsim: ` line on stderr. */
function assertOneLineError(outcome: Outcome, pattern: RegExp): void {
  assert.equal(outcome.status, 2, `stderr: ${outcome.err}`);
  assert.equal(outcome.out, '');
  assert.match(outcome.err, /^smpsim: [^\n]+\n$/);
  assert.match(outcome.err, pattern);
}

function tempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'smpsim-cli-')), name);
  writeFileSync(path, text);
  return path;
}

const saved = { ...commandImpls };
afterEach(() => Object.assign(commandImpls, saved));

test('an unknown flag is bad input', async () => {
  assertOneLineError(await smpsim('--bogus'), /unknown option '--bogus'/);
  assertOneLineError(await smpsim('list', '--bogus'), /unknown option '--bogus'/);
});

test('an unknown or missing command is bad input', async () => {
  assertOneLineError(
    await smpsim('frobnicate'),
    /unknown command 'frobnicate' \(allowed: run, metrics, scale, bench, demo, policies, list, acpi, boot, explore, plot, check-policy, trace-check, view, sweep, worker, fidelity, calibrate\)/,
  );
  assertOneLineError(await smpsim('rn'), /unknown command 'rn' \(Did you mean run\?\)/);
  assertOneLineError(await smpsim(), /^smpsim: missing command \(allowed: run,/);
  assertOneLineError(await smpsim('help', 'frobnicate'), /unknown command/);
});

test('run on a missing file is bad input naming the file', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'smpsim-cli-')), 'absent.toml');
  const outcome = await smpsim('run', path);
  assertOneLineError(outcome, /cannot read scenario file \(ENOENT\)/);
  assert.equal(outcome.err, `smpsim: ${path}: cannot read scenario file (ENOENT)\n`);
  assertOneLineError(await smpsim('run'), /missing required argument 'file'/);
});

test('run on malformed TOML is bad input naming the file and position', async () => {
  const path = tempFile('broken.toml', 'name = "x"\n[machine\ncpus = 4\n');
  assertOneLineError(await smpsim('run', path), /broken\.toml: syntax error at line 2, column \d+: /);
});

test('run on a bad field is bad input naming the field and allowed values', async () => {
  const path = tempFile('field.toml', 'name = "x"\n[kernel]\nscheduler = "cfs"\n');
  const outcome = await smpsim('run', path);
  assertOneLineError(
    outcome,
    /field\.toml: kernel\.scheduler: "cfs" is not a scheduler \(allowed: dwrr, redbear, fair, gedf\)/,
  );
  const set = await smpsim('run', path, '--set', 'kernel.scheduler=dwrr', '--set', 'machine.cpus=999');
  assertOneLineError(set, /machine\.cpus \(from --set\): 999 is out of range/);
  assertOneLineError(await smpsim('run', path, '--seed', 'x'), /^smpsim: --seed: "x" is not an integer/);
});

test('scale flags are checked, naming the flag and what it allows', async () => {
  assertOneLineError(
    await smpsim('scale', '--runs', '0'),
    /^smpsim: --runs: 0 is out of range \(allowed: 1\.\.100\)$/m,
  );
  assertOneLineError(await smpsim('scale', '--runs', '101'), /--runs: 101 is out of range/);
  assertOneLineError(await smpsim('scale', '--cpus', '1,,4'), /--cpus: "1,,4" has an empty item/);
  assertOneLineError(await smpsim('scale', '--cpus', '1,512'), /--cpus: 512 is out of range/);
  assertOneLineError(await smpsim('scale', '--cpus', '2,2'), /--cpus: 2 is listed twice/);
  assertOneLineError(
    await smpsim('scale', '--policy', 'cfs'),
    /--policy: "cfs" is not allowed \(allowed: dwrr, redbear, fair, both\)/,
  );
  assertOneLineError(
    await smpsim('scale', '--mode', 'fiber'),
    /--mode: "fiber" is not allowed \(allowed: process, thread\)/,
  );
  assertOneLineError(await smpsim('scale', '--range', '10,5'), /--range: \[10, 5\) is out of range/);
  assertOneLineError(
    await smpsim('scale', '--workload', 'spin'),
    /--workload: "spin" is not allowed \(allowed: primes\)/,
  );
  assertOneLineError(await smpsim('scale', '--runs'), /option '--runs <n>' argument missing/);
});

test('scale passes typed options, defaults included, to its implementation', async () => {
  let received: ScaleOptions | undefined;
  commandImpls.scale = (options) => {
    received = options;
    return 0;
  };
  assert.equal((await smpsim('scale')).status, 0);
  assert.deepEqual(received, {
    policies: ['dwrr', 'fair'],
    cpus: [1, 2, 4],
    workers: 4,
    workload: 'primes',
    mode: 'process',
    partition: 'interleaved',
    runs: 5,
    seed: 1,
    range: [2, 2_000_000],
    json: false,
    // Every core the host gives, as the worker pool's default.
    jobs: availableParallelism(),
  });
  const args = ['--policy', 'fair', '--cpus', '8,1', '--mode', 'thread', '--runs', '3', '--seed', '7'];
  await smpsim('scale', ...args, '--range', '0,1000', '--partition', 'contiguous', '--json', '--jobs', '3');
  assert.deepEqual(received, {
    policies: ['fair'],
    cpus: [8, 1],
    workers: 8,
    workload: 'primes',
    mode: 'thread',
    partition: 'contiguous',
    runs: 3,
    seed: 7,
    range: [0, 1000],
    json: true,
    jobs: 3,
  });
});

test('the exit status of a command implementation is the exit status of smpsim', async () => {
  let received: BenchOptions | undefined;
  commandImpls.bench = async (options) => {
    received = options;
    return 1;
  };
  assert.equal((await smpsim('bench', '--quick', '--json')).status, 1);
  assert.deepEqual(received, { json: true, quick: true, suite: 'speed', jobs: availableParallelism() });
  assert.equal((await smpsim('bench', 'futex')).status, 1);
  assert.deepEqual(received, { json: false, quick: false, suite: 'futex', jobs: availableParallelism() });
  const bad = await smpsim('bench', 'fast');
  assert.equal(bad.status, 2);
  assert.equal(bad.err, 'smpsim: bench: unknown suite "fast" (allowed: speed, futex)\n');
});

test('an unexpected error prints one line, and the stack only with SMPSIM_DEBUG=1', async () => {
  commandImpls.bench = () => {
    throw new Error('boom\nsecond line');
  };
  const before = process.env.SMPSIM_DEBUG;
  try {
    delete process.env.SMPSIM_DEBUG;
    const quiet = await smpsim('bench');
    assert.equal(quiet.status, 70);
    assert.match(quiet.err, /^smpsim: internal error: boom second line \(please report;[^\n]*\n$/);
    process.env.SMPSIM_DEBUG = '1';
    const debug = await smpsim('bench');
    assert.equal(debug.status, 70);
    assert.match(debug.err, /\n {4}at /);
  } finally {
    if (before === undefined) delete process.env.SMPSIM_DEBUG;
    else process.env.SMPSIM_DEBUG = before;
  }
});

test('list --json prints one JSON object with the policies, workloads and tick sources', async () => {
  const outcome = await smpsim('list', '--json');
  assert.equal(outcome.status, 0);
  assert.equal(outcome.err, '');
  const list = JSON.parse(outcome.out);
  assert.equal(list.schema, 'smpsim.list/1');
  assert.ok(list.policies.includes('dwrr') && list.policies.includes('fair'));
  assert.deepEqual(list.workloads, ['primes', 'spin', 'pingpong', 'futexhash', 'program', 'rtapp']);
  assert.ok(Array.isArray(list.programs));
  assert.deepEqual(list.policies, ['dwrr', 'redbear', 'fair', 'gedf']);
  assert.deepEqual(list.tick_sources, ['pit', 'lapic', 'tsc-deadline']);
  assert.equal(typeof list.descriptions.policies.dwrr, 'string');
  assert.ok(Array.isArray(list.scenarios));
});

test('list without --json prints readable sections', async () => {
  const outcome = await smpsim('list');
  assert.equal(outcome.status, 0);
  assert.match(outcome.out, /^scheduler policies/m);
  assert.match(outcome.out, /^ {2}dwrr {5}baseline/m);
  assert.match(outcome.out, /^ {2}redbear {2}Red Bear patches as written/m);
});

test('--help prints usage on stdout and exits 0, for the program and each command', async () => {
  const top = await smpsim('--help');
  assert.equal(top.status, 0);
  assert.match(top.out, /^Usage: smpsim/);
  assert.equal(top.err, '');
  for (const command of ['run', 'scale', 'bench', 'demo', 'list']) {
    const outcome = await smpsim(command, '--help');
    assert.equal(outcome.status, 0, command);
    assert.match(outcome.out, new RegExp(`^Usage: smpsim ${command}`), command);
  }
  assert.match((await smpsim('scale', '--help')).out, /--runs <n>/);
});

test('policies runs a scenario under each policy and prints its headline metrics; a bad file is bad input', async () => {
  const file = tempFile(
    'tiny.toml',
    [
      'name = "tiny"',
      'headline = ["cpu.0.utilisation"]',
      '[machine]',
      'cpus = 1',
      '[[workload]]',
      'kind = "spin"',
      'threads = 1',
      'iterations = 10',
      'cycles = 300000',
    ].join('\n'),
  );
  const outcome = await smpsim('policies', '--json', file);
  assert.equal(outcome.status, 0, outcome.err);
  const report = JSON.parse(outcome.out) as { policies: string[]; rows: { metric: string }[] };
  assert.deepEqual(report.policies, ['dwrr', 'redbear', 'fair']);
  assert.deepEqual(
    report.rows.map((r) => r.metric),
    ['cpu.0.utilisation'],
  );
  assertOneLineError(
    await smpsim('policies', join(tmpdir(), 'no-such-scenario.toml')),
    /no-such-scenario\.toml/,
  );
});
