// The decision point on a whole machine (issue 13): a decider that takes over ties sees which
// CPU each tied event would step and which CPUs race for a lock, and steers the run; one that
// abstracts time lets any enabled CPU step next. Both runs stay correct (the workload's answer,
// the kernel's invariants after every event), which is what an explorer needs of them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Candidates, ChoiceKind, type Decider, NO_CPU, PrngDecider } from '../../src/engine/decider.ts';
import { Prng } from '../../src/engine/prng.ts';
import { defaultRunConfig } from '../../src/machine/defaults.ts';
import type { RunConfig } from '../../src/machine/config.ts';
import { runConfig } from '../../src/report/run.ts';

const CPUS = 4;

/** dwrr on the PIT: every tick the BSP relays an IPI to the other CPUs, which then arrive tied. */
function primesConfig(): RunConfig {
  const config = defaultRunConfig('dwrr', CPUS);
  config.seed = 7;
  config.workloads = [
    {
      kind: 'primes',
      mode: 'thread',
      workers: CPUS,
      range: [2, 300_000],
      segment: 10_000,
      partition: 'interleaved',
    },
  ];
  return config;
}

/** π(300,000) = 25,997 (OEIS A000720). */
const PRIMES_BELOW_300K = 25_997;

/** Takes ties (or steps) to the highest CPU; draws everything else from a PRNG; records what it saw. */
class ExplorerLike implements Decider {
  readonly controlsTies = true;
  readonly abstractsTime: boolean;
  readonly #prng = new Prng(99);
  ties = 0;
  tiesAcrossCpus = 0;
  steps = 0;
  stepsOffTheClock = 0;
  lockRaces = 0;
  badCandidates: string[] = [];

  constructor(abstractsTime: boolean) {
    this.abstractsTime = abstractsTime;
  }

  choose(kind: ChoiceKind, n: number, candidates: Candidates | null): number {
    if (kind === ChoiceKind.Jitter || kind === ChoiceKind.Boot) {
      if (candidates !== null) this.badCandidates.push('a value draw came with candidates');
      return this.#prng.below(n);
    }
    if (candidates === null || candidates.count !== n) {
      this.badCandidates.push(`kind ${kind}: ${candidates?.count} candidates for n=${n}`);
      return 0;
    }
    if (kind === ChoiceKind.LockRace) return this.#lockRace(candidates);
    return this.#event(kind, candidates);
  }

  #lockRace(c: Candidates): number {
    this.lockRaces++;
    const cpus = new Set<number>();
    for (let i = 0; i < c.count; i++) {
      if (c.cpu[i]! < 0 || c.cpu[i]! >= CPUS || cpus.has(c.cpu[i]!)) this.badCandidates.push('a bad spinner');
      cpus.add(c.cpu[i]!);
    }
    return c.count - 1; // the last to arrive wins
  }

  #event(kind: ChoiceKind, c: Candidates): number {
    const cpus = new Set<number>();
    let best = 0;
    for (let i = 0; i < c.count; i++) {
      const cpu = c.cpu[i]!;
      if (cpu !== NO_CPU) cpus.add(cpu);
      if (cpu < NO_CPU || cpu >= CPUS) this.badCandidates.push(`cpu ${cpu}`);
      if (cpu > c.cpu[best]!) best = i;
    }
    if (kind === ChoiceKind.Tie) {
      this.ties++;
      if (cpus.size > 1) this.tiesAcrossCpus++;
    } else {
      this.steps++;
      if (best !== 0) this.stepsOffTheClock++;
    }
    return best;
  }
}

test('a tie-controlling decider sees the CPUs of tied events and the racing spinners, and steers a correct run', () => {
  const explorer = new ExplorerLike(false);
  const steered = runConfig(primesConfig(), { decider: explorer, checkInvariants: true });
  assert.equal(steered.error, undefined);
  assert.equal(steered.metrics['workload.primes.count'], PRIMES_BELOW_300K);
  assert.deepEqual(explorer.badCandidates, []);
  assert.ok(explorer.tiesAcrossCpus > 0, `ties between CPUs (PIT relay IPIs): ${explorer.tiesAcrossCpus}`);
  const baseline = runConfig(primesConfig(), { decider: new PrngDecider(new Prng(99)) });
  assert.equal(baseline.metrics['workload.primes.count'], PRIMES_BELOW_300K);
  assert.notEqual(steered.trace_hash, baseline.trace_hash, 'taking ties elsewhere changed the run');
});

test('time abstracted: a decider that lets the highest enabled CPU step first runs the machine correctly', () => {
  const explorer = new ExplorerLike(true);
  const report = runConfig(primesConfig(), { decider: explorer, checkInvariants: true });
  assert.equal(report.error, undefined);
  assert.equal(report.metrics['workload.primes.count'], PRIMES_BELOW_300K);
  assert.deepEqual(explorer.badCandidates, []);
  assert.equal(explorer.ties, 0, 'with time abstracted, ties are part of the step choice');
  assert.ok(explorer.stepsOffTheClock > 0, 'some steps overtook the clock');
  assert.ok(explorer.steps > 0);
});
