/**
 * `[limits]` (what bounds a run and an invocation) and `[outcome]` (how the run is declared to
 * end). Every key has a default, so a scenario without these tables is bounded all the same.
 */
import { type LimitsConfig, type OutcomeConfig, RUN_ENDS, type RunConfig } from '../machine/config.ts';
import {
  EVENTS_MAX_DEFAULT,
  MEMORY_MIB_MAX,
  MEMORY_MIB_MIN,
  RUNS_MAX,
  RUNS_MAX_DEFAULT,
  SIM_NS_MAX_DEFAULT,
  THREADS_LIMIT_MAX,
  THREADS_MAX,
  WALL_S_MAX,
  WALL_S_MAX_DEFAULT,
} from '../machine/defaults.ts';
import { fail, type ReadContext, readChoice, readInt, readTable } from './fields.ts';

export const LIMITS_KEYS = [
  'sim_ns_max',
  'events_max',
  'threads_max',
  'wall_s_max',
  'runs_max',
  'memory_mib',
];
const OUTCOME_KEYS = ['ends', 'killed'];
/** More processes than threads cannot be killed. */
const KILLED_MAX = THREADS_MAX;

export function readLimits(ctx: ReadContext, value: unknown): LimitsConfig {
  const table = readTable(ctx, value ?? {}, 'limits', LIMITS_KEYS);
  const p = 'limits';
  const limits: LimitsConfig = {
    simNsMax: readInt(ctx, table, 'sim_ns_max', p, { min: 1, fallback: SIM_NS_MAX_DEFAULT }),
    eventsMax: readInt(ctx, table, 'events_max', p, { min: 1, fallback: EVENTS_MAX_DEFAULT }),
    threadsMax: readInt(ctx, table, 'threads_max', p, {
      min: 1,
      max: THREADS_LIMIT_MAX,
      fallback: THREADS_MAX,
    }),
    wallSMax: readInt(ctx, table, 'wall_s_max', p, { min: 1, max: WALL_S_MAX, fallback: WALL_S_MAX_DEFAULT }),
    runsMax: readInt(ctx, table, 'runs_max', p, { min: 1, max: RUNS_MAX, fallback: RUNS_MAX_DEFAULT }),
  };
  // Absent: sized for threads_max when the machine is built (defaults.ts memoryBytesOf).
  if (table.memory_mib !== undefined) {
    limits.memoryMib = readInt(ctx, table, 'memory_mib', p, { min: MEMORY_MIB_MIN, max: MEMORY_MIB_MAX });
  }
  return limits;
}

/**
 * `[outcome]`: a run that ends otherwise than declared fails, so a scenario whose guest is meant
 * to die (libc-stack-guard) says so, and one whose guest died by accident cannot pass.
 */
export function readOutcome(ctx: ReadContext, value: unknown): OutcomeConfig {
  const table = readTable(ctx, value ?? {}, 'outcome', OUTCOME_KEYS);
  return {
    ends: readChoice(ctx, table, 'ends', 'outcome', {
      choices: RUN_ENDS,
      noun: 'a way to end',
      fallback: 'exit',
    }),
    killed: readInt(ctx, table, 'killed', 'outcome', { min: 0, max: KILLED_MAX, fallback: 0 }),
  };
}

/** Runs one invocation of `config` makes: itself, every sweep point's seeds, every variant. */
export function runCount(config: RunConfig): number {
  const sweep = config.sweep === null ? 0 : config.sweep.cpus.length * config.sweep.runs;
  return 1 + sweep + config.compare.length;
}

/** Refuses a scenario that would make more runs than `limits.runs_max`, before any of them. */
export function checkRunCount(ctx: ReadContext, config: RunConfig): void {
  const runs = runCount(config);
  if (runs <= config.limits.runsMax) return;
  const sweep =
    config.sweep === null ? '' : ` + ${config.sweep.cpus.length} CPU counts x ${config.sweep.runs} runs`;
  const compare = config.compare.length === 0 ? '' : ` + ${config.compare.length} compare variants`;
  fail(
    ctx,
    'limits.runs_max',
    `the scenario makes ${runs} runs (1${sweep}${compare}), more than ${config.limits.runsMax}`,
    `at most ${config.limits.runsMax} runs, or raise limits.runs_max (up to ${RUNS_MAX})`,
  );
}
