// The viewer's pure parts (issue 21): the trace model (rows, thread histories, wakeups from the
// slices' flow arguments) and the zoom arithmetic, checked without a browser.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildModel, firstEndingAfter, MACHINE_PID, sliceAt } from '../../src/web/trace-model.ts';
import { formatNs, formatTick, MIN_SPAN_NS, nsAt, pan, xOf, zoomAt } from '../../src/web/view-range.ts';

const cpu = (n: number) => MACHINE_PID + n;
const EVENTS = [
  { ph: 'M', name: 'thread_name', pid: 7, tid: 8, args: { name: 'worker 8' } },
  { ph: 'M', name: 'thread_name', pid: MACHINE_PID, tid: cpu(0), args: { name: 'CPU 0' } },
  { ph: 'X', cat: 'idle', name: 'idle', pid: MACHINE_PID, tid: cpu(1), ts: 0, dur: 2 },
  {
    ph: 'X',
    cat: 'sched',
    name: 'worker 8',
    pid: MACHINE_PID,
    tid: cpu(1),
    ts: 2,
    dur: 3,
    args: { tid: 8, pid: 7, wake_latency_ns: 500, waker_tid: 9, waker_cpu: 0 },
  },
  {
    ph: 'X',
    cat: 'sched',
    name: 'waker 9',
    pid: MACHINE_PID,
    tid: cpu(0),
    ts: 1,
    dur: 0.5,
    args: { tid: 9, pid: 7 },
  },
  { ph: 'X', cat: 'kernel', name: 'kernel', pid: MACHINE_PID, tid: cpu(0), ts: 0, dur: 1 },
  {
    ph: 'X',
    cat: 'thread_state',
    name: 'Runnable',
    pid: 7,
    tid: 8,
    ts: 1.5,
    dur: 0.5,
    args: { queued_cpu: 1 },
  },
  { ph: 'X', cat: 'thread_state', name: 'Blocked (futex)', pid: 7, tid: 8, ts: 0, dur: 1.5, args: {} },
  { ph: 'i', cat: 'marker', name: 'run start', pid: MACHINE_PID, tid: MACHINE_PID + 999, ts: 0, s: 'g' },
  { ph: 'i', cat: 'irq', name: 'timer', pid: MACHINE_PID, tid: MACHINE_PID + 501, ts: 4 },
  { ph: 'C', name: 'CPU 0 rq', pid: MACHINE_PID, ts: 1, args: { len: 1 } },
];

test('trace model: CPU rows by start, thread histories in order, a wakeup from the slice args', () => {
  const m = buildModel(EVENTS);
  assert.equal(m.events, EVENTS.length);
  assert.deepEqual([m.startNs, m.endNs], [0, 5000]);
  assert.deepEqual(
    m.cpus.map((row) => row.map((s) => [s.name, s.startNs, s.endNs, s.tid])),
    [
      [
        ['kernel', 0, 1000, -1],
        ['waker 9', 1000, 1500, 9],
      ],
      [
        ['idle', 0, 2000, -1],
        ['worker 8', 2000, 5000, 8],
      ],
    ],
  );
  const w = m.threads.get(8)!;
  assert.equal(w.name, 'worker 8');
  assert.deepEqual(
    w.states.map((s) => s.name),
    ['Blocked (futex)', 'Runnable'],
  );
  assert.deepEqual(w.wakeups, [{ wakeNs: 1500, runNs: 2000, wakerTid: 9, wakerCpu: 0, cpu: 1 }]);
  assert.equal(m.threads.get(9)!.runs.length, 1);
  assert.deepEqual(m.markers, [{ ns: 0, name: 'run start', cpu: -1 }]);
  assert.deepEqual(m.irqs, [{ ns: 4000, name: 'timer', cpu: 1 }]);
});

test('trace model: the slice at a time, by binary search', () => {
  const row = buildModel(EVENTS).cpus[1]!;
  assert.equal(sliceAt(row, 0)?.name, 'idle');
  assert.equal(sliceAt(row, 2000)?.name, 'worker 8');
  assert.equal(sliceAt(row, 4999)?.name, 'worker 8');
  assert.equal(sliceAt(row, 5000), null);
  assert.equal(firstEndingAfter(row, 1999), 0);
  assert.equal(firstEndingAfter(row, 2000), 1);
});

const bounds = { startNs: 0, endNs: 1_000_000 };
const arbRange = fc
  .tuple(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 1_000_000 }))
  .filter(([a, b]) => Math.abs(a - b) >= MIN_SPAN_NS)
  .map(([a, b]) => ({ startNs: Math.min(a, b), endNs: Math.max(a, b) }));

test('zoom: the time under the pointer stays put, the view stays inside the trace', () => {
  fc.assert(
    fc.property(
      arbRange,
      fc.double({ min: 0.05, max: 0.95, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (r, factor, anchor) => {
        const z = zoomAt(r, factor, anchor, bounds);
        assert.ok(z.startNs >= 0 && z.endNs <= 1_000_000 && z.endNs - z.startNs >= MIN_SPAN_NS - 1e-6);
        const span = z.endNs - z.startNs;
        if (span > MIN_SPAN_NS) {
          // Zooming in never needs clamping: the anchor's time is where it was.
          assert.ok(Math.abs(nsAt(z, 1000, anchor * 1000) - nsAt(r, 1000, anchor * 1000)) < 1e-6);
          assert.ok(Math.abs(span - (r.endNs - r.startNs) * factor) < 1e-6);
        }
      },
    ),
  );
});

test('zoom out and pan stop at the trace bounds; x and ns invert', () => {
  assert.deepEqual(zoomAt({ startNs: 400_000, endNs: 600_000 }, 100, 0.5, bounds), bounds);
  assert.deepEqual(pan({ startNs: 900_000, endNs: 1_000_000 }, 0.5, bounds), {
    startNs: 900_000,
    endNs: 1_000_000,
  });
  assert.deepEqual(pan({ startNs: 0, endNs: 100_000 }, 0.5, bounds), { startNs: 50_000, endNs: 150_000 });
  const r = { startNs: 1000, endNs: 3000 };
  assert.equal(xOf(r, 500, 2000), 250);
  assert.equal(nsAt(r, 500, 250), 2000);
  assert.deepEqual(
    [formatNs(999), formatNs(1500), formatNs(2_500_000), formatNs(3e9)],
    ['999 ns', '1.500 µs', '2.500 ms', '3.000 s'],
  );
  assert.deepEqual(
    [formatTick(2_457_100_000, 150_000), formatTick(2_457_250_000, 150_000), formatTick(1500, 10)],
    ['2.4571 s', '2.4573 s', '1.50 µs'],
  );
});
