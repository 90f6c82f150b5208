/** `--trace` writes a Chrome trace-event file: one track per CPU, non-overlapping run slices. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultRunConfig, primesWorkload } from '../../src/machine/defaults.ts';
import { runConfig } from '../../src/report/run.ts';

interface TraceEvent {
  name: string;
  ph: string;
  tid: number;
  ts?: number;
  dur?: number;
  args: { name?: string; tid?: number };
}

function traceOf(cpus: number): { events: TraceEvent[]; simNs: number } {
  const config = defaultRunConfig('fair', cpus);
  config.workloads = [
    primesWorkload({
      mode: 'thread',
      range: [2, 100_000],
    }),
  ];
  const path = join(mkdtempSync(join(tmpdir(), 'smpsim-trace-')), 'run.json');
  const report = runConfig(config, { traceFile: path });
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as { traceEvents: TraceEvent[] };
  return { events: parsed.traceEvents, simNs: report.sim_ns };
}

test('the trace names one track per CPU', () => {
  const { events } = traceOf(2);
  const tracks = events.filter((e) => e.ph === 'M').map((e) => [e.tid, e.args.name]);
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
  const tids = new Set(events.filter((e) => e.ph === 'X').map((e) => e.args.tid));
  // tid 1 is init, 2 the primes parent, 3..6 its four worker threads.
  for (const tid of [1, 2, 3, 4, 5, 6]) assert.ok(tids.has(tid), `tid ${tid} missing`);
});
