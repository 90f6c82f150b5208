/**
 * `smpsim explore TARGET`: searches a built-in model's interleavings (issue 17) with random walk,
 * PCT or DPOR under SC, x86-TSO or PSO, prints the verdict and a replayable schedule, and replays
 * one with `--replay` (optionally writing a Perfetto trace). Exit 1 when a violation is found, 0
 * when none is within the bound (the report says whether the bound was exhaustive), 2 on bad
 * input. Progress goes to stderr about once a second on long searches.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  type ExploreOptions as SearchOptions,
  type ExploreReport,
  explore,
  STRATEGIES,
} from '../explore/explore.ts';
import { EXPLORE_TIMINGS } from '../explore/engine-decider.ts';
import { MEMORY_MODELS, type Model } from '../explore/model.ts';
import { findModel, MODELS } from '../explore/registry.ts';
import { replayChromeTrace, replaySchedule } from '../explore/replay.ts';
import { ScheduleError } from '../explore/schedule.ts';
import { UsageError } from './errors.ts';
import { formatExploreList, formatExploreReport, formatReplay } from './explore-format.ts';
import { exploreInJobs } from './explore-jobs.ts';
import {
  exploreScenario,
  exploreTargetConfig,
  formatScenarioExplore,
  replayScenario,
} from './explore-scenario.ts';
import { checkWritableFile, parseChoiceFlag, parseIntFlag, parseSecondsFlag } from './flags.ts';
import { Progress } from './progress.ts';

export interface ExploreOptions {
  strategy?: string;
  depth?: string;
  memory?: string;
  budget?: string;
  time?: string;
  cpus?: string;
  seed?: string;
  jobs?: string;
  replay?: string;
  trace?: string;
  json?: boolean;
  list?: boolean;
  timing?: string;
  preemptionBound?: string;
  shrink?: boolean;
  set?: string[];
}

export interface ExploreIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

const BUDGET_DEFAULT = 100_000;
const TIME_S_MAX = 3600;
const JOBS_MAX = 16;

/** A search the command asked for: the explorer's options as the flags gave them, a time and jobs. */
export type ExploreRequest = Omit<SearchOptions, 'stop' | 'estimate' | 'rootShare'> & {
  timeS: number;
  jobs: number;
};

function resolveModel(target: string | undefined): Model {
  if (target === undefined) throw new UsageError('explore', 'missing TARGET', 'a model name from --list');
  const model = findModel(target);
  if (model !== undefined) return model;
  throw new UsageError(
    'TARGET',
    `${JSON.stringify(target)} is not a built-in model`,
    MODELS.map((m) => m.name).join(', '),
  );
}

export function parseExploreRequest(target: string | undefined, o: ExploreOptions): ExploreRequest {
  const model = resolveModel(target);
  const timing = parseChoiceFlag('--timing', o.timing ?? 'any', EXPLORE_TIMINGS);
  const strategy = parseChoiceFlag(
    '--strategy',
    o.strategy ?? (timing === 'model' ? 'pct' : 'dpor'),
    STRATEGIES,
  );
  if (timing === 'model' && strategy === 'dpor')
    throw new UsageError(
      '--timing',
      "model: DPOR's footprints say nothing of time",
      'any, or model with --strategy random or pct',
    );
  const memory = parseChoiceFlag('--memory', o.memory ?? model.memory, MEMORY_MODELS);
  if (o.budget !== undefined && o.time !== undefined)
    throw new UsageError('--budget', 'give --budget or --time, not both');
  return {
    model,
    strategy,
    timing,
    memory,
    cpus: parseIntFlag('--cpus', o.cpus ?? String(model.cpus), model.cpusMin, model.cpusMax),
    depth: parseIntFlag('--depth', o.depth ?? '3', 1, 10),
    budget:
      o.budget === undefined
        ? o.time === undefined
          ? BUDGET_DEFAULT
          : Number.MAX_SAFE_INTEGER
        : parseIntFlag('--budget', o.budget, 1, 1e9),
    seed: parseIntFlag('--seed', o.seed ?? '1', 0, 2 ** 32 - 1),
    preemptionBound:
      o.preemptionBound === undefined ? -1 : parseIntFlag('--preemption-bound', o.preemptionBound, 0, 1000),
    shrink: o.shrink !== false,
    timeS: o.time === undefined ? 0 : parseSecondsFlag('--time', o.time, TIME_S_MAX),
    jobs: parseIntFlag('--jobs', o.jobs ?? '1', 1, JOBS_MAX),
  };
}

/**
 * The stop test of a search: the --time budget; and on a terminal a progress line on stderr
 * (executions of the budget, or of the time), nothing otherwise (progress.ts).
 */
function stopper(req: ExploreRequest, progress: Progress | null): (executions: number) => boolean {
  const startMs = performance.now();
  progress?.limit(req.timeS);
  return (executions) => {
    progress?.runs(executions, req.budget);
    return req.timeS > 0 && performance.now() - startMs >= req.timeS * 1000;
  };
}

export function runExploreRequest(req: ExploreRequest, progress: Progress | null = null): ExploreReport {
  try {
    return explore({ ...req, stop: stopper(req, progress), estimate: req.strategy === 'dpor' });
  } finally {
    progress?.end();
  }
}

function replayCommand(target: string | undefined, o: ExploreOptions, io: ExploreIo): number {
  const model = resolveModel(target);
  let replay: ReturnType<typeof replaySchedule>;
  try {
    replay = replaySchedule(model, o.replay!);
  } catch (error) {
    if (error instanceof ScheduleError)
      throw new UsageError('--replay', error.message, 'a schedule string printed by smpsim explore');
    throw error;
  }
  if (o.trace !== undefined) writeFileSync(o.trace, `${JSON.stringify(replayChromeTrace(replay))}\n`);
  io.out(o.json === true ? `${JSON.stringify(replay, null, 2)}\n` : formatReplay(replay, o.trace));
  return replay.violation === null ? 0 : 1;
}

export async function exploreCommand(
  target: string | undefined,
  o: ExploreOptions,
  io: ExploreIo,
): Promise<number> {
  if (o.list === true) {
    io.out(
      o.json === true
        ? `${JSON.stringify({ schema: 'smpsim.explore-list/1', models: MODELS.map(listed) }, null, 2)}\n`
        : formatExploreList(MODELS),
    );
    return 0;
  }
  if (o.trace !== undefined) checkWritableFile('--trace', o.trace);
  if (target !== undefined && isMachineTarget(target)) return scenarioCommand(target, o, io);
  if (o.replay !== undefined) return replayCommand(target, o, io);
  if (o.set !== undefined)
    throw new UsageError(
      '--set',
      'a built-in model has no scenario fields',
      'a scenario file or program module TARGET',
    );
  const req = parseExploreRequest(target, o);
  const report =
    req.jobs > 1
      ? await exploreInJobs(req, io.err)
      : runExploreRequest(req, Progress.on(`explore ${req.model.name}`));
  if (o.trace !== undefined && report.violation !== null) {
    writeFileSync(
      o.trace,
      `${JSON.stringify(replayChromeTrace(replaySchedule(req.model, report.violation.schedule)))}\n`,
    );
  }
  io.out(o.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatExploreReport(report, o.trace));
  return report.found ? 1 : 0;
}

/** A scenario file or a guest program module: run on the whole machine (explore-scenario.ts). */
function isMachineTarget(target: string): boolean {
  return /\.(toml|ts|mts|js|mjs)$/.test(target) && findModel(target) === undefined;
}

/** A scenario file: the whole machine with the explorer as its Decider (explore-scenario.ts). */
async function scenarioCommand(file: string, o: ExploreOptions, io: ExploreIo): Promise<number> {
  const timing = parseChoiceFlag('--timing', o.timing ?? 'any', EXPLORE_TIMINGS);
  const cpus = o.cpus === undefined ? undefined : parseIntFlag('--cpus', o.cpus, 1, 64);
  const config = await exploreTargetConfig(file, cpus, o.set ?? []);
  if (o.replay !== undefined) {
    const r = replayScenario(file, config, o.replay, o.trace);
    io.out(
      o.json === true
        ? `${JSON.stringify(r, null, 2)}\n`
        : `${file} replayed: ${r.failure ?? 'no failure'}; trace hash ${r.trace_hash}\n`,
    );
    return r.failure === null ? 0 : 1;
  }
  const budget = o.budget === undefined ? 100 : parseIntFlag('--budget', o.budget, 1, 1e6);
  const timeS = o.time === undefined ? 0 : parseSecondsFlag('--time', o.time, TIME_S_MAX);
  const startMs = performance.now();
  const progress = Progress.on(`explore ${file}`)?.limit(timeS) ?? null;
  const r = exploreScenario(file, config, {
    timing,
    strategy: parseChoiceFlag('--strategy', o.strategy ?? 'pct', STRATEGIES),
    depth: parseIntFlag('--depth', o.depth ?? '3', 1, 10),
    budget,
    seed: parseIntFlag('--seed', o.seed ?? '1', 0, 2 ** 32 - 1),
    stop: (n) => {
      progress?.runs(n, budget);
      return timeS > 0 && performance.now() - startMs >= timeS * 1000;
    },
  });
  progress?.end();
  io.out(o.json === true ? `${JSON.stringify(r, null, 2)}\n` : formatScenarioExplore(r));
  return r.found ? 1 : 0;
}

function listed(m: Model) {
  const { build: _build, ...rest } = m;
  return rest;
}

/** Adds `explore` to the program (main.ts registers it with one call). */
export function registerExploreCommand(
  program: Command,
  io: ExploreIo,
  setStatus: (s: number) => void,
): void {
  program
    .command('explore')
    .description(
      'search the interleavings of a model (random, PCT, DPOR) under SC, TSO or PSO; replay a schedule',
    )
    .argument(
      '[target]',
      'a built-in model (see --list), a scenario file or a guest program module (random or PCT over the whole machine)',
    )
    .option('--list', 'list the built-in models')
    .option('--strategy <name>', `${STRATEGIES.join(', ')} (default dpor)`)
    .option('--depth <d>', 'PCT bug depth (1..10, default 3)')
    .option('--memory <model>', `${MEMORY_MODELS.join(', ')} (default: the model's)`)
    .option('--budget <n>', `executions at most (default ${BUDGET_DEFAULT})`)
    .option('--time <s>', 'seconds at most, instead of --budget')
    .option('--cpus <n>', 'CPUs (boot models: the BSP plus N-1 APs)')
    .option('--seed <n>', 'seed of random and PCT (default 1)')
    .option('--jobs <n>', `worker threads (1..${JOBS_MAX}, default 1)`)
    .option('--preemption-bound <n>', 'DPOR: only schedules with at most n preemptions (CHESS)')
    .option(
      '--timing <mode>',
      "any: enabled steps run in any order (default); model: the cost model's order plus jitter (scenario and program targets)",
    )
    .option('--no-shrink', 'keep the counterexample as found')
    .option('--replay <schedule>', 'replay a schedule string bit for bit')
    .option('--trace <file>', 'write the (replayed) counterexample as a Perfetto/Chrome trace')
    .option('--json', 'print one JSON object (schema smpsim.explore/1)')
    .option(
      '--set <path=value>',
      'a scenario or program target: override a field, e.g. workload.0.atomic=1 (repeatable)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .action(async (target: string | undefined, opts: ExploreOptions) => {
      setStatus(await exploreCommand(target, opts, io));
    });
}
