// The discrete-event engine: ordering, ties, limits, and record/replay of its decisions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ChoiceKind,
  type Decider,
  PrngDecider,
  RecordingDecider,
  ReplayDecider,
} from '../../src/engine/decider.ts';
import { Engine } from '../../src/engine/engine.ts';
import { Prng } from '../../src/engine/prng.ts';

const NO_LIMITS = { simNsMax: Number.POSITIVE_INFINITY, eventsMax: Number.POSITIVE_INFINITY };

/** Takes over ties and always runs the last of the tied events. */
class LastTieDecider implements Decider {
  readonly controlsTies = true;
  readonly abstractsTime = false;
  choose(_kind: ChoiceKind, n: number): number {
    return n - 1;
  }
}

/** Takes over ties and draws every choice, ties included, from a PRNG: an explorer in miniature. */
class RandomDecider implements Decider {
  readonly controlsTies = true;
  readonly abstractsTime = false;
  readonly #prng: Prng;
  constructor(seed: number) {
    this.#prng = new Prng(seed);
  }
  choose(_kind: ChoiceKind, n: number): number {
    return this.#prng.below(n);
  }
}

/** An engine with one handler kind that logs `[nowNs, tag]` of every event it runs. */
function loggingEngine(decider: Decider): { engine: Engine; kind: number; log: [number, number][] } {
  const engine = new Engine(decider);
  const log: [number, number][] = [];
  const kind = engine.register('log', (_arg, tag) => log.push([engine.nowNs, tag]));
  return { engine, kind, log };
}

test('handlers run in time order whatever the order of scheduling', () => {
  const { engine, kind, log } = loggingEngine(new PrngDecider(new Prng(1)));
  for (const t of [50, 10, 40, 20, 30]) engine.at(t, kind, 0, t);
  assert.equal(engine.run(NO_LIMITS), 'idle');
  assert.deepEqual(log, [
    [10, 10],
    [20, 20],
    [30, 30],
    [40, 40],
    [50, 50],
  ]);
  assert.equal(engine.events, 5);
  assert.equal(engine.nowNs, 50);
});

test('events due at the same instant run in insertion order with the default PrngDecider', () => {
  const { engine, kind, log } = loggingEngine(new PrngDecider(new Prng(1)));
  for (let tag = 0; tag < 5; tag++) engine.at(100, kind, 0, tag);
  engine.at(50, kind, 0, 99);
  engine.run(NO_LIMITS);
  assert.deepEqual(
    log.map(([, tag]) => tag),
    [99, 0, 1, 2, 3, 4],
  );
});

test('a decider that controls ties and always picks the last runs tied events in reverse order', () => {
  const { engine, kind, log } = loggingEngine(new LastTieDecider());
  for (let tag = 0; tag < 5; tag++) engine.at(100, kind, 0, tag);
  engine.at(200, kind, 0, 10);
  engine.at(200, kind, 0, 11);
  engine.run(NO_LIMITS);
  assert.deepEqual(log, [
    [100, 4],
    [100, 3],
    [100, 2],
    [100, 1],
    [100, 0],
    [200, 11],
    [200, 10],
  ]);
});

test('a handler may schedule more events; after() is relative to the event being run', () => {
  const engine = new Engine(new PrngDecider(new Prng(1)));
  const times: number[] = [];
  const kind = engine.register('chain', (arg) => {
    times.push(engine.nowNs);
    if (arg > 0) engine.after(7, kind, arg - 1, 0);
  });
  engine.after(3, kind, 3, 0);
  engine.run(NO_LIMITS);
  assert.deepEqual(times, [3, 10, 17, 24]);
  assert.equal(engine.handlerName(kind), 'chain');
  assert.equal(engine.handlerName(42), 'kind-42');
});

test('the run stops with event-limit after eventsMax events', () => {
  const { engine, kind, log } = loggingEngine(new PrngDecider(new Prng(1)));
  for (let t = 1; t <= 10; t++) engine.at(t, kind, 0, t);
  assert.equal(engine.run({ simNsMax: 1000, eventsMax: 4 }), 'event-limit');
  assert.equal(log.length, 4);
  assert.equal(engine.queue.size, 6);
});

test('the run stops with sim-time-limit before an event later than simNsMax', () => {
  const { engine, kind, log } = loggingEngine(new PrngDecider(new Prng(1)));
  for (let t = 10; t <= 100; t += 10) engine.at(t, kind, 0, t);
  assert.equal(engine.run({ simNsMax: 35, eventsMax: 1000 }), 'sim-time-limit');
  assert.deepEqual(
    log.map(([t]) => t),
    [10, 20, 30],
  );
  assert.equal(engine.nowNs, 30);
});

test('stop() from a handler ends the run after that event with reason stopped', () => {
  const engine = new Engine(new PrngDecider(new Prng(1)));
  const seen: number[] = [];
  const kind = engine.register('stopper', (arg) => {
    seen.push(arg);
    if (arg === 2) engine.stop();
  });
  for (let i = 1; i <= 4; i++) engine.at(i, kind, i, 0);
  assert.equal(engine.run(NO_LIMITS), 'stopped');
  assert.deepEqual(seen, [1, 2]);
});

test('scheduling in the past or with a negative delay is refused', () => {
  const { engine, kind } = loggingEngine(new PrngDecider(new Prng(1)));
  engine.at(10, kind, 0, 0);
  engine.run(NO_LIMITS);
  assert.throws(() => engine.at(5, kind, 0, 0), /engine: event in the past/);
  assert.throws(() => engine.after(-1, kind, 0, 0), /engine: negative delay/);
});

/**
 * A little world whose course depends on every choice: each event draws a jitter for its
 * successor's delay (often zero, so ties are frequent) and events fan out until a budget runs out.
 */
function chaoticRun(decider: Decider, jitterValues = 3): [number, number][] {
  const { engine, log } = loggingEngine(decider);
  let budget = 200;
  const kind = engine.register('spawn', (_arg, tag) => {
    log.push([engine.nowNs, tag]);
    if (budget <= 0) return;
    budget -= 2;
    engine.after(decider.choose(ChoiceKind.Jitter, jitterValues, null), kind, 0, tag * 2);
    engine.after(decider.choose(ChoiceKind.Jitter, jitterValues, null), kind, 0, tag * 2 + 1);
  });
  for (let tag = 1; tag <= 4; tag++) engine.at(0, kind, 0, tag);
  engine.run(NO_LIMITS);
  return log;
}

test('a run recorded by RecordingDecider is reproduced exactly by ReplayDecider', () => {
  const recorder = new RecordingDecider(new RandomDecider(17));
  const original = chaoticRun(recorder);
  assert.ok(recorder.choices.length > 300, 'the run made many choices');
  assert.ok(
    recorder.choices.some((v, i) => i % 3 === 0 && v === ChoiceKind.Tie),
    'the run had ties to decide',
  );
  const replayed = chaoticRun(new ReplayDecider(recorder.choices, true));
  assert.deepEqual(replayed, original);
  // A different seed takes a different course, so the replay is not trivially equal.
  assert.notDeepEqual(chaoticRun(new RandomDecider(18)), original);
});

test('ReplayDecider throws when the run diverges from the recorded choices', () => {
  const recorder = new RecordingDecider(new RandomDecider(17));
  chaoticRun(recorder);
  // A run that asks a different question (jitter over 5 values, not 3) diverges at its first draw.
  assert.throws(
    () => chaoticRun(new ReplayDecider(recorder.choices, true), 5),
    /replay: diverged at choice \d+ \(kind=2 n=5\)/,
  );
  assert.throws(
    () => chaoticRun(new ReplayDecider(recorder.choices.slice(0, 30), true)),
    /replay: run made more choices than recorded/,
  );
});

test('a target kind reaches its sinks in (time, sequence) order, interleaved with closure kinds, and also under a tie-controlling decider', () => {
  for (const decider of [new PrngDecider(new Prng(1)), new LastTieDecider()]) {
    const engine = new Engine(decider);
    const log: string[] = [];
    const sinks = [0, 1].map((id) => ({
      onEvent: (tag: number) => log.push(`s${id}:${tag}@${engine.nowNs}`),
    }));
    const kind = engine.registerTargets('sink', sinks, true);
    const other = engine.register('other', (arg) => log.push(`o:${arg}@${engine.nowNs}`));
    engine.at(20, kind, 1, 7);
    engine.at(10, other, 3, 0);
    engine.at(5, kind, 0, 9);
    assert.equal(engine.run(NO_LIMITS), 'idle');
    assert.deepEqual(log, ['s0:9@5', 'o:3@10', 's1:7@20']);
    assert.equal(engine.events, 3);
    assert.throws(() => engine.registerTargets('again', sinks), /a second target kind/);
  }
});
