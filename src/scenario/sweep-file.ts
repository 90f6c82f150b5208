/**
 * A sweep file (`smpsim sweep FILE.toml`, issue 23): a scenario and a matrix of values to run it
 * at, one run per combination. Read here into a plan of plain data (every run's `--set` list and
 * seed), so a worker thread or a queue worker on another machine can rebuild each run from the
 * scenario's text alone.
 *
 *     scenario = "../seeds/sched-fairness.toml"    # relative to this file
 *     metrics = ["workload.fairness.jain"]          # what the summary and the JSONL keep
 *     [matrix]
 *     policies = ["dwrr", "fair"]                   # kernel.scheduler
 *     cpus = [2, 4]                                 # machine.cpus
 *     seeds = 3                                     # the scenario's seed, +1, +2 (or a list)
 *     [[matrix.set]]                                # any --set path, cost parameters included
 *     path = "costs.ipiLatencyNs"
 *     values = [500, 2000]
 * @module
 */
import { dirname, resolve } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { ScenarioError } from './errors.ts';
import { runKey, type SweepAxis, type SweepRunSpec } from '../report/sweep-record.ts';
import { fail, kindOf, own, type ReadContext, readTable, type Table } from './fields.ts';
import { readScenarioText } from './load.ts';

export interface SweepPlan {
  /** The sweep file as named, for messages. */
  file: string;
  scenarioPath: string;
  scenarioText: string;
  metrics: string[];
  axes: SweepAxis[];
  seeds: number[];
  runs: SweepRunSpec[];
}

const TOP_KEYS = ['scenario', 'metrics', 'matrix', 'description'];
const MATRIX_KEYS = ['policies', 'cpus', 'seeds', 'set'];
const SET_KEYS = ['path', 'values'];
/** A sweep is a host-time commitment; past this, the user splits it or raises nothing by accident. */
export const SWEEP_RUNS_MAX = 100_000;
const SEED_COUNT_MAX = 10_000;

/** Reads and checks the sweep file; every problem is a one-line ScenarioError naming the field. */
export function readSweepFile(file: string): SweepPlan {
  const ctx: ReadContext = { file, dir: dirname(file) };
  const doc = readTable(ctx, parseSweepToml(readScenarioText(file), file), '', TOP_KEYS);
  const scenario = own(doc, 'scenario');
  if (typeof scenario !== 'string' || scenario === '')
    fail(ctx, 'scenario', `expected the scenario's path, got ${kindOf(scenario)}`);
  const scenarioPath = resolve(dirname(file), scenario);
  const scenarioText = readScenarioText(scenarioPath);
  const metrics = readMetricNames(ctx, own(doc, 'metrics'));
  const matrix = readTable(ctx, own(doc, 'matrix') ?? {}, 'matrix', MATRIX_KEYS);
  const axes = readAxes(ctx, matrix);
  const seeds = readSeeds(ctx, own(matrix, 'seeds'), scenarioSeed(scenarioText));
  const runs = expand(axes, seeds);
  if (runs.length > SWEEP_RUNS_MAX)
    fail(ctx, 'matrix', `${runs.length} runs`, `at most ${SWEEP_RUNS_MAX}; split the sweep`);
  return { file, scenarioPath, scenarioText, metrics, axes, seeds, runs };
}

function parseSweepToml(text: string, file: string): Table {
  try {
    return parse(text) as Table;
  } catch (e) {
    if (!(e instanceof TomlError)) throw e;
    throw new ScenarioError({ file, field: '', problem: `not valid TOML: ${e.message.split('\n')[0]}` });
  }
}

function readMetricNames(ctx: ReadContext, value: unknown): string[] {
  const allowed = 'a non-empty list of metric names, e.g. ["sched.wake_p99_ns"]';
  if (!Array.isArray(value) || value.length === 0) fail(ctx, 'metrics', `got ${kindOf(value)}`, allowed);
  for (const [i, m] of value.entries())
    if (typeof m !== 'string' || m === '') fail(ctx, `metrics.${i}`, `got ${kindOf(m)}`, 'a metric name');
  return value as string[];
}

function readValues(ctx: ReadContext, value: unknown, field: string): (string | number | boolean)[] {
  const allowed = 'a non-empty list of strings, numbers or booleans';
  if (!Array.isArray(value) || value.length === 0) fail(ctx, field, `got ${kindOf(value)}`, allowed);
  const seen = new Set<string>();
  for (const [i, v] of value.entries()) {
    if (!['string', 'number', 'boolean'].includes(typeof v))
      fail(ctx, `${field}.${i}`, `got ${kindOf(v)}`, allowed);
    if (seen.has(String(v))) fail(ctx, `${field}.${i}`, `${String(v)} appears twice`, 'each value once');
    seen.add(String(v));
  }
  return value as (string | number | boolean)[];
}

function readAxes(ctx: ReadContext, matrix: Table): SweepAxis[] {
  const axes: SweepAxis[] = [];
  if (own(matrix, 'policies') !== undefined)
    axes.push({
      name: 'policy',
      path: 'kernel.scheduler',
      values: readValues(ctx, own(matrix, 'policies'), 'matrix.policies'),
    });
  if (own(matrix, 'cpus') !== undefined)
    axes.push({
      name: 'cpus',
      path: 'machine.cpus',
      values: readValues(ctx, own(matrix, 'cpus'), 'matrix.cpus'),
    });
  const sets = own(matrix, 'set') ?? [];
  if (!Array.isArray(sets))
    fail(ctx, 'matrix.set', `got ${kindOf(sets)}`, 'an array of [[matrix.set]] tables');
  for (const [i, raw] of sets.entries()) {
    const field = `matrix.set.${i}`;
    const t = readTable(ctx, raw, field, SET_KEYS);
    const path = own(t, 'path');
    if (typeof path !== 'string' || !/^[\w-]+(\.[\w-]+)*$/.test(path))
      fail(ctx, `${field}.path`, `got ${kindOf(path)}`, 'a dotted --set path such as kernel.tick_hz');
    if (axes.some((a) => a.path === path))
      fail(ctx, `${field}.path`, `${path} is already an axis`, 'each path once');
    axes.push({ name: path, path, values: readValues(ctx, own(t, 'values'), `${field}.values`) });
  }
  return axes;
}

/** The file's top-level `seed` (1 when absent), which `seeds = N` counts from. */
function scenarioSeed(text: string): number {
  try {
    const seed = (parse(text) as Table).seed;
    return typeof seed === 'number' && Number.isInteger(seed) ? seed : 1;
  } catch {
    return 1; // the scenario's own error is reported when its first run is built
  }
}

function readSeeds(ctx: ReadContext, value: unknown, first: number): number[] {
  if (value === undefined) return [first];
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 1 || value > SEED_COUNT_MAX)
      fail(ctx, 'matrix.seeds', `got ${value}`, `a count 1..${SEED_COUNT_MAX}, or a list of seeds`);
    return Array.from({ length: value }, (_, k) => first + k);
  }
  const list = readValues(ctx, value, 'matrix.seeds');
  for (const [i, s] of list.entries())
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 0)
      fail(ctx, `matrix.seeds.${i}`, `got ${String(s)}`, 'an integer >= 0');
  return list as number[];
}

/** Every combination, the first axis outermost and the seed innermost. */
function expand(axes: readonly SweepAxis[], seeds: readonly number[]): SweepRunSpec[] {
  let combos: { params: SweepRunSpec['params']; set: string[] }[] = [{ params: {}, set: [] }];
  for (const axis of axes)
    combos = combos.flatMap((c) =>
      axis.values.map((v) => ({
        params: { ...c.params, [axis.name]: v },
        set: [...c.set, `${axis.path}=${JSON.stringify(v)}`],
      })),
    );
  return combos.flatMap((c) =>
    seeds.map((seed) => ({ key: runKey(c.params, seed), params: c.params, set: c.set, seed })),
  );
}
