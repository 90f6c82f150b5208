/**
 * `smpsim explore FILE.toml`: a whole machine under the explorer (issue 17). The scenario runs
 * with the explorer as the engine's Decider (explore/engine-decider.ts): time abstracted
 * (`--timing any`), every step, tie and lock race a choice of a random walk or PCT, run after
 * run until one fails: a guest killed, a deadlock, a limit hit (the run's `failure`). Timed
 * `[[expect]]` figures mean nothing once time is abstracted, so they are not the check. A found
 * run's choices are its schedule (`scn:...`); `--replay` runs them back and gives the same
 * trace hash. DPOR needs each step's footprint, which whole-machine events do not declare yet.
 *
 * Every run checks the kernel's invariants after every event and at every switch
 * (kernel/invariants.ts: each context runnable or running in one place, run-queue membership,
 * futex waiter accounting, offline CPUs, the policy's own; the lock order, lockdep): a violated
 * one is the run's failure (`kernel invariant: ...`), as a test's `checkInvariants` makes it.
 *
 * A program module (TARGET `prog.ts`) runs as a scenario of its own: one `kind = "program"`
 * workload with the module's parameter defaults on `--cpus` CPUs (default 2) under the fair
 * preset; the program's own checks (a throw is a guest fault, the process killed) and the
 * kernel's invariants are the checks.
 */
import {
  ChoiceReplayDecider,
  decodeChoices,
  encodeChoices,
  type EngineStrategy,
  ExploreDecider,
  type ExploreTiming,
  ReplayMismatch,
  timingOf,
} from '../explore/engine-decider.ts';
import { basename } from 'node:path';
import { AssertionError } from '../engine/assert.ts';
import type { RunConfig } from '../machine/config.ts';
import { modulePath } from '../machine/load-module.ts';
import { loadProgramModule } from '../machine/program-module.ts';
import type { RunOptions } from '../report/run.ts';
import { runConfig } from '../report/run.ts';
import { parseScenario } from '../scenario/load.ts';
import { loadScenario } from '../scenario/load-modules.ts';
import { UsageError } from './errors.ts';

/** The CPUs a program module target runs on unless --cpus says otherwise. */
export const PROGRAM_CPUS_DEFAULT = 2;

/** The configuration `smpsim explore TARGET` runs: a scenario file's, or a program module's. */
export async function exploreTargetConfig(
  target: string,
  cpus: number | undefined,
  set: readonly string[],
): Promise<RunConfig> {
  if (target.endsWith('.toml')) {
    if (cpus !== undefined)
      throw new UsageError('--cpus', 'a scenario file gives its own machine', '--set machine.cpus=N');
    return loadScenario(target, { set });
  }
  const path = modulePath(target);
  await loadProgramModule(path);
  const name = basename(path).replace(/\.[^.]+$/, '');
  const text = [
    `name = ${JSON.stringify(`explore-${name}`)}`,
    'seed = 1',
    `[machine]\ncpus = ${cpus ?? PROGRAM_CPUS_DEFAULT}`,
    '[kernel]\nscheduler = "fair"',
    `[[workload]]\nkind = "program"\nmodule = ${JSON.stringify(path)}`,
  ].join('\n');
  return parseScenario(text, `${target} (as a scenario)`, { set });
}

/**
 * One run with the kernel's invariants checked; a violated invariant (an AssertionError, or
 * the kernel-bug error the CPU wraps one in) is its failure.
 */
function checkedRun(
  config: RunConfig,
  options: RunOptions,
): { failure: string | null; trace_hash: string; sim_ns: number } {
  try {
    const r = runConfig(config, { ...options, checkInvariants: true });
    return { failure: r.failure, trace_hash: r.trace_hash, sim_ns: r.sim_ns };
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof AssertionError ? error.cause : error;
    if (!(cause instanceof AssertionError)) throw error;
    return { failure: `kernel invariant: ${(error as Error).message}`, trace_hash: 'none', sim_ns: 0 };
  }
}

export interface ScenarioExploreOptions {
  strategy: string;
  depth: number;
  budget: number;
  seed: number;
  timing: ExploreTiming;
  stop: (executions: number) => boolean;
}

export interface ScenarioExploreReport {
  schema: 'smpsim.explore-scenario/1';
  scenario: string;
  strategy: EngineStrategy;
  timing: ExploreTiming;
  found: boolean;
  executions: number;
  failure: string | null;
  schedule: string | null;
  choices: number;
  trace_hash: string | null;
  replay_trace_hash: string | null;
}

export function exploreScenario(
  file: string,
  config: RunConfig,
  o: ScenarioExploreOptions,
): ScenarioExploreReport {
  if (o.strategy !== 'random' && o.strategy !== 'pct') {
    throw new UsageError(
      '--strategy',
      `${o.strategy} needs step footprints, which a scenario does not give yet`,
      'random, pct (for scenario files)',
    );
  }
  const strategy: EngineStrategy = o.strategy;
  let k = 0;
  let executions = 0;
  const out: ScenarioExploreReport = {
    schema: 'smpsim.explore-scenario/1',
    scenario: file,
    strategy,
    timing: o.timing,
    found: false,
    executions: 0,
    failure: null,
    schedule: null,
    choices: 0,
    trace_hash: null,
    replay_trace_hash: null,
  };
  while (executions < o.budget) {
    const decider = new ExploreDecider(strategy, o.seed + executions, o.depth, k, o.timing);
    const report = checkedRun(config, { decider });
    executions++;
    k = Math.max(k, decider.steps);
    if (report.failure !== null) {
      const replay = checkedRun(config, { decider: new ChoiceReplayDecider(decider.choices, o.timing) });
      Object.assign(out, {
        found: true,
        failure: report.failure,
        schedule: encodeChoices(decider.choices, o.timing),
        choices: decider.choices.length,
        trace_hash: report.trace_hash,
        replay_trace_hash: replay.trace_hash,
      });
      break;
    }
    if (o.stop(executions)) break;
  }
  out.executions = executions;
  return out;
}

export interface ScenarioReplay {
  schema: 'smpsim.explore-scenario-replay/1';
  scenario: string;
  failure: string | null;
  trace_hash: string;
  sim_ns: number;
}

export function replayScenario(
  file: string,
  config: RunConfig,
  schedule: string,
  traceFile?: string,
): ScenarioReplay {
  try {
    const report = checkedRun(config, {
      decider: new ChoiceReplayDecider(decodeChoices(schedule), timingOf(schedule)),
      traceFile,
    });
    return {
      schema: 'smpsim.explore-scenario-replay/1',
      scenario: file,
      failure: report.failure,
      trace_hash: report.trace_hash,
      sim_ns: report.sim_ns,
    };
  } catch (error) {
    if (error instanceof ReplayMismatch)
      throw new UsageError(
        '--replay',
        error.message,
        'a scn: schedule printed by smpsim explore for this scenario',
      );
    throw error;
  }
}

export function formatScenarioExplore(r: ScenarioExploreReport): string {
  const head = `${r.scenario} (${r.strategy}, --timing ${r.timing})`;
  if (!r.found)
    return `${head}: no failing run in ${r.executions} runs; not exhaustive (random and PCT sample)\n`;
  const same = r.trace_hash === r.replay_trace_hash ? 'replays to the same trace hash' : 'REPLAY DIVERGED';
  return [
    `${head}: VIOLATION run-failed: ${r.failure}`,
    `  found after ${r.executions} runs; schedule: ${r.choices} choices, ${same} (${r.trace_hash})`,
    `    ${r.schedule}`,
    `  replay: smpsim explore ${r.scenario} --replay '<the schedule>' --trace out.json`,
    '',
  ].join('\n');
}
