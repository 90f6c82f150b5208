/**
 * `smpsim explore FILE.toml`: a whole machine under the explorer (issue 17). The scenario runs
 * with the explorer as the engine's Decider (explore/engine-decider.ts): time abstracted
 * (`--timing any`), every step, tie and lock race a choice of a random walk or PCT, run after
 * run until one fails: a guest killed, a deadlock, a limit hit (the run's `failure`). Timed
 * `[[expect]]` figures mean nothing once time is abstracted, so they are not the check. A found
 * run's choices are its schedule (`scn:...`); `--replay` runs them back and gives the same
 * trace hash. DPOR needs each step's footprint, which whole-machine events do not declare yet.
 */
import {
  ChoiceReplayDecider,
  decodeChoices,
  encodeChoices,
  type EngineStrategy,
  ExploreDecider,
  ReplayMismatch,
} from '../explore/engine-decider.ts';
import { runConfig } from '../report/run.ts';
import { loadScenarioFile } from '../scenario/load.ts';
import { UsageError } from './errors.ts';

export interface ScenarioExploreOptions {
  strategy: string;
  depth: number;
  budget: number;
  seed: number;
  stop: (executions: number) => boolean;
}

export interface ScenarioExploreReport {
  schema: 'smpsim.explore-scenario/1';
  scenario: string;
  strategy: EngineStrategy;
  timing: 'any';
  found: boolean;
  executions: number;
  failure: string | null;
  schedule: string | null;
  choices: number;
  trace_hash: string | null;
  replay_trace_hash: string | null;
}

export function exploreScenario(file: string, o: ScenarioExploreOptions): ScenarioExploreReport {
  if (o.strategy !== 'random' && o.strategy !== 'pct') {
    throw new UsageError(
      '--strategy',
      `${o.strategy} needs step footprints, which a scenario does not give yet`,
      'random, pct (for scenario files)',
    );
  }
  const strategy: EngineStrategy = o.strategy;
  const config = loadScenarioFile(file);
  let k = 0;
  let executions = 0;
  const out: ScenarioExploreReport = {
    schema: 'smpsim.explore-scenario/1',
    scenario: file,
    strategy,
    timing: 'any',
    found: false,
    executions: 0,
    failure: null,
    schedule: null,
    choices: 0,
    trace_hash: null,
    replay_trace_hash: null,
  };
  while (executions < o.budget) {
    const decider = new ExploreDecider(strategy, o.seed + executions, o.depth, k);
    const report = runConfig(config, { decider });
    executions++;
    k = Math.max(k, decider.steps);
    if (report.failure !== null) {
      const replay = runConfig(config, { decider: new ChoiceReplayDecider(decider.choices) });
      Object.assign(out, {
        found: true,
        failure: report.failure,
        schedule: encodeChoices(decider.choices),
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

export function replayScenario(file: string, schedule: string, traceFile?: string): ScenarioReplay {
  const config = loadScenarioFile(file);
  try {
    const report = runConfig(config, {
      decider: new ChoiceReplayDecider(decodeChoices(schedule)),
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
  const head = `${r.scenario} (${r.strategy}, --timing any)`;
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
