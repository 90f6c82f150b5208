/**
 * trace-check's rules (report/trace/check.ts) on generated traces: every trace built by the
 * rules passes, with the counts it was built with; each kind of break is found and named.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { checkTrace } from '../../../src/report/trace/check.ts';

type Ev = Record<string, unknown>;

interface Built {
  events: Ev[];
  slices: number;
  flows: number;
  counters: number;
  instants: number;
}

/** Per track: gaps and durations in ns; flows: (from track, slice, to track, slice) picks. */
const shape = fc.record({
  tracks: fc.array(
    fc.array(fc.record({ gap: fc.nat(50), dur: fc.integer({ min: 1, max: 40 }) }), {
      minLength: 1,
      maxLength: 8,
    }),
    {
      minLength: 1,
      maxLength: 4,
    },
  ),
  flows: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat()), { maxLength: 6 }),
  counter: fc.array(fc.tuple(fc.nat(30), fc.integer({ min: -5, max: 5 })), { maxLength: 6 }),
});

type Shape = typeof shape extends fc.Arbitrary<infer T> ? T : never;

function build(s: Shape): Built {
  const events: Ev[] = [{ name: 'process_name', ph: 'M', pid: 7, tid: 7, args: { name: 'p' } }];
  const slices: Ev[][] = s.tracks.map((track, tid) => {
    events.push({ name: 'thread_name', ph: 'M', pid: 7, tid, args: { name: `t${tid}` } });
    let ns = 0;
    return track.map(({ gap, dur }) => {
      ns += gap;
      const e = { name: `s${tid}`, ph: 'X', pid: 7, tid, ts: ns / 1000, dur: dur / 1000 };
      ns += dur;
      events.push(e);
      return e;
    });
  });
  let flows = 0;
  for (const [a, b, c, d] of s.flows) {
    const from = slices[a % slices.length]!;
    const to = slices[c % slices.length]!;
    const src = from[b % from.length]!;
    const dst = to[d % to.length]!;
    if ((src.ts as number) > (dst.ts as number)) continue;
    flows++;
    events.push({ name: 'w', cat: 'wakeup', ph: 's', id: flows, pid: 7, tid: src.tid, ts: src.ts });
    events.push({ name: 'w', cat: 'wakeup', ph: 'f', bp: 'e', id: flows, pid: 7, tid: dst.tid, ts: dst.ts });
  }
  let ns = 0;
  for (const [gap, value] of s.counter) {
    ns += gap;
    events.push({ name: 'queue', ph: 'C', pid: 7, ts: ns / 1000, args: { len: value } });
  }
  events.push({ name: 'mark', ph: 'i', s: 'g', pid: 7, tid: 0, ts: 0 });
  const total = slices.reduce((n, t) => n + t.length, 0);
  return { events, slices: total, flows, counters: s.counter.length, instants: 1 };
}

test('a trace built by the rules passes, with the counts it was built with', () => {
  fc.assert(
    fc.property(shape, (s) => {
      const b = build(s);
      const r = checkTrace({ traceEvents: b.events });
      assert.deepEqual(r.errors, []);
      assert.equal(r.slices, b.slices);
      assert.equal(r.flows, b.flows);
      assert.equal(r.counters, b.counters);
      assert.equal(r.instants, b.instants);
      assert.equal(r.events, b.events.length);
    }),
    { numRuns: 200 },
  );
});

/** Each break, applied to a built trace, and the problem it must be reported as. */
const BREAKS: [string, (events: Ev[]) => void, RegExp][] = [
  ['a negative duration', (ev) => void (xs(ev)[0]!.dur = -0.001), /dur -0\.001 is not a duration >= 0/],
  [
    'an overlapping slice',
    (ev) => {
      const s = xs(ev)[0]!;
      ev.push({ ...s, name: 'late', ts: (s.ts as number) + 0.0005, dur: (s.dur as number) + 1 });
    },
    /overlaps|before the previous slice/,
  ],
  [
    'a flow to no slice',
    (ev) => {
      ev.push({ name: 'w', cat: 'x', ph: 's', id: 99, pid: 7, tid: 0, ts: 1e6 });
      ev.push({ name: 'w', cat: 'x', ph: 'f', bp: 'e', id: 99, pid: 7, tid: 0, ts: 1e6 });
    },
    /flow x:99 at 1000000 binds to no slice/,
  ],
  [
    'a flow without its end',
    (ev) => void ev.push({ name: 'w', cat: 'x', ph: 's', id: 98, pid: 7, tid: 0, ts: xs(ev)[0]!.ts }),
    /flow x:98: 1 start\(s\) and 0 end\(s\)/,
  ],
  [
    'a counter that is not a number',
    (ev) => void ev.push({ name: 'q', ph: 'C', pid: 7, ts: 0, args: { len: 'three' } }),
    /args\.len = "three" is not a number/,
  ],
  [
    'a track without a name',
    (ev) => void ev.push({ name: 'x', ph: 'X', pid: 7, tid: 55, ts: 0, dur: 1 }),
    /track 7\/55 has no thread_name/,
  ],
  [
    'a begin never ended',
    (ev) => void ev.push({ name: 'b', ph: 'B', pid: 7, tid: 0, ts: 1e7 }),
    /never ended/,
  ],
  [
    'an unknown phase',
    (ev) => void ev.push({ name: 'b', ph: 'Q', pid: 7, tid: 0, ts: 0 }),
    /ph "Q" is not a known phase/,
  ],
  [
    'time going back on a track',
    (ev) => {
      ev.push({ name: 'i1', ph: 'i', s: 't', pid: 7, tid: 0, ts: 5 });
      ev.push({ name: 'i2', ph: 'i', s: 't', pid: 7, tid: 0, ts: 4 });
    },
    /ts 4 before the previous instant on track 7\/0 \(5\)/,
  ],
];

function xs(events: Ev[]): Ev[] {
  return events.filter((e) => e.ph === 'X');
}

for (const [what, breakIt, problem] of BREAKS) {
  test(`trace-check finds ${what}`, () => {
    fc.assert(
      fc.property(shape, (s) => {
        const b = build(s);
        breakIt(b.events);
        const r = checkTrace({ traceEvents: b.events });
        assert.equal(r.ok, false);
        assert.ok(
          r.errors.some((e) => problem.test(e)),
          r.errors.join('\n'),
        );
      }),
      { numRuns: 60 },
    );
  });
}

test('a file that is not a trace is one problem, named', () => {
  assert.deepEqual(checkTrace({ events: [] }).errors, [
    'the file is neither an array of events nor an object with a traceEvents array',
  ]);
  assert.ok(checkTrace([]).ok, 'an empty array of events is a valid (empty) trace');
});
