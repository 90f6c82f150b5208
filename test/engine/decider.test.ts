// The decision point sees its candidates (issue 13): a tie offers the tied events with the CPU
// each runs on, a time-abstracted step offers each CPU's earliest event, the candidate buffer is
// reused, and observers subscribe to the engine side by side.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Candidates, ChoiceKind, type Decider, NO_CPU, PrngDecider } from '../../src/engine/decider.ts';
import { Engine } from '../../src/engine/engine.ts';
import { Prng } from '../../src/engine/prng.ts';

const NO_LIMITS = { simNsMax: Number.POSITIVE_INFINITY, eventsMax: 10_000 };

interface Seen {
  cpu: number;
  kind: number;
  arg: number;
  tag: number;
  timeNs: number;
}

function snapshot(c: Candidates): Seen[] {
  const out: Seen[] = [];
  for (let i = 0; i < c.count; i++) {
    out.push({
      cpu: c.cpu[i]!,
      kind: c.eventKind[i]!,
      arg: c.eventArg[i]!,
      tag: c.eventTag[i]!,
      timeNs: c.eventTimeNs[i]!,
    });
  }
  return out;
}

/** Picks the candidate on the highest CPU (CPU-less ones last): a tiny explorer's policy. */
class HighestCpuDecider implements Decider {
  readonly controlsTies = true;
  readonly abstractsTime: boolean;
  readonly seen: { kind: ChoiceKind; candidates: Seen[] }[] = [];

  constructor(abstractsTime = false) {
    this.abstractsTime = abstractsTime;
  }

  choose(kind: ChoiceKind, n: number, candidates: Candidates | null): number {
    assert.ok(candidates !== null && candidates.count === n, 'an event choice comes with its candidates');
    this.seen.push({ kind, candidates: snapshot(candidates) });
    let best = 0;
    for (let i = 1; i < n; i++) if (candidates.cpu[i]! > candidates.cpu[best]!) best = i;
    return best;
  }
}

/** An engine with a CPU kind (arg = CPU id) and a CPU-less device kind, both logging. */
function twoKinds(decider: Decider) {
  const engine = new Engine(decider);
  const log: string[] = [];
  const cpuKind = engine.register(
    'cpu-step',
    (cpu, tag) => log.push(`${engine.nowNs}:cpu${cpu}:${tag}`),
    true,
  );
  const devKind = engine.register('device', (_arg, tag) => log.push(`${engine.nowNs}:dev:${tag}`));
  return { engine, log, cpuKind, devKind };
}

test('a tie offers the tied events with their CPU; a decider picks among the enabled CPUs', () => {
  const decider = new HighestCpuDecider();
  const { engine, log, cpuKind, devKind } = twoKinds(decider);
  engine.at(10, cpuKind, 2, 100);
  engine.at(10, devKind, 0, 101);
  engine.at(10, cpuKind, 0, 102);
  engine.at(10, cpuKind, 1, 103);
  engine.at(20, cpuKind, 0, 104);
  engine.run(NO_LIMITS);
  assert.deepEqual(log, ['10:cpu2:100', '10:cpu1:103', '10:cpu0:102', '10:dev:101', '20:cpu0:104']);
  // The first tie: all four, in insertion order, each with the CPU it would step (-1: a device).
  assert.deepEqual(decider.seen[0], {
    kind: ChoiceKind.Tie,
    candidates: [
      { cpu: 2, kind: cpuKind, arg: 2, tag: 100, timeNs: 10 },
      { cpu: NO_CPU, kind: devKind, arg: 0, tag: 101, timeNs: 10 },
      { cpu: 0, kind: cpuKind, arg: 0, tag: 102, timeNs: 10 },
      { cpu: 1, kind: cpuKind, arg: 1, tag: 103, timeNs: 10 },
    ],
  });
  assert.deepEqual(
    decider.seen.map((s) => s.candidates.length),
    [4, 3, 2],
    'the events not chosen go back and tie again; a lone event is no choice',
  );
  assert.equal(engine.handlerName(cpuKind), 'cpu-step');
});

test('a tie of more events than the buffer holds grows it and loses none', () => {
  const decider = new HighestCpuDecider();
  const { engine, log, cpuKind } = twoKinds(decider);
  for (let cpu = 0; cpu < 40; cpu++) engine.at(5, cpuKind, cpu, cpu);
  engine.run(NO_LIMITS);
  assert.equal(log.length, 40);
  assert.equal(log[0], '5:cpu39:39');
  assert.equal(log[39], '5:cpu0:0');
  assert.equal(decider.seen[0]!.candidates.length, 40);
});

test('the default decider offers no ties: same-time events run in insertion order', () => {
  const { engine, log, cpuKind, devKind } = twoKinds(new PrngDecider(new Prng(1)));
  engine.at(10, cpuKind, 2, 1);
  engine.at(10, devKind, 0, 2);
  engine.at(10, cpuKind, 0, 3);
  engine.run(NO_LIMITS);
  assert.deepEqual(log, ['10:cpu2:1', '10:dev:2', '10:cpu0:3']);
});

test('time abstracted: any CPU with a pending event may step next, each CPU keeping its order', () => {
  const decider = new HighestCpuDecider(true);
  const { engine, log, cpuKind, devKind } = twoKinds(decider);
  engine.at(100, cpuKind, 0, 1);
  engine.at(200, cpuKind, 0, 2);
  engine.at(900, cpuKind, 1, 3);
  engine.at(50, devKind, 0, 4);
  engine.at(300, cpuKind, 2, 5);
  engine.run(NO_LIMITS);
  // CPU 2 goes first although its event is due last but one; time runs at max(now, due): CPU 1's
  // event at 900 then makes everything due before it run late, at 900; per CPU, order is kept.
  assert.deepEqual(log, ['300:cpu2:5', '900:cpu1:3', '900:cpu0:1', '900:cpu0:2', '900:dev:4']);
  // The first step: one candidate per subject (CPU 0's earliest only), in clock order, so
  // candidate 0 is the event the clock would have run (the device's, due at 50).
  const first = decider.seen[0]!;
  assert.equal(first.kind, ChoiceKind.Step);
  assert.deepEqual(
    first.candidates.map((c) => [c.cpu, c.timeNs]),
    [
      [NO_CPU, 50],
      [0, 100],
      [2, 300],
      [1, 900],
    ],
  );
  // Five steps, four choices: the last (the device alone) was no choice and asked nothing.
  assert.equal(decider.seen.length, 4);
});

test('observers are a list: each sees every event, and one can leave without disturbing the others', () => {
  const { engine, cpuKind } = twoKinds(new PrngDecider(new Prng(1)));
  const a: number[] = [];
  const b: string[] = [];
  engine.observe((_kind, arg) => a.push(arg));
  const leave = engine.observe((kind, arg, tag) => b.push(`${engine.handlerName(kind)}:${arg}:${tag}`));
  const leaveKind = engine.register('leave', () => leave());
  engine.at(1, cpuKind, 7, 70);
  engine.at(2, leaveKind, 0, 0);
  engine.at(3, cpuKind, 8, 80);
  engine.run(NO_LIMITS);
  assert.deepEqual(a, [7, 0, 8]);
  assert.deepEqual(b, ['cpu-step:7:70'], 'the second observer left from inside the run');
});
