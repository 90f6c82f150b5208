/**
 * The explorer's entry point: search a model's interleavings with a strategy (random walk, PCT,
 * DPOR) under a memory model, and hand back the verdict: a violation with its schedule string
 * (shrunk), or none within the bound, saying whether the bound covered the whole space. The
 * CLI (`smpsim explore`) and the tests call this; it does no I/O.
 */
import { dporSearch } from './dpor.ts';
import { estimateSpace, type SpaceEstimate } from './estimate.ts';
import type { MemoryModelName, Model, Violation } from './model.ts';
import { newPrng, pctChooser, pctRunProbability, randomChooser } from './random-walk.ts';
import { makeSetup, runOnce, type Setup } from './run.ts';
import { encodeSchedule } from './schedule.ts';
import { shrink } from './shrink.ts';
import { timedChooser } from './timing.ts';

export const STRATEGIES = ['random', 'pct', 'dpor'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

/** Steps one execution may take before it is reported as a livelock. */
export const STEPS_MAX = 5000;

export interface ExploreOptions {
  model: Model;
  cpus: number;
  memory: MemoryModelName;
  strategy: StrategyName;
  /** `model`: random and PCT offered only the orders the timing allows (timing.ts). */
  timing?: 'any' | 'model';
  /** PCT's bug depth d. */
  depth: number;
  /** Executions at most. */
  budget: number;
  seed: number;
  /** CHESS preemption bound for DPOR; -1 for none. */
  preemptionBound: number;
  shrink: boolean;
  /** Asked between executions: true stops the search (a --time budget, from the CLI). */
  stop?: (executions: number) => boolean;
  estimate?: boolean;
  /** --jobs: DPOR's share of the first branching state (cli/explore-jobs.ts). */
  rootShare?: { index: number; of: number };
}

export interface FoundViolation extends Violation {
  schedule: string;
  steps: number;
  preemptions: number;
  /** Length of the schedule as found, before shrinking. */
  foundSteps: number;
}

export interface PctGuarantee {
  depth: number;
  agents: number;
  stepsK: number;
  perRun: number;
  /** Probability that `executions` runs all miss a depth-d bug, at most. */
  missAfterRuns: number;
}

export interface ExploreReport {
  schema: 'smpsim.explore/1';
  model: string;
  cpus: number;
  memory: MemoryModelName;
  strategy: StrategyName;
  timing: 'any' | 'model';
  seed: number;
  found: boolean;
  exhaustive: boolean;
  bounded: boolean;
  executions: number;
  steps: number;
  violation: FoundViolation | null;
  pct: PctGuarantee | null;
  estimate: SpaceEstimate | null;
  /** Worker threads the search ran on. */
  jobs: number;
}

export function setupFor(model: Model, cpus: number, memory: MemoryModelName, describe = false): Setup {
  return makeSetup(() => model.build(cpus), { memory, describe, stepsMax: STEPS_MAX });
}

interface SearchOutcome {
  violation: Violation | null;
  schedule: number[];
  preemptions: number;
  executions: number;
  steps: number;
  exhaustive: boolean;
  bounded: boolean;
  pct: PctGuarantee | null;
}

/**
 * Random walks behind the space estimate: Knuth's estimator is good to an order of magnitude,
 * which 8 walks give as well as 32 did on the built-in models (k1's 32 walks were a fifth of its
 * CPU time end to end, issue 17's 0.5 s goal).
 */
export const ESTIMATE_PROBES = 8;

/**
 * Shrinking's runs: 64 plus 8 per execution the search took, at most 3,000: a violation found in a few executions is not shrunk for longer than it took to find, many
 * times over (k1: found in 2 executions, then 163 shrinking runs, none better, were 0.3 s of its
 * 0.5 s end to end).
 */
export function shrinkRuns(executions: number): number {
  return Math.min(3000, 64 + 8 * executions);
}

export function explore(o: ExploreOptions): ExploreReport {
  const setup = setupFor(o.model, o.cpus, o.memory);
  const prng = newPrng(o.seed);
  const estimate = o.estimate === true ? estimateSpace(setup, prng.fork(), ESTIMATE_PROBES) : null;
  const out = o.strategy === 'dpor' ? searchDpor(setup, o) : sample(setup, o, prng);
  let violation: FoundViolation | null = null;
  if (out.violation !== null) {
    const shrunk = o.shrink
      ? shrink(setup, out.schedule, out.violation.kind, shrinkRuns(out.executions))
      : null;
    const schedule = shrunk?.schedule ?? out.schedule;
    const replayed = runOnce(setup, (_m, _e, i) => schedule[i]!);
    const header = { model: o.model.name, cpus: o.cpus, memory: o.memory };
    violation = {
      ...(replayed.violation ?? out.violation),
      schedule: encodeSchedule(header, setup.agents, schedule),
      steps: schedule.length,
      preemptions: replayed.preemptions,
      foundSteps: out.schedule.length,
    };
  }
  return {
    schema: 'smpsim.explore/1',
    model: o.model.name,
    cpus: o.cpus,
    memory: o.memory,
    strategy: o.strategy,
    timing: o.timing ?? 'any',
    seed: o.seed,
    found: violation !== null,
    exhaustive: out.exhaustive,
    bounded: out.bounded,
    executions: out.executions,
    steps: out.steps,
    violation,
    pct: out.pct,
    estimate,
    jobs: 1,
  };
}

function searchDpor(setup: Setup, o: ExploreOptions): SearchOutcome {
  if (o.timing === 'model')
    throw new Error("explore: DPOR's footprints say nothing of time (--timing model)");
  const r = dporSearch(setup, {
    executionsMax: o.budget,
    preemptionBound: o.preemptionBound,
    stop: o.stop ?? (() => false),
    rootShare: o.rootShare,
  });
  return { ...r, preemptions: 0, pct: null };
}

function sample(setup: Setup, o: ExploreOptions, prng: ReturnType<typeof newPrng>): SearchOutcome {
  // PCT needs k, the steps of a run: a first random run measures it (and counts).
  let k = 0;
  let steps = 0;
  let executions = 0;
  let agents = setup.agents.threads;
  const stop = o.stop ?? (() => false);
  while (executions < o.budget) {
    const strategic =
      o.strategy === 'pct' && executions > 0 ? pctChooser(prng, o.depth, k) : randomChooser(prng);
    const chooser = o.timing === 'model' ? timedChooser(strategic) : strategic;
    const r = runOnce(setup, chooser, false);
    executions++;
    steps += r.schedule.length;
    k = Math.max(k, r.schedule.length);
    agents = Math.max(agents, setup.agents.info.length);
    if (r.violation !== null) {
      return {
        ...base(executions, steps),
        violation: r.violation,
        schedule: r.schedule,
        preemptions: r.preemptions,
        pct: pctOf(o, agents, k, executions),
      };
    }
    if (stop(executions)) break;
  }
  return {
    ...base(executions, steps),
    violation: null,
    schedule: [],
    preemptions: 0,
    pct: pctOf(o, agents, k, executions),
  };
}

function base(executions: number, steps: number) {
  return { executions, steps, exhaustive: false, bounded: false };
}

function pctOf(o: ExploreOptions, agents: number, k: number, runs: number): PctGuarantee | null {
  if (o.strategy !== 'pct') return null;
  const perRun = pctRunProbability(agents, Math.max(1, k), o.depth);
  return { depth: o.depth, agents, stepsK: k, perRun, missAfterRuns: (1 - perRun) ** runs };
}
