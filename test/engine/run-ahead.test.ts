// Engine.runAhead (issue 14): a handler may run its own next event at once only when the loop
// would have run that very event next, and a run that runs ahead is the same run, event for
// event, as one that goes through the queue every time (same hash, times, counts, figures).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ChoiceKind, type Decider, PrngDecider } from '../../src/engine/decider.ts';
import { Engine } from '../../src/engine/engine.ts';
import { Prng } from '../../src/engine/prng.ts';
import { buildMachine } from '../../src/machine/build.ts';
import type { RunConfig, TickConfig } from '../../src/machine/config.ts';
import { defaultRunConfig } from '../../src/machine/defaults.ts';

const NO_LIMITS = { simNsMax: Number.POSITIVE_INFINITY, eventsMax: Number.POSITIVE_INFINITY };

class TieDecider implements Decider {
  readonly controlsTies = true;
  readonly abstractsTime = false;
  choose(_kind: ChoiceKind, _n: number): number {
    return 0;
  }
}

/**
 * An engine whose `step` handler logs [now, tag] and, for tags below `chainTo`, asks to run
 * its next step 10 ns later ahead, pushing it when refused (the CPU's protocol in cpu.ts).
 */
function chainEngine(decider: Decider, chainTo: number) {
  const engine = new Engine(decider);
  const log: [number, number][] = [];
  const refused: number[] = [];
  const kind = engine.register('step', (_arg, first) => {
    for (let tag = first; ; tag++) {
      log.push([engine.nowNs, tag]);
      if (tag + 1 >= chainTo) return;
      if (!engine.runAhead(engine.nowNs + 10)) {
        refused.push(tag + 1);
        engine.after(10, kind, 0, tag + 1);
        return;
      }
    }
  });
  return { engine, kind, log, refused };
}

test('runAhead: a chain no other event falls inside runs in one dispatch, counted as its events', () => {
  const { engine, kind, log, refused } = chainEngine(new PrngDecider(new Prng(1)), 5);
  engine.at(100, kind, 0, 0);
  assert.equal(engine.run(NO_LIMITS), 'idle');
  assert.deepEqual(log, [
    [100, 0],
    [110, 1],
    [120, 2],
    [130, 3],
    [140, 4],
  ]);
  assert.deepEqual(refused, []);
  assert.equal(engine.events, 5, 'each step is an event, as through the queue');
  assert.equal(engine.eventsRunAhead, 4);
});

test('runAhead: refused when another event is due first or at the same time (it would go first)', () => {
  const { engine, kind, log, refused } = chainEngine(new PrngDecider(new Prng(1)), 4);
  const other = engine.register('other', () => log.push([engine.nowNs, -1]));
  engine.at(100, kind, 0, 0);
  engine.at(110, other, 0, 0); // the tie at 110 was queued first: it runs before step 1
  engine.at(125, other, 0, 0);
  engine.run(NO_LIMITS);
  assert.deepEqual(log, [
    [100, 0],
    [110, -1],
    [110, 1],
    [120, 2],
    [125, -1],
    [130, 3],
  ]);
  assert.deepEqual(refused, [1, 3]);
});

test('runAhead: refused at the event limit, past the time limit, on stop, outside run', () => {
  const limited = chainEngine(new PrngDecider(new Prng(1)), 10);
  limited.engine.at(0, limited.kind, 0, 0);
  assert.equal(limited.engine.run({ simNsMax: Number.POSITIVE_INFINITY, eventsMax: 3 }), 'event-limit');
  assert.equal(limited.engine.events, 3);
  assert.deepEqual(limited.refused, [3]);
  const timed = chainEngine(new PrngDecider(new Prng(1)), 10);
  timed.engine.at(0, timed.kind, 0, 0);
  assert.equal(timed.engine.run({ simNsMax: 25, eventsMax: Number.POSITIVE_INFINITY }), 'sim-time-limit');
  assert.deepEqual(timed.log.at(-1), [20, 2]);
  const outside = new Engine(new PrngDecider(new Prng(1)));
  assert.equal(outside.runAhead(0), false);
  const stopping = new Engine(new PrngDecider(new Prng(1)));
  let answer: boolean | null = null;
  const k = stopping.register('stop', () => {
    stopping.stop();
    answer = stopping.runAhead(stopping.nowNs + 1);
  });
  stopping.at(0, k, 0, 0);
  stopping.run(NO_LIMITS);
  assert.equal(answer, false);
});

test('runAhead: refused with an observer (it sees every event) or a decider that takes ties', () => {
  const observed = chainEngine(new PrngDecider(new Prng(1)), 3);
  const seen: number[] = [];
  observed.engine.observe((_kind, _arg, tag) => seen.push(tag));
  observed.engine.at(0, observed.kind, 0, 0);
  observed.engine.run(NO_LIMITS);
  assert.deepEqual(seen, [0, 1, 2]);
  assert.equal(observed.engine.eventsRunAhead, 0);
  const ties = chainEngine(new TieDecider(), 3);
  ties.engine.at(0, ties.kind, 0, 0);
  ties.engine.run(NO_LIMITS);
  assert.deepEqual(ties.refused, [1, 2]);
});

function idleConfig(tick: TickConfig, policy: 'fair' | 'dwrr'): RunConfig {
  const config = defaultRunConfig(policy, 4);
  config.machine.tick = tick;
  config.workloads = [
    {
      kind: 'program',
      program: 'threadherd',
      params: { threads: 3, stack_kib: 16, cycles: 5000, hold_us: 20_000 },
    },
    { kind: 'pingpong', pairs: 1, rounds: 300 },
  ];
  return config;
}

/**
 * Runs `config` with or without a no-op observer (which turns running ahead off). Idle ticks
 * are not folded (kernel/idle-fold.ts: it refuses itself with an observer, and it changes the
 * hash), so both runs dispatch the same events.
 */
function runMachine(config: RunConfig, observed: boolean) {
  const machine = buildMachine(config, { idleFold: false });
  if (observed) machine.board.engine.observe(() => {});
  const engine = machine.board.engine;
  engine.run(config.limits);
  const effects = machine.board.cpus.map((c) => c.effects);
  const times = machine.board.cpus.map((c) => [c.userNs, c.kernelNs, c.spinNs, c.idleNs]);
  return {
    hash: machine.board.trace.hex(),
    events: engine.events,
    nowNs: engine.nowNs,
    effects,
    times,
    ahead: engine.eventsRunAhead,
  };
}

for (const [tick, policy] of [
  [{ source: 'lapic', hz: 1000 }, 'fair'],
  [{ source: 'pit', hz: 246 }, 'dwrr'],
  [{ source: 'tsc-deadline', hz: 1000 }, 'fair'],
] as const) {
  test(`runAhead: a machine (${tick.source}, ${policy}) runs the same run with and without it`, () => {
    const config = idleConfig(tick, policy);
    const ahead = runMachine(config, false);
    const queued = runMachine(config, true);
    assert.ok(ahead.ahead > 0, 'some events ran ahead');
    assert.equal(queued.ahead, 0);
    assert.deepEqual({ ...ahead, ahead: 0 }, { ...queued, ahead: 0 });
  });
}
