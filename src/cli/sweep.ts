/**
 * `smpsim sweep FILE.toml [--out results.jsonl] [--jobs N] [--queue redis://HOST:PORT] [--json]
 * [--plot FILE]` (issue 23): a scenario run at every point of a matrix (sweep-file.ts), one JSONL
 * line per run. A rerun with the same `--out` skips the runs the file already holds, so an
 * interrupted sweep resumes where it stopped. Runs go to the local run pool (worker threads) in
 * chunks, each chunk's lines written as soon as it finishes, or, with `--queue`, to BullMQ workers
 * (`smpsim worker`, sweep-queue.ts). The summary is the median over seeds of every metric.
 * @module
 */
import { appendFileSync, existsSync, readFileSync, truncateSync } from 'node:fs';
import type { Command } from 'commander';
import type { RunConfig } from '../machine/config.ts';
import { renderPlot } from '../report/plot/render.ts';
import { sweepSpec } from '../report/plot/sweep.ts';
import {
  parseResults,
  recordLine,
  recordOf,
  type SummaryRow,
  type SweepRecord,
  SweepResultsError,
  type SweepRunSpec,
  summarise,
} from '../report/sweep-record.ts';
import type { RunReport } from '../report/types.ts';
import { defaultJobs, withRunner } from '../report/worker-pool.ts';
import { nearestNames } from '../report/nearest-names.ts';
import { parseScenario } from '../scenario/load.ts';
import { readSweepFile, type SweepPlan } from '../scenario/sweep-file.ts';
import { UsageError } from './errors.ts';
import { parseJobs } from './flags.ts';
import { runOnQueue, runWorker } from './sweep-queue.ts';
import { table } from './format.ts';

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

interface SweepFlags {
  out?: string;
  jobs?: string;
  queue?: string;
  json?: boolean;
  plot?: string;
}

export function registerSweepCommand(program: Command, io: Io, setStatus: (s: number) => void): void {
  program
    .command('sweep')
    .description('run a scenario over a matrix (policies x CPUs x seeds x any --set path); JSONL, resumable')
    .argument('<file>', 'sweep file (TOML): scenario, metrics and [matrix]')
    .option(
      '--out <file.jsonl>',
      'results file, one line per run; runs already in it are skipped (default: NAME.jsonl)',
    )
    .option('--jobs <n>', `worker threads (default: every core, ${defaultJobs()})`)
    .option('--queue <redis-url>', 'send the runs to BullMQ workers (smpsim worker --queue URL) instead')
    .option('--json', 'print the summary as JSON (schema smpsim.sweep/1)')
    .option('--plot <file>', 'draw the first metric against the matrix (.svg or .png)')
    .action(async (file: string, opts: SweepFlags) => {
      setStatus(await sweepCommand(file, opts, io));
    });
  program
    .command('worker')
    .description('take sweep runs from a queue (smpsim sweep --queue) until SIGINT or SIGTERM')
    .requiredOption('--queue <redis-url>', 'the Redis the sweep was sent to, e.g. redis://127.0.0.1:6379')
    .action(async (opts: { queue: string }) => {
      await runWorker(opts.queue, (line) => io.err(`${line}\n`));
      setStatus(0);
    });
}

/**
 * The configuration of one run: the scenario with the run's `--set` list and seed, alone. Its
 * `[[expect]]` are left out: they state what the scenario's own configuration gives, and a sweep
 * measures others; a run fails only when it did not do its work (a fault, a limit, a deadlock).
 */
export function sweepRunConfig(
  plan: Pick<SweepPlan, 'scenarioPath' | 'scenarioText'>,
  spec: SweepRunSpec,
): RunConfig {
  const config = parseScenario(plan.scenarioText, plan.scenarioPath, { set: spec.set, seed: spec.seed });
  return { ...config, compare: [], sweep: null, expect: [] };
}

async function sweepCommand(file: string, opts: SweepFlags, io: Io): Promise<number> {
  const plan = readSweepFile(file);
  const out = opts.out ?? `${plan.file.replace(/\.toml$/, '').replace(/^.*\//, '')}.jsonl`;
  const done = readDone(out);
  const todo = plan.runs.filter((r) => !done.has(r.key));
  const jobs = parseJobs(opts.jobs);
  const write = (r: SweepRecord) => {
    appendFileSync(out, recordLine(r));
    done.set(r.key, r);
  };
  if (todo.length > 0) {
    if (opts.queue !== undefined) {
      await runOnQueue(opts.queue, plan, todo, write);
    } else await runLocally(plan, todo, jobs, write);
  }
  const rows = summarise(plan.runs, done, plan.metrics);
  if (opts.plot !== undefined)
    await renderPlot(sweepSpec(plan.axes, plan.metrics[0]!, rows, plan.file), opts.plot);
  const skipped = plan.runs.length - todo.length;
  if (opts.json === true) io.out(`${JSON.stringify(summaryJson(plan, out, skipped, rows), null, 2)}\n`);
  else io.out(formatSummary(plan, out, skipped, rows));
  return rows.every((r) => r.failed === 0 && r.runs > 0) ? 0 : 1;
}

/** The records already in `out`; a line cut off by an interruption is cut from the file too. */
function readDone(out: string): Map<string, SweepRecord> {
  if (!existsSync(out)) return new Map();
  try {
    const text = readFileSync(out, 'utf8');
    const done = parseResults(text, out);
    if (text !== '' && !text.endsWith('\n'))
      truncateSync(out, Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)));
    return done;
  } catch (e) {
    if (e instanceof SweepResultsError)
      throw new UsageError(out, e.message, 'a results file this sweep wrote, or a new path');
    throw e;
  }
}

/** Runs per chunk handed to the pool: enough to keep every thread busy, few enough to lose little. */
const CHUNK_RUNS_PER_JOB = 4;

async function runLocally(
  plan: SweepPlan,
  todo: readonly SweepRunSpec[],
  jobs: number,
  write: (r: SweepRecord) => void,
) {
  const configs = todo.map((spec) => sweepRunConfig(plan, spec)); // every bad --set is found before any run
  const chunk = Math.max(1, jobs * CHUNK_RUNS_PER_JOB);
  await withRunner(jobs, async (runner) => {
    for (let at = 0; at < todo.length; at += chunk) {
      const reports = await runner(
        configs.slice(at, at + chunk).map((config) => ({ config, skipNameChecks: true })),
      );
      reports.forEach((report, i) => {
        if (at === 0 && i === 0) checkMetricNames(plan, report);
        write(recordOf(todo[at + i]!, report, plan.metrics));
      });
    }
  });
}

/** A metric the first run does not report is a typo, named with the nearest real names. */
export function checkMetricNames(plan: SweepPlan, report: RunReport): void {
  const names = Object.keys(report.metrics);
  for (const [i, m] of plan.metrics.entries())
    if (!(m in report.metrics))
      throw new UsageError(
        plan.file,
        `metrics.${i}: the scenario reports no metric ${m}`,
        nearestNames(names, m, 8),
      );
}

function cell(v: number | null): string {
  if (v === null) return '-';
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}

export function formatSummary(
  plan: SweepPlan,
  out: string,
  skipped: number,
  rows: readonly SummaryRow[],
): string {
  const axes = plan.axes.map((a) => a.name);
  const headers = [...axes, 'runs', 'failed', ...plan.metrics.map((m) => `${m} (median)`)];
  const body = rows.map((r) => [
    ...axes.map((a) => String(r.params[a])),
    String(r.runs),
    String(r.failed),
    ...plan.metrics.map((m) => cell(r.medians[m] ?? null)),
  ]);
  const head = `sweep ${plan.file}: ${plan.runs.length} runs (${skipped} already in ${out}), ${plan.seeds.length} seed(s) per point`;
  return `${[head, '', ...table(headers, body, axes.length)].join('\n')}\n`;
}

function summaryJson(plan: SweepPlan, out: string, skipped: number, rows: readonly SummaryRow[]) {
  return {
    schema: 'smpsim.sweep/1',
    file: plan.file,
    scenario: plan.scenarioPath,
    results: out,
    runs: plan.runs.length,
    skipped,
    axes: plan.axes,
    seeds: plan.seeds,
    metrics: plan.metrics,
    rows,
  };
}
