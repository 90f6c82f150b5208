/**
 * `--trace` writes a Chrome trace-event file: a track per CPU with non-overlapping run slices,
 * streamed to the file, stopped with a message at its size bound (issue 11, issue 14), cut to
 * `--trace-window` (issue 21), and an observer only: the run's trace hash does not move.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { WorkloadConfig } from '../../src/machine/config.ts';
import { defaultRunConfig, primesWorkload } from '../../src/machine/defaults.ts';
import type { ChromeTraceSummary } from '../../src/report/chrome-trace.ts';
import { runConfig } from '../../src/report/run.ts';
import { main } from '../../src/cli/main.ts';
import { checkTrace } from '../../src/report/trace/check.ts';
import { cpuTid, irqTid, MACHINE_PID, MARKER_TID } from '../../src/report/trace/tracks.ts';
import type { TraceWindow } from '../../src/report/trace/window.ts';

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  cat?: string;
  ts?: number;
  dur?: number;
  args?: { name?: string; tid?: number };
}

const PRIMES: WorkloadConfig[] = [primesWorkload({ mode: 'thread', range: [2, 100_000] })];
/** Many short run slices: every hand-off of the token is a switch. */
const PINGPONG: WorkloadConfig[] = [{ kind: 'pingpong', pairs: 2, rounds: 200 }];

interface Traced {
  events: TraceEvent[];
  simNs: number;
  summary: ChromeTraceSummary;
  fileBytes: number;
  hash: string;
}

function traceOf(
  cpus: number,
  traceBytesMax?: number,
  workloads = PRIMES,
  traceWindow?: TraceWindow,
): Traced {
  const config = defaultRunConfig('fair', cpus);
  config.workloads = workloads;
  const path = join(mkdtempSync(join(tmpdir(), 'smpsim-trace-')), 'run.json');
  let summary: ChromeTraceSummary | null = null;
  const report = runConfig(config, {
    traceFile: path,
    traceBytesMax,
    traceWindow,
    onTrace: (s) => (summary = s),
  });
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as { traceEvents: TraceEvent[] };
  return {
    events: parsed.traceEvents,
    simNs: report.sim_ns,
    summary: summary!,
    fileBytes: statSync(path).size,
    hash: report.trace_hash,
  };
}

/** The CPU tracks' run slices (threads only, not idle). */
const runSlices = (events: TraceEvent[]) => events.filter((e) => e.ph === 'X' && e.cat === 'sched');

test('the trace names two tracks per CPU, in CPU order', () => {
  const { events } = traceOf(2);
  const tracks = events
    .filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.pid === MACHINE_PID)
    .map((e) => [e.tid, e.args?.name]);
  assert.deepEqual(tracks, [
    [MARKER_TID, 'markers'],
    [cpuTid(0), 'CPU 0'],
    [irqTid(0), 'CPU 0 irq'],
    [cpuTid(1), 'CPU 1'],
    [irqTid(1), 'CPU 1 irq'],
  ]);
});

test('a trace is an observer: the run keeps the trace hash it has without one', () => {
  for (const workloads of [PRIMES, PINGPONG]) {
    const config = defaultRunConfig('fair', 2);
    config.workloads = workloads;
    assert.equal(traceOf(2, undefined, workloads).hash, runConfig(config).trace_hash);
  }
});

test('run slices on one CPU never overlap and fit in the run', () => {
  const { events, simNs } = traceOf(2);
  const slices = runSlices(events);
  assert.ok(slices.length >= 6, `expected slices for init, the parent and 4 workers, got ${slices.length}`);
  for (const cpu of [0, 1]) {
    const mine = events.filter((s) => s.ph === 'X' && s.tid === cpuTid(cpu)).sort((a, b) => a.ts! - b.ts!);
    for (let i = 1; i < mine.length; i++) {
      assert.ok(mine[i]!.ts! >= mine[i - 1]!.ts! + mine[i - 1]!.dur! - 1e-9, `overlap on CPU ${cpu}`);
    }
    const last = mine.at(-1)!;
    assert.ok(last.ts! + last.dur! <= simNs / 1000 + 1e-9);
  }
});

test('every worker thread appears in the trace', () => {
  const { events } = traceOf(2);
  const tids = new Set(runSlices(events).map((e) => e.args?.tid));
  // tid 1 is init, 2 the primes parent, 3..6 its four worker threads.
  for (const tid of [1, 2, 3, 4, 5, 6]) assert.ok(tids.has(tid), `tid ${tid} missing`);
});

test('an unbounded trace writes every slice and says nothing', () => {
  const { events, summary, fileBytes } = traceOf(2);
  assert.equal(summary.message, null);
  assert.equal(summary.dropped, 0);
  assert.equal(summary.slices, events.filter((e) => e.ph === 'X').length);
  assert.equal(summary.bytes, fileBytes, 'the summary counts the bytes written');
});

test('a trace that reaches its bound stops there, stays valid JSON and says so', () => {
  const full = traceOf(2, undefined, PINGPONG);
  // Half the unbounded file: the bound is hit midway through the run.
  const boundBytes = Math.floor(full.fileBytes / 2);
  const { events, summary, fileBytes } = traceOf(2, boundBytes, PINGPONG);
  assert.ok(fileBytes <= boundBytes, `${fileBytes} bytes written under a ${boundBytes}-byte bound`);
  assert.equal(summary.bytes, fileBytes);
  assert.equal(summary.slices, events.filter((e) => e.ph === 'X').length);
  assert.ok(
    summary.events > 100 && summary.dropped > 100,
    `${summary.events} written, ${summary.dropped} dropped`,
  );
  // What was written is the unbounded file's beginning, event for event, then the note.
  assert.equal(summary.events, events.length - 1);
  assert.deepEqual(events.slice(0, -1), full.events.slice(0, summary.events));
  assert.ok(summary.events + summary.dropped <= full.summary.events);
  const note = events.at(-1)!;
  assert.equal(note.ph, 'i');
  assert.equal(
    note.name,
    `trace stopped: ${summary.dropped} later events not recorded (bound ${boundBytes} bytes)`,
  );
  assert.match(
    summary.message ?? '',
    new RegExp(
      `the ${boundBytes}-byte bound \\(--trace-max-mb\\): ${summary.events} events written, ${summary.dropped} later`,
    ),
  );
  assert.ok(checkTrace({ traceEvents: events }).ok, 'a stopped trace still passes trace-check');
});

test('--trace-window keeps only its stretch of the run, slices clipped to it', () => {
  const full = traceOf(2, undefined, PINGPONG);
  const startNs = Math.floor(full.simNs / 4);
  const endNs = Math.floor(full.simNs / 2);
  const { events, hash } = traceOf(2, undefined, PINGPONG, { startNs, endNs });
  assert.equal(hash, full.hash, 'the window cuts the file, not the run');
  const timed = events.filter((e) => e.ph !== 'M' && e.ph !== 's' && e.ph !== 'f');
  for (const e of timed) {
    assert.ok(
      e.ts! >= startNs / 1000 - 1e-9 && e.ts! + (e.dur ?? 0) <= endNs / 1000 + 1e-6,
      `${e.name} at ${e.ts}`,
    );
  }
  const marks = events.filter((e) => e.cat === 'marker').map((e) => [e.name, e.ts]);
  assert.deepEqual(marks, [
    ['trace window start', startNs / 1000],
    ['trace window end', endNs / 1000],
  ]);
  // The CPU tracks are covered end to end inside the window: every ns of it is some slice.
  for (const cpu of [0, 1]) {
    const mine = events.filter((e) => e.ph === 'X' && e.tid === cpuTid(cpu));
    const covered = mine.reduce((sum, e) => sum + e.dur!, 0);
    assert.ok(Math.abs(covered - (endNs - startNs) / 1000) < 1e-3, `CPU ${cpu}: ${covered} us covered`);
  }
  assert.ok(runSlices(events).length > 10);
  assert.ok(checkTrace({ traceEvents: events }).ok);
});

test('run --trace-max-mb needs --trace and a size of at least 1', async () => {
  const scenario = join(import.meta.dirname, '..', '..', 'scenarios', 'seeds', 'smp-process-scale.toml');
  let err = '';
  const io = { out: () => {}, err: (s: string) => void (err += s) };
  assert.equal(await main(['run', scenario, '--trace-max-mb', '8'], io), 2);
  assert.match(err, /^smpsim: --trace-max-mb: needs --trace\n$/);
  err = '';
  assert.equal(await main(['run', scenario, '--trace', '/dev/null', '--trace-max-mb', '0'], io), 2);
  assert.match(err, /^smpsim: --trace-max-mb: /);
});

test('run --trace-window needs --trace and two times with units, start before end', async () => {
  const scenario = join(import.meta.dirname, '..', '..', 'scenarios', 'seeds', 'smp-process-scale.toml');
  const allowed =
    ' (allowed: START,END in simulated time with units ns, us, ms or s, START < END, e.g. 10ms,20ms)\n';
  const cases: [string[], string][] = [
    [['--trace-window', '1ms,2ms'], 'smpsim: --trace-window: needs --trace\n'],
    [
      ['--trace', '/dev/null', '--trace-window', '10,20'],
      `smpsim: --trace-window: "10" is not a time with a unit${allowed}`,
    ],
    [
      ['--trace', '/dev/null', '--trace-window', '10ms'],
      `smpsim: --trace-window: "10ms" is not two times${allowed}`,
    ],
    [
      ['--trace', '/dev/null', '--trace-window', '20ms,10ms'],
      `smpsim: --trace-window: the window starts at 20000000 ns, not before its end at 10000000 ns${allowed}`,
    ],
  ];
  for (const [flags, message] of cases) {
    let err = '';
    const io = { out: () => {}, err: (s: string) => void (err += s) };
    assert.equal(await main(['run', scenario, ...flags], io), 2, flags.join(' '));
    assert.equal(err, message);
  }
});
