// Idle-tick folding (kernel/idle-fold.ts, issue 14): a run with the fold is the run without it in
// every figure and in simulated time (only the trace hash may differ), on every seed scenario and
// on idle machines stopped by each limit; the fold takes nearly every idle tick of an idle
// machine, and refuses itself where running the ticks would be observed (an observer, a decider
// that takes ties) or where a tick does more than count (a cpufreq governor samples at it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChoiceKind, Decider } from '../../src/engine/decider.ts';
import { buildMachine, type Machine } from '../../src/machine/build.ts';
import type { RunConfig } from '../../src/machine/config.ts';
import { defaultRunConfig } from '../../src/machine/defaults.ts';
import { runConfig } from '../../src/report/run.ts';
import { loadSeed, seedFiles, seedRun } from '../support/seed-runs.ts';

for (const file of seedFiles()) {
  test(`idle fold: ${file} reports the same figures and simulated time with and without it`, () => {
    const folded = seedRun(file).report; // the suite's one default run (the fold is on by default)
    const unfolded = runConfig(loadSeed(file), { idleFold: false });
    assert.equal(folded.sim_ns, unfolded.sim_ns);
    assert.equal(folded.passed, unfolded.passed);
    assert.deepEqual(folded.metrics, unfolded.metrics);
    assert.deepEqual(
      folded.compare?.map((c) => c.error),
      unfolded.compare?.map((c) => c.error),
    );
  });
}

/** A 4-CPU fair machine whose one parked thread and sleeping main thread leave it idle for `holdUs`. */
function idleConfig(holdUs: number): RunConfig {
  const config = defaultRunConfig('fair', 4);
  config.machine.tick = { source: 'lapic', hz: 1000 };
  config.workloads = [
    {
      kind: 'program',
      program: 'threadherd',
      params: { threads: 1, stack_kib: 16, cycles: 0, hold_us: holdUs },
    },
  ];
  return config;
}

/** Everything a tick counts, per CPU and in the kernel, and the engine's clock and event count. */
function figures(machine: Machine) {
  const { board, kernel } = machine;
  return {
    nowNs: board.engine.nowNs,
    events: board.engine.events,
    cpus: board.cpus.map((c) => [c.userNs, c.kernelNs, c.spinNs, c.idleSoFarNs, c.effects]),
    idleCpuNs: kernel.idle.map((i) => i.cpuTimeNs),
    locks: board.cpus.map((c) => {
      const l = kernel.policy.switchLock(c.id);
      return [l.acquisitions, l.contended, l.spinNs, l.lastHolder];
    }),
    stats: {
      ...kernel.stats,
      switches: [...kernel.stats.switches],
      migrationsIn: [...kernel.stats.migrationsIn],
    },
  };
}

function runIdle(config: RunConfig, idleFold: boolean, prepare?: (m: Machine) => void) {
  const machine = buildMachine(config, { idleFold });
  prepare?.(machine);
  const stop = machine.board.engine.run(config.limits);
  return { machine, stop, figures: figures(machine) };
}

test('idle fold: an idle machine folds nearly every tick and ends with the same figures', () => {
  const config = idleConfig(1_000_000);
  const folded = runIdle(config, true);
  const unfolded = runIdle(config, false);
  assert.equal(folded.stop, unfolded.stop);
  assert.deepEqual(folded.figures, unfolded.figures);
  assert.equal(unfolded.machine.board.engine.eventsFolded, 0);
  // 1 s at 1000 Hz is 4000 ticks of about six events each; ticks run only to learn (one after
  // each periodic balance, every 100 ms per CPU: about 40) and around the main thread's wake-up,
  // so well over nine in ten events are folded.
  const { events, eventsFolded } = folded.machine.board.engine;
  assert.ok(eventsFolded > 0.9 * events, `${eventsFolded} of ${events} events folded`);
});

test('idle fold: a run stopped by the time or the event limit inside a folded span is the same run', () => {
  const timed = idleConfig(1_000_000);
  timed.limits.simNsMax = 345_678_901; // inside a span the fold takes at once
  const a = runIdle(timed, true);
  const b = runIdle(timed, false);
  assert.equal(a.stop, 'sim-time-limit');
  assert.ok(a.machine.board.engine.eventsFolded > 0);
  assert.deepEqual(a.figures, b.figures);
  const counted = idleConfig(1_000_000);
  counted.limits.eventsMax = 12_345;
  const c = runIdle(counted, true);
  const d = runIdle(counted, false);
  assert.equal(c.stop, 'event-limit');
  assert.ok(c.machine.board.engine.eventsFolded > 0);
  assert.deepEqual(c.figures, d.figures);
});

class TieDecider implements Decider {
  readonly controlsTies = true;
  readonly abstractsTime = false;
  choose(_kind: ChoiceKind, _n: number): number {
    return 0;
  }
}

test('idle fold: refused with an observer, a decider that takes ties, or a cpufreq governor', () => {
  const config = idleConfig(200_000);
  const observed = runIdle(config, true, (m) => m.board.engine.observe(() => {}));
  assert.equal(observed.machine.board.engine.eventsFolded, 0);
  const ties = buildMachine(config, { decider: new TieDecider(), idleFold: true });
  ties.board.engine.run(config.limits);
  assert.equal(ties.board.engine.eventsFolded, 0);
  const governed = loadSeed('cpufreq-governors.toml');
  governed.machine.tick = { source: 'lapic', hz: 1000 };
  governed.compare = [];
  const withGovernor = runIdle(governed, true);
  assert.equal(withGovernor.machine.board.engine.eventsFolded, 0);
});
