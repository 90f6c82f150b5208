// The event queue (heap and calendar, event-queue.ts) and the heap alone (event-heap.ts, the
// bench's reference loop runs on it) against a reference model: a plain array kept in (time,
// insertion order). The queue moves to its calendar at CALENDAR_FROM events and back below
// HEAP_BELOW, so the cases that hold more than that test the calendar.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { EventHeap } from '../../src/engine/event-heap.ts';
import { EventQueue } from '../../src/engine/event-queue.ts';

interface Ev {
  timeNs: number;
  seq: number;
  kind: number;
  arg: number;
  tag: number;
}

/** The reference: every event in an array sorted by (time, seq); pop takes the front. */
class Model {
  readonly events: Ev[] = [];
  seqNext = 0;

  push(timeNs: number, kind: number, arg: number, tag: number): void {
    this.insert({ timeNs, seq: this.seqNext++, kind, arg, tag });
  }

  insert(ev: Ev): void {
    let i = this.events.length;
    while (i > 0) {
      const prev = this.events[i - 1]!;
      if (prev.timeNs < ev.timeNs || (prev.timeNs === ev.timeNs && prev.seq < ev.seq)) break;
      i--;
    }
    this.events.splice(i, 0, ev);
  }

  pop(): Ev | undefined {
    return this.events.shift();
  }
}

function popped(q: EventQueue | EventHeap): Ev {
  return { timeNs: q.poppedTimeNs, seq: q.poppedSeq, kind: q.poppedKind, arg: q.poppedArg, tag: q.poppedTag };
}

function checkPeeks(q: EventQueue | EventHeap, m: Model): void {
  assert.equal(q.size, m.events.length);
  assert.equal(q.peekTimeNs(), m.events[0]?.timeNs ?? Number.POSITIVE_INFINITY);
  assert.equal(q.peekSecondTimeNs(), m.events[1]?.timeNs ?? Number.POSITIVE_INFINITY);
}

type Cmd =
  | { op: 'push'; timeNs: number; kind: number; arg: number; tag: number }
  | { op: 'pop' }
  /** Pop `n` events and put them back with pushWithSeq in reverse order: nothing may change. */
  | { op: 'reinsert'; n: number };

const int32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('push' as const),
      // A narrow time range makes ties common, which is the interesting case.
      timeNs: fc.integer({ min: 0, max: 12 }),
      kind: fc.integer({ min: 0, max: 1000 }),
      arg: int32,
      tag: int32,
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('pop' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('reinsert' as const), n: fc.integer({ min: 1, max: 6 }) }),
  },
);

function apply(q: EventQueue | EventHeap, m: Model, cmd: Cmd): void {
  if (cmd.op === 'push') {
    q.push(cmd.timeNs, cmd.kind, cmd.arg, cmd.tag);
    m.push(cmd.timeNs, cmd.kind, cmd.arg, cmd.tag);
  } else if (cmd.op === 'pop') {
    const expected = m.pop();
    assert.equal(q.pop(), expected !== undefined);
    if (expected !== undefined) assert.deepEqual(popped(q), expected);
  } else {
    const taken: Ev[] = [];
    while (taken.length < cmd.n && q.pop()) taken.push(popped(q));
    for (const ev of [...taken].reverse()) q.pushWithSeq(ev.timeNs, ev.seq, ev.kind, ev.arg, ev.tag);
  }
  checkPeeks(q, m);
}

for (const [name, make] of [
  ['queue', () => new EventQueue()],
  ['heap', () => new EventHeap()],
] as const) {
  test(`${name}: random pushes and pops come out exactly as the sorted model, ties in insertion order`, () => {
    fc.assert(
      fc.property(fc.array(cmdArb, { maxLength: 300 }), (cmds) => {
        const q = make();
        const m = new Model();
        for (const cmd of cmds) apply(q, m, cmd);
        while (m.events.length > 0) apply(q, m, { op: 'pop' });
        assert.equal(q.pop(), false);
      }),
      { numRuns: 300, seed: 42 },
    );
  });
}

/**
 * Events as a simulation pushes them: `streams` monotone streams (each a CPU's compute ends or
 * ticks: the next a random step after the last), each pop's stream pushing its next, and now
 * and then an event of no stream (a timer, an IPI) at a random time after now: what a many-CPU machine pushes.
 */
const streamCase = fc.record({
  streams: fc.integer({ min: 1, max: 120 }),
  steps: fc.array(fc.record({ stepNs: fc.integer({ min: 0, max: 30 }), stray: fc.nat(9) }), {
    minLength: 100,
    maxLength: 600,
  }),
  removals: fc.array(fc.nat(), { maxLength: 30 }),
  /** Where the run's clock stands when the streams start: a queue moves to its calendar late in a run too. */
  baseNs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1e12 })),
});

test('streams of events, as CPUs push them, and strays among them pop as the sorted model', () => {
  fc.assert(
    fc.property(streamCase, ({ streams, steps, removals, baseNs }) => {
      const q = new EventQueue();
      const m = new Model();
      const both = (t: number, kind: number, arg: number) => {
        q.push(t, kind, arg, t % 65_536); // a tag is an int32
        m.push(t, kind, arg, t % 65_536);
      };
      for (let i = 0; i < 100; i++) both(baseNs + (i % 5), 0, i % streams);
      for (const [n, step] of steps.entries()) {
        apply(q, m, { op: 'pop' });
        const now = q.poppedTimeNs;
        both(now + step.stepNs, 0, q.poppedArg);
        if (step.stray === 0) both(now + step.stepNs * 3, 1, n);
        if (step.stray === 1 && q.size > 0) {
          const slot = removals[n % Math.max(1, removals.length)] ?? 0;
          const at = slot % q.size;
          const seq = q.seqAt(at);
          q.removeAt(at);
          assert.equal(q.poppedSeq, seq);
          m.events.splice(
            m.events.findIndex((e) => e.seq === seq),
            1,
          );
          // Put it back: the stream it belonged to goes on.
          q.pushWithSeq(q.poppedTimeNs, seq, q.poppedKind, q.poppedArg, q.poppedTag);
          m.insert({ timeNs: q.poppedTimeNs, seq, kind: q.poppedKind, arg: q.poppedArg, tag: q.poppedTag });
        }
        checkPeeks(q, m);
      }
      while (m.events.length > 0) apply(q, m, { op: 'pop' });
      assert.equal(q.pop(), false);
    }),
    { numRuns: 200, seed: 11 },
  );
});

test('the queue grows past its initial capacity of 1024 and keeps every event in order', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1025, maxLength: 3000 }), (times) => {
      const q = new EventQueue();
      const m = new Model();
      times.forEach((t, i) => {
        q.push(t, i, -i | 0, i * 7);
        m.push(t, i, -i | 0, i * 7);
      });
      assert.equal(q.size, times.length);
      checkPeeks(q, m);
      for (let i = 0; i < times.length; i++) {
        assert.equal(q.pop(), true);
        assert.deepEqual(popped(q), m.pop());
      }
      assert.equal(q.size, 0);
    }),
    { numRuns: 20, seed: 7 },
  );
});

test('events re-inserted with pushWithSeq keep their original order among later pushes', () => {
  const q = new EventQueue();
  for (let i = 0; i < 5; i++) q.push(100, i, 0, 0); // seqs 0..4, all tied
  const taken: Ev[] = [];
  for (let i = 0; i < 3; i++) {
    q.pop();
    taken.push(popped(q));
  }
  q.push(100, 5, 0, 0); // seq 5: pushed after the others, so it must pop last
  for (const ev of taken.reverse()) q.pushWithSeq(ev.timeNs, ev.seq, ev.kind, ev.arg, ev.tag);
  const kinds: number[] = [];
  while (q.pop()) kinds.push(q.poppedKind);
  assert.deepEqual(kinds, [0, 1, 2, 3, 4, 5]);
});

test('peekSecondTimeNs is Infinity with fewer than two events and the runner-up time otherwise', () => {
  const q = new EventQueue();
  assert.equal(q.peekTimeNs(), Number.POSITIVE_INFINITY);
  assert.equal(q.peekSecondTimeNs(), Number.POSITIVE_INFINITY);
  q.push(30, 0, 0, 0);
  assert.equal(q.peekTimeNs(), 30);
  assert.equal(q.peekSecondTimeNs(), Number.POSITIVE_INFINITY);
  q.push(10, 0, 0, 0);
  assert.equal(q.peekSecondTimeNs(), 30);
  q.push(20, 0, 0, 0);
  assert.equal(q.peekTimeNs(), 10);
  assert.equal(q.peekSecondTimeNs(), 20);
});

test('a negative time is refused', () => {
  const q = new EventQueue();
  assert.throws(() => q.push(-1, 0, 0, 0), /event-queue: negative time/);
});

test('removeAt takes out exactly the event in that slot and leaves a valid heap (time-abstracted steps)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 50, maxLength: 200 }),
      fc.array(fc.nat(), { minLength: 20, maxLength: 60 }),
      (times, picks) => {
        const q = new EventQueue();
        const m = new Model();
        times.forEach((t, i) => {
          q.push(t, 1, i, 1000 + i);
          m.push(t, 1, i, 1000 + i);
        });
        for (const pick of picks) {
          if (q.size === 0) break;
          const slot = pick % q.size;
          const expected = {
            timeNs: q.timeAt(slot),
            seq: q.seqAt(slot),
            kind: q.kindAt(slot),
            arg: q.argAt(slot),
            tag: q.tagAt(slot),
          };
          q.removeAt(slot);
          assert.deepEqual(popped(q), expected);
          const at = m.events.findIndex((e) => e.seq === expected.seq);
          assert.ok(at >= 0, 'the removed event was in the queue');
          m.events.splice(at, 1);
          checkPeeks(q, m);
        }
        while (m.events.length > 0) apply(q, m, { op: 'pop' });
        assert.equal(q.pop(), false);
      },
    ),
    { numRuns: 300, seed: 7 },
  );
});

test('the order holds across a change of spacing (1 ns apart, then 1 ms) and a drain back to the heap', () => {
  const q = new EventQueue();
  const m = new Model();
  const both = (t: number, arg: number) => {
    q.push(t, 0, arg, 0);
    m.push(t, 0, arg, 0);
  };
  // 200 events 1 ns apart: the calendar's buckets are a few ns wide.
  for (let i = 0; i < 200; i++) both(i, i);
  // Each pop pushes its successor 1 ms (± a little, by a fixed pattern) later: with the old
  // width a pop would scan a million buckets' worth of years; the work count rebuilds it.
  for (let n = 0; n < 20_000; n++) {
    apply(q, m, { op: 'pop' });
    both(q.poppedTimeNs + 1_000_000 + ((n * 7919) % 1000), n);
  }
  checkPeeks(q, m);
  while (m.events.length > 0) apply(q, m, { op: 'pop' });
  assert.equal(q.pop(), false);
  // And back: a few events again, through the heap.
  for (let i = 0; i < 5; i++) both(10 - i, i);
  while (m.events.length > 0) apply(q, m, { op: 'pop' });
});
