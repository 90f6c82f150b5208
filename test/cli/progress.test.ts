// Progress lines (issue 21): drawn on a terminal only, throttled, erased at the end; the runner
// wrapper counts every job of every batch and keeps the batch's order and error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { Progress, type ProgressState, progressLine, progressRunner } from '../../src/cli/progress.ts';
import type { RunJob, Runner } from '../../src/report/runner.ts';
import type { RunReport } from '../../src/report/types.ts';

function fakeTty(isTTY = true) {
  const writes: string[] = [];
  return { stream: { isTTY, columns: 120, write: (s: string) => writes.push(s) }, writes };
}

const state = (p: Partial<ProgressState>): ProgressState => ({
  runs: null,
  sim: null,
  stage: null,
  limitS: null,
  ...p,
});

test('progress: nothing off a terminal, or with SMPSIM_PROGRESS=0', () => {
  assert.equal(Progress.on('x', fakeTty(false).stream), null);
  assert.ok(Progress.on('x', fakeTty(true).stream) instanceof Progress);
  process.env.SMPSIM_PROGRESS = '0';
  try {
    assert.equal(Progress.on('x', fakeTty(true).stream), null);
  } finally {
    delete process.env.SMPSIM_PROGRESS;
  }
});

test('progress line: bar, counts, rate, elapsed and the time left from the fraction done', () => {
  assert.equal(
    progressLine('scale', state({ runs: [10, 40] }), 3, 200),
    `scale  [${'#'.repeat(6)}${'.'.repeat(18)}] 25%  10/40 runs  3.0 s elapsed, ~9.0 s left`,
  );
  // A run: 1.5 s simulated of a 2 s limit after 3 wall seconds: 0.5 sim-s per s, 1 s left.
  assert.equal(
    progressLine('seed', state({ sim: [1.5e9, 2e9, 3] }), 3, 200),
    `seed  [${'#'.repeat(18)}${'.'.repeat(6)}] 75%  3.0 s elapsed, ~1.0 s left  sim 1.500 s (0.500 sim-s per s)`,
  );
  // No limit worth a bar: the rate alone.
  assert.equal(
    progressLine('seed', state({ sim: [2e9, Number.MAX_SAFE_INTEGER, 4] }), 9, 200),
    'seed  9.0 s elapsed  sim 2.000 s (0.500 sim-s per s)',
  );
  // explore --time: the fraction is of the time; an unbounded count shows no total.
  assert.equal(
    progressLine('explore m', state({ runs: [7, Number.MAX_SAFE_INTEGER], limitS: 10 }), 5, 200),
    `explore m  [${'#'.repeat(12)}${'.'.repeat(12)}] 50%  7 runs  5.0 s elapsed, ~5.0 s left`,
  );
  assert.equal(
    progressLine('bench', state({ runs: [2, 8], stage: 'scale' }), 90, 200).includes(
      '2/8 stages  scale  1 min 30 s elapsed',
    ),
    true,
  );
  assert.equal(progressLine('scale', state({ runs: [1, 4] }), 1, 20).length, 19);
});

test('progress: redrawn at most every 100 ms unless the last run ends; erased at the end', () => {
  const { stream, writes } = fakeTty();
  let now = 0;
  const p = new Progress(stream, 'scale', () => now);
  p.runs(0, 3);
  now = 50;
  p.runs(1, 3); // too soon: not drawn
  now = 150;
  p.runs(2, 3);
  now = 160;
  p.runs(3, 3); // the last: drawn however soon
  p.end();
  p.end(); // once
  assert.equal(writes.length, 4);
  assert.ok(writes.slice(0, 3).every((w) => w.startsWith('\r\x1b[2Kscale  [')));
  assert.ok(writes[1]!.endsWith('2/3 runs  0.1 s elapsed, ~0.1 s left'), writes[1]);
  assert.ok(writes[2]!.endsWith('3/3 runs  0.2 s elapsed'), writes[2]);
  assert.equal(writes[3], '\r\x1b[2K');
});

const job = (name: string) => ({ config: { name } }) as unknown as RunJob;
const fakeInner: Runner = async (jobs) => {
  const [j] = jobs;
  if (jobs.length !== 1) throw new Error('one job at a time');
  if (j!.config.name.startsWith('bad')) throw new Error(j!.config.name);
  return [{ scenario: j!.config.name } as RunReport];
};

test('progress runner: every job counted across batches, order kept, the earliest error thrown', async () => {
  for (const parallel of [false, true]) {
    const { stream } = fakeTty();
    const p = new Progress(stream, 't', () => 0);
    const run = progressRunner(fakeInner, p, parallel);
    assert.deepEqual(
      (await run([job('a'), job('b')])).map((r) => r.scenario),
      ['a', 'b'],
    );
    await run([job('c')]);
    assert.deepEqual(p.state.runs, [3, 3]);
    await assert.rejects(run([job('ok'), job('bad1'), job('bad2')]), /^Error: bad1$/);
  }
  const busy = Object.assign(fakeInner, { busyHere: () => {} });
  assert.equal(progressRunner(busy, new Progress(fakeTty().stream, 't'), true).busyHere, busy.busyHere);
  assert.equal(progressRunner(fakeInner, null, true), fakeInner, 'no progress: the runner itself');
});

test('smpsim scale on a terminal draws progress on stderr and erases it; stdout is unchanged', async () => {
  const args = ['scale', '--cpus', '1,2', '--runs', '1', '--range', '2,3000', '--jobs', '1', '--json'];
  const quiet = await captureStderr(false, args);
  const loud = await captureStderr(true, args);
  assert.equal(quiet.stderr, '', 'off a terminal: nothing');
  assert.equal(loud.out, quiet.out, 'the JSON is the same');
  assert.ok(loud.stderr.startsWith('\r\x1b[2Kscale  ['), loud.stderr);
  assert.match(loud.stderr, /2\/4 runs|4\/4 runs/);
  assert.ok(loud.stderr.endsWith('\r\x1b[2K'), 'erased before the output');
});

async function captureStderr(tty: boolean, args: string[]) {
  const stderr = process.stderr as { isTTY?: boolean; write: unknown };
  const [wasTty, write] = [stderr.isTTY, stderr.write];
  let text = '';
  stderr.isTTY = tty;
  stderr.write = (s: string) => {
    text += s;
    return true;
  };
  let out = '';
  try {
    await main(args, { out: (s) => (out += s), err: (s) => (text += s) });
  } finally {
    stderr.isTTY = wasTty;
    stderr.write = write;
  }
  return { out, stderr: text };
}
