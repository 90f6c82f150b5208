// smpsim plot (issue 21): the rows each chart is drawn from, exact on small hand-made inputs; the
// renderer's SVG and PNG sizes; and the command's one-line errors.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { main } from '../../src/cli/main.ts';
import { goalRows } from '../../src/report/plot/bench.ts';
import { cdfRows, percentileRows } from '../../src/report/plot/latency.ts';
import { renderPlot } from '../../src/report/plot/render.ts';
import { idealRows, speedupRows, speedupSpec } from '../../src/report/plot/speedup.ts';
import { timelineSlices, windowed } from '../../src/report/plot/timeline.ts';
import type { BenchReport } from '../../src/report/bench.ts';
import type { ScaleReport } from '../../src/report/scale.ts';
import type { RunReport } from '../../src/report/types.ts';
import { percentile, percentileCurve } from '../../src/report/stats.ts';
import { pngSize } from '../support/png.ts';

const scale = {
  schema: 'smpsim.scale/1',
  workload: 'primes',
  mode: 'thread',
  partition: 'interleaved',
  workers: 4,
  range: [2, 1000],
  runs_per_point: 1,
  results: [
    { policy: 'fair', points: [], speedup: { '1': 1, '2': 1.9, '4': null } },
    { policy: 'dwrr', points: [], speedup: { '1': 1, '2': 1.5, '4': 2.5 } },
  ],
  complete: false,
} as unknown as ScaleReport;

test('speedup: one row per accepted point, and the ideal is n over the first count', () => {
  const rows = speedupRows([{ label: 's', report: scale }]);
  assert.deepEqual(rows, [
    { series: 'fair', cpus: 1, speedup: 1 },
    { series: 'fair', cpus: 2, speedup: 1.9 },
    { series: 'dwrr', cpus: 1, speedup: 1 },
    { series: 'dwrr', cpus: 2, speedup: 1.5 },
    { series: 'dwrr', cpus: 4, speedup: 2.5 },
  ]);
  assert.deepEqual(idealRows(rows), [
    { cpus: 1, ideal: 1 },
    { cpus: 2, ideal: 2 },
    { cpus: 4, ideal: 4 },
  ]);
  const two = speedupRows([
    { label: 'a', report: scale },
    { label: 'b', report: scale },
  ]);
  assert.equal(two[0]!.series, 'a: fair');
});

test('percentileCurve: 101 nearest-rank points, p0 the minimum, p100 the maximum', () => {
  assert.deepEqual(percentileCurve(new Float64Array([])), []);
  const curve = percentileCurve(new Float64Array([40, 10, 30, 20]));
  assert.equal(curve.length, 101);
  assert.equal(curve[0], 10);
  assert.equal(curve[25], 10); // rank ceil(0.25 * 4) = 1
  assert.equal(curve[26], 20);
  assert.equal(curve[50], 20);
  assert.equal(curve[51], 30);
  assert.equal(curve[100], 40);
  fc.assert(
    fc.property(fc.array(fc.nat(1e9), { minLength: 1, maxLength: 300 }), (values) => {
      const c = percentileCurve(Float64Array.from(values));
      const sorted = Float64Array.from(values).sort();
      for (let p = 1; p <= 100; p++) {
        assert.ok(c[p]! >= c[p - 1]!);
        assert.equal(c[p], percentile(sorted, p));
      }
      assert.equal(c[0], Math.min(...values));
    }),
  );
});

function runWith(cdf: number[], count: number): RunReport {
  const p = (q: number) => cdf[q] ?? 0;
  return {
    wakeup_cdf_ns: cdf,
    wakeup_latency: { count, p50_ns: p(50), p90_ns: p(90), p99_ns: p(99), max_ns: p(100) },
  } as unknown as RunReport;
}

test('latency: the CDF rows climb from 0 to 1; a zero latency is drawn at 1 ns on the log axis', () => {
  const cdf = Array.from({ length: 101 }, (_, i) => i * 10);
  const rows = cdfRows([{ label: 'x', report: runWith(cdf, 7) }]);
  assert.equal(rows.length, 101);
  assert.deepEqual(rows[0], { series: 'x', ns: 1, fraction: 0 });
  assert.deepEqual(rows[100], { series: 'x', ns: 1000, fraction: 1 });
  assert.deepEqual(
    percentileRows([{ label: 'x', report: runWith(cdf, 7) }]).map((r) => [r.percentile, r.ns]),
    [
      ['p50', 500],
      ['p90', 900],
      ['p99', 990],
      ['max', 1000],
    ],
  );
  assert.deepEqual(percentileRows([{ label: 'none', report: runWith([], 0) }]), []);
});

const trace = {
  traceEvents: [
    { ph: 'M', name: 'thread_name', pid: 1, tid: 0, args: { name: 'CPU 0' } },
    { ph: 'M', name: 'thread_name', pid: 1, tid: 1, args: { name: 'CPU 1' } },
    { ph: 'M', name: 'thread_name', pid: 2, tid: 9, args: { name: 'worker tid 9' } },
    { ph: 'X', name: 'a tid 2', pid: 1, tid: 1, ts: 5, dur: 5 },
    { ph: 'X', name: 'b tid 3', pid: 1, tid: 0, ts: 1, dur: 2 },
    { ph: 'X', name: 'idle', cat: 'idle', pid: 1, tid: 0, ts: 3, dur: 2 },
    { ph: 'X', name: 'not a CPU', pid: 2, tid: 9, ts: 0, dur: 100 },
    { ph: 'i', name: 'instant', pid: 1, tid: 0, ts: 3 },
  ],
};

test('timeline: X slices on CPU tracks only, not idle ones, by start; a window clips them', () => {
  const slices = timelineSlices(trace.traceEvents);
  assert.deepEqual(slices, [
    { cpu: 'CPU 0', thread: 'b tid 3', startNs: 1000, endNs: 3000 },
    { cpu: 'CPU 1', thread: 'a tid 2', startNs: 5000, endNs: 10_000 },
  ]);
  const cut = windowed(slices, [2000, 6000]);
  assert.deepEqual(
    cut.slices.map((s) => [s.startNs, s.endNs]),
    [
      [2000, 3000],
      [5000, 6000],
    ],
  );
  assert.equal(windowed(slices, [3000, 5000]).slices.length, 0);
});

test('bench: each measure as its share of issue 14 goal; less-is-better ones inverted', () => {
  const report = {
    ratio_compute: 0.25,
    ratio_pingpong: 0.5,
    startup: { wall_ms: 600, command: '', repetitions: 3 },
  } as unknown as BenchReport;
  assert.deepEqual(
    goalRows({ label: 'r', report }).map((r) => [r.measure, r.reached]),
    [
      ['compute ÷ reference', 0.5], // goal 0.5
      ['ping-pong ÷ reference', 2], // goal 0.25
      ['start-up', 0.5], // goal 300 ms
    ],
  );
});

test('renderPlot: an SVG of its declared size, a PNG twice it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'smpsim-plot-test-'));
  const spec = speedupSpec([{ label: 's', report: scale }], 'speedup');
  const svg = await renderPlot(spec, join(dir, 'a.svg'));
  const text = readFileSync(svg.file, 'utf8');
  assert.match(text, /^<svg/);
  assert.ok(svg.width > 400 && svg.height > 280, `${svg.width}x${svg.height}`);
  const png = await renderPlot(spec, join(dir, 'a.png'));
  assert.deepEqual(pngSize(readFileSync(png.file)), { width: png.width, height: png.height });
  assert.equal(png.width, svg.width * 2);
});

async function cli(args: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const status = await main(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { status, out, err };
}

test('smpsim plot: bad inputs are one line and exit 2; a report is drawn', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'smpsim-plot-cli-'));
  const scaleFile = join(dir, 'scale.json');
  writeFileSync(scaleFile, JSON.stringify(scale));
  const cases: [string[], RegExp][] = [
    [[join(dir, 'missing.json')], /missing\.json: not readable as JSON \(ENOENT\)/],
    [[scaleFile, '--kind', 'latency-cdf'], /scale is a scale result; latency-cdf draws run results/],
    [[scaleFile, '--out', join(dir, 'a.gif')], /--out: .*a\.gif is neither \.svg nor \.png/],
    [[scaleFile, '--kind', 'pie'], /--kind/],
    [[scaleFile, '--window', '1ms,2ms'], /--window: only applies to --kind timeline/],
    [
      [scaleFile, '--kind', 'timeline', '--window', '2ms,1ms'],
      /--window: the window starts at 2000000 ns, not before its end at 1000000 ns/,
    ],
    [
      [scaleFile, '--kind', 'timeline', '--window', '2ms'],
      /--window: "2ms" is not two times \(allowed: START,END/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = await cli(['plot', ...args]);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.err, message);
    assert.equal(r.err.trim().split('\n').length, 1);
  }
  const out = join(dir, 'speedup.svg');
  const r = await cli(['plot', scaleFile, '--out', out]);
  assert.equal(r.status, 0, r.err);
  assert.match(r.out, /^plot: wrote .*speedup\.svg \(\d+ x \d+ px, \d+ bytes\)\n$/);
});
