// Runs that tell the truth (issue 12): each example of the issue fed to `smpsim` in-process, with
// its exit status and its one-line message.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Outcome, smpsim } from '../support/cli.ts';
import type { RunReport } from '../../src/report/types.ts';

const DIR = mkdtempSync(join(tmpdir(), 'smpsim-truth-'));
const SEEDS = join(import.meta.dirname, '..', '..', 'scenarios', 'seeds');

function file(name: string, text: string | Uint8Array): string {
  const path = join(DIR, name);
  writeFileSync(path, text);
  return path;
}

/** Exit 2, nothing on stdout, one `smpsim: ` line on stderr matching `pattern`. */
function assertBadInput(o: Outcome, pattern: RegExp): void {
  assert.equal(o.status, 2, `stderr: ${o.err}`);
  assert.equal(o.out, '');
  assert.match(o.err, /^smpsim: [^\n]+\n$/);
  assert.match(o.err, pattern);
}

/** Exit 1 with the report on stdout saying FAILED and the reason as one line on stderr. */
function assertRunFailed(o: Outcome, pattern: RegExp): void {
  assert.equal(o.status, 1, `stderr: ${o.err}`);
  assert.doesNotMatch(o.out, /result: PASSED/);
  assert.match(o.err, /^smpsim: [^\n]+: run failed: [^\n]+\n$/);
  assert.match(o.err, pattern);
}

const SPIN = (threads: number, iterations = 100, cycles = 100_000) =>
  `[[workload]]\nkind = "spin"\nthreads = ${threads}\niterations = ${iterations}\ncycles = ${cycles}\n`;

test('a scenario without a workload is refused', async () => {
  assertBadInput(
    await smpsim('run', file('idle.toml', 'name = "idle"\n')),
    /workload: the scenario has no \[\[workload\]\]/,
  );
});

test('cpuhog born on a CPU beyond the machine is refused at load', async () => {
  const path = file(
    'hog.toml',
    'name = "hog"\n[machine]\ncpus = 4\n[[workload]]\nkind = "program"\nprogram = "cpuhog"\nborn_on = 9\nchunks = 10\n',
  );
  assertBadInput(
    await smpsim('run', path),
    /hog\.toml: workload\.0\.born_on: CPU 9 does not exist on 4 CPUs \(allowed: 0\.\.3\)/,
  );
});

test('dlperiodic lists of different lengths are refused at load', async () => {
  const path = file(
    'dl.toml',
    'name = "dl"\n[[workload]]\nkind = "program"\nprogram = "dlperiodic"\n' +
      'runtime_us = [1000, 1000]\nperiod_us = [5000]\nwork_us = [800, 800]\n',
  );
  assertBadInput(
    await smpsim('run', path),
    /workload\.0\.period_us: 1 entries for 2 tasks \(allowed: 2 entries, one per runtime_us\)/,
  );
});

test('threads_max lower than the workload needs: the guest dies and the run fails', async () => {
  const path = file('tmax.toml', `name = "tmax"\n[machine]\ncpus = 2\n[limits]\nthreads_max = 3\n${SPIN(8)}`);
  assertRunFailed(
    await smpsim('run', path),
    /1 guest process was killed \(outcome\.killed = 0\): pid 2 \(spin\) by SIGABRT: spin: pthread_create failed \(11\)/,
  );
});

test('a workload that never started fails the run (what 100 x 4096 spin threads did)', async () => {
  // init's thread and spin's two leave no thread for the second workload's process.
  const path = file('never.toml', `name = "never"\n[limits]\nthreads_max = 3\n${SPIN(1)}${SPIN(1)}`);
  assertRunFailed(await smpsim('run', path), /pid 1 \(init\) by SIGABRT: init: spawn of spin failed/);
});

test('an unexpected deadlock fails the run with its first line', async () => {
  const path = file(
    'robust-off.toml',
    'name = "r"\n[machine]\ncpus = 2\n[[workload]]\nkind = "program"\nprogram = "futex-robust"\nrobust = "off"\n',
  );
  assertRunFailed(
    await smpsim('run', path),
    /run failed: deadlock: every thread is blocked with no timeout$/m,
  );
  const declared = await smpsim('run', path, '--set', 'outcome.ends="deadlock"');
  assert.equal(declared.status, 0, declared.err);
});

test('libc-stack-guard declares its killed guest and passes; without the declaration it fails', async () => {
  const path = join(SEEDS, 'libc-stack-guard.toml');
  assert.equal((await smpsim('run', path)).status, 0);
  assertRunFailed(
    await smpsim('run', path, '--set', 'outcome.killed=0'),
    /1 guest process was killed \(outcome\.killed = 0\): pid \d+ \(stackguard-recurser\) by SIGSEGV: write to protected memory/,
  );
});

test('metric-name typos are bad input with the nearest names', async () => {
  const base = `name = "names"\n[machine]\ncpus = 2\n${SPIN(2, 10, 1000)}`;
  assertBadInput(
    await smpsim('run', file('e.toml', `${base}[[expect]]\nmetric = "workload.spin.elapsed_nss"\nmin = 1\n`)),
    /e\.toml: expect\.0\.metric: the run reports no metric "workload\.spin\.elapsed_nss" \(allowed: nearest: workload\.spin\.elapsed_ns, /,
  );
  assertBadInput(
    await smpsim(
      'run',
      file('s.toml', `${base}[sweep]\ncpus = [1, 2]\nruns = 1\nmetric = "workload.spin.elapsed"\n`),
    ),
    /s\.toml: sweep\.metric: the run reports no metric "workload\.spin\.elapsed" \(allowed: nearest: workload\.spin\.elapsed_ns/,
  );
  const compare = `${base}[compare]\nname = "dwrr"\nset = ["kernel.scheduler=\\"dwrr\\""]\nmetrics = ["migrationz"]\n`;
  assertBadInput(
    await smpsim('run', file('c.toml', compare)),
    /c\.toml: compare\.metrics\.0: the run reports no metric "migrationz" \(allowed: nearest: migrations, /,
  );
});

test('smpsim metrics lists what a scenario reports, in text and JSON', async () => {
  const path = file('m.toml', `name = "m"\n[machine]\ncpus = 2\n${SPIN(2, 10, 1000)}`);
  const text = await smpsim('metrics', path);
  assert.equal(text.status, 0, text.err);
  assert.match(text.out, /^m seed 1: \d+ metrics$/m);
  assert.match(text.out, /^ {2}workload\.spin\.effects +20$/m);
  const json = await smpsim('metrics', path, '--json');
  const listing = JSON.parse(json.out) as { schema: string; metrics: Record<string, number> };
  assert.equal(listing.schema, 'smpsim.metrics/1');
  assert.equal(listing.metrics['workload.spin.effects'], 20);
  assert.equal(listing.metrics['cpu.1.utilisation'] !== undefined, true);
});

test('[costs] values beyond their range are refused with the range', async () => {
  const path = file('cost.toml', `name = "c"\n[costs]\ncomputeJitterPpm = 1e300\n${SPIN(1)}`);
  assertBadInput(
    await smpsim('run', path),
    /cost\.toml: costs\.computeJitterPpm: 1e\+300 is out of range \(allowed: a number 0\.\.500000\)/,
  );
});

test('a bad --trace path is refused before the run', async () => {
  const path = file('t.toml', `name = "t"\n${SPIN(1)}`);
  assertBadInput(
    await smpsim('run', path, '--trace', join(DIR, 'no', 'such', 'dir', 'x.json')),
    /--trace: .* is not a directory/,
  );
  assertBadInput(await smpsim('run', path, '--trace', DIR), /--trace: .* is a directory/);
});

test('--timeout bounds the wall-clock time of an invocation: exit 1, one line', async () => {
  // 4 threads x 10^6 bursts: minutes of wall clock without the limit.
  const path = file('long.toml', `name = "long"\n${SPIN(4, 1_000_000, 3000)}`);
  const started = performance.now();
  const o = await smpsim('run', path, '--timeout', '0.3');
  assert.ok(performance.now() - started < 5000);
  assert.equal(o.status, 1);
  assert.equal(o.out, '');
  assert.match(
    o.err,
    /^smpsim: [^\n]*long\.toml: wall-clock limit hit: the invocation ran past 0\.3 s \(--timeout\)\n$/,
  );
  assertBadInput(await smpsim('run', path, '--timeout', '0'), /--timeout: 0 is out of range/);
});

test('runs per invocation are capped before any run', async () => {
  const sweep = `name = "wide"\n${SPIN(1)}[sweep]\ncpus = [1, 2, 3, 4]\nruns = 100\nmetric = "workload.spin.elapsed_ns"\n`;
  assertBadInput(
    await smpsim('run', file('wide.toml', sweep)),
    /limits\.runs_max: the scenario makes 401 runs \(1 \+ 4 CPU counts x 100 runs\), more than 64/,
  );
});

test('input is read as bytes with a cap; invalid UTF-8 is refused', async () => {
  assertBadInput(await smpsim('run', '/dev/zero'), /\/dev\/zero: the file is larger than 1048576 bytes/);
  assertBadInput(
    await smpsim('run', file('big.toml', `# ${'x'.repeat(2 << 20)}\n`)),
    /larger than 1048576 bytes/,
  );
  const latin1 = new Uint8Array([...Buffer.from('name = "caf'), 0xe9, ...Buffer.from('"\n')]);
  assertBadInput(
    await smpsim('run', file('latin1.toml', latin1)),
    /latin1\.toml: the file is not valid UTF-8 text/,
  );
});

test('--set trims spaces around the path and the value', async () => {
  const path = file('set.toml', `name = "set"\n${SPIN(1, 10, 1000)}`);
  const o = await smpsim('run', path, '--set', 'machine.cpus = 8', '--json');
  assert.equal(o.status, 0, o.err);
  assert.equal((JSON.parse(o.out) as RunReport).cpus.length, 8);
});

test('CPU time never exceeds simulated time when a burst crosses the stop', async () => {
  // One-second bursts and a 10 ms limit: the run stops inside every CPU's first burst.
  const path = file(
    'cross.toml',
    `name = "cross"\n[limits]\nsim_ns_max = 10_000_000\n[outcome]\nends = "limit"\n${SPIN(4, 2, 3_000_000_000)}`,
  );
  const o = await smpsim('run', path, '--json');
  assert.equal(o.status, 0, o.err);
  const report = JSON.parse(o.out) as RunReport;
  assert.match(report.error ?? '', /^sim-time limit hit/);
  for (const cpu of report.cpus) {
    assert.ok(cpu.user_ns + cpu.kernel_ns + cpu.spin_ns <= report.sim_ns, `cpu ${cpu.id}`);
    assert.ok(cpu.user_ns > 0);
  }
});

test('an error message stays one line of sensible length', async () => {
  const o = await smpsim('run', file('key.toml', `name = "k"\n${'x'.repeat(5000)} = 1\n`));
  assertBadInput(o, /unknown key/);
  assert.ok(o.err.length <= 420, `${o.err.length} characters`);
});

test('bench futex --help prints its own help', async () => {
  const o = await smpsim('bench', 'futex', '--help');
  assert.equal(o.status, 0);
  assert.match(o.out, /^Usage: smpsim bench futex \[options\]/);
});

test('condherd broadcast rounds finish: its own "everyone is asleep" check was wrong', async () => {
  // With the old check this deadlocked at 1024 waiters on 4 CPUs, and at 64 waiters on one CPU:
  // waiters of the last round still inside pthread_cond_wait counted as asleep for the next.
  const path = file(
    'herd.toml',
    'name = "herd"\n[machine]\ncpus = 1\n[[workload]]\nkind = "program"\nprogram = "condherd"\n' +
      'waiters = 64\nrounds = 2\nop = "broadcast"\n[[expect]]\nmetric = "workload.condherd.tokens"\nequals = 128\n',
  );
  const o = await smpsim('run', path);
  assert.equal(o.status, 0, o.err);
  assert.match(o.out, /^result: PASSED$/m);
});
