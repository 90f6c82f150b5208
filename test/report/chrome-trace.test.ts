/**
 * `--trace` writes a Chrome trace-event file: one track per CPU, non-overlapping run slices,
 * streamed to the file, and stopped with a message at its size bound (issue 11, issue 14).
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

interface TraceEvent {
  name: string;
  ph: string;
  tid: number;
  ts?: number;
  dur?: number;
  args?: { name?: string; tid?: number };
}

interface Traced {
  events: TraceEvent[];
  simNs: number;
  summary: ChromeTraceSummary;
  fileBytes: number;
}

const PRIMES: WorkloadConfig[] = [primesWorkload({ mode: 'thread', range: [2, 100_000] })];
/** Many short run slices: every hand-off of the token is a switch. */
const PINGPONG: WorkloadConfig[] = [{ kind: 'pingpong', pairs: 2, rounds: 200 }];

function traceOf(cpus: number, traceBytesMax?: number, workloads = PRIMES): Traced {
  const config = defaultRunConfig('fair', cpus);
  config.workloads = workloads;
  const path = join(mkdtempSync(join(tmpdir(), 'smpsim-trace-')), 'run.json');
  let summary: ChromeTraceSummary | null = null;
  const report = runConfig(config, { traceFile: path, traceBytesMax, onTrace: (s) => (summary = s) });
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as { traceEvents: TraceEvent[] };
  return {
    events: parsed.traceEvents,
    simNs: report.sim_ns,
    summary: summary!,
    fileBytes: statSync(path).size,
  };
}

test('the trace names one track per CPU', () => {
  const { events } = traceOf(2);
  const tracks = events.filter((e) => e.ph === 'M').map((e) => [e.tid, e.args?.name]);
  assert.deepEqual(tracks, [
    [0, 'CPU 0'],
    [1, 'CPU 1'],
  ]);
});

test('run slices on one CPU never overlap and fit in the run', () => {
  const { events, simNs } = traceOf(2);
  const slices = events.filter((e) => e.ph === 'X');
  assert.ok(slices.length >= 6, `expected slices for init, the parent and 4 workers, got ${slices.length}`);
  for (const cpu of [0, 1]) {
    const mine = slices.filter((s) => s.tid === cpu).sort((a, b) => a.ts! - b.ts!);
    for (let i = 1; i < mine.length; i++) {
      assert.ok(mine[i]!.ts! >= mine[i - 1]!.ts! + mine[i - 1]!.dur! - 1e-9, `overlap on CPU ${cpu}`);
    }
    const last = mine.at(-1)!;
    assert.ok(last.ts! + last.dur! <= simNs / 1000 + 1e-9);
  }
});

test('every worker thread appears in the trace', () => {
  const { events } = traceOf(2);
  const tids = new Set(events.filter((e) => e.ph === 'X').map((e) => e.args?.tid));
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
  const slices = events.filter((e) => e.ph === 'X');
  assert.equal(summary.slices, slices.length);
  assert.ok(
    summary.slices > 100 && summary.dropped > 100,
    `${summary.slices} written, ${summary.dropped} dropped`,
  );
  // Every slice is either written or counted as dropped: the same slices as the unbounded run's.
  assert.equal(summary.slices + summary.dropped, full.summary.slices);
  assert.deepEqual(slices, full.events.filter((e) => e.ph === 'X').slice(0, slices.length));
  const note = events.at(-1)!;
  assert.equal(note.ph, 'i');
  assert.equal(
    note.name,
    `trace stopped: ${summary.dropped} later slices not recorded (bound ${boundBytes} bytes)`,
  );
  assert.match(
    summary.message ?? '',
    new RegExp(
      `the ${boundBytes}-byte bound \\(--trace-max-mb\\): ${summary.slices} slices written, ${summary.dropped} later`,
    ),
  );
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
